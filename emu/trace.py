"""The syscall trace: events decoded from the one syscall table of
`kernel_model.syscalls`, written as strace-like text lines and/or JSONL.

Nothing in an event depends on the host (no host times or addresses), so
the same run gives the same bytes.
"""

from __future__ import annotations

import json
import os
import struct

from kernel_model import EXITED, YIELD, Block
from kernel_model.errno import ERRNO_TEXT, decode_result, errno_name
from kernel_model.memory import MemoryFault
from kernel_model.syscalls import BY_NR, Kind

SCHEMA = "strat9-trace"
SCHEMA_VERSION = 1
MSG_SIZE = 64
BUF_SHOW = 64  # bytes of a buffer shown in the human trace

_IN_KINDS = {Kind.MSG_IN, Kind.MSG_INOUT, Kind.PATH, Kind.BUF, Kind.TIMESPEC_IN}
_OUT_KINDS = {Kind.MSG_OUT, Kind.MSG_INOUT, Kind.TIMESPEC_OUT, Kind.HANDLEINFO_OUT, Kind.U64_OUT,
              Kind.STATUS_OUT}
_PROT = ((1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC"))
_MAP = ((0x01, "MAP_SHARED"), (0x02, "MAP_PRIVATE"), (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"))
_CLOCKS = {0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC"}
_ARCH_PRCTL = {0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS", 0x1004: "ARCH_GET_GS"}


def quote(data: bytes, limit: int = BUF_SHOW) -> str:
    """Bytes as a C-like string literal, strace style."""
    out = []
    for b in data[:limit]:
        if b == 0x22:
            out.append('\\"')
        elif b == 0x5C:
            out.append("\\\\")
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x09:
            out.append("\\t")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return '"' + "".join(out) + '"' + ("..." if len(data) > limit else "")


def decode_message(raw: bytes) -> dict:
    sender, msg_type, flags = struct.unpack_from("<QII", raw)
    return {"sender": sender, "type": msg_type, "flags": flags, "payload": raw[16:64]}


def format_message(raw: bytes) -> str:
    m = decode_message(raw)
    payload = m["payload"].rstrip(b"\0")
    return f"{{sender={m['sender']} type={m['type']:#x} flags={m['flags']} payload={quote(payload)}}}"


def _flags(value: int, names) -> str:
    parts = [n for bit, n in names if value & bit]
    rest = value & ~sum(bit for bit, _ in names)
    if rest:
        parts.append(f"{rest:#x}")
    return "|".join(parts) or "0"


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


class Tracer:
    """Collects trace events; writes text lines and/or JSONL as they happen."""

    def __init__(self, text=None, jsonl=None, config: dict | None = None, keep: bool = True):
        self.text = text
        self.jsonl = jsonl
        self.keep = keep
        self.events: list[dict] = []
        self.seq = 0
        self.system = None
        self._pending: dict[int, tuple] = {}  # tid -> (syscall, args, decoded inputs)
        self._deferred: list | None = None  # events raised inside a syscall, shown after its line
        self.config = config or {}

    def attach(self, system) -> None:
        self.system = system
        if self.jsonl is not None:
            header = {"schema": SCHEMA, "version": SCHEMA_VERSION, "config": self.config}
            self.jsonl.write(json.dumps(header, sort_keys=True) + "\n")

    # -- emission ---------------------------------------------------------------------

    def _emit(self, event: dict, line: str | None) -> None:
        if self._deferred is not None:
            self._deferred.append((event, line))
            return
        self.seq += 1
        event = {"seq": self.seq, "t": self.system.kernel.now_ns, **event}
        if self.keep:
            self.events.append(event)
        if self.jsonl is not None:
            self.jsonl.write(json.dumps(event, sort_keys=True, default=_json_default) + "\n")
        if self.text is not None and line is not None:
            self.text.write(line + "\n")

    @staticmethod
    def _who(task) -> str:
        pid = task.process.pid
        return f"[{pid}]" if task.tid == pid else f"[{pid}/{task.tid}]"

    # -- decoding -----------------------------------------------------------------------

    def _read(self, task, addr: int, size: int) -> bytes | None:
        try:
            return task.process.memory.read(addr, size)
        except (MemoryFault, Exception):
            return None

    def _decode_inputs(self, task, sc, args) -> dict:
        dec = {}
        for i, a in enumerate(sc.args):
            v = args[i]
            if a.kind in (Kind.MSG_IN, Kind.MSG_INOUT):
                raw = self._read(task, v, MSG_SIZE) if v else None
                if raw is not None:
                    dec[a.name] = raw
            elif a.kind in (Kind.PATH, Kind.BUF):
                n = args[i + 1] if i + 1 < len(args) else 0
                raw = self._read(task, v, min(n, 4096)) if v and n else None
                if raw is not None:
                    dec[a.name] = raw
            elif a.kind is Kind.TIMESPEC_IN:
                raw = self._read(task, v, 16) if v else None
                if raw is not None:
                    dec[a.name] = struct.unpack("<qq", raw)
        return dec

    def _decode_outputs(self, task, sc, args, dec: dict) -> None:
        for i, a in enumerate(sc.args):
            v = args[i]
            if a.kind not in _OUT_KINDS or not v:
                continue
            if a.kind in (Kind.MSG_OUT, Kind.MSG_INOUT):
                raw = self._read(task, v, MSG_SIZE)
                if raw is not None:
                    dec[a.name + ("_reply" if a.kind is Kind.MSG_INOUT else "")] = raw
            elif a.kind is Kind.TIMESPEC_OUT:
                raw = self._read(task, v, 16)
                if raw is not None:
                    dec[a.name] = struct.unpack("<qq", raw)
            elif a.kind is Kind.HANDLEINFO_OUT:
                raw = self._read(task, v, 16)
                if raw is not None:
                    rtype, perms, res = struct.unpack("<IIQ", raw)
                    dec[a.name] = {"resource_type": rtype, "permissions": perms, "resource": res}
            elif a.kind is Kind.U64_OUT:
                raw = self._read(task, v, 8)
                if raw is not None:
                    dec[a.name] = struct.unpack("<Q", raw)[0]
            elif a.kind is Kind.STATUS_OUT:
                raw = self._read(task, v, 4)
                if raw is not None:
                    dec[a.name] = struct.unpack("<i", raw)[0]

    def _format_arg(self, a, v: int, dec: dict, args, i: int, out: bool) -> str:
        k = a.kind
        if k is Kind.HANDLE:
            return f"h={v}"
        if k in (Kind.INT, Kind.PID):
            return str(_signed(v))
        if k in (Kind.UINT, Kind.LEN, Kind.FD):
            return str(v)
        if k is Kind.CLOCK:
            return _CLOCKS.get(v, str(v))
        if k is Kind.PROT:
            return _flags(v, _PROT)
        if k is Kind.MAP_FLAGS:
            return _flags(v, _MAP)
        if k is Kind.WAIT_OPTIONS:
            return _flags(v, ((1, "WNOHANG"),))
        if k is Kind.ARCH_PRCTL_CODE:
            return _ARCH_PRCTL.get(v, f"{v:#x}")
        if k is Kind.TIMEOUT_NS:
            return "INFINITE" if v == (1 << 64) - 1 else f"{v}ns"
        if (k is Kind.MSG_IN or (k is Kind.MSG_INOUT and not out)) and a.name in dec:
            return format_message(dec[a.name])
        if k is Kind.MSG_INOUT and out and a.name + "_reply" in dec:
            return format_message(dec[a.name + "_reply"])
        if k is Kind.MSG_OUT and out and a.name in dec:
            return format_message(dec[a.name])
        if k in (Kind.PATH, Kind.BUF) and a.name in dec:
            return quote(dec[a.name])
        if k is Kind.TIMESPEC_IN and a.name in dec:
            s, ns = dec[a.name]
            return f"{{tv_sec={s}, tv_nsec={ns}}}"
        if k is Kind.TIMESPEC_OUT and out and a.name in dec:
            s, ns = dec[a.name]
            return f"{{tv_sec={s}, tv_nsec={ns}}}"
        if k is Kind.HANDLEINFO_OUT and out and a.name in dec:
            d = dec[a.name]
            return f"{{type={d['resource_type']} perms={d['permissions']:#x} resource={d['resource']}}}"
        if k in (Kind.U64_OUT,) and out and a.name in dec:
            return f"[{dec[a.name]:#x}]"
        if k is Kind.STATUS_OUT and out and a.name in dec:
            return f"[{dec[a.name]:#x}]"
        return "NULL" if v == 0 and k not in (Kind.HEX,) else f"{v:#x}"

    def _format_args(self, sc, args, dec: dict, out: bool) -> str:
        return ", ".join(self._format_arg(a, args[i], dec, args, i, out) for i, a in enumerate(sc.args))

    @staticmethod
    def _format_result(sc, raw: int) -> tuple[str, int, str | None]:
        value, err = decode_result(raw)
        if err is not None:
            return f"{value} {err.name} ({ERRNO_TEXT[err]})", value, err.name
        if -4096 < value < 0:
            return f"{value} {errno_name(-value)}", value, errno_name(-value)
        if sc is not None and sc.ret is Kind.HEX:
            return f"{raw:#x}", value, None
        return str(value), value, None

    # -- events from the machine ----------------------------------------------------------

    def syscall(self, task, nr: int, args: tuple, dispatch):
        sc = BY_NR.get(nr)
        dec = self._decode_inputs(task, sc, args) if sc is not None else {}
        self._deferred = []
        try:
            r = dispatch(task, nr, *args)
        finally:
            deferred, self._deferred = self._deferred, None
        if r.__class__ is int:
            self._complete(task, sc, nr, args, dec, r, resumed=False)
        elif r.__class__ is Block:
            self._pending[task.tid] = (sc, nr, args, dec)
            name = sc.short if sc else f"syscall_{nr}"
            self._emit(self._event("block", task, sc, nr, args, dec, what=r.what),
                       f"{self._who(task)} {name}({self._format_args(sc, args, dec, False)}) <unfinished ...>")
        elif r is YIELD:
            self._complete(task, sc, nr, args, dec, 0, resumed=False)
        elif r is EXITED:
            name = sc.short if sc else f"syscall_{nr}"
            self._emit(self._event("syscall", task, sc, nr, args, dec),
                       f"{self._who(task)} {name}({self._format_args(sc, args, dec, False)}) = ?")
        for event, line in deferred:
            self._emit(event, line)
        return r

    def resumed(self, task, r) -> None:
        if r.__class__ is Block:
            return  # still waiting
        pending = self._pending.pop(task.tid, None)
        if pending is None:
            return
        sc, nr, args, dec = pending
        self._complete(task, sc, nr, args, dec, 0 if r is YIELD else r, resumed=True)

    def _event(self, kind, task, sc, nr, args, dec, **extra) -> dict:
        ev = {"event": kind, "pid": task.process.pid, "tid": task.tid, "nr": nr,
              "name": sc.name if sc else None, "args": list(args[:len(sc.args)] if sc else args)}
        for key, val in dec.items():
            ev.setdefault("data", {})[key] = val
        ev.update(extra)
        return ev

    def _complete(self, task, sc, nr, args, dec, raw, resumed: bool) -> None:
        if raw.__class__ is not int:
            return
        if sc is not None and decode_result(raw)[1] is None:
            self._decode_outputs(task, sc, args, dec)
        text, value, err = self._format_result(sc, raw)
        name = sc.short if sc else f"syscall_{nr}"
        shown = self._format_args(sc, args, dec, True) if sc else ", ".join(f"{a:#x}" for a in args)
        if resumed:
            line = f"{self._who(task)} <... {name} resumed> ({shown}) = {text}"
        else:
            line = f"{self._who(task)} {name}({shown}) = {text}"
        ev = self._event("resume" if resumed else "syscall", task, sc, nr, args, dec, ret=value, errno=err)
        self._emit(ev, line)

    def process_start(self, proc, path: str | None, argv: list[bytes] | None) -> None:
        """A spawned process (path and argv), or a forked one (None)."""
        event = {"event": "process_start", "pid": proc.pid, "tid": proc.pid, "name": proc.name,
                 "ppid": proc.ppid, "admin": proc.admin}
        if path is not None:
            event.update(path=os.path.basename(path), argv=[a.decode(errors="replace") for a in argv])
            line = f"[{proc.pid}] +++ started {proc.name} +++"
        else:
            line = f"[{proc.pid}] +++ forked from {proc.ppid} +++"
        self._emit(event, line)

    def thread_start(self, task, entry: int) -> None:
        self._emit({"event": "thread_start", "pid": task.process.pid, "tid": task.tid, "creator": task.creator},
                   f"{self._who(task)} +++ thread started by {task.creator} +++")

    def task_exit(self, task) -> None:
        proc = task.process
        if proc.signal is not None:
            return  # the fault event says it
        if proc.alive:  # one thread of a process that goes on
            self._emit({"event": "thread_exit", "pid": proc.pid, "tid": task.tid, "code": task.exit_code},
                       f"{self._who(task)} +++ thread exited with {task.exit_code} +++")
        elif task is proc.main_task or all(not t.alive for t in proc.tasks):
            self._emit({"event": "exit", "pid": proc.pid, "tid": task.tid, "code": task.exit_code},
                       f"{self._who(task)} +++ exited with {task.exit_code} +++")

    def fault(self, task, fault) -> None:
        self._emit({"event": "fault", "pid": task.process.pid, "tid": task.tid, "signal": fault.signal,
                    "signal_name": fault.signal_name, "what": fault.what, "rip": fault.rip},
                   f"{self._who(task)} +++ killed by {fault.signal_name} ({fault.what}) +++")

    def preempted(self, task) -> None:
        # JSONL only: the text trace stays one line per syscall.
        self._emit({"event": "preempt", "pid": task.process.pid, "tid": task.tid, "by": "insns"}, None)

    def run_end(self, reason: str, status: int) -> None:
        self._emit({"event": "run_end", "pid": 0, "tid": 0, "reason": reason, "status": status},
                   None)


def _json_default(o):
    if isinstance(o, (bytes, bytearray)):
        return o.hex()
    raise TypeError(type(o).__name__)
