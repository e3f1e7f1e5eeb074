"""The one interface through which the kernel model touches guest memory.

The machine (`emu.address_space`) implements it over a Unicorn instance;
tests use `FakeMemory`. A failed access raises `MemoryFault`, which the
handlers turn into EFAULT, as upstream's UserSlice checks do.
"""

from __future__ import annotations

from typing import Protocol

from .errno import Errno, SyscallError

PAGE_SIZE = 4096
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4


class MemoryFault(Exception):
    def __init__(self, addr: int, size: int, write: bool):
        super().__init__(f"{'write' if write else 'read'} of {size} bytes at {addr:#x}")
        self.addr, self.size, self.write = addr, size, write


class GuestMemory(Protocol):
    def read(self, addr: int, size: int) -> bytes:
        """Bytes at addr; MemoryFault unless every byte is readable."""

    def write(self, addr: int, data: bytes) -> None:
        """Store data; MemoryFault unless every byte is writable (nothing is written then)."""

    def map_shared(self, buffer, hint: int, prot: int) -> int:
        """Map a host buffer (page-multiple length) at a free range at or above
        `hint`; return the guest base. The same buffer may be mapped in many
        address spaces: they all see the same bytes. MemoryFault-free; raises
        SyscallError(ENOMEM) when no range fits."""

    def is_free(self, addr: int, size: int) -> bool:
        """No mapping overlaps [addr, addr + size)."""

    def find_free(self, size: int, hint: int, align: int = PAGE_SIZE) -> int:
        """The lowest free `align`-aligned range of `size` bytes at or above
        hint; SyscallError(ENOMEM) when none."""

    def map_anonymous(self, addr: int, size: int, prot: int, shared: bool) -> None:
        """Zero-filled pages at a free range; `shared` ones stay shared with a
        forked child. SyscallError(ENOMEM) past the process's memory limit."""

    def unmap(self, addr: int, size: int) -> None:
        """Remove whatever is mapped in the range (holes are fine)."""


def read_user(mem: GuestMemory, addr: int, size: int) -> bytes:
    """Read guest bytes or fail the syscall with EFAULT."""
    try:
        return mem.read(addr, size)
    except MemoryFault:
        raise SyscallError(Errno.EFAULT) from None


def write_user(mem: GuestMemory, addr: int, data: bytes) -> None:
    try:
        mem.write(addr, data)
    except MemoryFault:
        raise SyscallError(Errno.EFAULT) from None


class FakeMemory:
    """A sparse guest memory for unit tests: pages with permissions."""

    def __init__(self):
        self.pages: dict[int, bytearray] = {}
        self.prot: dict[int, int] = {}
        self.shared: list[tuple[int, object]] = []

    def map(self, addr: int, size: int, prot: int = PROT_READ | PROT_WRITE) -> None:
        for page in range(addr & ~(PAGE_SIZE - 1), addr + size, PAGE_SIZE):
            self.pages.setdefault(page, bytearray(PAGE_SIZE))
            self.prot[page] = prot

    def _check(self, addr: int, size: int, need: int, write: bool) -> None:
        if addr < 0 or size < 0 or addr + size > 1 << 64:
            raise MemoryFault(addr, size, write)
        for page in range(addr & ~(PAGE_SIZE - 1), addr + size, PAGE_SIZE):
            if not self.prot.get(page, 0) & need:
                raise MemoryFault(addr, size, write)

    def read(self, addr: int, size: int) -> bytes:
        self._check(addr, size, PROT_READ, False)
        out = bytearray()
        while size:
            page, off = addr & ~(PAGE_SIZE - 1), addr & (PAGE_SIZE - 1)
            n = min(size, PAGE_SIZE - off)
            out += self.pages[page][off:off + n]
            addr, size = addr + n, size - n
        return bytes(out)

    def write(self, addr: int, data: bytes) -> None:
        self._check(addr, len(data), PROT_WRITE, True)
        pos = 0
        while pos < len(data):
            page, off = addr & ~(PAGE_SIZE - 1), addr & (PAGE_SIZE - 1)
            n = min(len(data) - pos, PAGE_SIZE - off)
            self.pages[page][off:off + n] = data[pos:pos + n]
            addr, pos = addr + n, pos + n

    def is_free(self, addr: int, size: int) -> bool:
        return not any(p in self.prot for p in range(addr & ~(PAGE_SIZE - 1), addr + size, PAGE_SIZE))

    def find_free(self, size: int, hint: int, align: int = PAGE_SIZE) -> int:
        base = (hint + align - 1) & ~(align - 1)
        while not self.is_free(base, size):
            base += align
            if base + size > 1 << 47:
                raise SyscallError(Errno.ENOMEM)
        return base

    def map_anonymous(self, addr: int, size: int, prot: int, shared: bool) -> None:
        self.map(addr, size, prot)

    def unmap(self, addr: int, size: int) -> None:
        for page in range(addr & ~(PAGE_SIZE - 1), addr + size, PAGE_SIZE):
            self.pages.pop(page, None)
            self.prot.pop(page, None)

    def map_shared(self, buffer, hint: int, prot: int) -> int:
        # A copy-free view is not needed by unit tests: they check the bookkeeping.
        base = hint
        while any(p in self.prot for p in range(base, base + len(buffer), PAGE_SIZE)):
            base += PAGE_SIZE
        self.map(base, len(buffer), prot)
        self.shared.append((base, buffer))
        return base
