"""A process's address space over its Unicorn instance: the one
`kernel_model.memory.GuestMemory` implementation of the machine.

Unicorn's own mem_write ignores page protection, so the region list here
is the authority for what a syscall may read or write, exactly as the
guest's own loads and stores see it.
"""

from __future__ import annotations

import bisect
import ctypes
import mmap

from unicorn import UC_PROT_EXEC, UC_PROT_READ, UC_PROT_WRITE, UcError
from unicorn.unicorn_py3.unicorn import uclib

from kernel_model.errno import Errno, SyscallError
from kernel_model.memory import MemoryFault

from ._trap import mem_read, mem_write, use_memory_functions

PAGE = 4096
# The model's copies in and out of guest memory call libunicorn from C (emu/_trap.c):
# through ctypes, a 64-byte read cost about 0.6 us more.
UNICORN_LIB = ctypes.CDLL(uclib._name)  # the binding's loaded library, a separate function table without argtypes
use_memory_functions(*(ctypes.cast(getattr(UNICORN_LIB, f), ctypes.c_void_p).value
                       for f in ("uc_mem_read", "uc_mem_write")))
USER_ADDR_MAX = 0x0000_8000_0000_0000


class Region:
    __slots__ = ("start", "end", "prot", "kind", "buffer", "offset")

    def __init__(self, start: int, end: int, prot: int, kind: str, buffer=None, offset: int = 0):
        self.start, self.end, self.prot, self.kind = start, end, prot, kind
        self.buffer, self.offset = buffer, offset  # host memory shared by every space that maps it

    def __repr__(self) -> str:
        return f"Region({self.start:#x}-{self.end:#x} {self.kind} prot={self.prot})"


