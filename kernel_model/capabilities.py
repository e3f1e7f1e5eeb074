"""Capability handles (ABI.md section 4; upstream capability.rs and the
SYS_HANDLE_* handlers of syscall/dispatcher.rs).

A handle is a capability id drawn from one system-wide counter, so a number is
never reused and a number valid in one process is unknown in another. Each
process has a table `proc.handles`: {id: Handle}. A Handle names a kernel
object and carries permission bits.

Lifetime (intended semantics, ABI.md section 9): every IPC object counts its
live handles in `obj.refs`, one per Handle in any table. When the count drops
to zero the object's `on_last_handle` runs: channels, semaphores and rings are
destroyed; a port only when the closing task is its owner (port.py). Upstream
counts some handles twice and never destroys those objects; see
docs/divergences.md.
"""

from __future__ import annotations

import struct
from enum import IntEnum

from .errno import Errno, SyscallError
from .memory import write_user
from .wait import Block, WaitQueue

U32_MAX = 0xFFFFFFFF
U64_MAX = (1 << 64) - 1
HANDLE_INFO = struct.Struct("<IIQ")  # resource_type, permissions, resource

# Readiness bits of SYS_HANDLE_WAIT.
READABLE = 1
WRITABLE = 2


class ResourceType(IntEnum):
    """Resource type codes as SYS_HANDLE_INFO reports them."""

    MEMORY_REGION = 1
    IO_PORT_RANGE = 2
    INTERRUPT_LINE = 3
    IPC_PORT = 4
    CHANNEL = 5
    SHARED_RING = 6
    SEMAPHORE = 7
    DEVICE = 8
    ADDRESS_SPACE = 9
    SILO = 10
    MODULE = 11
    FILE = 12
    NIC = 13
    FILE_SYSTEM = 14
    CONSOLE = 15
    KEYBOARD = 16
    VOLUME = 17
    NAMESPACE = 18


class Perm:
    """Permission bits (plain ints: these masks are tested on every IPC call)."""

    READ = 1
    WRITE = 2
    EXECUTE = 4
    GRANT = 8
    REVOKE = 16


PERM_ALL = Perm.READ | Perm.WRITE | Perm.EXECUTE | Perm.GRANT | Perm.REVOKE
PERM_RW = Perm.READ | Perm.WRITE


class KernelObject:
    """A kernel resource that handles can name.

    `refs` counts the handles to it in every process table. `poll_waitq`
    holds the tasks blocked in SYS_HANDLE_WAIT on it; it is woken whenever the
    object's readiness may have changed.
    """

    rtype: ResourceType = ResourceType.DEVICE
    kind = "object"

    def __init__(self, k):
        if len(k.ports) + len(k.channels) + len(k.semaphores) + len(k.rings) >= k.limits.objects:
            raise SyscallError(Errno.ENOMEM)  # the kernel heap is full
        counters = k.object_ids
        self.id = counters.get(self.rtype, 1)  # upstream: one id counter per object type, from 1
        counters[self.rtype] = self.id + 1
        self.refs = 0
        self.destroyed = False
        self.poll_waitq = WaitQueue(self)

    def describe(self) -> str:
        return f"{self.kind} #{self.id}"

    def poll(self, handle: "Handle") -> int:
        """Readiness bits for SYS_HANDLE_WAIT, or SyscallError."""
        raise SyscallError(Errno.ENOTSUP)

    def state_changed(self, k) -> None:
        self.poll_waitq.wake_all(k)

    def on_last_handle(self, k, closer_tid: int | None) -> None:
        self.destroy(k)

    def destroy(self, k) -> None:
        if self.destroyed:
            return
        self.destroyed = True
        self.state_changed(k)

    def __repr__(self) -> str:
        return f"<{self.describe()} refs={self.refs}{' destroyed' if self.destroyed else ''}>"


class Resource(KernelObject):
    """A resource of a type the model has no behaviour for (Console, File...).
    Handles to it can be duplicated, granted, closed and described;
    SYS_HANDLE_WAIT gives ENOTSUP."""

    kind = "resource"

    def __init__(self, k, rtype: ResourceType):
        self.rtype = ResourceType(rtype)
        super().__init__(k)

    def on_last_handle(self, k, closer_tid):
        pass


