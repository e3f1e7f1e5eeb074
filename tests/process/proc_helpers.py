"""Helpers of the process-model tests (tests/process): the TAP lines the
guests print (s9test.h), trace queries and the command line.

Imported as a plain module (`from proc_helpers import ...`): pytest puts
this directory on sys.path, so the tests run with `pytest` and with
`python -m pytest` alike."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUEST_DIR = ROOT / "build" / "guests" / (os.environ.get("STRAT9_TOOLCHAIN", "gcc") + os.environ.get("STRAT9_OPT", "-O2"))

SUMMARY = re.compile(r"^# passed (\d+) failed (\d+)$", re.M)
NOT_OK = re.compile(r"^not ok .*$", re.M)
OK = re.compile(r"^ok \d+ ", re.M)


def guest_path(name: str) -> str:
    path = GUEST_DIR / f"{name}.elf"
    assert path.exists(), f"{path} is missing: build the guests first (make guests)"
    return str(path)


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`strat9-emu ARGS` as a subprocess; NAME.elf arguments are guest names."""
    argv = [guest_path(a[:-4]) if a.endswith(".elf") and "/" not in a else a for a in args]
    return subprocess.run([sys.executable, "-m", "emu", *argv], capture_output=True, timeout=timeout, cwd=ROOT)


def tap(stdout: bytes) -> tuple[int, list[str], list[tuple[int, int]]]:
    """(ok lines, `not ok` lines, one (passed, failed) per finished TAP block)."""
    text = stdout.decode(errors="replace")
    return (len(OK.findall(text)), NOT_OK.findall(text),
            [(int(p), int(f)) for p, f in SUMMARY.findall(text)])


def notes(stdout: bytes, prefix: str) -> list[str]:
    """The `# PREFIX...` comment lines, without the `# `."""
    return [line[2:] for line in stdout.decode(errors="replace").splitlines() if line.startswith("# " + prefix)]


def assert_tap_clean(result, blocks: int, min_checks: int) -> None:
    """No `not ok` line, `blocks` finished TAP blocks all with 0 failures."""
    passed, failed, summaries = tap(result.stdout)
    report = (result.report or "") + "\n" + result.stderr.decode(errors="replace")[-3000:]
    assert not failed, "\n".join(failed) + "\n" + report
    assert len(summaries) == blocks, (summaries, report)
    assert all(f == 0 for _, f in summaries), summaries
    assert passed >= min_checks, (passed, min_checks)


def events(result, name: str | None = None, *, pid: int | None = None, tid: int | None = None,
           event: str | None = None) -> list[dict]:
    """Trace events, filtered by syscall name ("SYS_IPC_CALL"), pid, tid and kind."""
    return [e for e in result.trace
            if (name is None or e.get("name") == name) and (pid is None or e.get("pid") == pid)
            and (tid is None or e.get("tid") == tid) and (event is None or e.get("event") == event)]


def completed(result, name: str, **kw) -> list[dict]:
    """Completed calls (plain or resumed) of syscall `name`."""
    return [e for e in events(result, name, **kw) if e["event"] in ("syscall", "resume") and "ret" in e]


def forked(result, ppid: int | None = None) -> list[int]:
    """Pids of the processes created by fork (of parent ppid), in creation order."""
    return [e["pid"] for e in result.trace if e["event"] == "process_start" and "path" not in e
            and (ppid is None or e.get("ppid") == ppid)]


def comparable_trace(result) -> list[dict]:
    """The trace events as plain data, for run-to-run comparisons."""
    return [dict(e) for e in result.trace]
