"""Counting semaphores (upstream ipc/semaphore.rs and the sys_sem_* handlers
of syscall/dispatcher.rs; ABI.md section 7).

The count is an i32. Wait blocks while it is <= 0 and then decrements; post
increments (EINVAL at i32 max) and wakes one waiter. A semaphore is destroyed
when its last handle is closed; its waiters then fail with EPIPE.
"""

from __future__ import annotations

from . import capabilities as caps
from .capabilities import READABLE, KernelObject, Perm, ResourceType
from .errno import Errno, SyscallError
from .wait import Block, WaitQueue

I32_MAX = (1 << 31) - 1
SEMAPHORE_PERMS = Perm.READ | Perm.WRITE | Perm.GRANT | Perm.REVOKE


class Semaphore(KernelObject):
    rtype = ResourceType.SEMAPHORE
    kind = "semaphore"

    def __init__(self, k, initial: int):
        super().__init__(k)
        self.count = initial
        self.waitq = WaitQueue(self)
        k.semaphores[self.id] = self

    def poll(self, handle) -> int:
        if not handle.has(Perm.READ):
            raise SyscallError(Errno.EPERM)
        if self.destroyed:
            raise SyscallError(Errno.EPIPE)
        return READABLE if self.count > 0 else 0

    def destroy(self, k) -> None:
        if self.destroyed:
            return
        self.destroyed = True
        k.semaphores.pop(self.id, None)
        self.waitq.wake_all(k)
        self.state_changed(k)


def init_kernel(k) -> None:
    k.semaphores = {}  # semaphore id -> live Semaphore


def _resolve(task, hid: int, need: int) -> Semaphore:
    caps.enforce_cap(task, hid)
    h = caps.lookup_with(task, hid, need)
    if h is None:
        raise SyscallError(Errno.EPERM)
    if h.rtype is not ResourceType.SEMAPHORE:
        raise SyscallError(Errno.EBADF)
    if h.obj.destroyed:
        raise SyscallError(Errno.EBADF)  # upstream: gone from the registry
    return h.obj


def sys_sem_create(k, task, initial, *_):
    if initial > caps.U32_MAX or initial > I32_MAX:
        raise SyscallError(Errno.EINVAL)
    sem = Semaphore(k, initial)
    return caps.insert(k, task.process, sem, SEMAPHORE_PERMS)


def sys_sem_wait(k, task, hid, *_):
    sem = _resolve(task, hid, Perm.READ)

    def attempt():
        if sem.destroyed:
            raise SyscallError(Errno.EPIPE)
        if sem.count <= 0:
            return Block(f"sem_wait on h={hid} ({sem.describe()}, count {sem.count})", attempt, (sem.waitq,))
        sem.count -= 1
        return 0

    return attempt()


def sys_sem_trywait(k, task, hid, *_):
    sem = _resolve(task, hid, Perm.READ)
    if sem.destroyed:
        raise SyscallError(Errno.EPIPE)
    if sem.count <= 0:
        raise SyscallError(Errno.EAGAIN)
    sem.count -= 1
    return 0


def sys_sem_post(k, task, hid, *_):
    sem = _resolve(task, hid, Perm.WRITE)
    if sem.destroyed:
        raise SyscallError(Errno.EPIPE)
    if sem.count >= I32_MAX:
        raise SyscallError(Errno.EINVAL)
    sem.count += 1
    sem.waitq.wake_one(k)
    sem.state_changed(k)
    return 0


def sys_sem_close(k, task, hid, *_):
    caps.enforce_cap(task, hid)
    h = caps.lookup(task, hid)
    if h is None or h.rtype is not ResourceType.SEMAPHORE:
        raise SyscallError(Errno.EBADF)
    caps.close(k, task, hid)
    return 0
