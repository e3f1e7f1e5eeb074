"""Console calls: SYS_WRITE on fd 1 and 2, SYS_DEBUG_LOG (upstream vfs/mod.rs
sys_write, syscall/dispatcher.rs sys_debug_log)."""

from __future__ import annotations

from .errno import Errno, SyscallError
from .memory import MemoryFault

# Upstream caps one console write at 16 KiB and copies it 4 KiB at a time.
WRITE_MAX = 16 * 1024
WRITE_CHUNK = 4096
DEBUG_LOG_MAX = 4096


def enforce_console_access(task) -> None:
    # Admin tasks pass; an unprivileged task holds no Console capability.
    if not task.process.admin:
        raise SyscallError(Errno.EPERM)


def sys_write(k, task, fd, buf, length, *_):
    if length == 0:
        return 0
    if fd not in (1, 2):
        raise SyscallError(Errno.EBADF)
    enforce_console_access(task)
    length = min(length, WRITE_MAX)
    mem = task.process.memory
    done = 0
    # Chunk by chunk, as upstream: chunks before a bad one are already out.
    while done < length:
        n = min(WRITE_CHUNK, length - done)
        try:
            data = mem.read(buf + done, n)
        except MemoryFault:
            raise SyscallError(Errno.EFAULT) from None
        k.console.write(task.process.pid, fd, data)
        done += n
    return done


def sys_debug_log(k, task, buf, length, *_):
    if length == 0:
        return 0
    enforce_console_access(task)
    n = min(length, DEBUG_LOG_MAX)
    try:
        data = task.process.memory.read(buf, n)
    except MemoryFault:
        raise SyscallError(Errno.EFAULT) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = "<invalid utf8>"
    k.console.debug(task.process.pid, f"[user-debug] {text}")
    return n
