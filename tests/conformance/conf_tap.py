"""Helpers of the guest-level conformance suite: reading the TAP lines the
guests print (s9test.h) and picking syscall events out of a run's trace."""

from __future__ import annotations

import re

SUMMARY = re.compile(r"^# passed (\d+) failed (\d+)$", re.M)
NOT_OK = re.compile(r"^not ok .*$", re.M)
OK = re.compile(r"^ok \d+ ", re.M)


def tap(stdout: bytes) -> tuple[int, list[str], list[tuple[int, int]]]:
    """(ok lines, the `not ok` lines, one (passed, failed) per finished guest)."""
    text = stdout.decode(errors="replace")
    summaries = [(int(p), int(f)) for p, f in SUMMARY.findall(text)]
    return len(OK.findall(text)), NOT_OK.findall(text), summaries


def assert_conformant(result, guests: int, min_checks: int = 1) -> None:
    """Every guest finished its checks with none failed and exit status 0."""
    passed, failed, summaries = tap(result.stdout)
    report = result.stderr.decode(errors="replace")[-3000:]
    assert not failed, "\n".join(failed) + "\n" + report
    assert len(summaries) == guests, (summaries, report)
    assert all(f == 0 for _, f in summaries), summaries
    assert passed >= min_checks, passed
    assert result.reason == "exited", (result.reason, result.report)
    assert result.status == 0, (result.status, report)
    assert [p.status for p in result.processes] == [0] * guests


def syscalls(result, name: str, pid: int | None = None, event: str | None = None) -> list[dict]:
    """Trace events of syscall `name` ("SYS_IPC_SEND"), optionally of one pid
    and one event kind ("syscall", "block", "resume")."""
    return [e for e in result.trace
            if e.get("name") == name and (pid is None or e["pid"] == pid)
            and (event is None or e["event"] == event)]


def results(result, name: str, pid: int | None = None) -> list[int]:
    """The return values of every completed call of `name`, in order."""
    return [e["ret"] for e in syscalls(result, name, pid) if e["event"] in ("syscall", "resume") and "ret" in e]
