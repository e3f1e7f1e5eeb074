"""IPC ports, call/reply and handle transfer (ABI.md section 5, rows 200-204
and 207; the reply slot of upstream ipc/reply.rs)."""

import struct

from km_helpers import MSG, OUT, RO, UNMAPPED, E, is_block
from kernel_model import Errno
from kernel_model.capabilities import Perm
from kernel_model.message import IpcMessage

EPIPE_PAYLOAD = struct.pack("<I", 32) + bytes(44)


def server_and_client(sim, client_admin=True):
    """A server process with a port and a client holding a granted handle."""
    srv, cli = sim.proc(name="srv"), sim.proc(admin=client_admin, name="cli")
    p = sim.sys(srv.main_task, "SYS_IPC_CREATE_PORT", 0)
    g = sim.sys(srv.main_task, "SYS_HANDLE_GRANT", p, cli.pid)
    return srv.main_task, p, cli.main_task, g


def recv(sim, task, h, out=OUT, name="SYS_IPC_RECV"):
    r = sim.sys(task, name, h, out)
    return r if r != 0 else sim.get_msg(task, out)


# -- create, send, recv ---------------------------------------------------------------

def test_create_port_gives_an_all_permission_handle_owned_by_the_caller(sim):
    t = sim.proc().main_task
    p = sim.sys(t, "SYS_IPC_CREATE_PORT", 0xDEAD)  # flags ignored
    assert sim.info(t, p)[:2] == (4, 31)
    port = sim.handle(t, p).obj
    assert port.owner == t.tid and sim.k.ports[port.id] is port


def test_send_stamps_the_sending_thread_and_recv_is_fifo(sim):
    srv, p, cli, g = server_and_client(sim)
    t2 = sim.thread(cli.process)
    assert sim.send(cli, g, msg_type=1, payload=b"one") == 0
    sim.put_msg(t2, 0x10400, IpcMessage(0xFFFF, 2, 0, b"two"))  # sender field is overwritten
    assert sim.sys(t2, "SYS_IPC_SEND", g, 0x10400) == 0
    m1, m2 = recv(sim, srv, p), recv(sim, srv, p)
    assert (m1.sender, m1.msg_type, m1.payload[:3]) == (cli.tid, 1, b"one")
    assert (m2.sender, m2.msg_type, m2.payload[:3]) == (t2.tid, 2, b"two")
    assert cli.tid == cli.process.pid and t2.tid != cli.process.pid


def test_send_errors_in_upstream_order(sim):
    srv, p, cli, g = server_and_client(sim)
    c = sim.sys(cli, "SYS_CHAN_CREATE", 1)
    assert sim.sys(cli, "SYS_IPC_SEND", 999, UNMAPPED) == E(Errno.EPERM)  # unknown (admin): EPERM first
    assert sim.sys(cli, "SYS_IPC_SEND", c, UNMAPPED) == E(Errno.EBADF)  # not a port, before EFAULT
    assert sim.sys(cli, "SYS_IPC_SEND", g, UNMAPPED) == E(Errno.EFAULT)
    assert sim.sys(cli, "SYS_IPC_SEND", g, 0) == E(Errno.EFAULT)
    sim.restrict(cli, g, Perm.READ | Perm.GRANT)
    assert sim.sys(cli, "SYS_IPC_SEND", g, MSG) == E(Errno.EPERM)


def test_send_on_a_gone_port_is_ebadf(sim):
    srv, p, cli, g = server_and_client(sim)
    sim.k.exit_process(srv.process, 0)
    assert sim.send(cli, g) == E(Errno.EBADF)
    assert sim.sys(cli, "SYS_IPC_SEND", g, UNMAPPED) == E(Errno.EFAULT)  # EFAULT comes before
    assert sim.sys(cli, "SYS_IPC_RECV", g, OUT) == E(Errno.EBADF)
    assert sim.sys(cli, "SYS_IPC_TRY_RECV", g, OUT) == E(Errno.EBADF)
    assert sim.send(cli, g, name="SYS_IPC_CALL") == E(Errno.EBADF)


