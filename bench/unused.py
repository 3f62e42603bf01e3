#!/usr/bin/env python3
"""Public items nothing else names: dead code the compiler cannot see.

    python3 bench/unused.py [DIR ...]

desk is a library (for its tests) and a binary, so a `pub` function no one calls is not
reported by rustc. This lists each `pub` function, constant, static, struct, enum or type
under src/ whose name appears nowhere else in src/, tests/ or build.rs (a name defined twice
counts each definition). A row is a place to look, not a verdict: a name shared with another
item hides it. Exits 1 when it finds any.
"""

import os
import re
import sys

DEF = re.compile(r"\bpub(?:\([a-z:]+\))?\s+(?:const\s+fn|async\s+fn|fn|const|static|struct|enum|type|trait)\s+([A-Za-z_][A-Za-z0-9_]*)")


def files(dirs):
    for d in dirs:
        if os.path.isfile(d):
            yield d
            continue
        for root, _, names in os.walk(d):
            for n in names:
                if n.endswith(".rs"):
                    yield os.path.join(root, n)


def main():
    src = sys.argv[1:] or ["src"]
    everything = list(files(["src", "tests"])) + (["build.rs"] if os.path.exists("build.rs") else [])
    text = {f: open(f, encoding="utf-8").read() for f in everything}
    defined = {}
    for f in files(src):
        for m in DEF.finditer(text.get(f) or open(f, encoding="utf-8").read()):
            line = text[f].count("\n", 0, m.start()) + 1 if f in text else 0
            defined.setdefault(m.group(1), []).append(f"{f}:{line}")
    words = {}
    for t in text.values():
        for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", t):
            words[w] = words.get(w, 0) + 1
    unused = sorted((where, name) for name, where in defined.items() if words.get(name, 0) <= len(where))
    for where, name in unused:
        print(f"{name:32} {', '.join(where)}")
    print(f"{len(unused)} public items named nowhere else")
    return 1 if unused else 0


if __name__ == "__main__":
    sys.exit(main())
