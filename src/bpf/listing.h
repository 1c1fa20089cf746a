/* listing.h - programs as readable text: addresses, mnemonics, syscall
 * names on comparisons with the syscall number, decoded actions. */
#ifndef SF_LISTING_H
#define SF_LISTING_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdio.h>

#include "arch/arch.h"

/* Write the listing of PROG, syscalls named from ARCH's table.  0, or -1
 * (errno set). */
int sf_write_asm(const struct sock_filter *prog, size_t len, const sf_arch *arch,
                 FILE *out);
/* The readable form of one instruction (used by the listing and the C
 * header).  NR_LOADED tells whether A holds seccomp_data.nr (to name
 * syscalls). */
void sf_insn_str(const struct sock_filter *insn, size_t pc, const sf_arch *arch,
                 int nr_loaded, char *buf, size_t size);
/* The same where A holds the seccomp_data word at offset A_HOLDS (-1:
 * unknown), as sf_listing_states tells. */
void sf_insn_str_at(const struct sock_filter *insn, size_t pc, const sf_arch *arch,
                    int a_holds, char *buf, size_t size);
/* Per instruction, the seccomp_data offset A holds there, or -1 (a forward
 * dataflow); malloc()ed, NULL with errno set. */
int *sf_listing_states(const struct sock_filter *prog, size_t len);
/* "AUDIT_ARCH_I386" for 0x40000003, ...; NULL for a value not in the
 * kernel's list (include/uapi/linux/audit.h). */
const char *sf_audit_arch_name(uint32_t value);

#endif
