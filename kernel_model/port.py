"""IPC ports (upstream ipc/port.rs and the sys_ipc_* handlers of
syscall/dispatcher.rs; ABI.md section 5).

A port is a bounded FIFO of 16 messages owned by its creating task. `send`
blocks while it is full, `recv` while it is empty; both fail with EPIPE when
the port is destroyed while they wait (a receiver still drains what is
queued first). A destroyed port leaves the registry `k.ports`, so a later
call through a handle still naming it fails with EBADF ("port gone").
"""

from __future__ import annotations

from . import capabilities as caps
from . import reply
from .capabilities import Perm, ResourceType
from .errno import Errno, SyscallError
from .message import IpcMessage, MessageQueue, error_reply, read_message, write_message
from .wait import Block

PORT_QUEUE_CAPACITY = 16


class Port(MessageQueue):
    rtype = ResourceType.IPC_PORT
    kind = "port"
    registry = "ports"

    def __init__(self, k, owner_tid: int):
        super().__init__(k, PORT_QUEUE_CAPACITY)
        self.owner = owner_tid

    def on_last_handle(self, k, closer_tid):
        # Destroyed on its last close only when the closer is its owner.
        if closer_tid == self.owner:
            self.destroy(k)


def init_kernel(k) -> None:
    k.ports = {}  # port id -> live Port


def send_blocking(k, port: Port, msg: IpcMessage, what: str, then):
    """Queue msg, blocking while the port is full; `then()` gives the result."""

    def attempt():
        if not port.try_push(k, msg):
            return Block(what, attempt, (port.send_waitq,))
        return then()

    return attempt()


# -- owner exit ------------------------------------------------------------------

def cleanup_ports_for_task(k, owner_tid: int) -> None:
    """upstream cleanup_ports_for_task: callers waiting on the dead task get
    EPIPE; its ports are destroyed and the sender of every message still
    queued there gets the EPIPE error reply."""
    reply.cancel_replies_waiting_on(k, owner_tid)
    owned = [k.ports[pid] for pid in sorted(k.ports) if k.ports[pid].owner == owner_tid]
    for port in owned:
        port.destroy(k)
        while port.queue:
            msg = port.queue.popleft()
            if msg.sender == owner_tid:
                continue
            reply.deliver(k, msg.sender, error_reply(Errno.EPIPE))


def on_task_exit(k, task) -> None:
    reply.forget_task(k, task)
    cleanup_ports_for_task(k, task.tid)


def on_process_exit(k, proc) -> None:
    for task in proc.tasks:
        on_task_exit(k, task)


# -- handlers ----------------------------------------------------------------------

def _port_handle(task, hid: int, need: int):
    caps.enforce_cap(task, hid)
    h = caps.lookup_with(task, hid, need)
    if h is None:
        raise SyscallError(Errno.EPERM)
    if h.rtype is not ResourceType.IPC_PORT:
        raise SyscallError(Errno.EBADF)
    return h


def _live_port(h) -> Port:
    port = h.obj
    if port.destroyed:
        raise SyscallError(Errno.EBADF)  # upstream: gone from the registry
    return port


def _deliver_received(k, task, msg: IpcMessage, out: int) -> int:
    """After a dequeue: the handle transfer, then the copy out. Any error
    here loses the message, as upstream."""
    if msg.flags != 0:
        sender = reply.live_task(k, msg.sender)
        if sender is None:
            raise SyscallError(Errno.EBADF)
        msg.flags = caps.transfer(k, sender.process, msg.flags, task.process)
    write_message(task.process.memory, out, msg)
    return 0


def sys_ipc_create_port(k, task, *_):
    port = Port(k, task.tid)
    return caps.insert(k, task.process, port, caps.PERM_ALL)


def sys_ipc_send(k, task, hid, msg_ptr, *_):
    h = _port_handle(task, hid, Perm.WRITE)
    msg = read_message(task.process.memory, msg_ptr)
    msg.sender = task.tid
    port = _live_port(h)
    return send_blocking(k, port, msg, f"ipc_send on h={hid} ({port.describe()}): queue full", lambda: 0)


def sys_ipc_recv(k, task, hid, out, *_):
    h = _port_handle(task, hid, Perm.READ)
    port = _live_port(h)

    def attempt():
        msg = port.try_pop(k)
        if msg is None:
            return Block(f"ipc_recv on h={hid} ({port.describe()})", attempt, (port.recv_waitq,))
        return _deliver_received(k, task, msg, out)

    return attempt()


def sys_ipc_try_recv(k, task, hid, out, *_):
    h = _port_handle(task, hid, Perm.READ)
    port = _live_port(h)
    msg = port.try_pop(k)
    if msg is None:
        raise SyscallError(Errno.EAGAIN)
    return _deliver_received(k, task, msg, out)


def sys_ipc_call(k, task, hid, msg_ptr, *_):
    h = _port_handle(task, hid, Perm.WRITE)
    mem = task.process.memory
    msg = read_message(mem, msg_ptr)
    msg.sender = task.tid
    if msg.flags != 0 and caps.lookup_with(task, msg.flags, Perm.GRANT) is None:
        raise SyscallError(Errno.EPERM)
    port = _live_port(h)
    owner = port.owner  # the caller waits for a reply from the port's owner

    def reply_arrived(answer: IpcMessage) -> int:
        write_message(mem, msg_ptr, answer)
        return 0

    return send_blocking(k, port, msg, f"ipc_call on h={hid} ({port.describe()}): queue full",
                         lambda: reply.wait_for_reply(k, task, owner, reply_arrived))