def test_unprivileged_unknown_handle_is_ebadf(sim):
    srv, p, cli, g = server_and_client(sim, client_admin=False)
    for name in ("SYS_IPC_SEND", "SYS_IPC_RECV", "SYS_IPC_TRY_RECV", "SYS_IPC_CALL"):
        assert sim.sys(cli, name, 999, MSG) == E(Errno.EBADF)
    assert sim.send(cli, g) == 0  # its own handles work
    assert recv(sim, srv, p).sender == cli.tid


def test_send_blocks_while_full_and_a_recv_makes_room(sim):
    srv, p, cli, g = server_and_client(sim)
    for i in range(16):
        assert sim.send(cli, g, msg_type=i) == 0
    r = sim.send(cli, g, msg_type=16)
    assert is_block(r) and "ipc_send" in r.what
    assert sim.woken == []
    assert recv(sim, srv, p).msg_type == 0
    assert sim.woken == [cli]
    assert sim.run_woken() == {cli.tid: 0}
    assert [recv(sim, srv, p).msg_type for _ in range(16)] == list(range(1, 17))


def test_recv_blocks_while_empty_and_a_send_wakes_one_receiver(sim):
    srv, p, cli, g = server_and_client(sim)
    t2 = sim.thread(srv.process)
    assert is_block(sim.sys(srv, "SYS_IPC_RECV", p, OUT))
    assert is_block(sim.sys(t2, "SYS_IPC_RECV", p, 0x10400))
    assert sim.send(cli, g, msg_type=7) == 0
    assert sim.woken == [srv]  # wake one
    assert sim.run_woken() == {srv.tid: 0}
    assert sim.get_msg(srv, OUT).msg_type == 7
    assert t2.block is not None


def test_a_woken_receiver_that_finds_the_queue_empty_blocks_again(sim):
    srv, p, cli, g = server_and_client(sim)
    assert is_block(sim.sys(srv, "SYS_IPC_RECV", p, OUT))
    sim.send(cli, g)
    assert sim.sys(cli, "SYS_IPC_TRY_RECV", g, OUT) == 0  # taken by another holder first
    sim.woken.clear()
    assert is_block(sim.resume(srv))


def test_recv_errors(sim):
    srv, p, cli, g = server_and_client(sim)
    c = sim.sys(srv, "SYS_CHAN_CREATE", 1)
    for name in ("SYS_IPC_RECV", "SYS_IPC_TRY_RECV"):
        assert sim.sys(srv, name, 999, OUT) == E(Errno.EPERM)
        assert sim.sys(srv, name, c, OUT) == E(Errno.EBADF)
    sim.restrict(cli, g, Perm.WRITE)
    assert sim.sys(cli, "SYS_IPC_RECV", g, OUT) == E(Errno.EPERM)


def test_recv_efault_comes_after_the_dequeue_and_loses_the_message(sim):
    srv, p, cli, g = server_and_client(sim)
    sim.send(cli, g, msg_type=1)
    sim.send(cli, g, msg_type=2)
    assert sim.sys(srv, "SYS_IPC_RECV", p, RO) == E(Errno.EFAULT)
    assert sim.sys(srv, "SYS_IPC_TRY_RECV", p, UNMAPPED) == E(Errno.EFAULT)
    assert sim.sys(srv, "SYS_IPC_TRY_RECV", p, OUT) == E(Errno.EAGAIN)


def test_try_recv(sim):
    srv, p, cli, g = server_and_client(sim)
    assert sim.sys(srv, "SYS_IPC_TRY_RECV", p, OUT) == E(Errno.EAGAIN)
    sim.send(cli, g, msg_type=9)
    assert recv(sim, srv, p, name="SYS_IPC_TRY_RECV").msg_type == 9


# -- destruction while waiting ----------------------------------------------------------------

