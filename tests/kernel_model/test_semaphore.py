"""Semaphores (ABI.md section 7, rows 230-234)."""

import pytest

from km_helpers import E, is_block
from kernel_model import Errno
from kernel_model.capabilities import Perm

I32_MAX = (1 << 31) - 1


@pytest.mark.parametrize("initial", [1 << 31, 1 << 32, (1 << 64) - 1])
def test_create_rejects_counts_beyond_i32(sim, initial):
    t = sim.proc().main_task
    assert sim.sys(t, "SYS_SEM_CREATE", initial) == E(Errno.EINVAL)
    assert t.process.handles == {}


def test_create_gives_a_read_write_grant_revoke_handle(sim):
    t = sim.proc().main_task
    s = sim.sys(t, "SYS_SEM_CREATE", I32_MAX)
    assert sim.info(t, s)[:2] == (7, 27)
    assert sim.handle(t, s).obj.count == I32_MAX


def test_trywait_post_and_limits(sim):
    t = sim.proc().main_task
    s = sim.sys(t, "SYS_SEM_CREATE", 1)
    assert sim.sys(t, "SYS_SEM_TRYWAIT", s) == 0
    assert sim.sys(t, "SYS_SEM_TRYWAIT", s) == E(Errno.EAGAIN)
    assert sim.sys(t, "SYS_SEM_POST", s) == 0
    assert sim.sys(t, "SYS_SEM_WAIT", s) == 0  # count 1: no block
    m = sim.sys(t, "SYS_SEM_CREATE", I32_MAX - 1)
    assert sim.sys(t, "SYS_SEM_POST", m) == 0
    assert sim.sys(t, "SYS_SEM_POST", m) == E(Errno.EINVAL)
    assert sim.handle(t, m).obj.count == I32_MAX


def test_errors_in_upstream_order(sim):
    t = sim.proc().main_task
    s = sim.sys(t, "SYS_SEM_CREATE", 1)
    c = sim.sys(t, "SYS_CHAN_CREATE", 1)
    for name in ("SYS_SEM_WAIT", "SYS_SEM_TRYWAIT", "SYS_SEM_POST"):
        assert sim.sys(t, name, 999) == E(Errno.EPERM)  # unknown (admin)
        assert sim.sys(t, name, c) == E(Errno.EBADF)  # not a semaphore
    sim.restrict(t, s, Perm.WRITE)
    assert sim.sys(t, "SYS_SEM_WAIT", s) == E(Errno.EPERM)
    assert sim.sys(t, "SYS_SEM_TRYWAIT", s) == E(Errno.EPERM)
    sim.restrict(t, s, Perm.READ)
    assert sim.sys(t, "SYS_SEM_POST", s) == E(Errno.EPERM)


def test_unprivileged_unknown_is_ebadf(sim):
    t = sim.proc(admin=False).main_task
    for name in ("SYS_SEM_WAIT", "SYS_SEM_TRYWAIT", "SYS_SEM_POST", "SYS_SEM_CLOSE"):
        assert sim.sys(t, name, 999) == E(Errno.EBADF)


def test_wait_blocks_and_each_post_wakes_one_waiter(sim):
    a = sim.proc()
    t1, t2, t3 = a.main_task, sim.thread(a), sim.thread(a)
    s = sim.sys(t1, "SYS_SEM_CREATE", 0)
    r = sim.sys(t1, "SYS_SEM_WAIT", s)
    assert is_block(r) and "sem_wait" in r.what
    assert is_block(sim.sys(t2, "SYS_SEM_WAIT", s))
    assert sim.sys(t3, "SYS_SEM_POST", s) == 0
    assert sim.woken == [t1]
    assert sim.run_woken() == {t1.tid: 0}
    assert sim.handle(t1, s).obj.count == 0
    assert sim.sys(t3, "SYS_SEM_POST", s) == 0
    assert sim.run_woken() == {t2.tid: 0}


def test_a_woken_waiter_that_lost_the_race_blocks_again(sim):
    a = sim.proc()
    t1, t2 = a.main_task, sim.thread(a)
    s = sim.sys(t1, "SYS_SEM_CREATE", 0)
    assert is_block(sim.sys(t1, "SYS_SEM_WAIT", s))
    sim.sys(t2, "SYS_SEM_POST", s)
    assert sim.sys(t2, "SYS_SEM_TRYWAIT", s) == 0  # t2 takes it before t1 runs
    sim.woken.clear()
    assert is_block(sim.resume(t1))


def test_destroyed_while_waiting_is_epipe(sim):
    a = sim.proc()
    t1, t2 = a.main_task, sim.thread(a)
    s = sim.sys(t1, "SYS_SEM_CREATE", 0)
    assert is_block(sim.sys(t1, "SYS_SEM_WAIT", s))
    assert sim.sys(t2, "SYS_SEM_CLOSE", s) == 0
    assert sim.run_woken() == {t1.tid: E(Errno.EPIPE)}
    assert sim.k.semaphores == {}
    assert sim.sys(t1, "SYS_SEM_POST", s) == E(Errno.EPERM)  # the handle is gone


def test_semaphore_shared_between_processes(sim):
    a, b = sim.proc().main_task, sim.proc().main_task
    s = sim.sys(a, "SYS_SEM_CREATE", 0)
    g = sim.sys(a, "SYS_HANDLE_GRANT", s, b.process.pid)
    assert is_block(sim.sys(b, "SYS_SEM_WAIT", g))
    assert sim.sys(a, "SYS_SEM_CLOSE", s) == 0  # b still holds one: alive
    assert sim.woken == []
    b2 = sim.thread(b.process)
    assert sim.sys(b2, "SYS_SEM_POST", g) == 0
    assert sim.run_woken() == {b.tid: 0}


def test_close_errors(sim):
    t = sim.proc().main_task
    c = sim.sys(t, "SYS_CHAN_CREATE", 1)
    assert sim.sys(t, "SYS_SEM_CLOSE", 999) == E(Errno.EBADF)
    assert sim.sys(t, "SYS_SEM_CLOSE", c) == E(Errno.EBADF)
    s = sim.sys(t, "SYS_SEM_CREATE", 0)
    assert sim.sys(t, "SYS_SEM_CLOSE", s) == 0
    assert sim.sys(t, "SYS_SEM_CLOSE", s) == E(Errno.EBADF)
