"""Time calls on the virtual clock (upstream syscall/time.rs; ABI.md section 10)."""

from __future__ import annotations

import struct

from .errno import Errno, SyscallError
from .memory import read_user, write_user
from .wait import YIELD, Block

CLOCK_REALTIME = 0
CLOCK_MONOTONIC = 1
NSEC_PER_SEC = 1_000_000_000
TIMESPEC = struct.Struct("<qq")


def sys_clock_gettime(k, task, clock_id, tp, *_):
    if tp == 0:
        raise SyscallError(Errno.EFAULT)
    # Upstream passes the id as u32 and knows two clocks, both the same time.
    if clock_id & 0xFFFFFFFF not in (CLOCK_REALTIME, CLOCK_MONOTONIC):
        raise SyscallError(Errno.EINVAL)
    now = k.now_ns
    write_user(task.process.memory, tp, TIMESPEC.pack(now // NSEC_PER_SEC, now % NSEC_PER_SEC))
    return 0


def sys_nanosleep(k, task, req, rem, *_):
    sec, nsec = TIMESPEC.unpack(read_user(task.process.memory, req, TIMESPEC.size))
    if sec < 0 or nsec < 0 or nsec >= NSEC_PER_SEC:
        raise SyscallError(Errno.EINVAL)
    if sec == 0 and nsec == 0:
        return YIELD
    deadline = k.now_ns + min(sec * NSEC_PER_SEC + nsec, (1 << 64) - 1)

    def retry():
        if k.now_ns >= deadline:
            return 0
        return Block(f"nanosleep until t={deadline}ns", retry, deadline=deadline)

    return Block(f"nanosleep until t={deadline}ns", retry, deadline=deadline)
