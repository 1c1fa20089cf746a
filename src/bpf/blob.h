/* blob.h - programs in their raw form: an array of 8-byte struct
 * sock_filter { u16 code; u8 jt; u8 jf; u32 k; } in a byte order. */
#ifndef SF_BLOB_H
#define SF_BLOB_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdio.h>

#include "arch/arch.h"

/* Encode/decode LEN instructions in the given byte order. */
void sf_bpf_encode(const struct sock_filter *prog, size_t len, int big_endian,
                   unsigned char *out);
void sf_bpf_decode(const unsigned char *in, size_t len, int big_endian,
                   struct sock_filter *out);
/* A raw blob of LEN bytes as a program: it must be 1..4096 whole 8-byte
 * instructions.  Returns 0 with *OUT malloc()ed (*N instructions), or -1
 * with the reason in WHY (errno ENOMEM when memory ran out).  Decoding
 * only; sf_blob_load also validates. */
int sf_bpf_from_blob(const unsigned char *raw, size_t len, int big_endian,
                     struct sock_filter **out, size_t *n, char *why,
                     size_t why_size);
/* Decode and validate (the kernel's rules): 0 with *OUT malloc()ed, -1
 * with the reason in WHY ("invalid seccomp filter: ..." for a program
 * that decodes but breaks a rule; *OUT is then NULL). */
int sf_blob_load(const unsigned char *raw, size_t len, int big_endian,
                 struct sock_filter **out, size_t *n, char *why, size_t why_size);
/* The largest blob worth reading: one byte more than 4096 instructions
 * tells a too long one. */
enum { SF_BLOB_READ_MAX = 4096 * 8 + 1 };
/* Write PROG as a raw blob in ARCH's byte order.  0 or -1 (errno set). */
int sf_write_blob(const struct sock_filter *prog, size_t len, const sf_arch *arch,
                  FILE *out);

#endif
