#!/usr/bin/env python3
"""gen-syscalls.py - generate src/arch/tables/, the per-architecture syscall
tables of sysfence (numbers, userspace names, argument names and widths):
one C file per table (byte-order twins share one), index.c (all of them,
and every name) and tables.h.

Usage: tools/gen-syscalls.py [--csv FILE] [--args FILE] [--kafel FILE]
                             [--audit-h FILE] [--elf-em-h FILE] [-o OUT]
Defaults (relative to the repository root): ../shared/data/syscalls.csv,
../shared/data/syscall-args.tsv,
../shared/corpus/kafel/kafel-amd64-syscalls.csv, src/arch/tables/.

Inputs and their provenance
---------------------------
* syscalls.csv: libseccomp's table of syscall numbers (repository
  seccomp/libseccomp, file src/syscalls.csv, kernels up to v7.1.0-rc4),
  copied unchanged.  One row per userspace name, one number column per
  architecture ("PNR" = not present).  Numbers carry no ABI base: MIPS o32,
  n64 and n32 numbers get 4000, 5000 and 6000 added here, x32 numbers get
  __X32_SYSCALL_BIT (0x40000000).
* syscall-args.tsv: argument names, kernel C types and x86_64 widths, parsed
  from torvalds/linux include/linux/syscalls.h plus supplements (see
  shared/data/README.md for the exact commits and sources).  Rows are keyed
  by the x86_64 syscall name, or by the kernel function name (sys_ prefix
  dropped) for syscalls that x86_64 lacks.  The explicit tables below map
  the userspace names of other architectures to those rows.
* kafel-amd64-syscalls.csv: the x86_64 syscall table of Kafel (repository
  google/kafel, file src/syscalls/amd64_syscalls.c), as facts extracted
  from it: "name,nr,arg0..arg5" with each argument "argname:bytes".  Only
  the argument NAMES are used (see "Kafel's argument names" below); Kafel's
  widths are ignored, ours stay the kernel's.
* AUDIT_ARCH values: checked against <linux/audit.h> and <linux/elf-em.h>
  when those headers are present (they are on any Linux build host).

Argument widths
---------------
64-bit ABIs (AUDIT_ARCH with __AUDIT_ARCH_64BIT) take the TSV's x86_64
widths.  32-bit ABIs see every argument as at most 32 bits (a register); a
16-bit kernel type (umode_t, old_uid_t) stays 16 bits because the kernel's
syscall wrapper truncates it there too.  On 32-bit ABIs a 64-bit scalar
(loff_t, u64, ...) is passed in two registers whose order and alignment
depend on the architecture; its position and those of all later arguments
are not known here, so the argument list stops before it (the names of the
leading arguments stay usable, and nargs says how many are known).

Kafel's argument names
----------------------
Kafel names many arguments differently (socket: family, not domain;
accept: upeer_sockaddr, not addr), and policies written for Kafel use its
names.  For every syscall of Kafel's table (matched to ours by name, Kafel's
kernel-internal names newstat, newfstat, newlstat, newuname, sendfile64,
umount and sysctl mapped to stat, fstat, lstat, uname, sendfile, umount2
and _sysctl; the number must agree with our x86_64 number), each argument
position where Kafel's name differs from our x86_64 name gives that argument
an alias (sf_arg_info.alias).  Syscalls for which Kafel lists another
signature than the kernel's (drafts or older kernels: another number of
arguments, as futex_wait, getxattrat, statmount, or one of our argument
names at another position, as setxattrat) get no aliases: their positions
are not the kernel's.  So no alias is the real name of another argument of
its syscall (src/sema/resolve.c would let the real name win).  The alias belongs to OUR argument (by name),
not to a position: on x86_64 and x32 (the ABI the table describes) and on
every other architecture where the syscall takes the same arguments as on
x86_64 (the same row of syscall-args.tsv, possibly reordered as clone is,
or the same argument names in the same order), the argument with that name
gets the alias wherever it stands.

The output is deterministic: running the script twice gives the same file.
"""

