"""Channels (ABI.md section 6, rows 220-224)."""

import pytest

from km_helpers import OUT, RO, UNMAPPED, E, is_block
from kernel_model import Errno
from kernel_model.capabilities import Perm


def chan(sim, task, capacity=4):
    return sim.sys(task, "SYS_CHAN_CREATE", capacity)


def recv(sim, task, h, name="SYS_CHAN_RECV"):
    r = sim.sys(task, name, h, OUT)
    return r if r != 0 else sim.get_msg(task, OUT)


@pytest.mark.parametrize("asked, capacity", [(0, 1), (1, 1), (7, 7), (1024, 1024), (1025, 1024), (1 << 63, 1024)])
def test_capacity_is_clamped(sim, asked, capacity):
    t = sim.proc().main_task
    c = chan(sim, t, asked)
    assert sim.info(t, c) == (5, Perm.READ | Perm.WRITE | Perm.GRANT, sim.handle(t, c).obj.id)
    assert sim.handle(t, c).obj.capacity == capacity


def test_channel_is_symmetric_and_stamps_the_sender(sim):
    a, b = sim.proc().main_task, sim.proc().main_task
    c = chan(sim, a)
    g = sim.sys(a, "SYS_HANDLE_GRANT", c, b.process.pid)
    assert sim.send(a, c, msg_type=1, flags=0xABCD, name="SYS_CHAN_SEND") == 0  # flags not interpreted
    assert sim.send(b, g, msg_type=2, name="SYS_CHAN_SEND") == 0
    m1 = recv(sim, b, g)
    m2 = recv(sim, a, c)
    assert (m1.sender, m1.msg_type, m1.flags) == (a.tid, 1, 0xABCD)
    assert (m2.sender, m2.msg_type) == (b.tid, 2)


def test_send_errors_in_upstream_order(sim):
    t = sim.proc().main_task
    c = chan(sim, t)
    p = sim.sys(t, "SYS_IPC_CREATE_PORT", 0)
    assert sim.sys(t, "SYS_CHAN_SEND", 999, UNMAPPED) == E(Errno.EFAULT)  # the message first (admin)
    assert sim.send(t, 999, name="SYS_CHAN_SEND") == E(Errno.EBADF)  # unknown: EBADF even for admin
    assert sim.send(t, p, name="SYS_CHAN_SEND") == E(Errno.EPERM)  # another type
    sim.restrict(t, c, Perm.READ)
    assert sim.send(t, c, name="SYS_CHAN_SEND") == E(Errno.EPERM)


def test_recv_errors(sim):
    t = sim.proc().main_task
    c = chan(sim, t)
    s = sim.sys(t, "SYS_SEM_CREATE", 1)
    for name in ("SYS_CHAN_RECV", "SYS_CHAN_TRY_RECV"):
        assert sim.sys(t, name, 999, OUT) == E(Errno.EBADF)
        assert sim.sys(t, name, s, OUT) == E(Errno.EPERM)
    sim.restrict(t, c, Perm.WRITE)
    assert sim.sys(t, "SYS_CHAN_RECV", c, OUT) == E(Errno.EPERM)


def test_unprivileged_unknown_handle_is_ebadf_before_efault(sim):
    t = sim.proc(admin=False).main_task
    assert sim.sys(t, "SYS_CHAN_SEND", 999, UNMAPPED) == E(Errno.EBADF)
    c = chan(sim, t)
    assert sim.sys(t, "SYS_CHAN_SEND", c, UNMAPPED) == E(Errno.EFAULT)
    assert sim.send(t, c, name="SYS_CHAN_SEND") == 0


def test_send_blocks_while_full(sim):
    a = sim.proc()
    t1, t2 = a.main_task, sim.thread(a)
    c = chan(sim, t1, 1)
    assert sim.send(t1, c, msg_type=1, name="SYS_CHAN_SEND") == 0
    r = sim.send(t1, c, msg_type=2, name="SYS_CHAN_SEND")
    assert is_block(r) and "chan_send" in r.what
    assert recv(sim, t2, c).msg_type == 1
    assert sim.run_woken() == {t1.tid: 0}
    assert recv(sim, t2, c).msg_type == 2


