"""python_test.py - the sysfence Python module (run by check_python.sh with
SYSFENCE_LIBRARY set to the build tree's library)."""
import errno
import os
import subprocess
import sys
import tempfile
import unittest

import sysfence

SRCDIR = os.environ.get("SYSFENCE_TEST_SRCDIR", ".")


def run_in_child(fn):
    """Run FN in a forked child (a filter there stays there); its exit
    status: 0 if FN returned True, 1 if False, 2 on an exception."""
    pid = os.fork()
    if pid == 0:
        try:
            code = 0 if fn() else 1
        except BaseException as e:  # report, never return into unittest
            sys.stderr.write("child: %r\n" % (e,))
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


class Compile(unittest.TestCase):
    def test_compile_and_evaluate(self):
        f = sysfence.compile("ALLOW { read, write } ERRNO(13) { getcwd } DEFAULT KILL",
                             arch="x86_64")
        self.assertEqual(f.arch, "x86_64")
        self.assertGreater(len(f), 3)
        self.assertEqual(len(f.bytes), 8 * len(f))
        self.assertEqual(f.evaluate("read", 0, 0, 16), "ALLOW")
        self.assertEqual(f.evaluate("getcwd"), "ERRNO(13)")
        self.assertEqual(f.evaluate("openat"), "KILL")
        self.assertEqual(f.evaluate(0), "ALLOW")  # 0 is read on x86_64
        self.assertEqual(f.evaluate_raw("getcwd"), 0x00050000 | 13)
        # a foreign architecture's call: the filter's bad-arch action
        self.assertEqual(f.evaluate("read", arch="aarch64"), "KILL_PROCESS")

    def test_arguments_are_compared(self):
        f = sysfence.compile("ALLOW { write { fd == 1 } } DEFAULT ERRNO(1)",
                             arch="x86_64")
        self.assertEqual(f.evaluate("write", 1), "ALLOW")
        self.assertEqual(f.evaluate("write", 2), "ERRNO(1)")

    def test_multi_arch(self):
        f = sysfence.compile("ALLOW { getpid } DEFAULT ERRNO(38)", arch="x86_64,i386")
        self.assertEqual(f.evaluate("getpid", arch="i386"), "ALLOW")
        self.assertEqual(f.evaluate("getppid", arch="i386"), "ERRNO(38)")

    def test_defines_and_includes(self):
        f = sysfence.compile('#include "groups/basic-io.policy"\nUSE basic_io\n'
                             "ERRNO(FOO) { getcwd } DEFAULT KILL",
                             arch="x86_64", defines={"FOO": 7},
                             include=[os.path.join(SRCDIR, "policies")])
        self.assertEqual(f.evaluate("getcwd"), "ERRNO(7)")
        self.assertEqual(f.evaluate("close"), "ALLOW")

    def test_warnings_are_kept(self):
        f = sysfence.compile("ALLOW { read, read } DEFAULT KILL", arch="x86_64")
        self.assertTrue(any(d.severity == "warning" for d in f.warnings), f.warnings)


class Diagnostics(unittest.TestCase):
    def test_error_in_string(self):
        with self.assertRaises(sysfence.PolicyError) as cm:
            sysfence.compile("ALLOW {\n  read, reed\n} DEFAULT KILL", arch="x86_64",
                             name="mine.policy")
        e = cm.exception
        self.assertEqual((e.file, e.line, e.column), ("mine.policy", 2, 9))
        self.assertIn("reed", e.message)
        self.assertIn("mine.policy:2:9: error:", e.text)
        self.assertEqual(e.diagnostics[0].severity, "error")

    def test_error_in_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.policy")
            with open(path, "w") as f:
                f.write("ALLOW { read }\nDEFAULT KIL\n")
            with self.assertRaises(sysfence.PolicyError) as cm:
                sysfence.compile_file(path, arch="x86_64")
            self.assertEqual((cm.exception.file, cm.exception.line,
                              cm.exception.column), (path, 2, 9))

    def test_missing_file(self):
        with self.assertRaises(FileNotFoundError):
            sysfence.compile_file("/nonexistent/x.policy")

    def test_check(self):
        self.assertEqual(sysfence.check("ALLOW { read } DEFAULT KILL", arch="x86_64"), [])
        with self.assertRaises(sysfence.PolicyError):
            sysfence.check("ALLOW { read DEFAULT KILL", arch="x86_64")

    def test_bad_arch(self):
        with self.assertRaises(ValueError):
            sysfence.compile("DEFAULT KILL", arch="vax")

    def test_nsjail_config(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "jail.cfg")
            with open(path, "w") as f:
                f.write('name: "j"\nseccomp_string: "ALLOW { read }"\n'
                        'seccomp_string: "ALLOW { wrte }"\n'
                        'seccomp_string: "DEFAULT KILL"\n')
            with self.assertRaises(sysfence.PolicyError) as cm:
                sysfence.compile_file(path, arch="x86_64")
            self.assertEqual((cm.exception.file, cm.exception.line,
                              cm.exception.column), (path, 3, 26))


