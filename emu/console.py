"""The console: guest writes to fd 1 and 2, kept for the API and passed
through to the host's stdout/stderr when the CLI runs."""

from __future__ import annotations


class Console:
    def __init__(self, stdout=None, stderr=None):
        self.sinks = {1: stdout, 2: stderr}
        self.chunks: list[tuple[int, int, bytes]] = []  # (pid, fd, bytes) in order

    def write(self, pid: int, fd: int, data: bytes) -> None:
        self.chunks.append((pid, fd, data))
        sink = self.sinks.get(fd)
        if sink is not None:
            try:
                sink.write(data)
                sink.flush()
            except (BrokenPipeError, ValueError):
                # The reader went away (e.g. `| head`): keep running, stop echoing.
                self.sinks[fd] = None

    def debug(self, pid: int, line: str) -> None:
        self.write(pid, 2, line.encode() + b"\n")

    def output(self, fd: int, pid: int | None = None) -> bytes:
        return b"".join(d for p, f, d in self.chunks if f == fd and (pid is None or p == pid))
