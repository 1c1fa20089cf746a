/* main.c - the sysfence command: the table of commands (one file each,
 * cmd-*.c) and 'sysfence --help'. */
#include <stdio.h>
#include <string.h>

#include "cli/options.h"
#include "sysfence.h"

static const sf_command *const commands[] = {
    &sf_cmd_compile, &sf_cmd_check, &sf_cmd_disasm, &sf_cmd_eval, &sf_cmd_sim,
    &sf_cmd_stats,   &sf_cmd_run,   &sf_cmd_arches, &sf_cmd_convert,
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void usage(FILE *out) {
  fprintf(out, "Usage: sysfence COMMAND [OPTIONS] ARGS\n"
               "       sysfence COMMAND --help\n"
               "\n"
               "Compile seccomp policies written in the Kafel language into classic BPF.\n"
               "\n"
               "Commands:\n");
  for (int i = 0; i < N_COMMANDS; i++) {
    const sf_command *c = commands[i];
    char head[64];
    snprintf(head, sizeof head, "%s%s%s", c->name, *c->args ? " " : "", c->args);
    if (strlen(head) > 16)
      fprintf(out, "  %s\n  %16s %s\n", head, "", c->summary);
    else
      fprintf(out, "  %-16s %s\n", head, c->summary);
  }
  fprintf(out, "\n"
               "Options:\n"
               "  -h, --help     show this help and exit ('sysfence COMMAND --help':\n"
               "                 the options of COMMAND)\n"
               "  -V, --version  show the version and exit\n"
               "\n"
               "Exit status: 0 success, 1 errors in the policy or program, 2 usage or\n"
               "I/O error; run: COMMAND's own, or 125 nothing was run, 126 COMMAND not\n"
               "executable, 127 COMMAND not found.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
    usage(stdout);
    return EXIT_OK;
  }
  if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
    printf("sysfence %s\n", sysfence_version());
    return EXIT_OK;
  }
  for (int i = 0; i < N_COMMANDS; i++)
    if (strcmp(name, commands[i]->name) == 0)
      return commands[i]->run(commands[i], argc - 1, argv + 1);
  fprintf(stderr, "sysfence: unknown command '%s'\n"
                  "Try 'sysfence --help' for more information.\n", name);
  return EXIT_USAGE;
}
