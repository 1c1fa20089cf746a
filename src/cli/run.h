/* run.h - 'sysfence run POLICY -- COMMAND': compile, install, exec. */
#ifndef SF_RUN_H
#define SF_RUN_H

/* ARGV[0] is "run".  Returns an exit status (launch.h) if nothing was run;
 * on success it does not return (the command replaced the process). */
int sf_cli_run(int argc, char **argv);

#endif
