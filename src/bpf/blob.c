/* blob.c - the raw form of a program: an array of 8-byte struct
 * sock_filter in a byte order, as the kernel takes it and as bwrap,
 * minijail and seccomp_export_bpf() write it (see blob.h). */
#include "bpf/blob.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "bpf/bpf.h"

static void put_uint(unsigned char *p, uint32_t v, int bytes, int big_endian) {
  for (int i = 0; i < bytes; i++)
    p[i] = (unsigned char)(v >> (8 * (big_endian ? bytes - 1 - i : i)));
}

static uint32_t get_uint(const unsigned char *p, int bytes, int big_endian) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; i++)
    v |= (uint32_t)p[i] << (8 * (big_endian ? bytes - 1 - i : i));
  return v;
}

/* struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; } */
void sf_bpf_encode(const struct sock_filter *prog, size_t len, int big_endian,
                   unsigned char *out) {
  for (size_t i = 0; i < len; i++, out += 8) {
    put_uint(out, prog[i].code, 2, big_endian);
    out[2] = prog[i].jt;
    out[3] = prog[i].jf;
    put_uint(out + 4, prog[i].k, 4, big_endian);
  }
}

void sf_bpf_decode(const unsigned char *in, size_t len, int big_endian,
                   struct sock_filter *out) {
  for (size_t i = 0; i < len; i++, in += 8) {
    out[i].code = (uint16_t)get_uint(in, 2, big_endian);
    out[i].jt = in[2];
    out[i].jf = in[3];
    out[i].k = get_uint(in + 4, 4, big_endian);
  }
}

int sf_bpf_from_blob(const unsigned char *raw, size_t len, int big_endian,
                     struct sock_filter **out, size_t *n, char *why,
                     size_t why_size) {
  *out = NULL;
  *n = 0;
  errno = 0;
  if (len == 0)
    snprintf(why, why_size, "empty (0 bytes): not a seccomp filter");
  else if (len > (size_t)SF_BPF_MAXINSNS * 8)
    snprintf(why, why_size, "more than %d instructions: not a seccomp filter",
             SF_BPF_MAXINSNS);
  else if (len % 8 != 0)
    snprintf(why, why_size,
             "%zu bytes is not a whole number of 8-byte instructions", len);
  else if (!(*out = malloc(len / 8 * sizeof **out))) {
    errno = ENOMEM;
    snprintf(why, why_size, "%s", strerror(ENOMEM));
  } else {
    *n = len / 8;
    sf_bpf_decode(raw, *n, big_endian, *out);
    return 0;
  }
  return -1;
}

int sf_write_blob(const struct sock_filter *prog, size_t len, const sf_arch *arch,
                FILE *out) {
  if (!arch) {
    errno = EINVAL;
    return -1;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char raw[8];
    sf_bpf_encode(&prog[i], 1, arch->big_endian, raw);
    if (fwrite(raw, sizeof raw, 1, out) != 1) break;
  }
  return sf_stream_finish(out);
}


int sf_blob_load(const unsigned char *raw, size_t len, int big_endian,
                 struct sock_filter **out, size_t *n, char *why, size_t why_size) {
  if (sf_bpf_from_blob(raw, len, big_endian, out, n, why, why_size) != 0) return -1;
  char reason[256];
  if (sf_bpf_validate(*out, *n, reason, sizeof reason) == 0) return 0;
  snprintf(why, why_size, "invalid seccomp filter: %s", reason);
  free(*out);
  *out = NULL;
  *n = 0;
  return -1;
}