def test_recv_blocks_while_empty_and_wakes_one(sim):
    a = sim.proc()
    t1, t2, t3 = a.main_task, sim.thread(a), sim.thread(a)
    c = chan(sim, t1)
    assert is_block(sim.sys(t1, "SYS_CHAN_RECV", c, OUT))
    assert is_block(sim.sys(t2, "SYS_CHAN_RECV", c, OUT))
    assert sim.send(t3, c, msg_type=9, name="SYS_CHAN_SEND") == 0
    assert sim.woken == [t1]
    assert sim.run_woken() == {t1.tid: 0}


def test_try_recv(sim):
    t = sim.proc().main_task
    c = chan(sim, t)
    assert sim.sys(t, "SYS_CHAN_TRY_RECV", c, OUT) == E(Errno.EAGAIN)
    sim.send(t, c, msg_type=3, name="SYS_CHAN_SEND")
    assert recv(sim, t, c, "SYS_CHAN_TRY_RECV").msg_type == 3


def test_recv_efault_after_dequeue_loses_the_message(sim):
    t = sim.proc().main_task
    c = chan(sim, t)
    sim.send(t, c, name="SYS_CHAN_SEND")
    sim.send(t, c, name="SYS_CHAN_SEND")
    assert sim.sys(t, "SYS_CHAN_RECV", c, RO) == E(Errno.EFAULT)
    assert sim.sys(t, "SYS_CHAN_TRY_RECV", c, UNMAPPED) == E(Errno.EFAULT)
    assert sim.sys(t, "SYS_CHAN_TRY_RECV", c, OUT) == E(Errno.EAGAIN)


def test_last_close_destroys_and_blocked_tasks_get_epipe(sim):
    a = sim.proc()
    t1, t2, t3 = a.main_task, sim.thread(a), sim.thread(a)
    c = chan(sim, t1, 1)
    full = chan(sim, t1, 1)
    sim.send(t1, full, name="SYS_CHAN_SEND")
    assert is_block(sim.sys(t1, "SYS_CHAN_RECV", c, OUT))
    assert is_block(sim.send(t2, full, name="SYS_CHAN_SEND"))
    obj = sim.handle(t1, c).obj
    assert sim.sys(t3, "SYS_CHAN_CLOSE", c) == 0
    assert sim.sys(t3, "SYS_CHAN_CLOSE", full) == 0
    assert obj.destroyed and sim.k.channels == {}
    assert sim.run_woken() == {t1.tid: E(Errno.EPIPE), t2.tid: E(Errno.EPIPE)}


def test_a_woken_receiver_drains_before_epipe(sim):
    a = sim.proc()
    t1, t2 = a.main_task, sim.thread(a)
    c = chan(sim, t1)
    assert is_block(sim.sys(t1, "SYS_CHAN_RECV", c, OUT))
    sim.send(t2, c, msg_type=4, name="SYS_CHAN_SEND")
    sim.sys(t2, "SYS_CHAN_CLOSE", c)
    assert sim.run_woken() == {t1.tid: 0}
    assert sim.get_msg(t1, OUT).msg_type == 4


def test_channel_lives_while_another_process_holds_it(sim):
    a, b = sim.proc().main_task, sim.proc().main_task
    c = chan(sim, a)
    g = sim.sys(a, "SYS_HANDLE_GRANT", c, b.process.pid)
    assert sim.sys(a, "SYS_CHAN_CLOSE", c) == 0
    assert sim.send(b, g, name="SYS_CHAN_SEND") == 0
    assert sim.sys(a, "SYS_CHAN_SEND", c, OUT) == E(Errno.EBADF)


def test_close_errors(sim):
    t = sim.proc().main_task
    s = sim.sys(t, "SYS_SEM_CREATE", 0)
    assert sim.sys(t, "SYS_CHAN_CLOSE", 999) == E(Errno.EBADF)
    assert sim.sys(t, "SYS_CHAN_CLOSE", s) == E(Errno.EBADF)
    assert s in t.process.handles
    assert sim.sys(sim.proc(admin=False).main_task, "SYS_CHAN_CLOSE", 999) == E(Errno.EBADF)


def test_handle_close_and_revoke_on_channels(sim):
    t = sim.proc().main_task
    c = chan(sim, t)
    assert sim.sys(t, "SYS_HANDLE_REVOKE", c) == E(Errno.EPERM)  # no revoke permission
    assert sim.sys(t, "SYS_HANDLE_CLOSE", c) == 0
    assert sim.k.channels == {}
