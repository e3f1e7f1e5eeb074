"""Reply slots are per thread: proc_twocalls (pid 1) has two threads that
block in SYS_IPC_CALL at the same time, to two servers (proc_callsrv,
pids 2 and 3), and each gets its own reply; IpcMessage.sender is the
calling thread's tid."""

import re

import pytest

from proc_helpers import assert_tap_clean, events, run_cli

SERVERS = [("proc_callsrv", "/srv/two-a", "3", "A"), ("proc_callsrv", "/srv/two-b", "1", "B")]


@pytest.fixture
def run(run_guests):
    return run_guests(["proc_twocalls", *SERVERS], trace=True, timeout=60)


def test_both_threads_get_their_replies(run):
    assert_tap_clean(run, blocks=3, min_checks=30)
    assert run.status == 0 and [p.status for p in run.processes] == [0, 0, 0]


def test_both_calls_block_before_either_resumes(run):
    blocks = events(run, "SYS_IPC_CALL", pid=1, event="block")
    resumes = events(run, "SYS_IPC_CALL", pid=1, event="resume")
    assert len(blocks) == 2 and len(resumes) == 2
    assert {b["tid"] for b in blocks} == {r["tid"] for r in resumes}
    assert len({b["tid"] for b in blocks}) == 2 and 1 in {b["tid"] for b in blocks}
    assert max(b["seq"] for b in blocks) < min(r["seq"] for r in resumes)
    assert all(r["ret"] == 0 for r in resumes)
    # server B (1 ms) answers the second thread first
    assert resumes[0]["tid"] != 1 and resumes[1]["tid"] == 1


def test_servers_see_the_calling_threads_tid(run):
    got = {}
    for pid in (2, 3):
        recv = [e for e in events(run, "SYS_IPC_RECV", pid=pid) if e["event"] in ("syscall", "resume")]
        assert len(recv) == 1
        got[pid] = int.from_bytes(recv[0]["data"]["out"][0:8], "little")
    tids = {b["tid"] for b in events(run, "SYS_IPC_CALL", pid=1, event="block")}
    assert got[2] == 1  # server A was called by the main thread
    assert got[3] in tids and got[3] != 1
    # each reply went to the thread that called
    for e in events(run, "SYS_IPC_CALL", pid=1, event="resume"):
        reply = e["data"]["msg_reply"]
        assert int.from_bytes(reply[0:8], "little") == e["tid"]
        assert reply[16:17] == (b"A" if e["tid"] == 1 else b"B")


def test_text_trace_shows_both_calls_unfinished_first():
    p = run_cli("run", "--trace", "--args", "2", "/srv/two-a 3 A", "--args", "3", "/srv/two-b 1 B",
                "proc_twocalls.elf", "proc_callsrv.elf", "proc_callsrv.elf")
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    lines = p.stderr.decode().splitlines()
    unfinished = [i for i, l in enumerate(lines) if re.match(r"^\[1(/\d+)?\] ipc_call\(.*<unfinished \.\.\.>$", l)]
    resumed = [i for i, l in enumerate(lines) if re.match(r"^\[1(/\d+)?\] <\.\.\. ipc_call resumed>", l)]
    assert len(unfinished) == 2 and len(resumed) == 2, lines
    assert max(unfinished) < min(resumed)
    who = {lines[i].split(" ")[0] for i in unfinished}
    assert "[1]" in who and any(w.startswith("[1/") for w in who)
