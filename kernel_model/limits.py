"""Resource limits of the emulated system (docs/limits.md).

The real kernel is bounded by its physical memory: when an allocation
fails, the call fails with ENOMEM (a kernel stack for fork, a task for a
thread, a table slot, an object). The model draws those bounds as numbers,
so that a fork bomb or a handle flood ends with the errno a guest would
see, and never exhausts the host.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Limits:
    processes: int = 256  # live processes in the system (fork: ENOMEM)
    tasks: int = 1024  # live tasks (threads) in the system (thread_create, fork: ENOMEM)
    threads_per_process: int = 64  # live threads of one process (thread_create: ENOMEM)
    handles_per_process: int = 4096  # entries of one handle table (ENOMEM)
    objects: int = 16384  # live ports, channels, semaphores and rings in the system (ENOMEM)
    ring_memory: int = 256 << 20  # bytes of all live shared rings (SYS_IPC_RING_CREATE: ENOMEM)
    process_memory: int = 1 << 30  # bytes mapped in one address space (mmap, ring map: ENOMEM)
    system_memory: int = 4 << 30  # bytes mapped in all address spaces together (ENOMEM)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_setting(self, text: str) -> "Limits":
        """A copy with one 'name=value' applied (value in bytes or a count;
        K, M and G suffixes allowed). ValueError for anything else."""
        name, sep, value = text.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in self.names():
            raise ValueError(f"unknown limit {name!r} (known: {', '.join(self.names())})")
        value = value.strip()
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(value[-1:].upper(), 1)
        number = int(value[:-1] if scale > 1 else value, 0) * scale
        if number <= 0:
            raise ValueError(f"limit {name} must be positive")
        values = {f: getattr(self, f) for f in self.names()}
        values[name] = number
        return Limits(**values)