import argparse
import csv
import os
import re
import sys

# ---- architectures -----------------------------------------------------
# (name, CSV column, AUDIT_ARCH, audit.h macro, big endian, number base)
# The number base is added to the CSV's numbers.
X32_BIT = 0x40000000
ARCHES = [
    ("i386", "x86", 0x40000003, "AUDIT_ARCH_I386", False, 0),
    ("x86_64", "x86_64", 0xC000003E, "AUDIT_ARCH_X86_64", False, 0),
    ("x32", "x32", 0xC000003E, "AUDIT_ARCH_X86_64", False, X32_BIT),
    ("arm", "arm", 0x40000028, "AUDIT_ARCH_ARM", False, 0),
    ("aarch64", "aarch64", 0xC00000B7, "AUDIT_ARCH_AARCH64", False, 0),
    ("loongarch64", "loongarch64", 0xC0000102, "AUDIT_ARCH_LOONGARCH64", False, 0),
    ("m68k", "m68k", 0x00000004, "AUDIT_ARCH_M68K", True, 0),
    ("mips", "mips", 0x00000008, "AUDIT_ARCH_MIPS", True, 4000),
    ("mipsel", "mips", 0x40000008, "AUDIT_ARCH_MIPSEL", False, 4000),
    ("mips64", "mips64", 0x80000008, "AUDIT_ARCH_MIPS64", True, 5000),
    ("mips64el", "mips64", 0xC0000008, "AUDIT_ARCH_MIPSEL64", False, 5000),
    ("mips64n32", "mips64n32", 0xA0000008, "AUDIT_ARCH_MIPS64N32", True, 6000),
    ("mips64n32el", "mips64n32", 0xE0000008, "AUDIT_ARCH_MIPSEL64N32", False, 6000),
    ("parisc", "parisc", 0x0000000F, "AUDIT_ARCH_PARISC", True, 0),
    ("parisc64", "parisc64", 0x8000000F, "AUDIT_ARCH_PARISC64", True, 0),
    ("ppc", "ppc", 0x00000014, "AUDIT_ARCH_PPC", True, 0),
    ("ppc64", "ppc64", 0x80000015, "AUDIT_ARCH_PPC64", True, 0),
    ("ppc64le", "ppc64", 0xC0000015, "AUDIT_ARCH_PPC64LE", False, 0),
    ("riscv64", "riscv64", 0xC00000F3, "AUDIT_ARCH_RISCV64", False, 0),
    ("s390", "s390", 0x00000016, "AUDIT_ARCH_S390", True, 0),
    ("s390x", "s390x", 0x80000016, "AUDIT_ARCH_S390X", True, 0),
    ("sh", "sh", 0x0000002A, "AUDIT_ARCH_SH", True, 0),
    ("shel", "sh", 0x4000002A, "AUDIT_ARCH_SHEL", False, 0),
]
AUDIT_ARCH_64BIT = 0x80000000
AUDIT_ARCH_LE = 0x40000000

# Numbers of another ABI with the same AUDIT_ARCH: [lo, hi] (bad-arch action).
FOREIGN = {
    "x86_64": (X32_BIT, 0xFFFFFFFE),  # x32 numbers; -1 is never foreign
    "x32": (0, X32_BIT - 1),          # x86_64 numbers
}

