"""Shared-memory rings (upstream ipc/shared_ring.rs and sys_ipc_ring_create /
sys_ipc_ring_map of syscall/dispatcher.rs; ABI.md section 7).

A ring is ceil(size / 4096) zeroed pages. Its memory is one host buffer
(`mmap.mmap(-1, n)`: zero-filled, page aligned); every SYS_IPC_RING_MAP, in
any process, maps that same buffer, so a store by one task is seen by all.

Memory limit (model only): the real kernel fails with ENOMEM when it cannot
allocate the frames. The model refuses, at once and without allocating, a
ring that would bring the pages of all live rings above
`k.ring_memory_limit` bytes (from `k.limits.ring_memory`, 256 MiB by default); tests and
the machine may change the attribute. A destroyed ring stops counting; pages
already mapped stay mapped.
"""

from __future__ import annotations

import mmap
import struct

from .limits import Limits
from . import capabilities as caps
from .capabilities import READABLE, WRITABLE, KernelObject, Perm, ResourceType
from .errno import Errno, SyscallError
from .memory import PAGE_SIZE, PROT_READ, PROT_WRITE, write_user

RING_MEMORY_LIMIT = Limits.ring_memory  # the default of k.limits.ring_memory
RING_MAP_BASE = 0x6000_0000  # upstream mmap::MMAP_BASE
RING_PERMS = Perm.READ | Perm.WRITE | Perm.GRANT | Perm.REVOKE


class SharedRing(KernelObject):
    rtype = ResourceType.SHARED_RING
    kind = "ring"

    def __init__(self, k, size: int, pages: int):
        super().__init__(k)
        self.size = size
        self.pages = pages
        self.buffer = mmap.mmap(-1, pages * PAGE_SIZE)
        k.ring_memory_used += self.nbytes
        k.rings[self.id] = self

    @property
    def nbytes(self) -> int:
        return self.pages * PAGE_SIZE

    def poll(self, handle) -> int:
        if self.destroyed:
            raise SyscallError(Errno.EPIPE)
        events = 0
        if handle.has(Perm.READ):
            events |= READABLE
        if handle.has(Perm.WRITE):
            events |= WRITABLE
        if events == 0:
            raise SyscallError(Errno.EPERM)
        return events

    def destroy(self, k) -> None:
        if self.destroyed:
            return
        self.destroyed = True
        k.rings.pop(self.id, None)
        k.ring_memory_used -= self.nbytes
        self.state_changed(k)


def init_kernel(k) -> None:
    k.rings = {}  # ring id -> live SharedRing
    k.ring_memory_limit = k.limits.ring_memory
    k.ring_memory_used = 0


def sys_ipc_ring_create(k, task, size, *_):
    if size == 0:
        raise SyscallError(Errno.EINVAL)
    pages = min(size + PAGE_SIZE - 1, caps.U64_MAX) // PAGE_SIZE  # upstream saturates
    if k.ring_memory_used + pages * PAGE_SIZE > k.ring_memory_limit:
        raise SyscallError(Errno.ENOMEM)
    ring = SharedRing(k, size, pages)
    return caps.insert(k, task.process, ring, RING_PERMS)


def sys_ipc_ring_map(k, task, hid, out, *_):
    caps.enforce_cap(task, hid)
    if out == 0:
        raise SyscallError(Errno.EFAULT)
    h = caps.lookup_with(task, hid, Perm.READ | Perm.WRITE)
    if h is None:
        raise SyscallError(Errno.EPERM)
    if h.rtype is not ResourceType.SHARED_RING:
        raise SyscallError(Errno.EBADF)
    ring = h.obj
    if ring.destroyed:
        raise SyscallError(Errno.EBADF)
    mem = task.process.memory
    base = mem.map_shared(ring.buffer, RING_MAP_BASE, PROT_READ | PROT_WRITE)  # ENOMEM when nothing fits
    write_user(mem, out, struct.pack("<Q", base))  # EFAULT: the mapping stays, as upstream
    return ring.nbytes
