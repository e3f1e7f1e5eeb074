"""Failure in the middle of a run: a server that faults while clients wait
in SYS_IPC_CALL on its port, a process that exits holding the last handles
of objects other processes' threads are blocked on, a deadlock left behind
by such an exit, a time or instruction limit while a call is pending, and
an internal error of the emulator. In every case: the exit status of the
README, a report that gives every task's final state (the run's report for
deadlocks and limits, the fault report and `RunResult.processes` for
faults), and a JSONL trace that is complete: valid JSON line by line up to
its last event, `run_end`."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from emu import System, Tracer
from tests.conftest import ROOT, guest, run_cli


def run_traced(tmp_path, *args: str):
    """`strat9-emu run --trace-file ... ARGS`: the process and the trace events."""
    trace = tmp_path / "trace.jsonl"
    p = run_cli("run", "--trace-file", str(trace), *args)
    return p, check_jsonl(trace)


def check_jsonl(path) -> list[dict]:
    """Every line is JSON: the schema header, events numbered 1..n, run_end last."""
    lines = path.read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert events[0]["schema"] == "strat9-trace"
    assert [e["seq"] for e in events[1:]] == list(range(1, len(events)))
    assert all(e["event"] != "run_end" for e in events[1:-1])
    assert events[-1]["event"] == "run_end"
    return events[1:]


def events_of(events, pid: int, kind: str | None = None, name: str | None = None) -> list[dict]:
    return [e for e in events if e["pid"] == pid and (kind is None or e["event"] == kind)
            and (name is None or e.get("name") == name)]


def no_traceback(p) -> str:
    err = p.stderr.decode(errors="replace")
    assert "Traceback" not in err and "internal error" not in err, err
    return err


# -- a server faults while its clients wait in SYS_IPC_CALL -------------------------------------

def test_server_faults_while_clients_wait_in_call(tmp_path):
    srv, cli = guest("fail_srv_fault"), guest("fail_client")
    p, events = run_traced(tmp_path, srv, cli, cli, cli)
    err = no_traceback(p)
    assert p.returncode == 128 + 11, err  # the lowest failing pid: the server, SIGSEGV
    assert err.count("killed by") == 1 and "task 1 (pid 1, fail_srv_fault.elf) killed by SIGSEGV" in err
    assert "write to unmapped memory at 0x0" in err and "rip=" in err
    out = p.stdout.decode()
    for pid in (2, 3, 4):
        assert f"client {pid}: call = 0, reply type 0x80, errno 32 (EPIPE)" in out, out
    # When the server faulted, one call had been taken and left unanswered,
    # and the two others were still queued on the port.
    taken = [e for e in events_of(events, 1, name="SYS_IPC_RECV") if e["event"] in ("syscall", "resume")
             and e["tid"] == 1]
    assert len(taken) == 1 and taken[0]["ret"] == 0
    fault = [e for e in events if e["event"] == "fault"]
    assert len(fault) == 1 and fault[0]["pid"] == 1 and fault[0]["signal_name"] == "SIGSEGV"
    for pid in (2, 3, 4):
        blocked, resumed = events_of(events, pid, "block", "SYS_IPC_CALL"), events_of(events, pid, "resume")
        assert len(blocked) == 1 and blocked[0]["seq"] < fault[0]["seq"] < resumed[0]["seq"]
        assert resumed[0]["ret"] == 0 and resumed[0]["data"]["msg_reply"][16:24] == "80000000"
        assert events_of(events, pid, "exit")[0]["code"] == 0
    # The server's second thread, blocked in ipc_recv, ended with its process.
    (thread,) = events_of(events, 1, "thread_start")
    waits = [e for e in events_of(events, 1, "block") if e["tid"] == thread["tid"]]
    assert len(waits) == 1 and waits[0]["name"] == "SYS_IPC_RECV"
    assert not [e for e in events_of(events, 1, "resume") if e["tid"] == thread["tid"]]
    assert not [e for e in events if e["event"] in ("thread_exit", "exit") and e["pid"] == 1]
    assert events[-1] == {**events[-1], "reason": "exited", "status": 139}


def test_server_fault_final_states(run_guests):
    r = run_guests(["fail_srv_fault", "fail_client", "fail_client"])
    assert r.reason == "exited" and r.status == 139 and r.report == ""
    server, *clients = r.processes
    assert (server.state, server.signal, server.exit_code) == ("killed", 11, None)
    assert "killed by SIGSEGV" in server.report
    assert [(c.state, c.exit_code, c.signal, c.report) for c in clients] == [("exited", 0, None, None)] * 2


# -- a process exits holding the last handles of objects others wait on ---------------------------

def test_holder_exit_fails_blocked_threads_with_epipe(tmp_path):
    p, events = run_traced(tmp_path, guest("fail_holder"), guest("fail_waiter"))
    no_traceback(p)
    assert p.returncode == 7  # the holder's exit code (pid 1)
    assert b"waiter: sem_wait -> EPIPE, chan_recv -> EPIPE" in p.stdout
    (holder_exit,) = events_of(events, 1, "exit")
    assert holder_exit["code"] == 7
    for name in ("SYS_SEM_WAIT", "SYS_CHAN_RECV"):
        (blocked,) = events_of(events, 2, "block", name)
        (resumed,) = [e for e in events_of(events, 2, "resume", name) if e["tid"] == blocked["tid"]]
        assert blocked["seq"] < holder_exit["seq"] < resumed["seq"]
        assert resumed["errno"] == "EPIPE"
    assert events[-1] == {**events[-1], "reason": "exited", "status": 7}


def test_holder_exit_leaves_a_deadlock_when_the_waiter_keeps_its_handles(tmp_path):
    """The waiter keeps its copies: the objects outlive the holder and its
    threads wait for ever. The deadlock report gives every task's final
    state, the exited holder's too."""
    p, events = run_traced(tmp_path, "--args", "2", "keep", guest("fail_holder"), guest("fail_waiter"))
    err = no_traceback(p)
    assert p.returncode == 125, err
    report = err[err.index("strat9-emu: deadlock"):].splitlines()
    assert report[1:] == [
        "  task 1 (pid 1, fail_holder.elf): exited with 7",
        "  task 2 (pid 2, fail_waiter.elf): thread_join on task 3",
        report[3], report[4]]
    assert re.fullmatch(r"  task 3 \(pid 2, fail_waiter\.elf\): sem_wait on h=\d+ \(semaphore #1, count 0\)", report[3])
    assert re.fullmatch(r"  task 4 \(pid 2, fail_waiter\.elf\): chan_recv on h=\d+ \(channel #1\)", report[4])
    assert events[-1] == {**events[-1], "reason": "deadlock", "status": 125}


