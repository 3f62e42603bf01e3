#!/usr/bin/env python3
"""Sizes of the source: each file's lines before its tests, and each function's length.

    python3 bench/sizes.py [--top N] [--limit-file 800] [--limit-fn 100] [DIR ...]

A file's size is its lines up to its first top-level `#[cfg(test)]` (the tests beside the
code do not count); a function's length runs from the line of `fn` to its closing brace.
Strings, characters and comments are skipped when braces are matched. Prints the largest
files and functions, and the ones over the limits; exits 1 when any is over a limit in the
directories given (default src: every file of the program).
"""

import os
import re
import sys


def strip(text):
    """The text with strings, chars and comments blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 20]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'":
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'])'", text[i:i + 12])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:  # a lifetime
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


FN = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")


def measure(path):
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    code_lines = len(lines)
    for k, line in enumerate(lines):
        if line.startswith("#[cfg(test)]"):
            code_lines = k
            break
    clean = strip(text)
    fns = []
    for m in FN.finditer(clean):
        start = clean.count("\n", 0, m.start()) + 1
        if start > code_lines:
            break
        # the body: the first `{` after the signature, unless a `;` comes first (a declaration)
        j, depth = m.end(), 0
        while j < len(clean) and clean[j] not in "{;":
            j += 1
        if j >= len(clean) or clean[j] == ";":
            continue
        while j < len(clean):
            if clean[j] == "{":
                depth += 1
            elif clean[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        end = clean.count("\n", 0, j) + 1
        fns.append((end - start + 1, f"{path}:{start}", m.group(1)))
    return code_lines, fns


def main(argv):
    top, limit_file, limit_fn, dirs = 10, 800, 100, []
    it = iter(argv)
    for a in it:
        if a == "--top":
            top = int(next(it))
        elif a == "--limit-file":
            limit_file = int(next(it))
        elif a == "--limit-fn":
            limit_fn = int(next(it))
        else:
            dirs.append(a)
    dirs = dirs or ["src"]
    files, fns = [], []
    for d in dirs:
        for root, _, names in os.walk(d):
            for name in sorted(names):
                if name.endswith(".rs"):
                    p = os.path.join(root, name)
                    n, f = measure(p)
                    files.append((n, p))
                    fns.extend(f)
    files.sort(reverse=True)
    fns.sort(reverse=True)
    print(f"largest files (lines before tests) in {' '.join(dirs)}:")
    for n, p in files[:top]:
        print(f"  {n:5}  {p}")
    print("longest functions (lines):")
    for n, where, name in fns[:top]:
        print(f"  {n:5}  {name}  {where}")
    over_f = [x for x in files if x[0] > limit_file]
    over_fn = [x for x in fns if x[0] > limit_fn]
    print(f"files over {limit_file}: {len(over_f)}; functions over {limit_fn}: {len(over_fn)}")
    for n, p in over_f:
        print(f"  file {n} {p}")
    for n, where, name in over_fn:
        print(f"  fn {n} {name} {where}")
    return 1 if over_f or over_fn else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
