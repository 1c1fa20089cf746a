/* libcnames.c - the kernel's name for a syscall written by its C library
 * name (see arch.h, sf_syscall_kernel_names).  The pairs are facts of the
 * kernel's syscall tables (arch/x86/entry/syscalls/syscall_64.tbl,
 * include/uapi/asm-generic/unistd.h for the architectures without the old
 * calls) and of glibc's wrappers that call them (sysdeps/unix/sysv/linux). */
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"

/* A C library name and the kernel syscalls that do its work, most direct
 * first; the first that ARCH has is suggested. */
static const struct {
  const char *libc;
  const char *kernel[3];
} libc_names[] = {
    {"stat", {"newfstatat", "statx", "stat64"}},
    {"lstat", {"newfstatat", "statx", "lstat64"}},
    {"fstat", {"newfstatat", "fstat64", "statx"}},
    {"fstatat", {"newfstatat", "fstatat64", "statx"}},
    {"fstatat64", {"newfstatat", "statx", NULL}},
    {"stat64", {"newfstatat", "statx", "stat"}},
    {"lstat64", {"newfstatat", "statx", "lstat"}},
    {"fstat64", {"fstat", "newfstatat", "statx"}},
    {"open", {"openat", NULL, NULL}},
    {"creat", {"openat", NULL, NULL}},
    {"pread", {"pread64", NULL, NULL}},
    {"pwrite", {"pwrite64", NULL, NULL}},
    {"preadv64", {"preadv", NULL, NULL}},
    {"pwritev64", {"pwritev", NULL, NULL}},
    {"prlimit", {"prlimit64", NULL, NULL}},
    {"getrlimit", {"prlimit64", "ugetrlimit", NULL}},
    {"setrlimit", {"prlimit64", NULL, NULL}},
    {"getdents", {"getdents64", NULL, NULL}},
    {"readdir", {"getdents64", NULL, NULL}},
    {"fork", {"clone", NULL, NULL}},
    {"vfork", {"clone", NULL, NULL}},
    {"wait", {"wait4", NULL, NULL}},
    {"waitpid", {"wait4", NULL, NULL}},
    {"pipe", {"pipe2", NULL, NULL}},
    {"dup2", {"dup3", NULL, NULL}},
    {"poll", {"ppoll", "ppoll_time64", NULL}},
    {"select", {"pselect6", "_newselect", "pselect6_time64"}},
    {"epoll_wait", {"epoll_pwait", NULL, NULL}},
    {"epoll_create", {"epoll_create1", NULL, NULL}},
    {"signalfd", {"signalfd4", NULL, NULL}},
    {"eventfd", {"eventfd2", NULL, NULL}},
    {"inotify_init", {"inotify_init1", NULL, NULL}},
    {"access", {"faccessat", "faccessat2", NULL}},
    {"readlink", {"readlinkat", NULL, NULL}},
    {"mkdir", {"mkdirat", NULL, NULL}},
    {"unlink", {"unlinkat", NULL, NULL}},
    {"rmdir", {"unlinkat", NULL, NULL}},
    {"rename", {"renameat2", "renameat", NULL}},
    {"chmod", {"fchmodat", NULL, NULL}},
    {"chown", {"fchownat", NULL, NULL}},
    {"lchown", {"fchownat", NULL, NULL}},
    {"link", {"linkat", NULL, NULL}},
    {"symlink", {"symlinkat", NULL, NULL}},
    {"mknod", {"mknodat", NULL, NULL}},
    {"utime", {"utimensat", NULL, NULL}},
    {"utimes", {"utimensat", NULL, NULL}},
    {"futimens", {"utimensat", NULL, NULL}},
    {"time", {"clock_gettime", NULL, NULL}},
    {"gettimeofday", {"clock_gettime", NULL, NULL}},
    {"alarm", {"setitimer", NULL, NULL}},
    {"pause", {"ppoll", NULL, NULL}},
    {"sleep", {"clock_nanosleep", "nanosleep", NULL}},
    {"usleep", {"clock_nanosleep", "nanosleep", NULL}},
    {"getpgrp", {"getpgid", NULL, NULL}},
    {"sigaction", {"rt_sigaction", NULL, NULL}},
    {"sigprocmask", {"rt_sigprocmask", NULL, NULL}},
    {"sigreturn", {"rt_sigreturn", NULL, NULL}},
    {"sigsuspend", {"rt_sigsuspend", NULL, NULL}},
    {"sigpending", {"rt_sigpending", NULL, NULL}},
    {"sigtimedwait", {"rt_sigtimedwait", NULL, NULL}},
    {"sigqueue", {"rt_sigqueueinfo", NULL, NULL}},
    {"raise", {"tgkill", NULL, NULL}},
    {"posix_fadvise", {"fadvise64", "fadvise64_64", "arm_fadvise64_64"}},
    {"posix_fallocate", {"fallocate", NULL, NULL}},
    {"sync_file_range", {"sync_file_range2", NULL, NULL}},
    {"mmap64", {"mmap", "mmap2", NULL}},
    {"exit", {"exit_group", NULL, NULL}},
    {"_exit", {"exit_group", NULL, NULL}},
};

/* Does ARCH have a syscall of exactly that name? */
static int has(const sf_arch *arch, const char *name) {
  const sf_syscall *sc = sf_syscall_by_name(arch, name);
  return sc && strcmp(sc->name, name) == 0;
}

static size_t add_unique(const char **out, size_t k, size_t max, const char *name) {
  for (size_t i = 0; i < k; i++)
    if (strcmp(out[i], name) == 0) return k;
  if (k < max) out[k++] = name;
  return k;
}

/* The names of ARCH's table that a name differing by the kernel's usual
 * spellings would be: NAME64 (pread -> pread64), newNAME (fstatat ->
 * newfstatat), NAME without 64 (lstat64 -> lstat on x86_64). */
static size_t spelling_variants(const sf_arch *arch, const char *name,
                                const char **out, size_t k, size_t max) {
  size_t len = strlen(name);
  if (len + 4 > 96) return k;
  const char *forms[3] = {NULL, NULL, NULL};
  char a[96], b[96], c[96];
  snprintf(a, sizeof a, "%s64", name);
  snprintf(b, sizeof b, "new%s", name);
  forms[0] = a;
  forms[1] = b;
  if (len > 2 && strcmp(name + len - 2, "64") == 0) {
    snprintf(c, sizeof c, "%.*s", (int)(len - 2), name);
    forms[2] = c;
  }
  for (int i = 0; i < 3; i++) {
    if (!forms[i] || !has(arch, forms[i])) continue;
    /* The table's own string, which outlives the buffers. */
    k = add_unique(out, k, max, sf_syscall_by_name(arch, forms[i])->name);
  }
  return k;
}

size_t sf_syscall_kernel_names(const sf_arch *arch, const char *name,
                               const char **out, size_t max) {
  size_t k = 0;
  if (has(arch, name)) return 0;
  for (size_t i = 0; i < sizeof libc_names / sizeof libc_names[0]; i++) {
    if (strcmp(libc_names[i].libc, name) != 0) continue;
    for (int j = 0; j < 3 && libc_names[i].kernel[j]; j++)
      if (has(arch, libc_names[i].kernel[j]))
        k = add_unique(out, k, max, sf_syscall_by_name(arch, libc_names[i].kernel[j])->name);
  }
  return spelling_variants(arch, name, out, k, max);
}
