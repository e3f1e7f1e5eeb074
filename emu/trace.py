"""The syscall trace: one event per syscall (entry decoded from the one
syscall table of `kernel_model.syscalls`), block and wake, process and
thread start and exit, fault, preemption and the end of the run.

Events are dicts (`RunResult.trace`); `--trace` prints them as strace-like
lines (`trace_format`), `--trace-file` writes them as JSONL with a schema
header (docs/trace-format.md). Nothing in an event depends on the host:
the same run gives the same bytes.
"""

from __future__ import annotations

import json
import os
import struct

from kernel_model import EXITED, YIELD, Block
from kernel_model.errno import Errno, decode_result
from kernel_model.memory import MemoryFault
from kernel_model.syscalls import BY_NR, TABLE, Kind

from ._trap import TraceSink
from .trace_format import OUT_KINDS, format_event

# Syscalls with arguments the trace reads before, or after, the call.
_READS = frozenset(sc.nr for sc in TABLE if any(a.kind in (Kind.MSG_IN, Kind.MSG_INOUT, Kind.PATH, Kind.BUF,
                                                           Kind.TIMESPEC_IN) for a in sc.args))
_WRITES = frozenset(sc.nr for sc in TABLE if any(a.kind in OUT_KINDS or a.kind is Kind.MSG_INOUT for a in sc.args))

SCHEMA = "strat9-trace"
SCHEMA_VERSION = 1
MSG_SIZE = 64


def _json_default(o):
    if isinstance(o, (bytes, bytearray)):
        return o.hex()
    raise TypeError(type(o).__name__)


# One encoder for every event (json.dumps with options builds a new one per call).
_ENCODER = json.JSONEncoder(sort_keys=True, default=_json_default)


def dumps(event: dict) -> str:
    return _ENCODER.encode(event)


