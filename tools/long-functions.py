#!/usr/bin/env python3
"""long-functions.py - list hand-written C functions longer than a limit.

Usage: tools/long-functions.py [--max N] [FILE...]   (default: N 100, and
every .c and .h under src/ except the generated tables, plus grammar/*.y
and grammar/*.l)

A function is a line that starts at column 0 with an identifier, has a
'(' and ends with '{' (this project's style: the opening brace on the
line of the declarator), up to the first line that is a lone '}' at column
0.  Its length counts the lines between the two.  Prints each longer
function as FILE:LINE: NAME: N lines and exits 1 if there is any.
"""
import glob
import os
import re
import sys

START = re.compile(r"^[A-Za-z_][\w \t\*]*\b(\w+)\s*\([^;]*\)\s*\{\s*$")


def long_functions(path, limit):
    out = []
    with open(path, errors="replace") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        # A declarator may span lines: join until the line that ends with '{'.
        m = None
        if re.match(r"^[A-Za-z_]", line) and "(" in line and not line.rstrip().endswith(";"):
            j, text = i, line
            while not text.rstrip().endswith("{") and j + 1 < len(lines) and j - i < 6 \
                    and not text.rstrip().endswith(";"):
                j += 1
                text += " " + lines[j].strip()
            m = START.match(text)
            if m and not text.startswith(("typedef", "struct", "enum", "static const", "const")):
                k = j + 1
                while k < len(lines) and lines[k] != "}":
                    k += 1
                n = k - j - 1
                if n > limit:
                    out.append((i + 1, m.group(1), n))
                i = k
        i += 1
    return out


def main():
    args = sys.argv[1:]
    limit = 100
    if args[:1] == ["--max"]:
        limit = int(args[1])
        args = args[2:]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not args:
        args = [p for p in glob.glob(os.path.join(root, "src", "**", "*.[ch]"), recursive=True)
                if "/arch/tables/" not in p]
        args += glob.glob(os.path.join(root, "grammar", "*.[yl]"))
    found = 0
    for path in sorted(args):
        for line, name, n in long_functions(path, limit):
            print("%s:%d: %s: %d lines" % (os.path.relpath(path, root), line, name, n))
            found += 1
    print("%d function%s over %d lines" % (found, "" if found == 1 else "s", limit))
    return 1 if found else 0


sys.exit(main())
