"""ABI.md section 7, semaphore rows 230-234, run by conf_semaphores (pid 1)
and two conf_semaphores_peer waiters (pids 2, 3): create limits, EAGAIN,
post at i32 max, check order, close errors, blocking wait, and each post
waking exactly one waiter."""

import pytest

from tests.conformance.conf_tap import assert_conformant, syscalls


@pytest.fixture
def run(run_guests):
    return run_guests(["conf_semaphores", "conf_semaphores_peer", "conf_semaphores_peer"], trace=True)


def test_semaphores_conformance(run):
    assert_conformant(run, guests=3, min_checks=90)


def test_each_post_wakes_exactly_one_waiter(run):
    for pid in (2, 3):
        assert len(syscalls(run, "SYS_SEM_WAIT", pid=pid, event="block")) == 1
        assert [e["ret"] for e in syscalls(run, "SYS_SEM_WAIT", pid=pid, event="resume")] == [0]
    posts = [e for e in syscalls(run, "SYS_SEM_POST", pid=1) if e["ret"] == 0]
    resumes = sorted(syscalls(run, "SYS_SEM_WAIT", event="resume"), key=lambda e: e["seq"])
    waiter_resumes = [e for e in resumes if e["pid"] in (2, 3)]
    assert len(waiter_resumes) == 2
    # between the two posts of the shared semaphore exactly one waiter resumed
    go_posts = [e for e in posts if e["seq"] > min(b["seq"] for b in syscalls(run, "SYS_SEM_WAIT", pid=2,
                                                                               event="block"))]
    assert len(go_posts) == 2
    first, second = go_posts[0]["seq"], go_posts[1]["seq"]
    assert sum(first < e["seq"] < second for e in waiter_resumes) == 1
    assert sum(e["seq"] > second for e in waiter_resumes) == 1
