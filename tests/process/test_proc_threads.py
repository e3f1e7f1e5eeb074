"""Threads, ABI.md section 8 rows 341-343 and 350, run by proc_threads:
create/join/exit error paths, arg0 / stack / tls delivered to a new
thread, raw exit codes through join, thread_exit with a code that does not
fit i32, arch_prctl; and the modes in which one thread ends the process
(SYS_PROC_EXIT and SYS_EXIT_GROUP end every thread, the last
SYS_THREAD_EXIT ends the process with its code)."""

import re

import pytest

from proc_helpers import assert_tap_clean, completed, events, run_cli


@pytest.fixture(scope="module")
def checks():
    from emu import System, Tracer
    from proc_helpers import guest_path

    system = System(tracer=Tracer(), timeout=60)
    system.spawn(guest_path("proc_threads"), argv=["proc_threads"])
    return system.run()


def test_thread_checks_pass(checks):
    assert_tap_clean(checks, blocks=1, min_checks=140)
    assert checks.reason == "exited" and checks.status == 0


def test_failed_creates_start_no_thread(checks):
    creates = completed(checks, "SYS_THREAD_CREATE", pid=1)
    ok = [e["ret"] for e in creates if e["ret"] > 0]
    bad = [e for e in creates if e["ret"] < 0]
    assert len(bad) == 13 and all(e["errno"] == "EINVAL" for e in bad)
    # thread_create calls from the main thread and from the "outer" thread
    started = [e["tid"] for e in checks.trace if e["event"] == "thread_start"]
    assert sorted(started) == sorted(ok), (started, ok)
    assert 1 not in ok and len(set(ok)) == len(ok)  # fresh tids, never the pid


def test_join_writes_the_raw_exit_code(checks):
    joins = [e for e in completed(checks, "SYS_THREAD_JOIN", pid=1, tid=1) if e["ret"] > 0]
    statuses = [e["data"].get("status") for e in joins if "data" in e and "status" in e["data"]]
    # raw thread (77) twice, then 0x7fffffff, 5, and the nested test's outer thread (0)
    assert statuses[:4] == [77, 77, 0x7FFFFFFF, 5], statuses
    assert 5 << 8 not in statuses and 77 << 8 not in statuses


def test_join_on_a_running_thread_blocks(checks):
    blocked = events(checks, "SYS_THREAD_JOIN", pid=1, tid=1, event="block")
    assert blocked, "joining the thread that sleeps 2 ms should block"
    resumed = events(checks, "SYS_THREAD_JOIN", pid=1, tid=1, event="resume")
    assert len(resumed) == len(blocked)


def test_thread_exit_einval_for_codes_outside_i32(checks):
    bad = completed(checks, "SYS_THREAD_EXIT", pid=1)
    errs = [e for e in bad if e.get("errno") == "EINVAL"]
    # 6 from the main thread, 3 from each of the 3 worker threads
    assert len(errs) == 6 + 9
    assert {e["tid"] for e in errs} >= {1}


def _after(result, seq: int, pid: int) -> list[dict]:
    return [e for e in result.trace if e["seq"] > seq and e.get("pid") == pid
            and e["event"] in ("syscall", "resume", "block")]


def test_proc_exit_from_main_ends_every_thread(run_guests):
    r = run_guests([("proc_threads", "procexit")], trace=True, timeout=60)
    assert r.reason == "exited", r.report
    assert r.status == 3 and r.process(1).exit_code == 3
    exit_call = completed(r, "SYS_PROC_EXIT", pid=1) or events(r, "SYS_PROC_EXIT", pid=1)
    assert len(exit_call) == 1 and exit_call[0]["tid"] == 1
    assert _after(r, exit_call[0]["seq"], 1) == []  # no thread ran on
    # the thread blocked in sem_wait never came back
    assert events(r, "SYS_SEM_WAIT", pid=1, event="resume") == []
    assert b"(wrong)" not in r.stdout


def test_exit_group_from_a_thread_ends_the_process(run_guests):
    r = run_guests([("proc_threads", "groupexit")], trace=True, timeout=60)
    assert r.reason == "exited", r.report
    assert r.status == 9 and r.process(1).exit_code == 9
    calls = events(r, "SYS_EXIT_GROUP", pid=1)
    assert len(calls) == 1 and calls[0]["tid"] != 1
    assert _after(r, calls[0]["seq"], 1) == []
    assert events(r, "SYS_THREAD_JOIN", pid=1, event="resume") == []
    assert b"(wrong)" not in r.stdout


def test_proc_exit_from_a_thread_ends_the_process(run_guests):
    # intended-semantics decision (ABI.md section 9): SYS_PROC_EXIT ends every thread
    r = run_guests([("proc_threads", "threadexit")], trace=True, timeout=60)
    assert r.reason == "exited", r.report
    assert r.status == 12 and r.process(1).exit_code == 12
    calls = events(r, "SYS_PROC_EXIT", pid=1)
    assert len(calls) == 1 and calls[0]["tid"] != 1
    assert _after(r, calls[0]["seq"], 1) == []
    assert b"(wrong)" not in r.stdout


def test_last_thread_exit_ends_the_process_with_its_code(run_guests):
    r = run_guests([("proc_threads", "lastexit")], trace=True, timeout=60)
    assert r.reason == "exited", r.report
    assert r.status == 6 and r.process(1).exit_code == 6
    main_exit = events(r, "SYS_THREAD_EXIT", pid=1, tid=1)
    assert len(main_exit) == 1
    later = _after(r, main_exit[0]["seq"], 1)
    assert later and all(e["tid"] != 1 for e in later)  # the other thread went on
    assert b"this one goes on (pid ok: 1)" in r.stdout
    assert b"(wrong)" not in r.stdout


def test_cli_trace_names_threads(tmp_path):
    p = run_cli("run", "--trace", "proc_threads.elf")
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    text = p.stderr.decode()
    tids = set(re.findall(r"^\[1/(\d+)\] ", text, re.M))
    assert len(tids) >= 6, tids  # the threads' own syscalls are shown as [pid/tid]
    assert "1" not in tids


def test_threads_spinning_without_syscalls_are_preempted(run_guests):
    # README: as soon as a system holds more than one task, every slice is
    # limited (translation blocks), so a task spinning on memory cannot
    # starve the others. Here the process becomes multi-threaded inside its
    # first slice (SYS_THREAD_CREATE) and both threads then spin.
    r = run_guests([("proc_threads", "spin")], trace=True, timeout=15)
    assert r.reason == "exited", r.report
    assert r.status == 0 and b"both spinners got through (join ok, status 0, waiter spun: yes)" in r.stdout
    preempted = {e["tid"] for e in r.trace if e["event"] == "preempt"}
    assert len(preempted) == 2
    again = run_guests([("proc_threads", "spin")], trace=True, timeout=15)
    assert again.trace == r.trace  # preemption points depend on the guest only