def test_blocked_receiver_and_sender_fail_with_epipe_when_the_port_is_destroyed(sim):
    srv, p, cli, g = server_and_client(sim)
    other = sim.proc().main_task
    g2 = sim.sys(srv, "SYS_HANDLE_GRANT", p, other.process.pid)
    assert is_block(sim.sys(other, "SYS_IPC_RECV", g2, OUT))
    sim.k.exit_process(srv.process, 0)
    assert sim.run_woken() == {other.tid: E(Errno.EPIPE)}

    srv, p, cli, g = server_and_client(sim)
    for _ in range(16):
        sim.send(cli, g)
    assert is_block(sim.send(cli, g))
    sim.k.exit_process(srv.process, 0)
    assert sim.run_woken()[cli.tid] == E(Errno.EPIPE)


def test_a_woken_receiver_drains_the_queue_before_epipe(sim):
    srv, p, cli, g = server_and_client(sim)
    t2 = sim.thread(srv.process)
    assert is_block(sim.sys(t2, "SYS_IPC_RECV", p, OUT))
    sim.send(cli, g, msg_type=5)  # t2 is woken but has not run yet
    assert sim.sys(cli, "SYS_HANDLE_CLOSE", g) == 0
    assert sim.sys(srv, "SYS_HANDLE_CLOSE", p) == 0  # the owner closes the last handle: destroyed
    assert sim.k.ports == {}
    assert sim.run_woken() == {t2.tid: 0}
    assert sim.get_msg(t2, OUT).msg_type == 5


# -- handle transfer on receive ---------------------------------------------------------------------

def test_recv_transfers_the_handle_named_in_flags(sim):
    srv, p, cli, g = server_and_client(sim)
    s = sim.sys(cli, "SYS_SEM_CREATE", 3)
    sem = sim.handle(cli, s).obj
    assert sim.send(cli, g, flags=s) == 0
    assert sem.refs == 1  # nothing is duplicated before the receive
    m = recv(sim, srv, p)
    assert m.flags not in (0, s) and m.flags in srv.process.handles
    assert sim.handle(srv, m.flags).obj is sem and sem.refs == 2
    assert sim.info(srv, m.flags) == sim.info(cli, s)
    assert s in cli.process.handles  # the sender keeps its handle


def test_try_recv_transfers_too(sim):
    srv, p, cli, g = server_and_client(sim)
    c = sim.sys(cli, "SYS_CHAN_CREATE", 2)
    sim.send(cli, g, flags=c)
    m = recv(sim, srv, p, name="SYS_IPC_TRY_RECV")
    assert sim.handle(srv, m.flags).obj is sim.handle(cli, c).obj


def test_transfer_without_grant_or_unknown_is_eperm_and_the_message_is_lost(sim):
    srv, p, cli, g = server_and_client(sim)
    s = sim.sys(cli, "SYS_SEM_CREATE", 0)
    sim.send(cli, g, flags=s)
    sim.restrict(cli, s, Perm.READ | Perm.WRITE)
    assert sim.sys(srv, "SYS_IPC_RECV", p, OUT) == E(Errno.EPERM)
    sim.send(cli, g, flags=424242)
    assert sim.sys(srv, "SYS_IPC_TRY_RECV", p, OUT) == E(Errno.EPERM)
    assert sim.sys(srv, "SYS_IPC_TRY_RECV", p, OUT) == E(Errno.EAGAIN)


def test_transfer_from_a_closed_handle_is_eperm(sim):
    srv, p, cli, g = server_and_client(sim)
    s = sim.sys(cli, "SYS_SEM_CREATE", 0)
    sim.send(cli, g, flags=s)
    sim.sys(cli, "SYS_HANDLE_CLOSE", s)
    assert sim.sys(srv, "SYS_IPC_RECV", p, OUT) == E(Errno.EPERM)


def test_transfer_from_a_sender_that_is_gone_is_ebadf(sim):
    srv, p, cli, g = server_and_client(sim)
    s = sim.sys(cli, "SYS_SEM_CREATE", 0)
    sim.send(cli, g, flags=s)
    sim.send(cli, g, flags=0, msg_type=2)
    sim.k.exit_process(cli.process, 0)
    assert sim.sys(srv, "SYS_IPC_RECV", p, OUT) == E(Errno.EBADF)
    assert recv(sim, srv, p).msg_type == 2  # a message without a handle still arrives


