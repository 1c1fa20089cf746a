#!/usr/bin/env python3
"""depgraph.py - the link graph of sysfence's modules, and its cycles.

Usage: tools/depgraph.py [--dot] OBJECT...
       tools/depgraph.py [--dot] --libtool LIB.la

Module A depends on module B when A's object file uses (nm: undefined) a
symbol that B's object file defines.  A module is an object file, named
after its source (src/sema/resolve.o -> sema/resolve).  Prints each module
with what it depends on, then the strongly connected components of more
than one module (dependency cycles), and exits 1 if there is any.  --dot
writes the graph in Graphviz form instead.  With --libtool, the objects
are those of a libtool convenience library (its .libs/*.a members are the
PIC objects).
"""
import os
import subprocess
import sys


def symbols(obj):
    out = subprocess.run(["nm", "--defined-only", "-g", obj], capture_output=True,
                         text=True, check=True).stdout
    defined = {l.split()[-1] for l in out.splitlines() if len(l.split()) >= 3}
    out = subprocess.run(["nm", "-u", obj], capture_output=True, text=True,
                         check=True).stdout
    undefined = {l.split()[-1] for l in out.splitlines() if l.strip()}
    return defined, undefined


def module_name(obj):
    name = obj
    for prefix in ("src/",):
        i = name.find(prefix)
        if i >= 0:
            name = name[i + len(prefix):]
    base = os.path.basename(name)
    # libtool objects: libsysfence_core_la-resolve.o -> resolve
    if "_la-" in base:
        base = base.split("_la-", 1)[1]
    name = os.path.join(os.path.dirname(name), base)
    return name.rsplit(".", 1)[0].replace(".libs/", "")


def sccs(graph):
    """Tarjan's algorithm, iterative."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def objects_of_libtool(la):
    folder = os.path.dirname(la)
    name = os.path.basename(la)[:-3]
    lib = os.path.join(folder, ".libs", name + ".a")
    tmp = subprocess.run(["ar", "t", lib], capture_output=True, text=True,
                         check=True).stdout.split()
    # The members' paths are not kept in the archive: find the PIC objects.
    objs = []
    for root, _, files in os.walk(folder or "."):
        if "/.libs" in root or root.endswith(".libs"):
            for f in files:
                if f in tmp:
                    objs.append(os.path.join(root, f))
    return sorted(set(objs))


def main():
    args = sys.argv[1:]
    dot = "--dot" in args
    args = [a for a in args if a != "--dot"]
    if len(args) == 2 and args[0] == "--libtool":
        objs = objects_of_libtool(args[1])
    else:
        objs = args
    if not objs:
        sys.exit(__doc__)
    defs, uses = {}, {}
    for o in objs:
        d, u = symbols(o)
        m = module_name(o)
        defs[m] = d
        uses[m] = u
    owner = {}
    for m, d in defs.items():
        for s in d:
            owner[s] = m
    graph = {m: {owner[s] for s in uses[m] if s in owner and owner[s] != m}
             for m in defs}
    if dot:
        print("digraph sysfence {")
        for m in sorted(graph):
            for t in sorted(graph[m]):
                print('  "%s" -> "%s";' % (m, t))
        print("}")
        return 0
    for m in sorted(graph):
        print("%-24s -> %s" % (m, ", ".join(sorted(graph[m])) or "-"))
    cycles = [c for c in sccs(graph) if len(c) > 1]
    print("%d modules, %d dependency cycle%s" % (len(graph), len(cycles),
                                                  "" if len(cycles) == 1 else "s"))
    for c in cycles:
        print("cycle: " + " <-> ".join(c))
    return 1 if cycles else 0


sys.exit(main())
