"""Anonymous memory mappings: SYS_MMAP and SYS_MUNMAP (ABI.md section 8;
upstream syscall/mmap.rs). The placement policy lives here; the address
space itself is reached through `memory.GuestMemory`."""

from __future__ import annotations

from .errno import Errno, SyscallError

PAGE = 4096
HUGE_PAGE = 2 << 20
MMAP_BASE = 0x6000_0000
USER_SPACE_END = 0x0000_8000_0000_0000

PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x01, 0x02, 0x10, 0x20
MAP_HUGETLB, MAP_FIXED_NOREPLACE = 1 << 11, 1 << 20
KNOWN_FLAGS = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED_NOREPLACE


def _align_up(x: int, a: int) -> int:
    return (x + a - 1) & ~(a - 1)


def sys_mmap(k, task, addr, length, prot, flags, fd, offset):
    prot &= 0xFFFFFFFF  # upstream takes prot and flags as u32
    flags &= 0xFFFFFFFF
    if length == 0:
        raise SyscallError(Errno.EINVAL)
    if flags & ~KNOWN_FLAGS:
        raise SyscallError(Errno.EINVAL)
    if not flags & MAP_ANONYMOUS:
        # File mappings need the VFS, which the model does not have.
        raise SyscallError(Errno.ENOSYS)
    if bool(flags & MAP_PRIVATE) == bool(flags & MAP_SHARED):
        raise SyscallError(Errno.EINVAL)
    if offset != 0:
        raise SyscallError(Errno.EINVAL)
    if prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC):
        raise SyscallError(Errno.EINVAL)
    page = HUGE_PAGE if flags & MAP_HUGETLB else PAGE
    size = _align_up(length, page)
    if size >= USER_SPACE_END:
        raise SyscallError(Errno.EINVAL)
    proc = task.process
    mem = proc.memory
    if flags & MAP_FIXED:
        if addr % page or addr == 0 or addr + size > USER_SPACE_END:
            raise SyscallError(Errno.EINVAL)
        if flags & MAP_FIXED_NOREPLACE:
            if not mem.is_free(addr, size):
                raise SyscallError(Errno.EEXIST)
        else:
            mem.unmap(addr, size)
        target = addr
    else:
        hint = _align_up(addr, page) if addr else proc.mmap_hint
        try:
            target = mem.find_free(size, hint, page)
        except SyscallError:
            target = mem.find_free(size, MMAP_BASE, page)
    mem.map_anonymous(target, size, prot, bool(flags & MAP_SHARED))
    if not flags & MAP_FIXED:
        proc.mmap_hint = max(proc.mmap_hint, target + size)
    return target


def sys_munmap(k, task, addr, length, *_):
    if addr == 0 or addr & (PAGE - 1) or length == 0:
        raise SyscallError(Errno.EINVAL)
    size = _align_up(length, PAGE)
    if addr + size > USER_SPACE_END:
        raise SyscallError(Errno.EINVAL)
    task.process.memory.unmap(addr, size)
    return 0
