/* listing.h - programs as readable text: addresses, mnemonics, syscall
 * names on comparisons with the syscall number, decoded actions. */
#ifndef SF_LISTING_H
#define SF_LISTING_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arch/arch.h"

/* The syscall tables a listing names numbers from.  Where every path to
 * a comparison has checked seccomp_data.arch (the taken side of `jeq #K`
 * after `ld [4]`), the table in TABLES whose audit_arch is K and whose ABI
 * the number belongs to (x86_64 and x32 share K), or none if TABLES has
 * none; elsewhere FALLBACK (the --arch or the host's). */
typedef struct sf_names {
  const sf_arch *fallback;
  const sf_arch *const *tables;
  size_t n_tables;
} sf_names;

/* The table NAMES gives NR where seccomp_data.arch is AUDIT (-1:
 * unknown); NULL if none. */
const sf_arch *sf_names_table(const sf_names *names, int64_t audit, uint32_t nr);

/* Write the listing of PROG, syscalls named from ARCH's table alone (the
 * loader: other architectures' sections get no names).  0, or -1 (errno
 * set). */
int sf_write_asm(const struct sock_filter *prog, size_t len, const sf_arch *arch,
                 FILE *out);
/* The same with the tables of NAMES (NAMES->fallback non-NULL). */
int sf_write_asm_names(const struct sock_filter *prog, size_t len,
                       const sf_names *names, FILE *out);
/* The readable form of one instruction (used by the listing and the C
 * header).  NR_LOADED tells whether A holds seccomp_data.nr (to name
 * syscalls). */
void sf_insn_str(const struct sock_filter *insn, size_t pc, const sf_arch *arch,
                 int nr_loaded, char *buf, size_t size);
/* The same where A holds the seccomp_data word at offset A_HOLDS (-1:
 * unknown), as sf_listing_states tells. */
void sf_insn_str_at(const struct sock_filter *insn, size_t pc, const sf_arch *arch,
                    int a_holds, char *buf, size_t size);
/* The same named from NAMES where seccomp_data.arch is AUDIT (-1:
 * unknown), as sf_listing_audits tells. */
void sf_insn_str_names(const struct sock_filter *insn, size_t pc,
                       const sf_names *names, int a_holds, int64_t audit,
                       char *buf, size_t size);
/* Per instruction, the seccomp_data offset A holds there, or -1 (a forward
 * dataflow); malloc()ed, NULL with errno set. */
int *sf_listing_states(const struct sock_filter *prog, size_t len);
/* Per instruction, the AUDIT_ARCH value seccomp_data.arch has on every
 * path reaching it (checked by a taken `jeq #K` on arch), or -1;
 * malloc()ed, NULL with errno set. */
int64_t *sf_listing_audits(const struct sock_filter *prog, size_t len);
/* The constants PROG compares seccomp_data.arch with by `jeq #K`, in
 * program order without repeats, into OUT (at most MAX); how many. */
size_t sf_listing_arch_values(const struct sock_filter *prog, size_t len,
                              uint32_t *out, size_t max);
/* "AUDIT_ARCH_I386" for 0x40000003, ...; NULL for a value not in the
 * kernel's list (include/uapi/linux/audit.h). */
const char *sf_audit_arch_name(uint32_t value);

#endif
