/* emit.h - writing programs: raw blob, C header, assembly listing. */
#ifndef SF_EMIT_H
#define SF_EMIT_H

#include <linux/filter.h>
#include <stdio.h>

#include "arch/arch.h"

/* Raw blob in the arch's byte order.  0 or -1 (errno set). */
int sf_emit_bpf(const struct sock_filter *prog, size_t len, const sf_arch *arch,
                FILE *out);
/* Why NAME cannot name the array of a C header (the header would not
 * compile, or would break the code including it), or NULL if it can. */
enum { SF_C_NAME_MAX = 200 };
const char *sf_c_name_problem(const char *name);
/* C header with include guard, one instruction per line with a comment.
 * NAME NULL is "sysfence_filter"; a NAME with a problem is EINVAL. */
int sf_emit_c(const struct sock_filter *prog, size_t len, const sf_arch *arch,
              const char *name, FILE *out);
/* Listing: address, mnemonic, operands, syscall names for comparisons on
 * the syscall number, decoded actions. */
int sf_emit_asm(const struct sock_filter *prog, size_t len, const sf_arch *arch,
                FILE *out);
/* The readable form of one instruction (used by the C and asm emitters).
 * NR_LOADED tells whether A holds seccomp_data.nr (to name syscalls). */
void sf_insn_str(const struct sock_filter *insn, size_t pc, const sf_arch *arch,
                 int nr_loaded, char *buf, size_t size);
/* "AUDIT_ARCH_I386" for 0x40000003, ...; NULL for a value not in the
 * kernel's list (include/uapi/linux/audit.h). */
const char *sf_audit_arch_name(uint32_t value);

#endif
