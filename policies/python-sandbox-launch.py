"""Run a Python script that can never execute another program.

    sysfence compile policies/python-sandbox.policy -o py.bpf
    sysfence compile policies/no-exec.policy -o no-exec.bpf
    sysfence-exec py.bpf -- python3 -I python-sandbox-launch.py no-exec.bpf script.py [ARG...]

(or 'sysfence run policies/python-sandbox.policy -- python3 -I ...', or
bubblewrap with --seccomp and this launcher as its command: see the
README for the tested recipe, which also sets up the namespaces).
The interpreter starts under py.bpf (which has to allow execve: it is
installed before the interpreter runs).  This launcher then stacks
no-exec.bpf on itself with seccomp(2), which refuses execve and execveat,
and runs script.py with the remaining arguments as sys.argv.  It fails
closed: if the filter cannot be read or installed, the script is not run
and the exit status is 125.  With the sysfence Python module installed
(and its library there) it installs the filter with it (sysfence.load
checks it against the kernel's rules first); else with seccomp(2) through
ctypes.
"""
import ctypes
import os
import runpy
import sys

# seccomp(2) numbers; the shipped policies target x86_64.
SYS_SECCOMP = {"x86_64": 317, "aarch64": 277}
SECCOMP_SET_MODE_FILTER = 1


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def fail(why):
    sys.stderr.write("python-sandbox-launch: %s; not running the script\n" % why)
    sys.exit(125)


def install_with_module(path):
    """True if the sysfence module installed the filter; False if it is
    not there (then the ctypes path below does the work)."""
    try:
        import sysfence
    except ImportError:
        return False
    if not sysfence.available():
        return False
    try:
        sysfence.apply(sysfence.load(path))
    except (OSError, ValueError) as e:
        fail("cannot install %s: %s" % (path, e))
    return True


def install(path):
    if install_with_module(path):
        return
    nr = SYS_SECCOMP.get(os.uname().machine)
    if nr is None:
        fail("no seccomp(2) number known for %s" % os.uname().machine)
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        fail("cannot read %s: %s" % (path, e.strerror))
    if not blob or len(blob) % 8 or len(blob) // 8 > 4096:
        fail("%s is not a seccomp filter" % path)
    buf = ctypes.create_string_buffer(blob, len(blob))
    prog = SockFprog(len(blob) // 8, ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    if libc.syscall(ctypes.c_long(nr), ctypes.c_long(SECCOMP_SET_MODE_FILTER),
                    ctypes.c_long(0), ctypes.byref(prog)) != 0:
        fail("cannot install %s: %s" % (path, os.strerror(ctypes.get_errno())))


def main():
    if len(sys.argv) < 3:
        fail("usage: python-sandbox-launch.py FILTER.bpf SCRIPT.py [ARG...]")
    install(sys.argv[1])
    sys.argv = sys.argv[2:]
    runpy.run_path(sys.argv[0], run_name="__main__")


main()