class Handle:
    __slots__ = ("id", "perms", "obj")

    def __init__(self, hid: int, perms: int, obj: KernelObject):
        self.id = hid
        self.perms = int(perms)
        self.obj = obj

    @property
    def rtype(self) -> ResourceType:
        return self.obj.rtype

    def has(self, need: int) -> bool:
        return self.perms & need == need

    def __repr__(self) -> str:
        return f"Handle(h={self.id}, perms={self.perms:#x}, {self.obj.describe()})"


# -- kernel and process hooks --------------------------------------------------

def init_kernel(k) -> None:
    # Capability ids: one system-wide counter, never reused. Upstream's counter
    # starts at 0 but boot-time capabilities consume the low ids; the model
    # starts at 1 so that 0 never names a handle (msg.flags 0 = no transfer).
    k.next_cap_id = 1
    k.object_ids = {}
    from . import channel, port, reply, semaphore  # the per-object registries
    port.init_kernel(k)
    reply.init_kernel(k)
    channel.init_kernel(k)
    semaphore.init_kernel(k)


def init_process(k, proc, parent) -> None:
    """A new table; a child made by fork (`parent` given) gets a copy of the
    parent's table with the same handle numbers, each copy a holder."""
    proc.handles = {}
    if parent is not None and parent.handles:
        for hid in sorted(parent.handles):
            src = parent.handles[hid]
            add(k, proc, Handle(hid, src.perms, src.obj))


def release_all(k, proc) -> None:
    """Process exit: drop every handle, lowest id first (upstream's table is
    a BTreeMap), destroying objects whose last handle this was."""
    table = proc.handles
    for hid in sorted(table):
        h = table.pop(hid)
        release(k, h, None)


# -- table primitives -----------------------------------------------------------

def new_cap_id(k) -> int:
    hid = k.next_cap_id
    k.next_cap_id = hid + 1
    return hid


def add(k, proc, handle: Handle) -> None:
    """Put a handle into a table; ENOMEM when the table is full (limits)."""
    if len(proc.handles) >= k.limits.handles_per_process:
        raise SyscallError(Errno.ENOMEM)
    proc.handles[handle.id] = handle
    handle.obj.refs += 1


def insert(k, proc, obj: KernelObject, perms: int, new: bool = True) -> int:
    """Put a new handle to `obj` into `proc`'s table; return its id. When the
    table is full (ENOMEM) an object made for this handle (`new`) is
    destroyed again: nothing could ever name it."""
    h = Handle(new_cap_id(k), perms, obj)
    try:
        add(k, proc, h)
    except SyscallError:
        if new:
            obj.destroy(k)
        raise
    return h.id


def remove(proc, hid: int) -> Handle | None:
    return proc.handles.pop(hid, None)


def release(k, handle: Handle, closer_tid: int | None) -> None:
    """A handle left its table: drop the object's count, wake its pollers
    (a waiter on that very handle must see it gone), and finalise the object
    when this was its last handle."""
    obj = handle.obj
    obj.refs -= 1
    obj.state_changed(k)
    if obj.refs == 0:
        obj.on_last_handle(k, closer_tid)


def close(k, task, hid: int) -> Handle | None:
    """Remove `hid` from the caller's table and release it; None if unknown."""
    h = remove(task.process, hid)
    if h is not None:
        release(k, h, task.tid)
    return h


def lookup(task, hid: int) -> Handle | None:
    return task.process.handles.get(hid)


def lookup_with(task, hid: int, need: int) -> Handle | None:
    """upstream get_with_permissions: the handle when it has every bit of `need`."""
    h = task.process.handles.get(hid)
    if h is None or not h.has(need):
        return None
    return h


def enforce_cap(task, hid: int) -> None:
    """upstream silo::enforce_cap_for_current_task. Admin tasks pass; an
    unprivileged task fails with EBADF for a handle it does not hold. (The
    delegated-resource check after that concerns device-like types only and
    tasks outside silos, which the testbed never runs.)"""
    if task.process.admin:
        return
    if hid not in task.process.handles:
        raise SyscallError(Errno.EBADF)


def duplicate(k, proc, hid: int) -> Handle | None:
    """upstream CapabilityTable::duplicate: a copy with a fresh id, same
    object and permissions; None when unknown or without grant. The copy is
    not in any table yet."""
    src = proc.handles.get(hid)
    if src is None or not src.has(Perm.GRANT):
        return None
    return Handle(new_cap_id(k), src.perms, src.obj)


