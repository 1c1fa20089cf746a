#!/usr/bin/env python3
"""gen-constants.py - generate the predefined constants of sysfence policies,
one table per architecture: src/arch/tables/const-ARCH.c (byte-order twins
share one), const-index.c (which table each architecture uses).

Usage: tools/gen-constants.py [--root DIR] [-o OUT]
Default OUT (relative to the repository root): src/arch/tables/.

Sources
-------
* The kernel's uapi headers, as its `make headers_install` exports them:
  Debian 12's linux-libc-dev-*-cross packages (Linux 6.1.x; the triplet
  folders below, /usr/TRIPLET/include; install them with
      apt-get install linux-libc-dev-{amd64,i386,x32,armhf,arm64,mips,hppa,\
m68k,powerpc,ppc64,riscv64,s390x,sh4}-cross).
  They are the files of repository torvalds/linux with comments and
  kernel-only parts removed:
      include/uapi/asm-generic/errno-base.h, errno.h and
      arch/{mips,parisc,powerpc}/include/uapi/asm/errno.h     E*
      include/uapi/asm-generic/fcntl.h, include/uapi/linux/fcntl.h and
      arch/{arm,arm64,m68k,mips,parisc,powerpc}/include/uapi/asm/fcntl.h
                                                        O_*, F_*, AT_*
      include/uapi/asm-generic/mman-common.h, mman.h, include/uapi/linux/
      mman.h and arch/{mips,parisc,powerpc,x86,...}/include/uapi/asm/mman.h
                                               PROT_*, MAP_*, MADV_*, MREMAP_*
      include/uapi/linux/sched.h                                     CLONE_*
      include/uapi/linux/prctl.h                                     PR_*
      include/uapi/asm-generic/ioctl.h, ioctls.h, termbits.h and the arch
      overrides arch/{mips,parisc,powerpc,sh,...}/include/uapi/asm/ioctl.h,
      ioctls.h, termbits.h               TC*, TIOC*, FIO* (ioctl requests)
      include/uapi/linux/personality.h      PER_*, ADDR_*, ... (enum values)
  The values are the compiler's: each header is compiled (host gcc,
  -nostdinc, the architecture's include folder, its word size and the
  macros its headers test: _MIPS_SIM, __powerpc64__, ...) into an array of
  the values, linked with a small main that prints them.  So _IOR('t', 19,
  struct termios) gets that architecture's _IOC layout (mips, powerpc: 13
  size bits, 3 direction bits; parisc: read and write swapped) and the size
  of its struct termios.  The layout of the structs these requests name
  (termios, termios2, winsize, int, char) is the same under the host
  compiler as on the target: they hold only ints, shorts and chars.
* loongarch64 has none of these headers of its own (torvalds/linux
  arch/loongarch/include/uapi/asm/ lists none): the asm-generic ones serve,
  as they do for riscv64, whose exported headers are used.
* Not in the uapi headers: AF_* (torvalds/linux include/linux/socket.h,
  blob 005a1aeac466, AF_UNSPEC..AF_SMC; AF_XDP 44 and AF_MCTP 45 as added
  there in v4.18 and v5.15) and SOCK_* (include/linux/net.h: enum
  sock_type; arch/mips/include/asm/socket.h swaps SOCK_STREAM and
  SOCK_DGRAM; SOCK_NONBLOCK is O_NONBLOCK and SOCK_CLOEXEC is O_CLOEXEC of
  the architecture, both files say so).  They are the tables below.

The output is deterministic; commit it with the change that caused it.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

# sysfence arch -> (table name, include folder, compiler flags).  The table
# name is shared by byte-order twins (the values do not depend on it).
ARCHES = [
    ("i386", "i386", "i686-linux-gnu", ["-m32"]),
    ("x86_64", "x86_64", "x86_64-linux-gnu", ["-m64", "-D__x86_64__"]),
    # x32 programs do not run on every x86_64 kernel: its values are
    # compiled -m32 with the x32 headers and __x86_64__ (an ILP32 x86_64).
    ("x32", "x32", "x86_64-linux-gnux32", ["-m32", "-D__x86_64__"]),
    ("arm", "arm", "arm-linux-gnueabihf", ["-m32", "-U__i386__"]),
    ("aarch64", "aarch64", "aarch64-linux-gnu", ["-m64", "-U__x86_64__"]),
    ("loongarch64", "loongarch64", "riscv64-linux-gnu", ["-m64", "-U__x86_64__"]),
    ("m68k", "m68k", "m68k-linux-gnu", ["-m32", "-U__i386__"]),
    ("mips", "mips", "mips-linux-gnu",
     ["-m32", "-U__i386__", "-D_MIPS_SIM=1", "-D_MIPS_SZLONG=32"]),
    ("mipsel", "mips", None, None),
    ("mips64", "mips64", "mips-linux-gnu",
     ["-m64", "-U__x86_64__", "-D_MIPS_SIM=3", "-D_MIPS_SZLONG=64"]),
    ("mips64el", "mips64", None, None),
    ("mips64n32", "mips64n32", "mips-linux-gnu",
     ["-m32", "-U__i386__", "-D_MIPS_SIM=2", "-D_MIPS_SZLONG=32"]),
    ("mips64n32el", "mips64n32", None, None),
    ("parisc", "parisc", "hppa-linux-gnu", ["-m32", "-U__i386__"]),
    ("parisc64", "parisc64", "hppa-linux-gnu", ["-m64", "-U__x86_64__"]),
    ("ppc", "ppc", "powerpc-linux-gnu", ["-m32", "-U__i386__"]),
    ("ppc64", "ppc64", "powerpc64-linux-gnu",
     ["-m64", "-U__x86_64__", "-D__powerpc64__"]),
    ("ppc64le", "ppc64", None, None),
    ("riscv64", "riscv64", "riscv64-linux-gnu", ["-m64", "-U__x86_64__"]),
    ("s390", "s390", "s390x-linux-gnu", ["-m32", "-U__i386__"]),
    ("s390x", "s390x", "s390x-linux-gnu", ["-m64", "-U__x86_64__", "-D__s390x__"]),
    ("sh", "sh", "sh4-linux-gnu", ["-m32", "-U__i386__"]),
    ("shel", "sh", None, None),
]

# (header, names wanted): every object-like macro of the header (and what
# it includes) whose name matches.
GROUPS = [
    ("asm/errno.h", r"E[A-Z0-9]+"),
    ("linux/fcntl.h", r"(O|F|AT)_[A-Z0-9_]+|FD_CLOEXEC"),
    ("linux/mman.h", r"(PROT|MAP|MADV|MREMAP)_[A-Z0-9_]+"),
    ("linux/sched.h", r"CLONE_[A-Z0-9_]+"),
    ("linux/prctl.h", r"PR_[A-Z0-9_]+"),
    ("asm/termios.h", r"TC[A-Z]+[0-9]?|TIOC[A-Z0-9]+|FIO[A-Z0-9]+"),
]

# include/uapi/linux/personality.h: enum values (no macros to list).
PERSONALITY = """UNAME26 ADDR_NO_RANDOMIZE FDPIC_FUNCPTRS MMAP_PAGE_ZERO
ADDR_COMPAT_LAYOUT READ_IMPLIES_EXEC ADDR_LIMIT_32BIT SHORT_INODE WHOLE_SECONDS
STICKY_TIMEOUTS ADDR_LIMIT_3GB PER_LINUX PER_LINUX_32BIT PER_LINUX_FDPIC
PER_SVR4 PER_SVR3 PER_SCOSVR3 PER_OSR5 PER_WYSEV386 PER_ISCR4 PER_BSD
PER_SUNOS PER_XENIX PER_LINUX32 PER_LINUX32_3GB PER_IRIX32 PER_IRIXN32
PER_IRIX64 PER_RISCOS PER_SOLARIS PER_UW7 PER_OSF4 PER_HPUX PER_MASK""".split()

# torvalds/linux include/linux/socket.h (see above).
ADDRESS_FAMILIES = [
    ("AF_UNSPEC", 0), ("AF_UNIX", 1), ("AF_LOCAL", 1), ("AF_INET", 2),
    ("AF_AX25", 3), ("AF_IPX", 4), ("AF_APPLETALK", 5), ("AF_NETROM", 6),
    ("AF_BRIDGE", 7), ("AF_ATMPVC", 8), ("AF_X25", 9), ("AF_INET6", 10),
    ("AF_ROSE", 11), ("AF_DECnet", 12), ("AF_NETBEUI", 13),
    ("AF_SECURITY", 14), ("AF_KEY", 15), ("AF_NETLINK", 16), ("AF_ROUTE", 16),
    ("AF_PACKET", 17), ("AF_ASH", 18), ("AF_ECONET", 19), ("AF_ATMSVC", 20),
    ("AF_RDS", 21), ("AF_SNA", 22), ("AF_IRDA", 23), ("AF_PPPOX", 24),
    ("AF_WANPIPE", 25), ("AF_LLC", 26), ("AF_IB", 27), ("AF_MPLS", 28),
    ("AF_CAN", 29), ("AF_TIPC", 30), ("AF_BLUETOOTH", 31), ("AF_IUCV", 32),
    ("AF_RXRPC", 33), ("AF_ISDN", 34), ("AF_PHONET", 35),
    ("AF_IEEE802154", 36), ("AF_CAIF", 37), ("AF_ALG", 38), ("AF_NFC", 39),
    ("AF_VSOCK", 40), ("AF_KCM", 41), ("AF_QIPCRTR", 42), ("AF_SMC", 43),
    ("AF_XDP", 44), ("AF_MCTP", 45),
]

# include/linux/net.h enum sock_type; mips: arch/mips/include/asm/socket.h.
SOCK_TYPES = [("SOCK_STREAM", 1), ("SOCK_DGRAM", 2), ("SOCK_RAW", 3),
              ("SOCK_RDM", 4), ("SOCK_SEQPACKET", 5), ("SOCK_DCCP", 6),
              ("SOCK_PACKET", 10)]
SOCK_TYPES_MIPS = {"SOCK_STREAM": 2, "SOCK_DGRAM": 1}

PRINTER = r"""
#include <stdio.h>
extern const long long sf_values[];
extern const char *const sf_names[];
extern const int sf_count;
int main(void) {
  for (int i = 0; i < sf_count; i++) printf("%s %lld\n", sf_names[i], sf_values[i]);
  return 0;
}
"""


def compiler_base(triplet, flags):
    gcc_include = subprocess.run(["gcc", "-print-file-name=include"], check=True,
                                 capture_output=True, text=True).stdout.strip()
    return ["gcc", "-nostdinc", "-isystem", gcc_include,
            "-isystem", "/usr/%s/include" % triplet] + flags


def macros_of(base, header, pattern):
    src = "#include <%s>\n" % header
    out = subprocess.run(base + ["-E", "-dM", "-x", "c", "-"], input=src,
                         check=True, capture_output=True, text=True).stdout
    names = set()
    rx = re.compile(r"#define (%s) (.+)$" % pattern)
    for line in out.splitlines():
        m = rx.match(line)
        if m:
            names.add(m.group(1))
    return names


def values_of(base, flags, headers, names, tmp):
    """Compile NAMES (one a line) against HEADERS; drop the names that are
    no integer constant there (the compiler says which line) and retry."""
    names = sorted(names)
    dropped = []
    while True:
        # Types some requests name that the uapi headers leave to libc
        # (the kernel's __kernel_loff_t and __kernel_pid_t).
        lines = ["typedef long long loff_t;", "typedef int pid_t;"]
        lines += ["#include <%s>" % h for h in headers]
        first = len(lines) + 2
        lines.append("const long long sf_values[] = {")
        lines += ["  (long long)(%s)," % n for n in names]
        lines.append("};")
        lines.append("const char *const sf_names[] = {")
        lines += ['  "%s",' % n for n in names]
        lines.append("};")
        lines.append("const int sf_count = %d;" % len(names))
        cfile = os.path.join(tmp, "values.c")
        with open(cfile, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run(base + ["-c", cfile, "-o", os.path.join(tmp, "values.o")],
                           capture_output=True, text=True)
        if r.returncode == 0:
            break
        bad = set()
        for m in re.finditer(r"values\.c:(\d+):\d+: error", r.stderr):
            idx = int(m.group(1)) - first
            if 0 <= idx < len(names):
                bad.add(names[idx])
        if not bad:
            sys.exit("gen-constants: compile failed:\n" + r.stderr)
        dropped += sorted(bad)
        names = [n for n in names if n not in bad]
    main_c = os.path.join(tmp, "main.c")
    with open(main_c, "w") as f:
        f.write(PRINTER)
    exe = os.path.join(tmp, "values")
    mode = [f for f in flags if f in ("-m32", "-m64", "-mx32")]
    subprocess.run(["gcc"] + mode + [main_c, os.path.join(tmp, "values.o"), "-o", exe],
                   check=True)
    out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    vals = {}
    for line in out.splitlines():
        n, v = line.split()
        vals[n] = int(v)
    return vals, dropped


def arch_constants(name, triplet, flags):
    if not os.path.isdir("/usr/%s/include/asm" % triplet):
        sys.exit("gen-constants: /usr/%s/include is missing (see the usage)" % triplet)
    base = compiler_base(triplet, flags)
    names = set()
    for header, pattern in GROUPS:
        names |= macros_of(base, header, pattern)
    names |= set(PERSONALITY)
    headers = [h for h, _ in GROUPS] + ["linux/personality.h", "linux/serial.h"]
    with tempfile.TemporaryDirectory() as tmp:
        vals, dropped = values_of(base, flags, headers, names, tmp)
    if dropped:
        print("%s: not integer constants: %s" % (name, " ".join(dropped)),
              file=sys.stderr)
    for n, v in ADDRESS_FAMILIES:
        vals[n] = v
    for n, v in SOCK_TYPES:
        vals[n] = SOCK_TYPES_MIPS.get(n, v) if name.startswith("mips") else v
    vals["SOCK_NONBLOCK"] = vals["O_NONBLOCK"]
    vals["SOCK_CLOEXEC"] = vals["O_CLOEXEC"]
    return vals


HEADER = """/* %s - generated by tools/gen-constants.py; do not edit.
 * %s */