class Tracer:
    """Collects trace events; writes text lines and/or JSONL as they happen."""

    def __init__(self, text=None, jsonl=None, config: dict | None = None, keep: bool = True):
        self.text = text
        self.jsonl = jsonl
        self.keep = keep
        self.events: list[dict] = []
        self.system = None
        self._sink = None  # the JSONL output and the sequence numbers, from attach()
        self._pending: dict[int, dict] = {}  # tid -> the block event of its unfinished call
        self._deferred: list | None = None  # events raised inside a syscall, shown after its line
        self._trap_deferred: list = []  # the same, while the trap itself traces the syscall
        self.config = config or {}
        # Without text output, the syscall trap makes the plain syscall events itself
        # (their JSONL lines, their dicts in `events`); text lines come from the dicts.
        self._trap_traces = text is None

    @property
    def seq(self) -> int:
        """The sequence number of the last event."""
        return self._sink.seq if self._sink is not None else 0

    def attach(self, system) -> None:
        self.system = system
        plain = {}
        if self._trap_traces:
            plain = {sc.nr: (f'"event": "syscall", "name": "{sc.name}", "nr": {sc.nr}, "pid": ', len(sc.args),
                             sc.name)
                     for sc in TABLE if sc.nr not in _READS and sc.nr not in _WRITES}
        self._sink = TraceSink(self.jsonl, system.kernel, self._trap_deferred, plain,
                               {int(e): e.name for e in Errno}, self.events if self.keep else None)
        if self.jsonl is not None:
            self._sink.write(dumps({"schema": SCHEMA, "version": SCHEMA_VERSION, "config": self.config}) + "\n")

    def trap_sink(self) -> TraceSink | None:
        """The sink through which a syscall trap makes plain syscall events
        itself (calling `syscall` for the others and `finish_plain` when a plain
        one needs more events), or None: every syscall goes through `syscall`."""
        return self._sink if self._trap_traces else None

    def flush(self) -> None:
        """Write what the syscall trap has buffered (System.run does, at its end)."""
        if self._sink is not None:
            self._sink.flush()

    def _emit(self, event: dict) -> None:
        sink = self._sink
        if self._deferred is not None:
            self._deferred.append(event)
            return
        if sink.in_syscall:
            self._trap_deferred.append(event)
            return
        sink.seq += 1
        event["seq"] = sink.seq
        event["t"] = self.system.kernel.now_ns
        if self.keep:
            self.events.append(event)
        if self.jsonl is not None:
            sink.write(dumps(event) + "\n")
        if self.text is not None:
            line = format_event(event)
            if line is not None:
                self.text.write(line + "\n")

    # -- guest memory, read without side effects ---------------------------------------

    @staticmethod
    def _read(task, addr: int, size: int) -> bytes | None:
        try:
            return task.process.memory.read(addr, size)
        except MemoryFault:
            return None

    def _inputs(self, task, sc, args) -> dict:
        data = {}
        for i, a in enumerate(sc.args):
            v = args[i]
            if not v:
                continue
            if a.kind in (Kind.MSG_IN, Kind.MSG_INOUT):
                raw = self._read(task, v, MSG_SIZE)
            elif a.kind in (Kind.PATH, Kind.BUF):
                n = args[i + 1] if i + 1 < len(args) else 0
                raw = self._read(task, v, min(n, 4096)) if n else None
            elif a.kind is Kind.TIMESPEC_IN:
                raw = self._read(task, v, 16)
                raw = list(struct.unpack("<qq", raw)) if raw is not None else None
            else:
                continue
            if raw is not None:
                data[a.name] = raw
        return data

    def _outputs(self, task, sc, args, data: dict) -> None:
        for i, a in enumerate(sc.args):
            v = args[i]
            if not v or (a.kind not in OUT_KINDS and a.kind is not Kind.MSG_INOUT):
                continue
            if a.kind in (Kind.MSG_OUT, Kind.MSG_INOUT):
                raw = self._read(task, v, MSG_SIZE)
                key = a.name + "_reply" if a.kind is Kind.MSG_INOUT else a.name
                if raw is not None:
                    data[key] = raw
                continue
            size = {Kind.TIMESPEC_OUT: 16, Kind.HANDLEINFO_OUT: 16, Kind.U64_OUT: 8, Kind.STATUS_OUT: 4}[a.kind]
            raw = self._read(task, v, size)
            if raw is None:
                continue
            if a.kind is Kind.TIMESPEC_OUT:
                data[a.name] = list(struct.unpack("<qq", raw))
            elif a.kind is Kind.HANDLEINFO_OUT:
                rtype, perms, res = struct.unpack("<IIQ", raw)
                data[a.name] = {"resource_type": rtype, "permissions": perms, "resource": res}
            elif a.kind is Kind.U64_OUT:
                data[a.name] = struct.unpack("<Q", raw)[0]
            else:
                data[a.name] = struct.unpack("<i", raw)[0]

    # -- events from the machine --------------------------------------------------------

    def syscall(self, task, nr: int, a1: int, a2: int, a3: int, a4: int, a5: int, a6: int):
        """The syscall trap's handler when tracing: dispatch, with its events."""
        args = (a1, a2, a3, a4, a5, a6)
        sc = BY_NR.get(nr)
        data = self._inputs(task, sc, args) if nr in _READS else {}
        self._deferred = deferred = []
        try:
            r = self.system.kernel.dispatch(task, nr, a1, a2, a3, a4, a5, a6)
        finally:
            self._deferred = None
        return self._after(task, sc, nr, args, data, deferred, r)

    def finish_plain(self, task, nr: int, a1: int, a2: int, a3: int, a4: int, a5: int, a6: int, r):
        """A syscall the trap traces itself, when its result is more than a line."""
        deferred = self._trap_deferred[:]
        self._trap_deferred.clear()
        return self._after(task, BY_NR.get(nr), nr, (a1, a2, a3, a4, a5, a6), {}, deferred, r)

    def _after(self, task, sc, nr: int, args: tuple, data: dict, deferred: list, r):
        ev = {"event": "syscall", "pid": task.process.pid, "tid": task.tid, "nr": nr,
              "name": sc.name if sc else None, "args": list(args[:len(sc.args)] if sc else args)}
        if r.__class__ is Block:
            ev["event"] = "block"
            ev["what"] = r.what
            if data:
                ev["data"] = data
            self._pending[task.tid] = ev
            self._emit(ev)
        else:
            self._complete(task, sc, ev, data, None if r is EXITED else 0 if r is YIELD else r)
        for event in deferred:
            self._emit(event)
        return r

    def resumed(self, task, r) -> None:
        if r.__class__ is Block:
            return  # still waiting
        block = self._pending.pop(task.tid, None)
        if block is None:
            return
        ev = {k: v for k, v in block.items() if k not in ("seq", "t", "what", "data")}
        ev["event"] = "resume"
        self._complete(task, BY_NR.get(ev["nr"]), ev, dict(block.get("data", {})),
                       None if r is EXITED else 0 if r is YIELD else r)

    def _complete(self, task, sc, ev: dict, data: dict, raw: int | None) -> None:
        if raw is None:
            ev["ret"] = ev["errno"] = None  # the task is gone: "= ?"
        else:
            value, err = decode_result(raw)
            if err is None and value >= 0 and ev["nr"] in _WRITES:
                self._outputs(task, sc, ev["args"], data)
            ev["ret"] = value
            ev["errno"] = err.name if err is not None else None
        if data:
            ev["data"] = data
        self._emit(ev)

    def process_start(self, proc, path: str | None, argv: list[bytes] | None) -> None:
        """A spawned process (path and argv), or a forked one (None)."""
        ev = {"event": "process_start", "pid": proc.pid, "tid": proc.pid, "name": proc.name, "ppid": proc.ppid,
              "admin": proc.admin}
        if path is not None:
            ev.update(path=os.path.basename(path), argv=[a.decode(errors="replace") for a in argv])
        self._emit(ev)

    def thread_start(self, task, entry: int) -> None:
        self._emit({"event": "thread_start", "pid": task.process.pid, "tid": task.tid, "creator": task.creator})

    def task_exit(self, task) -> None:
        proc = task.process
        if proc.signal is not None:
            return  # the fault event says it
        if proc.alive:  # one thread of a process that goes on
            self._emit({"event": "thread_exit", "pid": proc.pid, "tid": task.tid, "code": task.exit_code})
        elif all(not t.alive for t in proc.tasks):  # the last of its tasks: one exit event
            self._emit({"event": "exit", "pid": proc.pid, "tid": proc.pid, "code": task.exit_code})

    def fault(self, task, fault) -> None:
        self._emit({"event": "fault", "pid": task.process.pid, "tid": task.tid, "signal": fault.signal,
                    "signal_name": fault.signal_name, "what": fault.what, "rip": fault.rip})

    def preempted(self, task, by: str) -> None:
        """The task used its slice of translation blocks ("blocks") or, in exact mode, instructions."""
        self._emit({"event": "preempt", "pid": task.process.pid, "tid": task.tid, "by": by})

    def run_end(self, reason: str, status: int) -> None:
        leftover = self._trap_deferred[:]  # raised by a syscall whose handler then failed
        self._trap_deferred.clear()
        for event in leftover:
            self._emit(event)
        self._emit({"event": "run_end", "pid": 0, "tid": 0, "reason": reason, "status": status})
