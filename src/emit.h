/* emit.h - writing programs: raw blob, C header, assembly listing. */
#ifndef SF_EMIT_H
#define SF_EMIT_H

#include <linux/filter.h>
#include <stdio.h>

#include "arch.h"

/* Raw blob in the arch's byte order.  0 or -1 (errno set). */
int sf_emit_bpf(const struct sock_filter *prog, size_t len, const sf_arch *arch,
                FILE *out);
/* C header with include guard, one instruction per line with a comment. */
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
