/* bpf.h - classic BPF for seccomp: opcodes, a program builder with symbolic
 * labels (jump offsets resolved at the end, JA trampolines inserted where a
 * conditional jump would exceed 255), the validator and the simulator. */
#ifndef SF_BPF_H
#define SF_BPF_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"

struct sysfence_ctx;

/* Kernel limits (include/uapi/linux/filter.h, kernel/seccomp.c). */
enum { SF_BPF_MAXINSNS = 4096, SF_BPF_MEMWORDS = 16, SF_SECCOMP_DATA_SIZE = 64 };

/* seccomp return values (include/uapi/linux/seccomp.h). */
#define SF_RET_KILL_PROCESS 0x80000000U
#define SF_RET_KILL_THREAD 0x00000000U
#define SF_RET_TRAP 0x00030000U
#define SF_RET_ERRNO 0x00050000U
#define SF_RET_USER_NOTIF 0x7fc00000U
#define SF_RET_TRACE 0x7ff00000U
#define SF_RET_LOG 0x7ffc0000U
#define SF_RET_ALLOW 0x7fff0000U
#define SF_RET_ACTION_FULL 0xffff0000U
#define SF_RET_DATA 0x0000ffffU


/* ---- builder -------------------------------------------------------- */

typedef struct sf_builder sf_builder;
typedef int sf_label; /* >= 0; SF_NO_LABEL means "the next instruction" */
#define SF_NO_LABEL (-1)

sf_builder *sf_builder_new(struct sysfence_ctx *ctx);
/* A fresh label, not yet placed. */
sf_label sf_label_new(sf_builder *b);
/* Place LABEL at the next instruction emitted. */
void sf_label_place(sf_builder *b, sf_label label);
/* Straight-line instruction (loads, stores, ALU, RET, misc). */
void sf_builder_op(sf_builder *b, uint16_t code, uint32_t k);
/* Conditional jump: JEQ/JGT/JGE/JSET with K or X. */
void sf_builder_jump(sf_builder *b, uint16_t code, uint32_t k, sf_label jt,
                  sf_label jf);
/* Unconditional jump. */
void sf_builder_ja(sf_builder *b, sf_label target);
/* Number of instructions emitted so far (before trampolines). */
size_t sf_builder_size(const sf_builder *b);
/* Longest path, in instructions, from instruction FROM (an index as
 * sf_builder_size counts) to the end of the code emitted so far; a jump to
 * a label not placed yet counts as one more instruction (a RET placed
 * later).  For estimating the height of a block before laying it out. */
size_t sf_builder_longest(sf_builder *b, size_t from);
/* Resolve labels (all must be placed and every jump forward), insert JA
 * trampolines for far conditional targets, and return the program in
 * malloc()ed memory.  Returns 0, or -1 with a diagnostic recorded (program
 * longer than SF_BPF_MAXINSNS, backward jump: an internal error). */
int sf_builder_finish(sf_builder *b, struct sock_filter **out, size_t *len);

/* ---- validator ------------------------------------------------------ */

/* The kernel's rules (bpf_check_classic + seccomp_check_filter): length
 * 1..4096, only the opcodes seccomp allows, aligned 32-bit loads inside
 * struct seccomp_data, jumps forward and in range, no division by a zero
 * constant, shifts < 32, scratch words written before read on every path,
 * last instruction a RET.  Returns 0 if valid, else -1 and a reason
 * ("instruction 12: ...") in WHY. */
int sf_bpf_validate(const struct sock_filter *prog, size_t len, char *why,
                    size_t why_size);

/* ---- simulator ------------------------------------------------------ */

typedef struct sf_seccomp_data {
  uint32_t nr, arch;
  uint64_t ip;
  uint64_t args[6];
} sf_seccomp_data;

/* Run a (valid) program on DATA, laid out in the arch's byte order as the
 * kernel would.  Returns the seccomp return value; *steps (if not NULL)
 * receives the number of instructions executed. */
uint32_t sf_bpf_run(const struct sock_filter *prog, size_t len,
                    const sf_arch *arch, const sf_seccomp_data *data,
                    size_t *steps);

/* The same, calling TRACE (if not NULL) after each instruction executed
 * (the final RET included) with its address, the instruction, and A and X
 * after it.  The result and *steps are exactly sf_bpf_run's. */
typedef void (*sf_bpf_trace_fn)(void *user, size_t pc,
                                const struct sock_filter *insn, uint32_t a,
                                uint32_t x);
uint32_t sf_bpf_run_trace(const struct sock_filter *prog, size_t len,
                          const sf_arch *arch, const sf_seccomp_data *data,
                          size_t *steps, sf_bpf_trace_fn trace, void *user);

#endif
