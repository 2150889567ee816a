#!/usr/bin/env python3
"""Checks the tree's dependencies against the allowed edges in cmake/layers.txt.

Two graphs are checked, because either alone can be bypassed:
  - links: every edge between two of our targets in `cmake --graphviz` output must be listed;
  - includes: a file in a folder owned by target A may include a header owned by target B only if
    B is A itself or reachable from A through listed edges (a header-only include needs no link
    line, so the link graph alone would miss it).
Prints one line per violation and exits 1; exits 0 when the tree keeps the rules.
usage: check_deps.py LAYERS GRAPH_DOT SOURCE_ROOT
"""
import os
import re
import sys


def read_layers(path):
    allowed, owners, ignored = {}, [], []
    with open(path) as f:
        for number, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            kind, _, rest = line.partition(" ")
            if kind == "target":
                name, _, deps = rest.partition(":")
                allowed[name.strip()] = set(deps.split())
            elif kind == "owner":
                where, _, target = rest.partition("=")
                owners.append((where.strip().rstrip("/"), target.strip()))
            elif kind == "ignore":
                ignored.append(re.compile(rest.strip()))
            else:
                sys.exit(f"{path}:{number}: unknown line kind '{kind}'")
    for name, deps in allowed.items():
        for dep in deps - allowed.keys():
            sys.exit(f"{path}: {name} may use {dep}, which is not a declared target")
    return allowed, owners, ignored


# Shapes cmake --graphviz gives targets built here; library files it only links are septagons.
TARGET_SHAPES = {"egg", "octagon", "doubleoctagon", "tripleoctagon", "pentagon", "hexagon"}


def read_graph(path):
    """Returns the names of our targets and every edge between nodes, by name."""
    labels, targets, edges = {}, set(), []
    node = re.compile(r'^\s*"(\w+)" \[ label = "([^"]+)", shape = (\w+)')
    edge = re.compile(r'^\s*"(\w+)" -> "(\w+)"')
    with open(path) as f:
        for line in f:
            if m := node.match(line):
                labels[m.group(1)] = m.group(2)
                # Imported targets (ha::asio, PkgConfig::NFTNL, OpenSSL::SSL) are not ours.
                if m.group(3) in TARGET_SHAPES and "::" not in m.group(2):
                    targets.add(m.group(2))
            elif m := edge.match(line):
                edges.append((m.group(1), m.group(2)))
    return targets, [(labels[a], labels[b]) for a, b in edges]


def reachable(allowed):
    closure = {}
    for start in allowed:
        seen, todo = set(), [start]
        while todo:
            for dep in allowed[todo.pop()]:
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        closure[start] = seen
    return closure


def owner_of(path, owners):
    best = None
    for where, target in owners:
        if path == where or path.startswith(where + "/"):
            if best is None or len(where) > len(best[0]):
                best = (where, target)
    return best[1] if best else None


def check_links(allowed, ignored, edges, targets):
    problems = []
    for name in sorted(targets):
        if name not in allowed and not any(p.search(name) for p in ignored):
            problems.append(f"target {name} is not in cmake/layers.txt: declare what it may use")
    for a, b in edges:
        if a in allowed and b in targets and b not in allowed[a] and \
                not any(p.search(b) for p in ignored):
            problems.append(f"link {a} -> {b} is not allowed")
    return problems


def check_includes(root, owners, closure):
    problems = []
    include = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    for where, source_target in owners:
        base = os.path.join(root, where)
        files = [base] if os.path.isfile(base) else [
            os.path.join(d, f) for d, _, fs in os.walk(base) for f in fs
            if f.endswith((".h", ".cc"))]
        for path in sorted(files):
            rel = os.path.relpath(path, root)
            if owner_of(rel, owners) != source_target:
                continue  # a deeper owner line claims this file
            with open(path, errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = include.match(line)
                    if not m:
                        continue
                    target = owner_of(m.group(1), owners)
                    if target is None or target == source_target:
                        continue
                    if target not in closure.get(source_target, set()):
                        problems.append(f"{rel}:{number}: includes {m.group(1)} "
                                        f"({source_target} may not use {target})")
    return problems


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    layers, dot, root = sys.argv[1:]
    allowed, owners, ignored = read_layers(layers)
    targets, edges = read_graph(dot)
    problems = check_links(allowed, ignored, edges, targets)
    problems += check_includes(root, owners, reachable(allowed))
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} dependency rule(s) broken (rules: {layers})")
        return 1
    print(f"dependencies keep the rules in {layers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