def transfer(k, from_proc, hid: int, to_proc) -> int:
    """Handle transfer of ABI.md section 5: duplicate `hid` of `from_proc`
    into `to_proc`. EPERM when unknown there or without grant; EINVAL when
    the new id does not fit the u32 `flags` field (the new handle stays in
    the table then, as upstream)."""
    dup = duplicate(k, from_proc, hid)
    if dup is None:
        raise SyscallError(Errno.EPERM)
    add(k, to_proc, dup)
    if dup.id > U32_MAX:
        raise SyscallError(Errno.EINVAL)
    return dup.id


def live_handles(k, obj: KernelObject) -> int:
    """Handles to `obj` in every process table (for checks and tests)."""
    return sum(1 for p in k.processes.values() if p.handles for h in p.handles.values() if h.obj is obj)


# -- SYS_HANDLE_* (0-6) ------------------------------------------------------------

def sys_handle_duplicate(k, task, hid, *_):
    enforce_cap(task, hid)
    dup = duplicate(k, task.process, hid)
    if dup is None:
        raise SyscallError(Errno.EPERM)
    add(k, task.process, dup)
    return dup.id


def sys_handle_close(k, task, hid, *_):
    enforce_cap(task, hid)
    if close(k, task, hid) is None:
        raise SyscallError(Errno.EBADF)
    return 0


def _poll(task, hid: int) -> tuple[Handle, int]:
    h = lookup(task, hid)
    if h is None:
        raise SyscallError(Errno.EBADF)
    return h, h.obj.poll(h)


def sys_handle_wait(k, task, hid, timeout_ns, *_):
    enforce_cap(task, hid)
    if timeout_ns == 0:
        _, events = _poll(task, hid)
        if events == 0:
            raise SyscallError(Errno.EAGAIN)
        return events
    deadline = None if timeout_ns == U64_MAX else min(k.now_ns + timeout_ns, U64_MAX)
    first, events = _poll(task, hid)
    if events:
        return events
    obj = first.obj

    def attempt():
        # Model decision (docs/divergences.md): an error of the readiness
        # check ends the wait at once; upstream ignores it and keeps polling.
        if obj.destroyed:
            # Its last handle (perhaps the very one waited on) went away.
            raise SyscallError(Errno.EPIPE)
        h, ready = _poll(task, hid)
        if ready:
            return ready
        if deadline is not None and k.now_ns >= deadline:
            raise SyscallError(Errno.ETIMEDOUT)
        until = "forever" if deadline is None else f"until t={deadline}ns"
        return Block(f"handle_wait on h={hid} ({h.obj.describe()}) {until}", attempt, (h.obj.poll_waitq,),
                     deadline)

    return attempt()


def sys_handle_grant(k, task, hid, pid, *_):
    enforce_cap(task, hid)
    # upstream enforce_silo_may_grant: admin tasks and tasks outside a silo pass.
    if pid > U32_MAX:
        raise SyscallError(Errno.EINVAL)
    src = lookup(task, hid)
    if src is None:
        raise SyscallError(Errno.EBADF)
    if not src.has(Perm.GRANT):
        raise SyscallError(Errno.EPERM)
    granted = Handle(new_cap_id(k), src.perms, src.obj)
    target = k.processes.get(pid)
    if target is None or not target.alive:
        raise SyscallError(Errno.ENOENT)
    add(k, target, granted)
    return granted.id


def sys_handle_revoke(k, task, hid, *_):
    enforce_cap(task, hid)
    h = lookup(task, hid)
    if h is None:
        raise SyscallError(Errno.EBADF)
    if not h.has(Perm.REVOKE):
        raise SyscallError(Errno.EPERM)
    close(k, task, hid)
    return 0


def sys_handle_info(k, task, hid, out, *_):
    enforce_cap(task, hid)
    if out == 0:
        raise SyscallError(Errno.EFAULT)
    h = lookup(task, hid)
    if h is None:
        raise SyscallError(Errno.EBADF)
    write_user(task.process.memory, out, HANDLE_INFO.pack(int(h.rtype), h.perms, h.obj.id))
    return 0
