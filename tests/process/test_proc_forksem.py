"""fork copies the handle table under the same numbers, each copy holding
the object: proc_forksem plays ping-pong with its forked child over two
inherited semaphores, and checks object lifetime across the two tables."""

import pytest

from proc_helpers import assert_tap_clean, completed, events, forked, notes


@pytest.fixture
def run(run_guests):
    return run_guests(["proc_forksem"], trace=True, timeout=60)


def test_forksem_checks_pass(run):
    assert_tap_clean(run, blocks=2, min_checks=55)  # parent and child
    assert run.reason == "exited" and run.status == 0, run.report
    child = forked(run, ppid=1)
    assert len(child) == 1
    assert run.process(child[0]).status == 0


def test_ping_pong_alternates(run):
    lines = [n.split(" (")[0] for n in notes(run.stdout, "p") if n.startswith(("ping ", "pong "))]
    want = []
    for i in range(5):
        want += [f"ping {i}", f"pong {i}"]
    assert lines == want


def test_child_uses_the_parents_handle_numbers(run):
    (child,) = forked(run, ppid=1)
    parent_posts = {e["args"][0] for e in completed(run, "SYS_SEM_POST", pid=1) if e["ret"] == 0}
    child_waits = {e["args"][0] for e in completed(run, "SYS_SEM_WAIT", pid=child) if e["ret"] == 0}
    child_posts = {e["args"][0] for e in completed(run, "SYS_SEM_POST", pid=child) if e["ret"] == 0}
    parent_waits = {e["args"][0] for e in completed(run, "SYS_SEM_WAIT", pid=1) if e["ret"] == 0}
    creates = [e["ret"] for e in completed(run, "SYS_SEM_CREATE", pid=1)]
    ping, pong = creates[0], creates[1]
    assert ping in parent_posts and ping in child_waits
    assert pong in child_posts and pong in parent_waits
    # the waits blocked and were woken across processes
    assert events(run, "SYS_SEM_WAIT", pid=child, event="block")
    assert events(run, "SYS_SEM_WAIT", pid=1, event="block")


def test_closed_numbers_fail_only_in_the_closing_process(run):
    (child,) = forked(run, ppid=1)
    creates = [e["ret"] for e in completed(run, "SYS_SEM_CREATE", pid=1)]
    kept, mine = creates[2], creates[3]
    # the parent closed 'kept', then the child used it successfully
    parent_close = [e for e in completed(run, "SYS_SEM_CLOSE", pid=1) if e["args"][0] == kept]
    assert [e["ret"] for e in parent_close] == [0, -9]
    child_try = [e["ret"] for e in completed(run, "SYS_SEM_TRYWAIT", pid=child) if e["args"][0] == kept]
    assert child_try == [0, 0, -11, 0]
    assert all(e["seq"] > parent_close[0]["seq"]
               for e in completed(run, "SYS_SEM_TRYWAIT", pid=child) if e["args"][0] == kept)
    # the child closed 'mine'; the parent used it afterwards
    child_close = [e for e in completed(run, "SYS_SEM_CLOSE", pid=child) if e["args"][0] == mine]
    parent_try = [e for e in completed(run, "SYS_SEM_TRYWAIT", pid=1) if e["args"][0] == mine]
    assert [e["ret"] for e in child_close] == [0]
    assert [e["ret"] for e in parent_try] == [0] and parent_try[0]["seq"] > child_close[0]["seq"]