"""


def provenance(triplet):
    """Which package installed the headers of TRIPLET, and its version."""
    header = "/usr/%s/include/asm/errno.h" % triplet
    r = subprocess.run(["dpkg", "-S", header], capture_output=True, text=True)
    if r.returncode != 0:
        return "From the uapi headers in /usr/%s/include." % triplet
    pkg = r.stdout.split(":")[0]
    ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                         capture_output=True, text=True).stdout.strip()
    return ("From the kernel's uapi headers in /usr/%s/include (Debian %s %s),\n"
            " * plus AF_* and SOCK_* from torvalds/linux include/linux/socket.h\n"
            " * and net.h (see the script)." % (triplet, pkg, ver))


def c_value(v):
    if v < 0:
        return "%d" % v
    return "0x%x" % v if v > 9 else "%d" % v


def write_table(out, table, triplet, vals):
    path = os.path.join(out, "const-%s.c" % table)
    lines = [HEADER % (os.path.basename(path), provenance(triplet)), '#include "arch/constants.h"', "",
             "const sf_constant sf_constants_%s[] = {" % table]
    for n in sorted(vals):
        lines.append('  {"%s", %s},' % (n, c_value(vals[n])))
    lines.append("};")
    lines.append("const size_t sf_n_constants_%s = %d;" % (table, len(vals)))
    write_file(path, "\n".join(lines) + "\n")


def write_index(out, tables):
    path = os.path.join(out, "const-index.c")
    lines = [HEADER % ("const-index.c", "Which table each architecture uses."), '#include "arch/constants.h"', ""]
    for t in sorted(set(t for _, t in tables)):
        lines.append("extern const sf_constant sf_constants_%s[];" % t)
        lines.append("extern const size_t sf_n_constants_%s;" % t)
    lines += ["", "const sf_constant_table sf_gen_constant_tables[] = {"]
    for arch, t in tables:
        lines.append('  {"%s", sf_constants_%s, &sf_n_constants_%s},' % (arch, t, t))
    lines.append("};")
    lines.append("const size_t sf_gen_n_constant_tables = %d;" % len(tables))
    write_file(path, "\n".join(lines) + "\n")


def write_file(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("-o", default=os.path.join(root, "src/arch/tables"))
    args = ap.parse_args()
    tables = []
    for arch, table, triplet, flags in ARCHES:
        tables.append((arch, table))
        if triplet is None:
            continue
        write_table(args.o, table, triplet, arch_constants(arch, triplet, flags))
    write_index(args.o, tables)


if __name__ == "__main__":
    main()