class Output(unittest.TestCase):
    def setUp(self):
        self.f = sysfence.compile("ALLOW { read } DEFAULT KILL", arch="x86_64")

    def test_write_blob(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "f.bpf")
            self.f.write(path)
            with open(path, "rb") as g:
                self.assertEqual(g.read(), self.f.bytes)
            again = sysfence.load(path, arch="x86_64")
            self.assertEqual(again.bytes, self.f.bytes)
            self.assertEqual(again.evaluate("read"), "ALLOW")

    def test_c_header_and_listing(self):
        h = self.f.c_header("my_filter")
        self.assertIn("struct sock_filter my_filter", h.replace("  ", " "))
        self.assertIn("ld [4]", self.f.listing())
        with self.assertRaises(ValueError):
            self.f.c_header("int")

    def test_load_refuses_junk(self):
        with self.assertRaises(ValueError):
            sysfence.load(b"\x00" * 7)
        with self.assertRaises(ValueError):  # a jump out of the program
            sysfence.load(bytes([0x15, 0, 9, 0, 0, 0, 0, 0]) * 2, arch="x86_64")


def loud_skip(test, why):
    """A check that cannot run here: the SKIPPED line 'make check' lists
    (tests/testutil.h); with SYSFENCE_REQUIRE_ALL=1 a failure."""
    if os.environ.get("SYSFENCE_REQUIRE_ALL") == "1":
        test.fail("cannot run here and SYSFENCE_REQUIRE_ALL=1: " + why)
    sys.stderr.write("check_python.sh: %s: SKIPPED: %s\n" % (test.id(), why))
    test.skipTest(why)


class Apply(unittest.TestCase):
    def setUp(self):
        probe = sysfence.compile("DEFAULT ALLOW")

        def can():
            sysfence.apply(probe)
            return True
        if run_in_child(can) != 0:
            loud_skip(self, "seccomp filters cannot be installed here")

    def test_apply_in_child(self):
        f = sysfence.compile("ERRNO(13) { getcwd } DEFAULT ALLOW")

        def child():
            before = os.getcwd()
            sysfence.apply(f)
            try:
                os.getcwd()
            except PermissionError as e:
                return bool(before) and e.errno == errno.EACCES
            return False
        self.assertEqual(run_in_child(child), 0)
        os.getcwd()  # the parent is not filtered

    def test_apply_tsync_and_stacking(self):
        first = sysfence.compile("ERRNO(13) { getcwd } DEFAULT ALLOW")
        second = sysfence.compile("ERRNO(1) { getppid } DEFAULT ALLOW")

        def child():
            sysfence.apply(first, tsync=True)
            sysfence.apply(second)
            try:
                os.getcwd()
                return False
            except PermissionError:
                pass
            try:
                os.getppid()
            except PermissionError:
                return True
            return os.getppid() == -1
        self.assertEqual(run_in_child(child), 0)


class Launcher(unittest.TestCase):
    """policies/python-sandbox-launch.py installs the filter with the module
    when it is there (PYTHONPATH and SYSFENCE_LIBRARY come from
    check_python.sh)."""
    LAUNCHER = os.path.join(SRCDIR, "policies", "python-sandbox-launch.py")

    def run_launcher(self, blob, script_text):
        with tempfile.TemporaryDirectory() as d:
            bpf, script = os.path.join(d, "f.bpf"), os.path.join(d, "s.py")
            with open(bpf, "wb") as f:
                f.write(blob)
            with open(script, "w") as f:
                f.write(script_text)
            return subprocess.run([sys.executable, self.LAUNCHER, bpf, script],
                                  capture_output=True, text=True, timeout=60)

    def test_module_checks_the_filter(self):
        # one instruction that is no RET: the module's load() refuses it
        # (the ctypes path would hand it to the kernel: "Invalid argument")
        r = self.run_launcher(b"\x00" * 8, "print('ran')\n")
        self.assertEqual(r.returncode, 125, r.stderr)
        self.assertIn("not a valid seccomp filter", r.stderr)
        self.assertNotIn("ran", r.stdout)

    def test_module_installs_the_filter(self):
        f = sysfence.compile("ERRNO(1) { execve, execveat } DEFAULT ALLOW")
        r = self.run_launcher(f.bytes, "import os\ntry:\n"
                              "    os.execv('/bin/true', ['true'])\n"
                              "except PermissionError:\n    print('refused')\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "refused\n")


if __name__ == "__main__":
    unittest.main()