def test_transfer_id_above_u32_is_einval_and_the_handle_stays(sim):
    srv, p, cli, g = server_and_client(sim)
    s = sim.sys(cli, "SYS_SEM_CREATE", 0)
    sim.send(cli, g, flags=s)
    sim.k.next_cap_id = 1 << 32
    before = set(srv.process.handles)
    assert sim.sys(srv, "SYS_IPC_RECV", p, OUT) == E(Errno.EINVAL)
    assert set(srv.process.handles) - before == {1 << 32}
    assert sim.handle(cli, s).obj.refs == 2


def test_plain_send_does_not_check_the_flags_handle(sim):
    srv, p, cli, g = server_and_client(sim)
    assert sim.send(cli, g, flags=0xFFFF) == 0


# -- call / reply -------------------------------------------------------------------------------------

def test_call_waits_for_the_reply_of_the_port_owner(sim):
    srv, p, cli, g = server_and_client(sim)
    r = sim.send(cli, g, msg_type=0x20, payload=b"ping", name="SYS_IPC_CALL")
    assert is_block(r) and "reply" in r.what
    m = recv(sim, srv, p)
    assert (m.sender, m.msg_type, m.payload[:4]) == (cli.tid, 0x20, b"ping")
    assert sim.k.reply_waiting_on == {cli.tid: srv.tid}
    sim.put_msg(srv, MSG, IpcMessage(m.sender, 0x21, 0, b"pong"))
    assert sim.sys(srv, "SYS_IPC_REPLY", MSG) == 0
    assert sim.run_woken() == {cli.tid: 0}
    got = sim.get_msg(cli, MSG)
    assert (got.sender, got.msg_type, got.payload[:4]) == (cli.tid, 0x21, b"pong")  # not restamped
    assert cli.reply_slot is None and sim.k.reply_waiting_on == {}


def test_call_errors_in_upstream_order(sim):
    srv, p, cli, g = server_and_client(sim)
    c = sim.sys(cli, "SYS_CHAN_CREATE", 1)
    assert sim.sys(cli, "SYS_IPC_CALL", 999, UNMAPPED) == E(Errno.EPERM)
    assert sim.sys(cli, "SYS_IPC_CALL", c, UNMAPPED) == E(Errno.EBADF)
    assert sim.sys(cli, "SYS_IPC_CALL", g, UNMAPPED) == E(Errno.EFAULT)
    assert sim.send(cli, g, flags=999, name="SYS_IPC_CALL") == E(Errno.EPERM)  # unknown flags handle
    s = sim.sys(cli, "SYS_SEM_CREATE", 0)
    sim.restrict(cli, s, Perm.READ | Perm.WRITE)
    assert sim.send(cli, g, flags=s, name="SYS_IPC_CALL") == E(Errno.EPERM)  # no grant
    sim.restrict(cli, g, Perm.READ)
    assert sim.send(cli, g, name="SYS_IPC_CALL") == E(Errno.EPERM)
    assert sim.sys(srv, "SYS_IPC_TRY_RECV", p, OUT) == E(Errno.EAGAIN)  # nothing was sent


def test_call_first_blocks_on_a_full_port_then_on_the_reply(sim):
    srv, p, cli, g = server_and_client(sim)
    other = sim.proc().main_task
    g2 = sim.sys(srv, "SYS_HANDLE_GRANT", p, other.process.pid)
    for _ in range(16):
        sim.send(other, g2)
    r = sim.send(cli, g, msg_type=0x33, name="SYS_IPC_CALL")
    assert is_block(r) and "full" in r.what
    recv(sim, srv, p)
    r = sim.run_woken()[cli.tid]
    assert is_block(r) and "reply" in r.what
    sim.put_msg(srv, MSG, IpcMessage(cli.tid, 0x44))
    assert sim.sys(srv, "SYS_IPC_REPLY", MSG) == 0
    assert sim.run_woken() == {cli.tid: 0}
    assert sim.get_msg(cli, MSG).msg_type == 0x44


