/* standalone.h - the replay driver both fuzz targets share when built
 * with SF_FUZZ_STANDALONE (no libFuzzer): each file named on the command
 * line, or stdin, is one input to LLVMFuzzerTestOneInput.  Included once,
 * by the target's own .c file, after its LLVMFuzzerTestOneInput. */
#ifndef SF_FUZZ_STANDALONE_H
#define SF_FUZZ_STANDALONE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* F's whole content through the target: 0, or -1 (read error, no memory). */
static int run_file(FILE *f) {
  size_t len = 0, cap = 4096;
  uint8_t *buf = malloc(cap);
  if (!buf) return -1;
  size_t got;
  while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      uint8_t *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        return -1;
      }
      buf = nb;
      cap *= 2;
    }
  }
  int err = ferror(f);
  if (!err) LLVMFuzzerTestOneInput(buf, len);
  free(buf);
  return err ? -1 : 0;
}

/* ARGV[1..ARGC) through the target (stdin if none): main's exit status. */
static int run_files(int argc, char **argv) {
  if (argc < 2) return run_file(stdin) == 0 ? 0 : 1;
  int status = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f || run_file(f) != 0) {
      perror(argv[i]);
      status = 1;
    }
    if (f) fclose(f);
  }
  return status;
}

#endif
