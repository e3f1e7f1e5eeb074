"""Scenario (e): two processes each blocked in SYS_IPC_RECV on its own port
(each waits for the other to speak first): the run stops as a deadlock,
exit status 125, and the report on stderr names both tasks and what they
wait on."""

import re

from tests.conftest import guest, run_cli


def test_deadlock_status_and_report(run_guests):
    r = run_guests([("scn_deadlock", "a"), ("scn_deadlock", "b")], trace=True)
    assert r.status == 125 and r.reason == "deadlock"
    assert [p.state for p in r.processes] == ["blocked", "blocked"]
    report = r.report
    assert "deadlock" in report
    assert re.search(r"task 1 \(pid 1, scn_deadlock\.elf\): ipc_recv on h=\d+ \(port #\d+\)", report), report
    assert re.search(r"task 2 \(pid 2, scn_deadlock\.elf\): ipc_recv on h=\d+ \(port #\d+\)", report), report
    blocked = [e for e in r.trace if e["event"] == "block"]
    assert {(e["pid"], e["name"]) for e in blocked[-2:]} == {(1, "SYS_IPC_RECV"), (2, "SYS_IPC_RECV")}


def test_deadlock_on_the_command_line():
    p = run_cli("run", "--args", "1", "a", "--args", "2", "b", guest("scn_deadlock"), guest("scn_deadlock"))
    assert p.returncode == 125
    err = p.stderr.decode()
    assert "strat9-emu: deadlock" in err
    lines = [line for line in err.splitlines() if line.strip().startswith("task ")]
    assert len(lines) == 2
    assert "(pid 1, scn_deadlock.elf)" in lines[0] and "ipc_recv on h=" in lines[0]
    assert "(pid 2, scn_deadlock.elf)" in lines[1] and "ipc_recv on h=" in lines[1]
    out = p.stdout.decode()
    assert "deadlock a (pid 1): waiting" in out and "deadlock b (pid 2): waiting" in out
    assert "no deadlock" not in out
