"""A pre-forking echo server: proc_forkecho_srv (pid 1) binds
"/srv/forkecho" and forks worker children that inherit the port handle
(same number) and serve three proc_forkecho_cli clients (pids 2-4) from
the shared port; the parent stops and reaps them with waitpid."""

import pytest

from proc_helpers import assert_tap_clean, completed, events, forked, notes, run_cli

CLIENTS = [("proc_forkecho_cli", "1", "4"), ("proc_forkecho_cli", "2", "4"), ("proc_forkecho_cli", "3", "4")]


@pytest.fixture
def run(run_guests):
    return run_guests(["proc_forkecho_srv", *CLIENTS], trace=True, timeout=120)


def test_forkecho_checks_pass(run):
    assert_tap_clean(run, blocks=4, min_checks=60 + 3 * 25)
    assert run.reason == "exited" and run.status == 0, run.report
    assert [p.status for p in run.processes] == [0] * 7


def test_three_workers_forked_by_the_server(run):
    workers = forked(run, ppid=1)
    assert len(workers) == 3
    forks = completed(run, "SYS_PROC_FORK", pid=1)
    assert [e["ret"] for e in forks] == workers
    assert all(w not in (1, 2, 3, 4) for w in workers)
    for w in workers:
        assert run.process(w).exit_code == 0 and run.process(w).signal is None


def test_workers_receive_on_the_inherited_handle_number(run):
    bind = completed(run, "SYS_IPC_BIND_PORT", pid=1)
    assert len(bind) == 1 and bind[0]["ret"] == 0
    port_h = bind[0]["args"][0]
    for w in forked(run, ppid=1):
        recvs = [e for e in events(run, "SYS_IPC_RECV", pid=w) if e["event"] in ("syscall", "resume", "block")]
        assert recvs and all(e["args"][0] == port_h for e in recvs)


def test_every_echo_was_answered_by_a_worker(run):
    workers = set(forked(run, ppid=1))
    replies = completed(run, "SYS_IPC_REPLY")
    assert all(e["pid"] in workers for e in replies)
    echo = [e for e in replies if int.from_bytes(e["data"]["msg"][8:12], "little") == 0x21]
    assert len(echo) == 12
    assert {e["pid"] for e in echo} == workers  # each worker served
    served = sorted(int(n.split()[3]) for n in notes(run.stdout, "worker "))
    assert sum(served) == 12 and len(served) == 3 and min(served) > 0


def test_parent_reaps_workers_with_status_zero(run):
    waits = [e for e in completed(run, "SYS_PROC_WAITPID", pid=1)]
    reaped = [e for e in waits if e["ret"] > 0]
    assert sorted(e["ret"] for e in reaped) == sorted(forked(run, ppid=1))
    assert all(e["data"]["status"] == 0 for e in reaped)
    assert [e["errno"] for e in waits if e["ret"] < 0] == ["ECHILD", "ECHILD"]


def test_forkecho_is_deterministic(run_guests, run):
    again = run_guests(["proc_forkecho_srv", *CLIENTS], trace=True, timeout=120)
    assert again.stdout == run.stdout
    assert again.trace == run.trace


def test_forkecho_from_the_command_line():
    p = run_cli("run", "--trace", "--args", "2", "1 4", "--args", "3", "2 4", "--args", "4", "3 4",
                "proc_forkecho_srv.elf", "proc_forkecho_cli.elf", "proc_forkecho_cli.elf", "proc_forkecho_cli.elf")
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    text = p.stderr.decode()
    assert text.count("+++ forked from 1 +++") == 3