class MemoryBudget:
    """Bytes mapped by every address space of one system, against a limit."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0


class AddressSpace:
    def __init__(self, uc, limit_bytes: int = 1 << 30, budget: MemoryBudget | None = None):
        self.uc = uc
        self._engine = uc._uch.value
        self.regions: list[Region] = []  # sorted, non-overlapping
        self._starts: list[int] = []
        self.limit_bytes = limit_bytes
        self.budget = budget or MemoryBudget(1 << 62)
        self.mapped_bytes = 0
        self._last: Region | None = None
        self.on_change = None  # called after every map and unmap (the CPU's fault hooks follow the regions)

    # -- mapping --------------------------------------------------------------

    def _insert(self, region: Region) -> None:
        i = bisect.bisect_left(self._starts, region.start)
        self.regions.insert(i, region)
        self._starts.insert(i, region.start)
        self.mapped_bytes += region.end - region.start
        self.budget.used += region.end - region.start

    def _check_room(self, size: int) -> None:
        """ENOMEM unless `size` more bytes fit this process and the system."""
        if self.mapped_bytes + size > self.limit_bytes or self.budget.used + size > self.budget.limit:
            raise SyscallError(Errno.ENOMEM)

    def is_free(self, start: int, size: int) -> bool:
        end = start + size
        if start < 0x10000 or end > USER_ADDR_MAX:
            return False
        i = bisect.bisect_right(self._starts, start) - 1
        if i >= 0 and self.regions[i].end > start:
            return False
        return i + 1 >= len(self.regions) or self.regions[i + 1].start >= end

    def find_free(self, size: int, hint: int, align: int = PAGE) -> int:
        """Lowest free `align`-aligned range of `size` bytes at or above hint."""
        addr = (max(hint, 0x10000) + align - 1) & ~(align - 1)
        for r in self.regions:
            if r.end <= addr:
                continue
            if r.start >= addr + size:
                break
            addr = (r.end + align - 1) & ~(align - 1)
        if addr + size > USER_ADDR_MAX:
            raise SyscallError(Errno.ENOMEM)
        return addr

    def map(self, start: int, size: int, prot: int, kind: str, data: bytes | None = None) -> Region:
        self._check_room(size)
        self.uc.mem_map(start, size, _uc_prot(prot))
        if data:
            self.uc.mem_write(start, bytes(data))
        region = Region(start, start + size, prot, kind)
        self._insert(region)
        self._changed()
        return region

    def map_shared(self, buffer, hint: int, prot: int) -> int:
        """Map a host buffer (e.g. an mmap of a shared ring) into this space."""
        base = self.find_free(len(buffer), hint)
        self.map_buffer(base, buffer, prot, "shared")
        return base

    def map_buffer(self, base: int, buffer, prot: int, kind: str, offset: int = 0, size: int | None = None) -> None:
        """Map `size` bytes of a host buffer from `offset` at base: the guest
        and every other space mapping the buffer see the same memory."""
        size = len(buffer) - offset if size is None else size
        self._check_room(size)
        ptr = ctypes.addressof(ctypes.c_char.from_buffer(buffer)) + offset
        try:
            self.uc.mem_map_ptr(base, size, _uc_prot(prot), ptr)
        except UcError:
            raise SyscallError(Errno.ENOMEM) from None
        self._insert(Region(base, base + size, prot, kind, buffer, offset))
        self._changed()

    def map_anonymous(self, addr: int, size: int, prot: int, shared: bool) -> None:
        self._check_room(size)  # before any host memory is reserved
        if shared:  # host memory of its own, so that a forked child shares it
            try:
                buffer = mmap.mmap(-1, size)
            except OSError:
                raise SyscallError(Errno.ENOMEM) from None
            self.map_buffer(addr, buffer, prot, "shared-anon")
        else:
            self.map(addr, size, prot, "anon")

    def unmap(self, addr: int, size: int) -> None:
        """Unmap [addr, addr + size), splitting regions it cuts; holes are fine."""
        end = addr + size
        for r in [r for r in self.regions if r.start < end and addr < r.end]:
            lo, hi = max(r.start, addr), min(r.end, end)
            self.uc.mem_unmap(lo, hi - lo)
            i = self.regions.index(r)
            del self.regions[i]
            del self._starts[i]
            self.mapped_bytes -= r.end - r.start
            self.budget.used -= r.end - r.start
            if r.start < lo:
                self._insert(Region(r.start, lo, r.prot, r.kind, r.buffer, r.offset))
            if hi < r.end:
                self._insert(Region(hi, r.end, r.prot, r.kind, r.buffer, r.offset + (hi - r.start)))
        self._last = None
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def copy_into(self, child: "AddressSpace") -> None:
        """fork: private memory is copied; buffer-backed memory stays shared."""
        for r in self.regions:
            if r.buffer is not None:
                child.map_buffer(r.start, r.buffer, r.prot, r.kind, r.offset, r.end - r.start)
            else:
                child.map(r.start, r.end - r.start, r.prot, r.kind, bytes(self.uc.mem_read(r.start, r.end - r.start)))

    def region_at(self, addr: int) -> Region | None:
        r = self._last
        if r is not None and r.start <= addr < r.end:
            return r
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self.regions[i].end:
            self._last = r = self.regions[i]
            return r
        return None

    def _check(self, addr: int, size: int, need: int, write: bool) -> None:
        end = addr + size
        while addr < end:
            r = self.region_at(addr)
            if r is None or not r.prot & need:
                raise MemoryFault(addr, size, write)
            addr = r.end

    # -- GuestMemory ----------------------------------------------------------

    def read(self, addr: int, size: int) -> bytes:
        if size <= 0:
            return b""
        r = self._last
        if r is None or not (r.start <= addr and addr + size <= r.end and r.prot & 1):
            self._check(addr, size, 1, False)
        data = mem_read(self._engine, addr, size)
        if data is None:
            raise MemoryFault(addr, size, False)
        return data

    def write(self, addr: int, data: bytes) -> None:
        size = len(data)
        if size == 0:
            return
        r = self._last
        if r is None or not (r.start <= addr and addr + size <= r.end and r.prot & 2):
            self._check(addr, size, 2, True)
        if not mem_write(self._engine, addr, data):
            raise MemoryFault(addr, size, True)

    def describe(self, addr: int) -> str:
        r = self.region_at(addr)
        return "unmapped" if r is None else f"{r.kind} {r.start:#x}-{r.end:#x} {_prot_text(r.prot)}"


def _uc_prot(prot: int) -> int:
    return ((UC_PROT_READ if prot & 1 else 0) | (UC_PROT_WRITE if prot & 2 else 0)
            | (UC_PROT_EXEC if prot & 4 else 0))


def _prot_text(prot: int) -> str:
    return ("r" if prot & 1 else "-") + ("w" if prot & 2 else "-") + ("x" if prot & 4 else "-")