# ---- userspace name -> row of syscall-args.tsv ---------------------------
# Same on every architecture that has the name.
ROW_ALL = {
    "_llseek": "llseek",
    "mmap2": "mmap_pgoff",
    "readdir": "old_readdir",
    "_newselect": "select",
    "sendfile64": "sendfile",      # the TSV's sendfile row is sys_sendfile64
    "umount": "oldumount",         # umount(name); umount2 is sys_umount
    "ugetrlimit": "getrlimit",
    "arm_sync_file_range": "sync_file_range2",
}
# Numbers the CSV gives that the kernel's table does not have, by (CSV
# column, name): arch/x86/entry/syscalls/syscall_64.tbl has "453 64
# map_shadow_stack" (the 64 ABI, x86_64 alone: x32's 0x40000000 + 453 is
# ENOSYS).
NOT_IN_KERNEL = {("x32", "map_shadow_stack")}
# Per architecture (CSV column) overrides.
ROW_ARCH = {
    # 90 mmap is sys_old_mmap(struct mmap_arg_struct *) there
    ("x86", "mmap"): "old_mmap",
    ("m68k", "mmap"): "old_mmap",
    ("s390", "mmap"): "old_mmap",
    ("s390x", "mmap"): "old_mmap",
    # 82 select is sys_old_select(struct sel_arg_struct *)
    ("x86", "select"): "old_select",
    ("m68k", "select"): "old_select",
}
# ABIs with 16-bit uid calls: where the CSV has both NAME and NAME32, NAME is
# the kernel's sys_NAME16 and NAME32 its sys_NAME.
UID16_CALLS = [
    "chown", "lchown", "fchown", "getuid", "geteuid", "getgid", "getegid",
    "setuid", "setgid", "setreuid", "setregid", "getgroups", "setgroups",
    "setresuid", "getresuid", "setresgid", "getresgid", "setfsuid", "setfsgid",
]
# ABIs with 32-bit time_t syscalls (those that also have clock_gettime64):
# NAME is the *_time32 function, NAME_time64 (or NAME64) the TSV's NAME row.
TIME32 = {
    "clock_gettime": "clock_gettime32",
    "clock_settime": "clock_settime32",
    "clock_adjtime": "clock_adjtime32",
    "clock_getres": "clock_getres_time32",
    "clock_nanosleep": "clock_nanosleep_time32",
    "timer_gettime": "timer_gettime32",
    "timer_settime": "timer_settime32",
    "timerfd_gettime": "timerfd_gettime32",
    "timerfd_settime": "timerfd_settime32",
    "utimensat": "utimensat_time32",
    "pselect6": "pselect6_time32",
    "ppoll": "ppoll_time32",
    "io_pgetevents": "io_pgetevents_time32",
    "recvmmsg": "recvmmsg_time32",
    "mq_timedsend": "mq_timedsend_time32",
    "mq_timedreceive": "mq_timedreceive_time32",
    "semtimedop": "semtimedop_time32",
    "rt_sigtimedwait": "rt_sigtimedwait_time32",
    "futex": "futex_time32",
    "sched_rr_get_interval": "sched_rr_get_interval_time32",
    "io_getevents": "io_getevents_time32",
    "adjtimex": "adjtimex_time32",
    "nanosleep": "nanosleep_time32",
    "utimes": "utimes_time32",
    "futimesat": "futimesat_time32",
    "time": "time32",
    "stime": "stime32",
    "utime": "utime32",
}
TIME64 = {
    "clock_gettime64": "clock_gettime",
    "clock_settime64": "clock_settime",
    "clock_adjtime64": "clock_adjtime",
    "clock_getres_time64": "clock_getres",
    "clock_nanosleep_time64": "clock_nanosleep",
    "timer_gettime64": "timer_gettime",
    "timer_settime64": "timer_settime",
    "timerfd_gettime64": "timerfd_gettime",
    "timerfd_settime64": "timerfd_settime",
    "utimensat_time64": "utimensat",
    "pselect6_time64": "pselect6",
    "ppoll_time64": "ppoll",
    "io_pgetevents_time64": "io_pgetevents",
    "recvmmsg_time64": "recvmmsg",
    "mq_timedsend_time64": "mq_timedsend",
    "mq_timedreceive_time64": "mq_timedreceive",
    "semtimedop_time64": "semtimedop",
    "rt_sigtimedwait_time64": "rt_sigtimedwait",
    "futex_time64": "futex",
    "sched_rr_get_interval_time64": "sched_rr_get_interval",
}
# Signatures missing from the TSV that are certain: no arguments.
# (SYSCALL_DEFINE0(sigreturn) in the kernels that have it.)
EXTRA_ROWS = {
    "sigreturn": [],
}