def test_deadlock_final_states(run_guests):
    r = run_guests(["fail_holder", ("fail_waiter", "keep")])
    assert r.reason == "deadlock" and r.status == 125
    assert [(p.pid, p.state, p.exit_code) for p in r.processes] == [(1, "exited", 7), (2, "blocked", None)]
    assert "task 1 (pid 1, fail_holder.elf): exited with 7" in r.report


# -- a limit while a call is pending ----------------------------------------------------------------

@pytest.mark.parametrize("mode", ["spin", "syscalls"])
def test_timeout_while_a_call_waits(tmp_path, mode):
    """--timeout ends the run while the server loops (with or without
    syscalls) and its client waits for the answer; a third process had
    already exited, a fourth had faulted."""
    p, events = run_traced(tmp_path, "--timeout", "1", "--args", "1", mode, "--args", "2", "/fail/spin",
                           guest("fail_spin"), guest("fail_client"), guest("hello"), guest("fault_null"))
    err = no_traceback(p)
    assert p.returncode == 124, err
    report = err[err.index("strat9-emu: stopped"):].splitlines()
    assert report == ["strat9-emu: stopped: time limit of 1 s reached",
                      "  task 1 (pid 1, fail_spin.elf): runnable",
                      "  task 2 (pid 2, fail_client.elf): ipc_call: waiting for a reply from task 1",
                      "  task 3 (pid 3, hello.elf): exited with 0",
                      "  task 4 (pid 4, fault_null.elf): killed by SIGSEGV"]
    assert events_of(events, 2, "block", "SYS_IPC_CALL") and not events_of(events, 2, "resume")
    assert events[-1] == {**events[-1], "reason": "timeout", "status": 124}


def test_timeout_final_states():
    system = System(tracer=Tracer(), timeout=0.5)
    system.spawn(guest("fail_spin"))
    system.spawn(guest("fail_client"), argv=["fail_client", "/fail/spin"])
    system.spawn(guest("hello"))
    r = system.run()
    assert r.reason == "timeout" and r.status == 124
    assert [(p.pid, p.state) for p in r.processes] == [(1, "runnable"), (2, "blocked"), (3, "exited")]
    assert r.trace[-1]["event"] == "run_end" and r.trace[-1]["reason"] == "timeout"


def test_instruction_limit_while_a_call_waits(tmp_path):
    p, events = run_traced(tmp_path, "--exact", "--max-insns", "300000", "--args", "2", "/fail/spin",
                           guest("fail_spin"), guest("fail_client"))
    err = no_traceback(p)
    assert p.returncode == 124, err
    assert "strat9-emu: stopped: task 1 ran 300000 instructions without a syscall (--max-insns 300000)" in err
    assert "  task 2 (pid 2, fail_client.elf): ipc_call: waiting for a reply from task 1" in err
    assert events[-1] == {**events[-1], "reason": "insn-limit", "status": 124}


# -- an internal error of the emulator --------------------------------------------------------------

BROKEN_WRITE = """
import sys
import kernel_model.console as console
def broken(*args):
    raise RuntimeError("simulated bug in a syscall handler")
console.sys_write = broken  # the kernel looks its handlers up when it is built
from emu.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_internal_error_status_report_and_complete_trace(tmp_path):
    """A bug in the emulator (here a handler raising) ends the run with
    status 3 and a report, and the trace still ends with run_end."""
    trace = tmp_path / "trace.jsonl"
    p = subprocess.run([sys.executable, "-c", BROKEN_WRITE, "run", "--trace-file", str(trace), guest("hello"),
                        guest("talker")], cwd=ROOT, capture_output=True, timeout=120)
    err = p.stderr.decode()
    assert p.returncode == 3, err
    assert "strat9-emu: internal error (a bug in the emulator)" in err and "simulated bug" in err
    events = check_jsonl(trace)
    assert events[-1] == {**events[-1], "reason": "internal", "status": 3}


# -- the trace output fails in the middle of the run ----------------------------------------------

@pytest.mark.parametrize("opts", [["run", "--trace-file", "/dev/full"], ["run", "--trace", "--trace-out", "/dev/full"],
                                  ["record", "--golden", "/dev/full"]], ids=["jsonl", "text", "golden"])
def test_unwritable_trace_output(opts):
    """A full disk under the trace output: the write error escaped from the
    syscall hook as an internal error (status 3), then again from run_end
    and from close: tracebacks. Now the run goes on without the trace and
    ends with one line and status 2."""
    p = run_cli(*opts, "--args", "1", "5 600", guest("fuzz_syscalls"))
    err = no_traceback(p)
    assert p.returncode == 2, err
    assert err.strip().splitlines() == ["strat9-emu: cannot write trace output /dev/full: No space left on device"]
    assert b"seed 5: " in p.stdout and b" 0 anomalies" in p.stdout  # the run itself went on
