"""Errno values of the Strat9 kernel (upstream syscall/error.rs) and the one
error type every handler raises."""

from enum import IntEnum


class Errno(IntEnum):
    EPERM = 1
    ENOENT = 2
    EINTR = 4
    EIO = 5
    EBADF = 9
    ECHILD = 10
    EAGAIN = 11
    ENOMEM = 12
    EACCES = 13
    EFAULT = 14
    EEXIST = 17
    EINVAL = 22
    ENOSPC = 28
    EPIPE = 32
    ENOSYS = 38
    ENOTSUP = 52
    ENOBUFS = 105
    ETIMEDOUT = 110


ERRNO_TEXT = {
    Errno.EPERM: "Operation not permitted",
    Errno.ENOENT: "No such file or directory",
    Errno.EINTR: "Interrupted system call",
    Errno.EIO: "Input/output error",
    Errno.EBADF: "Bad file descriptor",
    Errno.ECHILD: "No child processes",
    Errno.EAGAIN: "Resource temporarily unavailable",
    Errno.ENOMEM: "Cannot allocate memory",
    Errno.EACCES: "Permission denied",
    Errno.EFAULT: "Bad address",
    Errno.EEXIST: "File exists",
    Errno.EINVAL: "Invalid argument",
    Errno.ENOSPC: "No space left on device",
    Errno.EPIPE: "Broken pipe",
    Errno.ENOSYS: "Function not implemented",
    Errno.ENOTSUP: "Operation not supported",
    Errno.ENOBUFS: "No buffer space available",
    Errno.ETIMEDOUT: "Connection timed out",
}

_BY_VALUE = {int(e): e for e in Errno}


def errno_name(value: int) -> str:
    e = _BY_VALUE.get(value)
    return e.name if e is not None else f"E{value}"


def decode_result(raw: int) -> tuple[int, Errno | None]:
    """Split a raw 64-bit rax into (signed value, errno or None)."""
    value = raw - (1 << 64) if raw >= 1 << 63 else raw
    if -4096 < value < 0:
        return value, _BY_VALUE.get(-value)
    return value, None


class SyscallError(Exception):
    """A syscall failed with `errno`; the guest sees -errno in rax."""

    __slots__ = ("errno", "detail")

    # Raised on every failed syscall: the message is only built when shown.
    def __init__(self, errno: Errno, detail: str = ""):
        self.errno = errno
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.errno.name}: {self.detail}" if self.detail else self.errno.name

    def __repr__(self) -> str:
        return f"SyscallError({self})"
