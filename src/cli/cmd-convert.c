/* cmd-convert.c - 'sysfence convert': other tools' seccomp settings as a
 * policy.  --from systemd and --from nsjail are convert-from.c's. */
#include "cli/options.h"

static int run_convert(const sf_command *cmd, int argc, char **argv) {
  const char *includes[argc > 0 ? argc : 1], *defines[argc > 0 ? argc : 1];
  sf_cli_opts o = {.includes = includes, .defines = defines, .opt_level = -1};
  int rc = sf_cli_parse(cmd, argc, argv, &o);
  if (rc >= 0) return rc;
  if (o.from) return sf_cli_convert_from(cmd, &o);
  return sf_cli_usage_error(cmd, "%s", "say what to convert: --from systemd or "
                                       "--from nsjail");
}

const sf_command sf_cmd_convert = {
    "convert", "INPUT...",
    "convert systemd settings or an nsjail config into a policy",
    "Write the policy equivalent to another tool's seccomp settings.\n"
    "\n"
    "--from systemd: INPUT is SystemCallFilter=, SystemCallErrorNumber= and\n"
    "SystemCallArchitectures= lines, as arguments (each a line:\n"
    "'SystemCallFilter=@system-service' 'SystemCallFilter=~@privileged') or files\n"
    "of them (a unit file: other settings are skipped);\n"
    "read in order with systemd's meaning: the first SystemCallFilter= makes an\n"
    "allow-list (which also allows @default) or, with '~', a deny-list; later\n"
    "lines add names of their own kind and take out those of the other kind;\n"
    "an empty one resets.  Deny-listed names take ':ERRNO' or ':kill'.  What\n"
    "systemd ignores with a warning (an unknown name, a '~' that does not start\n"
    "the value, ...) is an error here.\n"
    "SystemCallErrorNumber= is the outcome of the other refused calls (default:\n"
    "KILL_PROCESS).  SystemCallArchitectures= becomes the --arch the policy is\n"
    "to be compiled with (a comment at its top); a group's names the target\n"
    "ABIs lack are left out, as systemd skips them.\n"
    "\n"
    "--from nsjail: INPUT is one nsjail config (protobuf text); the policy\n"
    "written is the one nsjail compiles: its seccomp_string values, each\n"
    "followed by a newline, or the file seccomp_policy_file names.",
    "MoahV", "the architecture 'native' means in SystemCallArchitectures=, and "
             "whose names are kept without that setting (default: the host)",
    0, 1, -1, run_convert,
    "\nExit status: 0 success, 1 errors in the input, 2 usage or I/O error.\n", 0};
