"""The 64-byte IpcMessage (upstream abi/src/data.rs; ABI.md section 2).

Layout, little endian: u64 sender, u32 msg_type, u32 flags, u8 payload[48].
The kernel reads and writes it unaligned, as whole 64-byte copies.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass, field

from .capabilities import READABLE, WRITABLE, KernelObject, Perm
from .errno import Errno, SyscallError
from .memory import read_user, write_user
from .wait import WaitQueue

MSG_SIZE = 64
PAYLOAD_SIZE = 48
_HEADER = struct.Struct("<QII")

# The standard error reply: msg_type 0x80, payload[0..4] = positive errno (u32 LE).
ERROR_REPLY_TYPE = 0x80


@dataclass(slots=True)
class IpcMessage:
    sender: int = 0
    msg_type: int = 0
    flags: int = 0
    payload: bytes = field(default=bytes(PAYLOAD_SIZE))

    def pack(self) -> bytes:
        payload = self.payload
        if len(payload) != PAYLOAD_SIZE:  # messages built by the kernel may carry a short payload
            payload = bytes(payload)[:PAYLOAD_SIZE].ljust(PAYLOAD_SIZE, b"\0")
        return _HEADER.pack(self.sender & 0xFFFFFFFFFFFFFFFF, self.msg_type & 0xFFFFFFFF,
                            self.flags & 0xFFFFFFFF) + payload

    @classmethod
    def unpack(cls, raw: bytes) -> "IpcMessage":
        if len(raw) != MSG_SIZE:
            raise ValueError(f"an IpcMessage is {MSG_SIZE} bytes, not {len(raw)}")
        sender, msg_type, flags = _HEADER.unpack_from(raw)
        return cls(sender, msg_type, flags, raw[16:])


def error_reply(errno: Errno, sender: int = 0) -> IpcMessage:
    """The kernel's error reply: msg_type 0x80, payload[0..4] = errno."""
    return IpcMessage(sender, ERROR_REPLY_TYPE, 0, struct.pack("<I", int(errno)).ljust(PAYLOAD_SIZE, b"\0"))


def read_message(mem, addr: int) -> IpcMessage:
    """Copy a message in from guest memory; EFAULT unless all 64 bytes are readable."""
    return IpcMessage.unpack(read_user(mem, addr, MSG_SIZE))


def write_message(mem, addr: int, msg: IpcMessage) -> None:
    """Copy a message out to guest memory; EFAULT unless all 64 bytes are writable."""
    write_user(mem, addr, msg.pack())


class MessageQueue(KernelObject):
    """A bounded FIFO of messages with its blocked senders and receivers: what
    ports and channels have in common. `registry` names the kernel's dict of
    live objects of the kind; a destroyed queue leaves it."""

    registry = ""

    def __init__(self, k, capacity: int):
        super().__init__(k)
        self.capacity = capacity
        self.queue: deque[IpcMessage] = deque()
        self.send_waitq = WaitQueue(self)  # senders waiting for room
        self.recv_waitq = WaitQueue(self)  # receivers waiting for a message
        getattr(k, self.registry)[self.id] = self

    def poll(self, handle) -> int:
        if self.destroyed:
            raise SyscallError(Errno.EPIPE)
        events = 0
        if handle.has(Perm.READ) and self.queue:
            events |= READABLE
        if handle.has(Perm.WRITE) and len(self.queue) < self.capacity:
            events |= WRITABLE
        if events == 0 and not handle.perms & (Perm.READ | Perm.WRITE):
            raise SyscallError(Errno.EPERM)
        return events

    def destroy(self, k) -> None:
        if self.destroyed:
            return
        self.destroyed = True
        getattr(k, self.registry).pop(self.id, None)
        self.send_waitq.wake_all(k)
        self.recv_waitq.wake_all(k)
        self.state_changed(k)

    def try_push(self, k, msg: IpcMessage) -> bool:
        """Queue msg; False when full; EPIPE when destroyed."""
        if self.destroyed:
            raise SyscallError(Errno.EPIPE)
        if len(self.queue) >= self.capacity:
            return False
        self.queue.append(msg)
        self.recv_waitq.wake_one(k)
        self.state_changed(k)
        return True

    def try_pop(self, k) -> IpcMessage | None:
        """The oldest message; None when empty; EPIPE when destroyed and empty
        (a receiver drains what is queued first)."""
        if self.queue:
            msg = self.queue.popleft()
            self.send_waitq.wake_one(k)
            self.state_changed(k)
            return msg
        if self.destroyed:
            raise SyscallError(Errno.EPIPE)
        return None
