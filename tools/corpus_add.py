"""Add a case to the ABI regression corpus (tests/corpus/): copy the built
guest binaries and record their golden trace. The binaries are committed
on purpose: they prove that programs built earlier keep running.

usage: python tools/corpus_add.py NAME GUEST [GUEST ...] [--args K "ARGS"] [--unprivileged K]
  GUEST is a name under build/guests/gcc-O2/ (without .elf) or a path.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("guests", nargs="+")
    ap.add_argument("--args", nargs=2, action="append", default=[], metavar=("K", "ARGS"))
    ap.add_argument("--unprivileged", type=int, action="append", default=[])
    ns = ap.parse_args()
    case = CORPUS / ns.name
    if case.exists():
        print(f"{case} exists already: a corpus case is never re-recorded", file=sys.stderr)
        return 2
    case.mkdir(parents=True)
    elfs = []
    for g in ns.guests:
        src = Path(g) if "/" in g else ROOT / "build" / "guests" / "gcc-O2" / f"{g}.elf"
        shutil.copy(src, case / src.name)
        elfs.append(src.name)
    spec = {"elfs": elfs, "args": {k: v for k, v in ns.args}, "unprivileged": ns.unprivileged}
    (case / "case.json").write_text(json.dumps(spec, indent=2) + "\n")
    cmd = [sys.executable, "-m", "emu", "record", "--golden", str(case / "golden.jsonl")]
    for k, v in ns.args:
        cmd += ["--args", k, v]
    for k in ns.unprivileged:
        cmd += ["--unprivileged", str(k)]
    status = subprocess.run(cmd + [str(case / e) for e in elfs], cwd=ROOT, stdout=subprocess.DEVNULL).returncode
    spec["status"] = status
    (case / "case.json").write_text(json.dumps(spec, indent=2) + "\n")
    print(f"recorded {case} (run status {status})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