def test_reply_to_a_task_not_waiting_is_kept_for_its_next_call(sim):
    srv, p, cli, g = server_and_client(sim)
    sim.put_msg(srv, MSG, IpcMessage(cli.tid, 0x55))
    assert sim.sys(srv, "SYS_IPC_REPLY", MSG) == 0
    sim.put_msg(srv, MSG, IpcMessage(cli.tid, 0x56))
    assert sim.sys(srv, "SYS_IPC_REPLY", MSG) == 0  # overwrites the first
    assert sim.send(cli, g, msg_type=1, name="SYS_IPC_CALL") == 0  # no wait: the stale reply
    assert sim.get_msg(cli, MSG).msg_type == 0x56
    assert recv(sim, srv, p).msg_type == 1  # the call's message was still sent


def test_reply_errors(sim):
    srv, p, cli, g = server_and_client(sim)
    assert sim.sys(srv, "SYS_IPC_REPLY", 0) == E(Errno.EFAULT)
    assert sim.sys(srv, "SYS_IPC_REPLY", UNMAPPED) == E(Errno.EFAULT)
    sim.put_msg(srv, MSG, IpcMessage(999999, 1))
    assert sim.sys(srv, "SYS_IPC_REPLY", MSG) == 0  # no transfer: an unknown target is not checked
    sim.put_msg(srv, MSG, IpcMessage(cli.tid, 1, 4242))
    assert sim.sys(srv, "SYS_IPC_REPLY", MSG) == E(Errno.EPERM)  # replier's handle unknown
    s = sim.sys(srv, "SYS_SEM_CREATE", 0)
    sim.put_msg(srv, MSG, IpcMessage(999999, 1, s))
    assert sim.sys(srv, "SYS_IPC_REPLY", MSG) == E(Errno.EBADF)  # target must exist for a transfer
    sim.restrict(srv, s, Perm.READ)
    sim.put_msg(srv, MSG, IpcMessage(999999, 1, s))
    assert sim.sys(srv, "SYS_IPC_REPLY", MSG) == E(Errno.EPERM)  # grant checked before the target
    assert cli.reply_slot is None


def test_reply_transfers_a_handle_to_the_caller(sim):
    srv, p, cli, g = server_and_client(sim)
    assert is_block(sim.send(cli, g, name="SYS_IPC_CALL"))
    recv(sim, srv, p)
    r = sim.sys(srv, "SYS_IPC_RING_CREATE", 4096)
    sim.put_msg(srv, MSG, IpcMessage(cli.tid, 0x60, r))
    assert sim.sys(srv, "SYS_IPC_REPLY", MSG) == 0
    assert sim.run_woken() == {cli.tid: 0}
    got = sim.get_msg(cli, MSG)
    assert got.flags in cli.process.handles and got.flags != r
    assert sim.handle(cli, got.flags).obj is sim.handle(srv, r).obj


def test_reply_transfer_id_above_u32_is_einval(sim):
    srv, p, cli, g = server_and_client(sim)
    s = sim.sys(srv, "SYS_SEM_CREATE", 0)
    sim.k.next_cap_id = 1 << 32
    sim.put_msg(srv, MSG, IpcMessage(cli.tid, 1, s))
    assert sim.sys(srv, "SYS_IPC_REPLY", MSG) == E(Errno.EINVAL)
    assert (1 << 32) in cli.process.handles and cli.reply_slot is None


def test_call_efault_on_writing_the_reply(sim):
    srv, p, cli, g = server_and_client(sim)
    assert is_block(sim.sys(cli, "SYS_IPC_CALL", g, RO))  # readable: sent; not writable
    assert recv(sim, srv, p).sender == cli.tid
    sim.put_msg(srv, MSG, IpcMessage(cli.tid, 1))
    sim.sys(srv, "SYS_IPC_REPLY", MSG)
    assert sim.run_woken() == {cli.tid: E(Errno.EFAULT)}
    assert cli.reply_slot is None


