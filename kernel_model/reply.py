"""Reply slots for synchronous call/reply (upstream ipc/reply.rs; ABI.md section 5).

Each task has one reply slot (`task.reply_slot`, the 64 packed bytes of a
delivered reply not yet consumed) and a wait queue (`task.reply_waitq`).
A caller, once its message is queued, records whom it waits on
(`k.reply_waiting_on[tid] = owner tid`) and waits until its slot is filled.

As upstream: a reply delivered to a task that is not waiting is kept, and its
next call consumes it at once; a second reply overwrites the first. When a
task dies, every caller waiting on it gets the EPIPE error reply.
"""

from __future__ import annotations

from . import capabilities as caps
from .errno import Errno, SyscallError
from .message import IpcMessage, error_reply, read_message
from .wait import Block


def init_kernel(k) -> None:
    k.reply_waiting_on = {}  # caller tid -> tid of the task it waits on


def live_task(k, tid: int):
    task = k.tasks.get(tid)
    if task is None or not task.alive:
        return None
    return task


def deliver(k, target_tid: int, msg: IpcMessage) -> None:
    """Fill the target's slot and wake it. A reply to a task that no longer
    exists is dropped (upstream keeps it in a slot no task will ever read)."""
    task = live_task(k, target_tid)
    if task is None:
        return
    task.reply_slot = msg.pack()
    task.reply_waitq.wake_one(k)


def wait_for_reply(k, task, waiting_on: int, done):
    """Wait until a reply is in the caller's slot; `done(msg)` gives the
    call's result. Returns that result or a Block."""
    k.reply_waiting_on[task.tid] = waiting_on

    def attempt():
        raw = task.reply_slot
        if raw is None:
            return Block(f"ipc_call: waiting for a reply from task {waiting_on}", attempt, (task.reply_waitq,))
        task.reply_slot = None
        k.reply_waiting_on.pop(task.tid, None)
        return done(IpcMessage.unpack(raw))

    return attempt()


def cancel_replies_waiting_on(k, dead_tid: int) -> None:
    """Every caller waiting for a reply from `dead_tid` gets the EPIPE error
    reply (unless a reply is already in its slot) and is woken."""
    for tid in sorted(k.reply_waiting_on):
        if k.reply_waiting_on[tid] != dead_tid:
            continue
        task = live_task(k, tid)
        if task is None:
            continue
        if task.reply_slot is None:
            task.reply_slot = error_reply(Errno.EPIPE).pack()
        task.reply_waitq.wake_all(k)


def forget_task(k, task) -> None:
    """A task ended: it waits for nothing any more."""
    k.reply_waiting_on.pop(task.tid, None)


def sys_ipc_reply(k, task, msg_ptr, *_):
    if msg_ptr == 0:
        raise SyscallError(Errno.EFAULT)
    msg = read_message(task.process.memory, msg_ptr)
    target = msg.sender
    if msg.flags != 0:
        # Handle transfer: the replier's handle goes to the caller's table.
        dup = caps.duplicate(k, task.process, msg.flags)
        if dup is None:
            raise SyscallError(Errno.EPERM)
        receiver = live_task(k, target)
        if receiver is None:
            raise SyscallError(Errno.EBADF)
        caps.add(k, receiver.process, dup)
        if dup.id > caps.U32_MAX:
            raise SyscallError(Errno.EINVAL)
        msg.flags = dup.id
    deliver(k, target, msg)
    return 0
