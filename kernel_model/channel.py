"""Symmetric IPC channels (upstream ipc/channel.rs SyncChan and the
sys_chan_* handlers of syscall/dispatcher.rs; ABI.md section 6).

A channel is a bounded FIFO of IpcMessage that any holder may send to or
receive from. Capacity is clamped to 1..1024. It is destroyed when its last
handle is closed; tasks blocked on it then fail with EPIPE (a receiver still
drains queued messages first). Flags are not interpreted: no handle transfer.
"""

from __future__ import annotations

from . import capabilities as caps
from .capabilities import Perm, ResourceType
from .errno import Errno, SyscallError
from .message import MessageQueue, read_message, write_message
from .wait import Block

MIN_CAPACITY = 1
MAX_CAPACITY = 1024
CHANNEL_PERMS = Perm.READ | Perm.WRITE | Perm.GRANT


class Channel(MessageQueue):
    rtype = ResourceType.CHANNEL
    kind = "channel"
    registry = "channels"


def init_kernel(k) -> None:
    k.channels = {}  # channel id -> live Channel


def _channel(task, hid: int, need: int) -> Channel:
    h = caps.lookup(task, hid)
    if h is None:
        raise SyscallError(Errno.EBADF)  # even for admin tasks
    if h.rtype is not ResourceType.CHANNEL or not h.has(need):
        raise SyscallError(Errno.EPERM)
    if h.obj.destroyed:
        raise SyscallError(Errno.EBADF)  # upstream: gone from the registry
    return h.obj


def sys_chan_create(k, task, capacity, *_):
    chan = Channel(k, min(max(capacity, MIN_CAPACITY), MAX_CAPACITY))
    return caps.insert(k, task.process, chan, CHANNEL_PERMS)


def sys_chan_send(k, task, hid, msg_ptr, *_):
    caps.enforce_cap(task, hid)
    msg = read_message(task.process.memory, msg_ptr)
    msg.sender = task.tid
    chan = _channel(task, hid, Perm.WRITE)

    def attempt():
        if not chan.try_push(k, msg):
            return Block(f"chan_send on h={hid} ({chan.describe()}): full", attempt, (chan.send_waitq,))
        return 0

    return attempt()


def sys_chan_recv(k, task, hid, out, *_):
    caps.enforce_cap(task, hid)
    chan = _channel(task, hid, Perm.READ)

    def attempt():
        msg = chan.try_pop(k)
        if msg is None:
            return Block(f"chan_recv on h={hid} ({chan.describe()})", attempt, (chan.recv_waitq,))
        write_message(task.process.memory, out, msg)  # EFAULT after the dequeue: the message is lost
        return 0

    return attempt()


def sys_chan_try_recv(k, task, hid, out, *_):
    caps.enforce_cap(task, hid)
    chan = _channel(task, hid, Perm.READ)
    msg = chan.try_pop(k)
    if msg is None:
        raise SyscallError(Errno.EAGAIN)
    write_message(task.process.memory, out, msg)
    return 0


def sys_chan_close(k, task, hid, *_):
    caps.enforce_cap(task, hid)
    h = caps.lookup(task, hid)
    if h is None or h.rtype is not ResourceType.CHANNEL:
        raise SyscallError(Errno.EBADF)
    caps.close(k, task, hid)
    return 0