# -- owner exit ------------------------------------------------------------------------------------------

def test_owner_exit_sends_epipe_replies_to_waiting_callers_and_queued_senders(sim):
    srv, p, cli, g = server_and_client(sim)
    c2 = sim.proc().main_task
    g2 = sim.sys(srv, "SYS_HANDLE_GRANT", p, c2.process.pid)
    c3 = sim.proc().main_task
    g3 = sim.sys(srv, "SYS_HANDLE_GRANT", p, c3.process.pid)
    assert is_block(sim.send(cli, g, msg_type=1, name="SYS_IPC_CALL"))
    assert recv(sim, srv, p).msg_type == 1  # received: cli waits for the reply
    assert is_block(sim.send(c2, g2, msg_type=2, name="SYS_IPC_CALL"))  # still queued
    assert sim.send(c3, g3, msg_type=3) == 0  # a plain send, still queued
    sim.send(srv, p, msg_type=4)  # the owner's own message: no error reply
    sim.k.exit_process(srv.process, 0)
    assert list(sim.run_woken().items()) == [(cli.tid, 0), (c2.tid, 0)]  # wake order: by tid
    for t in (cli, c2):
        m = sim.get_msg(t, MSG)
        assert (m.sender, m.msg_type, m.flags, m.payload) == (0, 0x80, 0, EPIPE_PAYLOAD)
    # The plain sender got it in its slot; its next call consumes it at once.
    assert c3.reply_slot is not None
    other = sim.proc().main_task
    q = sim.sys(other, "SYS_IPC_CREATE_PORT", 0)
    q3 = sim.sys(other, "SYS_HANDLE_GRANT", q, c3.process.pid)
    assert sim.send(c3, q3, name="SYS_IPC_CALL") == 0
    assert sim.get_msg(c3, MSG).msg_type == 0x80
    assert srv.reply_slot is None


def test_owner_thread_exit_cleans_up_its_ports(sim):
    a = sim.proc()
    t1, t2 = a.main_task, sim.thread(a)
    p = sim.sys(t2, "SYS_IPC_CREATE_PORT", 0)
    cli = sim.proc().main_task
    g = sim.sys(t1, "SYS_HANDLE_GRANT", p, cli.process.pid)
    assert is_block(sim.send(cli, g, name="SYS_IPC_CALL"))
    sim.k.exit_task(t2, 0)
    assert a.alive
    assert sim.run_woken() == {cli.tid: 0}
    assert sim.get_msg(cli, MSG).msg_type == 0x80
    assert sim.send(t1, p) == E(Errno.EBADF)  # gone


def test_a_caller_waits_on_the_owner_not_on_the_receiver(sim):
    srv, p, cli, g = server_and_client(sim)
    helper = sim.proc().main_task
    gh = sim.sys(srv, "SYS_HANDLE_GRANT", p, helper.process.pid)
    assert is_block(sim.send(cli, g, name="SYS_IPC_CALL"))
    assert recv(sim, helper, gh).sender == cli.tid  # another process receives it
    sim.k.exit_process(helper.process, 0)  # not the owner: the caller keeps waiting
    assert sim.woken == []
    sim.k.exit_process(srv.process, 0)
    assert sim.run_woken() == {cli.tid: 0}
    assert sim.get_msg(cli, MSG).msg_type == 0x80


def test_a_caller_that_exits_while_waiting_is_forgotten(sim):
    srv, p, cli, g = server_and_client(sim)
    assert is_block(sim.send(cli, g, name="SYS_IPC_CALL"))
    sim.k.exit_process(cli.process, 0)
    assert sim.k.reply_waiting_on == {}
    recv(sim, srv, p)
    sim.put_msg(srv, MSG, IpcMessage(cli.tid, 1))
    assert sim.sys(srv, "SYS_IPC_REPLY", MSG) == 0
    assert cli.reply_slot is None
