/* internal.h - what the tests may reach inside the library: the stage
 * interfaces the pipeline is built from, and nothing else.  A test that
 * needs more than these is testing an implementation detail.
 *
 *   front/    parse.h (sources -> syntax tree), ast.h, oci.h (OCI profiles)
 *   sema/     ruleset.h (the resolved policy)
 *   oracle/   eval.h (the reference semantics: the tests' oracle)
 *   codegen/  program.h (rule set -> BPF)
 *   bpf/      bpf.h (constants, validator, simulator), action.h, blob.h,
 *             listing.h, cheader.h
 *   arch/     arch.h (tables and lookups), constants.h (the predefined
 *             constants)
 *   base/     context.h (the context's private layout: diagnostics, the
 *             arena), diag.h, source.h
 *   cli/      call.h (CALL parsing), stats.h (path measurements),
 *             systemd.h (systemd's groups, the converter) */
#ifndef SF_TESTS_INTERNAL_H
#define SF_TESTS_INTERNAL_H

#include "arch/arch.h"
#include "arch/constants.h"
#include "base/context.h"
#include "base/diag.h"
#include "base/source.h"
#include "bpf/action.h"
#include "bpf/blob.h"
#include "bpf/bpf.h"
#include "bpf/cheader.h"
#include "bpf/listing.h"
#include "cli/call.h"
#include "cli/stats.h"
#include "cli/systemd.h"
#include "codegen/program.h"
#include "front/ast.h"
#include "front/oci.h"
#include "front/parse.h"
#include "oracle/eval.h"
#include "sema/ruleset.h"

#endif
