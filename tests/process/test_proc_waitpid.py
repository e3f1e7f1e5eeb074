"""SYS_PROC_WAITPID with SYS_PROC_FORK, run by proc_waitpid: errors
(EINVAL before ECHILD), Linux-encoded statuses for exits and faults,
blocking and WNOHANG waits, reaping, grandchildren."""

import re

import pytest

from proc_helpers import assert_tap_clean, completed, events, forked, notes


@pytest.fixture(scope="module")
def run():
    from emu import System, Tracer
    from proc_helpers import guest_path

    system = System(tracer=Tracer(), timeout=60)
    system.spawn(guest_path("proc_waitpid"), argv=["proc_waitpid"])
    return system.run()


def test_waitpid_checks_pass(run):
    assert_tap_clean(run, blocks=1, min_checks=110)
    assert run.reason == "exited", run.report
    assert run.process(1).status == 0


def _reaped(run) -> dict[int, int]:
    out = {}
    for n in notes(run.stdout, "reaped "):
        m = re.fullmatch(r"reaped pid=(\d+) status=(0x[0-9a-f]+|0)", n)
        assert m, n
        out[int(m.group(1))] = int(m.group(2), 16)
    return out


def test_statuses_match_what_the_children_did(run):
    reaped = _reaped(run)
    children = forked(run, ppid=1)
    # every direct child was reaped exactly once (the grandchild by its own parent);
    # one of them with status_ptr 0, so without a note
    no_status = [e["ret"] for e in completed(run, "SYS_PROC_WAITPID", pid=1) if e["ret"] > 0 and e["args"][1] == 0]
    assert len(no_status) == 1
    assert sorted(list(reaped) + no_status) == sorted(children)
    for pid, status in reaped.items():
        p = run.process(pid)
        if p.signal is not None:
            assert status == p.signal, (pid, status, p)
        else:
            assert status == (p.exit_code & 0xFF) << 8, (pid, status, p)


def test_faulting_children(run):
    killed = {p.pid: p for p in run.processes if p.signal is not None}
    assert sorted(p.signal for p in killed.values()) == [4, 8, 11]
    segv = next(p for p in killed.values() if p.signal == 11)
    assert segv.status == 139
    assert "killed by SIGSEGV" in segv.report and "0x10" in segv.report
    reaped = _reaped(run)
    assert sorted(reaped[pid] for pid in killed) == [4, 8, 11]


def test_grandchild_reaped_by_its_own_parent(run):
    grand = [e for e in run.trace if e["event"] == "process_start" and "path" not in e and e["ppid"] != 1]
    assert len(grand) == 1
    g = grand[0]
    assert run.process(g["pid"]).exit_code == 5
    waits = [e for e in completed(run, "SYS_PROC_WAITPID", pid=g["ppid"]) if e["ret"] == g["pid"]]
    assert len(waits) == 1 and waits[0]["data"]["status"] == 5 << 8
    mine = [e for e in completed(run, "SYS_PROC_WAITPID", pid=1) if e["args"][0] == g["pid"]]
    assert [e["errno"] for e in mine] == ["ECHILD", "ECHILD"]


def test_error_results(run):
    res = [(e["ret"], e["errno"]) for e in completed(run, "SYS_PROC_WAITPID", pid=1) if e["ret"] < 0]
    assert all(err in ("EINVAL", "ECHILD") for _, err in res)
    assert sum(1 for _, err in res if err == "EINVAL") == 11
    # a failed call writes no status: no completed error event decodes one
    for e in completed(run, "SYS_PROC_WAITPID", pid=1):
        if e["ret"] < 0:
            assert "status" not in e.get("data", {}), e


def test_blocking_waits_block_and_wnohang_never_does(run):
    blocked = events(run, "SYS_PROC_WAITPID", pid=1, event="block")
    assert len(blocked) >= 5
    assert all(not (e["args"][2] & 1) for e in blocked)
    zero = [e for e in completed(run, "SYS_PROC_WAITPID", pid=1) if e["ret"] == 0]
    assert len(zero) == 4 and all(e["args"][2] == 1 for e in zero)
