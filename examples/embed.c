/* embed.c - libsysfence in a program: compile a policy at startup, install
 * it, then do the untrusted work under it.
 *
 *   cc embed.c $(pkg-config --cflags --libs sysfence) -o embed && ./embed
 *
 * The work here computes a sum and prints it (write is allowed), then tries
 * uname(2) and openat(2), which the policy refuses with EPERM and EACCES.
 * Everything the C library needs to exit is allowed too. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <sysfence.h>

static const char policy[] =
    "POLICY untrusted {\n"
    "  ALLOW { write { fd == 1 || fd == 2 }, fstat, newfstatat, brk, mmap,\n"
    "          munmap, exit, exit_group },\n"
    "  ERRNO(1) { uname },    // EPERM\n"
    "  ERRNO(13) { openat }     // EACCES\n"
    "}\n"
    "USE untrusted DEFAULT KILL_PROCESS\n";

/* Compile POLICY for the host and install it; 0 or -1 (message printed). */
static int sandbox(void) {
  sysfence_ctx *ctx = sysfence_new();
  if (!ctx) {
    perror("sysfence_new");
    return -1;
  }
  struct sock_fprog prog;
  int rc = -1;
  if (sysfence_set_input_string(ctx, "embedded policy", policy) != SYSFENCE_OK)
    fprintf(stderr, "embed: out of memory\n");
  else if (sysfence_compile(ctx, &prog) != SYSFENCE_OK)
    fprintf(stderr, "embed: the policy does not compile:\n%s",
            sysfence_diag_text(ctx));
  else {
    if (sysfence_apply(&prog, 0) != 0)
      fprintf(stderr, "embed: sysfence_apply: %s\n", strerror(errno));
    else
      rc = 0;
    free(prog.filter);
  }
  sysfence_free(ctx);
  return rc;
}

int main(void) {
  printf("libsysfence %s, host %s\n", sysfence_version(), sysfence_host_arch());
  fflush(stdout);
  if (sandbox() != 0) return 1;

  /* From here on, the filter decides. */
  unsigned long sum = 0;
  for (unsigned long i = 1; i <= 1000; i++) sum += i * i;
  printf("sum of squares 1..1000 = %lu\n", sum);

  struct utsname u;
  if (uname(&u) == 0)
    printf("uname: allowed (%s)\n", u.sysname);
  else
    printf("uname: denied: %s\n", strerror(errno));

  int fd = open("/etc/hostname", O_RDONLY);
  if (fd >= 0) {
    printf("open: allowed\n");
    close(fd);
  } else {
    printf("open: denied: %s\n", strerror(errno));
  }
  fflush(stdout);
  return 0;
}
