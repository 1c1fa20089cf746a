/* simulate.c - sysfence_simulate: what a filter decides for one call, by
 * the BPF interpreter with the kernel's semantics (bpf/sim.c). */
#include <linux/filter.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/host.h"
#include "bpf/bpf.h"
#include "sysfence.h"

int sysfence_simulate(const struct sock_fprog *prog, const char *arch, uint32_t nr,
                      const uint64_t *args, uint64_t ip, uint32_t *action) {
  const sf_arch *a = arch ? sf_arch_by_name(arch) : sf_arch_host();
  if (!prog || !prog->filter || !action || !a ||
      sf_bpf_validate(prog->filter, prog->len, NULL, 0) != 0)
    return SYSFENCE_EUSAGE;
  sf_seccomp_data d = {.nr = nr, .arch = a->audit_arch, .ip = ip};
  if (args) memcpy(d.args, args, sizeof d.args);
  *action = sf_bpf_run(prog->filter, prog->len, a, &d, NULL);
  return SYSFENCE_OK;
}