# clone's argument order, per CSV column (byte-order twins share one).
# kernel/fork.c defines sys_clone in one of four layouts, chosen by the
# CONFIG_CLONE_BACKWARDS* option the architecture's Kconfig selects (none:
# the default layout).  The TSV row holds the default order.  The fourth
# layout, CONFIG_CLONE_BACKWARDS3 (clone_flags, newsp, stack_size,
# parent_tidptr, child_tidptr, tls), is microblaze's only: no column here.
# Paths are in torvalds/linux; an architecture's syscall argument registers
# are the ones its arch/*/include/asm/syscall.h reads, in order.
CLONE_DEFAULT = ("clone_flags", "newsp", "parent_tidptr", "child_tidptr", "tls")
CLONE_BACKWARDS = ("clone_flags", "newsp", "parent_tidptr", "tls", "child_tidptr")
CLONE_BACKWARDS2 = ("newsp", "clone_flags", "parent_tidptr", "child_tidptr", "tls")
CLONE_LAYOUT = {
    # arch/x86/Kconfig: "select CLONE_BACKWARDS if X86_32".  A 64-bit kernel
    # runs i386 clone through arch/x86/kernel/sys_ia32.c ia32_clone ("The
    # 32-bit clone ABI is CONFIG_CLONE_BACKWARDS"; syscall_32.tbl entry
    # compat_sys_ia32_clone): the same order.
    "x86": CLONE_BACKWARDS,
    # No CLONE_BACKWARDS* without X86_32; arch/x86/entry/syscalls/
    # syscall_64.tbl "56 common clone sys_clone" serves x32 too.
    "x86_64": CLONE_DEFAULT,
    "x32": CLONE_DEFAULT,
    # arch/arm/Kconfig: "select CLONE_BACKWARDS".
    "arm": CLONE_BACKWARDS,
    # arch/arm64/Kconfig: "select CLONE_BACKWARDS" (its compat table,
    # arch/arm64/include/asm/unistd32.h, maps arm's clone to that sys_clone).
    "aarch64": CLONE_BACKWARDS,
    # arch/loongarch/Kconfig selects no CLONE_BACKWARDS*.
    "loongarch64": CLONE_DEFAULT,
    # arch/m68k/Kconfig selects none; clone goes through m68k_clone in
    # arch/m68k/kernel/process.c, which reads flags, stack, parent_tid,
    # child_tid, tls from d1..d5, the argument registers 0..4.
    "m68k": CLONE_DEFAULT,
    # arch/mips/Kconfig: "select CLONE_BACKWARDS" (o32, n64 and n32 all
    # enter the same sys_clone through save_static_function).
    "mips": CLONE_BACKWARDS,
    "mips64": CLONE_BACKWARDS,
    "mips64n32": CLONE_BACKWARDS,
    # arch/parisc/Kconfig: "select CLONE_BACKWARDS"; sys_clone_wrapper
    # (arch/parisc/kernel/entry.S, fork_like) saves registers and branches
    # to sys_clone with the arguments untouched.
    "parisc": CLONE_BACKWARDS,
    "parisc64": CLONE_BACKWARDS,
    # arch/powerpc/Kconfig: "select CLONE_BACKWARDS" (32- and 64-bit).
    "ppc": CLONE_BACKWARDS,
    "ppc64": CLONE_BACKWARDS,
    # arch/riscv/Kconfig: "select CLONE_BACKWARDS" (glibc's
    # sysdeps/unix/sysv/linux/riscv/clone.S passes tls in a3, the fourth).
    "riscv64": CLONE_BACKWARDS,
    # arch/s390/Kconfig: "select CLONE_BACKWARDS2" (31-bit compat too).
    "s390": CLONE_BACKWARDS2,
    "s390x": CLONE_BACKWARDS2,
    # arch/sh/Kconfig selects none: generic sys_clone, default order (tls
    # is the fifth argument register, r0).
    "sh": CLONE_DEFAULT,
}

