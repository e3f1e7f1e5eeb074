"""Blocking as values.

A handler that must wait returns a `Block`: what the task waits on (wait
queues and/or a virtual-time deadline), a text for deadlock reports, and a
`retry` callable run in kernel context when the task is woken. `retry`
returns a result like any handler (an int, or another Block). No Python
thread ever sleeps for a guest.
"""

from __future__ import annotations

from collections import deque
from typing import Callable


class WaitQueue:
    """Tasks blocked on one kernel object, woken in FIFO order."""

    __slots__ = ("waiters", "owner")

    def __init__(self, owner: object = None):
        self.waiters: deque = deque()
        self.owner = owner

    def __len__(self) -> int:
        return len(self.waiters)

    def wake_one(self, kernel) -> None:
        if self.waiters:
            kernel.wake(self.waiters[0])

    def wake_all(self, kernel) -> None:
        if self.waiters:  # usually empty: called on every queue change
            for task in list(self.waiters):
                kernel.wake(task)


class Block:
    __slots__ = ("queues", "deadline", "retry", "what")

    def __init__(self, what: str, retry: Callable[[], object], queues: tuple = (), deadline: int | None = None):
        self.what = what
        self.retry = retry
        self.queues = queues
        self.deadline = deadline

    def __repr__(self) -> str:
        return f"Block({self.what})"


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


# The task gave up the CPU; rax is 0 and the next runnable task runs.
YIELD = _Marker("YIELD")
# The calling task no longer exists (it or its process exited).
EXITED = _Marker("EXITED")