# Scalar types that are 64 bits on every ABI (two registers on 32-bit ones).
ALWAYS64 = {"loff_t", "u64", "__u64", "s64", "__s64", "long long",
            "unsigned long long"}


# Kafel's kernel-internal syscall names -> our x86_64 names (the same table
# as kafel_aliases in src/arch/arch.c).
KAFEL_NAMES = {
    "newstat": "stat",
    "newfstat": "fstat",
    "newlstat": "lstat",
    "newuname": "uname",
    "sendfile64": "sendfile",
    "umount": "umount2",
    "sysctl": "_sysctl",
}


def read_kafel(path):
    """{Kafel name: (nr, [argument names])} from kafel-amd64-syscalls.csv."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][:2] != ["name", "nr"]:
        sys.exit("%s: expected a header name,nr,arg0,..." % path)
    table = {}
    for r in rows[1:]:
        if not r or r[0].startswith("#"):
            continue
        names = []
        for cell in r[2:2 + 6]:
            if not cell:
                break
            names.append(cell.split(":", 1)[0])
        if r[0] in table:
            sys.exit("%s: %s listed twice" % (path, r[0]))
        table[r[0]] = (int(r[1]), names)
    return table


def kafel_aliases(kafel, table, tsv):
    """({our x86_64 syscall name: {our argument name: Kafel's name}},
    [Kafel names left out because their argument count is not ours])."""
    out = {}
    skipped = []
    for kname in sorted(kafel):
        knr, knames = kafel[kname]
        sname = KAFEL_NAMES.get(kname, kname)
        if sname not in table or "x86_64" not in table[sname]:
            continue  # not a syscall of ours (Kafel has a few retired ones)
        if table[sname]["x86_64"] != knr:
            sys.exit("Kafel's %s is %d, ours (%s) is %d"
                     % (kname, knr, sname, table[sname]["x86_64"]))
        rname = row_name("x86_64", sname, table, tsv)
        nargs, args = signature("x86_64", True, sname, rname, tsv)
        ours = [a for a, _ in args]
        moved = [i for i, k in enumerate(knames)
                 if k in ours and ours.index(k) != i]
        if nargs != len(knames) or moved:
            # Kafel describes another signature (a draft or an older kernel:
            # futex_wait, setxattrat, statmount, ...: another argument count,
            # or one of our names at another position): its positions are
            # not ours, so its names would land on the wrong arguments.
            if nargs >= 0:
                skipped.append(kname)
            continue
        amap = {}
        for our, theirs in zip(ours, knames):
            if theirs != our:
                amap[our] = theirs
        if amap:
            out[sname] = amap
    return out, skipped


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    cols = {}
    for i, cell in enumerate(header):
        if i > 0 and not cell.endswith("_kver"):
            cols[cell] = i
    table = {}
    for r in rows[1:]:
        if not r or r[0].startswith("#"):
            continue
        nums = {}
        for col, i in cols.items():
            if r[i] != "PNR" and (col, r[0]) not in NOT_IN_KERNEL:
                nums[col] = int(r[i])
        table[r[0]] = nums
    return header[0], cols, table


def read_tsv(path):
    rows = {}
    comment = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                if comment is None:
                    comment = line
                continue
            if not line:
                continue
            fields = line.split("\t")
            name, nargs = fields[0], fields[1]
            if nargs == "?":
                rows[name] = None
                continue
            args = []
            for cell in fields[2:2 + int(nargs)]:
                aname, rest = cell.split(":", 1)
                ctype, bits = rest.rsplit(":", 1)
                args.append((aname, ctype, int(bits)))
            if len(args) != int(nargs):
                sys.exit("%s: row %s: expected %s arguments" % (path, name, nargs))
            rows[name] = args
    return comment, rows


def check_audit(audit_h, elf_em_h):
    """Verify the AUDIT_ARCH values against the system headers."""
    if not (os.path.exists(audit_h) and os.path.exists(elf_em_h)):
        return "not checked (headers absent)"
    sym = {}
    for path in (elf_em_h, audit_h):
        text = open(path).read().replace("\\\n", " ")
        for m in re.finditer(r"^#define\s+(\w+)\s+(.*)$", text, re.M):
            sym[m.group(1)] = re.sub(r"/\*.*?\*/", "", m.group(2)).strip()

    def value(name, depth=0):
        expr = sym[name]
        if depth > 10:
            raise ValueError(name)
        total = 0
        for tok in re.findall(r"\w+", expr):
            total |= int(tok, 0) if tok[0].isdigit() else value(tok, depth + 1)
        return total

    for name, _, audit, macro, big, _ in ARCHES:
        got = value(macro)
        if got != audit:
            sys.exit("%s: %s is %#x, table says %#x" % (name, macro, got, audit))
        if bool(audit & AUDIT_ARCH_LE) == big:
            sys.exit("%s: byte order disagrees with AUDIT_ARCH" % name)
    return "checked against %s" % audit_h


def row_name(col, name, csv_table, tsv):
    nums = csv_table
    if (col, name) in ROW_ARCH:
        return ROW_ARCH[(col, name)]
    if name in ROW_ALL:
        return ROW_ALL[name]
    if name in UID16_CALLS and col in nums.get(name + "32", {}):
        return name + "16"
    if name.endswith("32") and name[:-2] in UID16_CALLS:
        return name[:-2]
    if "clock_gettime64" in nums and col in nums["clock_gettime64"]:
        if name in TIME32 and TIME32[name] in tsv:
            return TIME32[name]
    if name in TIME64:
        return TIME64[name]
    return name


def signature(col, bits64, name, rowname, tsv):
    """(nargs, [(name, bits)]) for syscall NAME on CSV column COL."""
    if rowname in tsv:
        args = tsv[rowname]
    elif rowname in EXTRA_ROWS:
        args = EXTRA_ROWS[rowname]
    else:
        return -1, []
    if args is None:
        return -1, []
    args = list(args)
    if name == "clone" and len(args) == 5:
        # Kafel's tables and the kernel (kernel/fork.c) call it clone_flags,
        # and real policies use that name.
        if args[0][0] == "flags":
            args[0] = ("clone_flags",) + tuple(args[0][1:])
        by_name = {a[0]: a for a in args}
        if set(by_name) != set(CLONE_LAYOUT[col]):
            sys.exit("clone: the TSV's argument names are not %s"
                     % ", ".join(CLONE_DEFAULT))
        args = [by_name[n] for n in CLONE_LAYOUT[col]]
    out = []
    for aname, ctype, bits in args:
        if not bits64:
            if ctype in ALWAYS64 or ctype.replace("const ", "") in ALWAYS64:
                break  # split in two registers: positions unknown from here
            bits = min(bits, 32)
        out.append((aname, bits))
    return len(out), out


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    data = os.path.join(repo, "..", "shared", "data")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--csv", default=os.path.join(data, "syscalls.csv"))
    ap.add_argument("--args", default=os.path.join(data, "syscall-args.tsv"))
    ap.add_argument("--kafel", default=os.path.join(repo, "..", "shared", "corpus",
                                                    "kafel", "kafel-amd64-syscalls.csv"))
    ap.add_argument("--audit-h", default="/usr/include/linux/audit.h")
    ap.add_argument("--elf-em-h", default="/usr/include/linux/elf-em.h")
    ap.add_argument("-o", "--output", default=os.path.join(repo, "src", "arch", "tables"),
                    help="folder for the generated files (one per table, index.c, tables.h)")
    ap.add_argument("-v", "--verbose", action="store_true")
    opts = ap.parse_args()

    csv_head, cols, table = read_csv(opts.csv)
    tsv_head, tsv = read_tsv(opts.args)
    audit_note = check_audit(opts.audit_h, opts.elf_em_h)
    kafel, kafel_skipped = kafel_aliases(read_kafel(opts.kafel), table, tsv)

    missing_cols = [c for _, c, _, _, _, _ in ARCHES if c not in cols]
    if missing_cols:
        sys.exit("CSV lacks columns: %s" % ", ".join(missing_cols))
    unused = sorted(set(cols) - {c for _, c, _, _, _, _ in ARCHES})
    if unused:
        sys.exit("CSV has architectures not in ARCHES: %s" % ", ".join(unused))
    no_clone = sorted({c for _, c, _, _, _, _ in ARCHES} - set(CLONE_LAYOUT))
    if no_clone:
        sys.exit("CLONE_LAYOUT lacks columns: %s" % ", ".join(no_clone))

    def header(what):
        return ("/* %s - generated by tools/gen-syscalls.py from\n"
                " * %s and\n"
                " * %s; do not edit.\n"
                " *\n"
                " * Numbers: libseccomp src/syscalls.csv, header \"%s\".\n"
                " * Arguments: kernel prototypes, see shared/data/README.md; aliases:\n"
                " * Kafel's argument names (google/kafel src/syscalls/amd64_syscalls.c,\n"
                " * from %s).\n"
                " * AUDIT_ARCH values: %s. */\n"
                % (what, os.path.basename(opts.csv), os.path.basename(opts.args),
                   csv_head.lstrip("#"), os.path.basename(opts.kafel), audit_note))

    files = {}  # file name -> its text (one per table: twins share one)
    out = []
    w = out.append

    # x86_64's rows and argument names, to decide where Kafel's aliases apply.
    x64_row = {}
    x64_names = {}
    x64_by_row = {}
    for sname in sorted(table):
        if "x86_64" in table[sname]:
            rname = row_name("x86_64", sname, table, tsv)
            x64_row[sname] = rname
            x64_names[sname] = [a for a, _ in signature("x86_64", True, sname, rname, tsv)[1]]
            x64_by_row.setdefault(rname, sname)

    def aliases_for(col, sname, rname):
        """{argument name: Kafel's name} for SNAME (row RNAME) on COL."""
        x = sname if sname in x64_row else x64_by_row.get(rname)
        if x is None or x not in kafel:
            return {}
        if col in ("x86_64", "x32") or rname == x64_row[x]:
            return kafel[x]
        names = [a for a, _ in signature(col, True, sname, rname, tsv)[1]]
        return kafel[x] if names == x64_names[x] else {}

    known = set()
    stats = []
    n_aliases = 0
    alias_arches = {}
    arch_syms = []
    tables = {}  # table contents -> the arch whose arrays hold them
    for name, col, audit, _, big, base in ARCHES:
        bits64 = bool(audit & AUDIT_ARCH_64BIT)
        cid = re.sub(r"\W", "_", name)
        entries = []
        unknown = 0
        for sname in sorted(table):
            nums = table[sname]
            if col not in nums:
                continue
            nr = nums[col] + base
            rname = row_name(col, sname, table, tsv)
            nargs, args = signature(col, bits64, sname, rname, tsv)
            if nargs < 0:
                unknown += 1
            amap = aliases_for(col, sname, rname)
            args = [(a, b, amap.get(a)) for a, b in args]
            entries.append((sname, nr, nargs, args))
            known.add(sname)
            for a, _, alias in args:
                known.add(a)
                if alias:
                    known.add(alias)
                    n_aliases += 1
                    alias_arches[name] = alias_arches.get(name, 0) + 1
        nrs = [e[1] for e in entries]
        if len(set(nrs)) != len(nrs):
            sys.exit("%s: duplicate syscall numbers" % name)
        foreign = FOREIGN.get(name, (1, 0))
        # Byte-order twins (mips/mipsel, ppc64/ppc64le, ...) have the same
        # table: it goes once into the first one's file, and both
        # architectures point at it.
        key = tuple((e[0], e[1], e[2], tuple(e[3])) for e in entries)
        tab = tables.get(key)
        fname = (tab or cid) + ".c"
        if fname not in files:
            files[fname] = [header(fname) + "#include \"arch/arch.h\"\n#include \"arch/tables/tables.h\"\n\n"]
        out = files[fname]
        w = out.append
        w("/* %s: AUDIT_ARCH %#010x, %s endian, %d-bit arguments, %d syscalls */\n"
          % (name, audit, "big" if big else "little", 64 if bits64 else 32, len(entries)))
        if tab is None:
            tab = tables[key] = cid
            w("static const sf_syscall sys_%s[%d] = {\n" % (cid, len(entries)))
            for sname, nr, nargs, args in entries:
                argtxt = ", ".join("{%s, %d, %s}" % (c_str(a), b, c_str(al) if al else "0")
                                   for a, b, al in args) or "{0, 0, 0}"
                w("  {%s, %#x, %d, {%s}},\n" % (c_str(sname), nr, nargs, argtxt))
            w("};\n")
            order = sorted(range(len(entries)), key=lambda i: entries[i][1])
            w("static const sf_syscall *const bynr_%s[%d] = {\n" % (cid, len(entries)))
            for i in order:
                w("  &sys_%s[%d],\n" % (cid, i))
            w("};\n")
        else:
            w("/* (the same table as %s) */\n" % tab)
        w("const sf_arch sf_arch_%s = {\n" % cid)
        w("  %s, %#010x, %d, %d, %#x, %#x,\n" % (c_str(name), audit, 1 if big else 0,
                                                64 if bits64 else 32, foreign[0], foreign[1]))
        w("  sys_%s, %d, bynr_%s,\n" % (tab, len(entries), tab))
        w("};\n\n")
        arch_syms.append(cid)
        stats.append((name, len(entries), unknown))

    out = [header("index.c") + "#include \"arch/arch.h\"\n#include \"arch/tables/tables.h\"\n\n"]
    w = out.append
    w("const sf_arch *const sf_gen_arches[] = {\n")
    for cid in arch_syms:
        w("  &sf_arch_%s,\n" % cid)
    w("};\n")
    w("const size_t sf_gen_n_arches = %d;\n\n" % len(arch_syms))
    names = sorted(known)
    w("/* Every syscall and argument name (aliases included) of every\n")
    w(" * architecture, sorted. */\n")
    w("const char *const sf_gen_known_names[] = {\n")
    for n in names:
        w("  %s,\n" % c_str(n))
    w("};\n")
    w("const size_t sf_gen_n_known_names = %d;\n" % len(names))
    files["index.c"] = out
    decl = [header("tables.h"), "#ifndef SF_TABLES_H\n#define SF_TABLES_H\n\n",
            "#include \"arch/arch.h\"\n\n",
            "/* One per architecture, each in the file of its table (a program that\n"
            " * names one links that file alone). */\n"]
    for cid in arch_syms:
        decl.append("extern const sf_arch sf_arch_%s;\n" % cid)
    decl.append("\n#endif\n")
    files["tables.h"] = decl

    os.makedirs(opts.output, exist_ok=True)
    for fname, parts in sorted(files.items()):
        path = os.path.join(opts.output, fname)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("".join(parts))
        os.replace(tmp, path)
    if opts.verbose:
        for name, n, unknown in stats:
            print("%-12s %4d syscalls, %3d without a known signature, %3d Kafel aliases"
                  % (name, n, unknown, alias_arches.get(name, 0)))
        print("Kafel aliases: %d syscalls, %d argument names; %d in all tables"
              % (len(kafel), sum(len(m) for m in kafel.values()), n_aliases))
        print("Kafel signatures not the kernel's (no aliases): %s"
              % " ".join(kafel_skipped))


if __name__ == "__main__":
    main()
