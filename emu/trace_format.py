"""Text form of trace events, strace style, from the event dicts alone.

The same function formats a live run (`--trace`) and a JSONL file read
back (`strat9-emu check`), so the two can never disagree. Syscall
arguments are decoded by the kinds of `kernel_model.syscalls`.
"""

from __future__ import annotations

import struct

from kernel_model.errno import ERRNO_TEXT, Errno, errno_name
from kernel_model.syscalls import BY_NR, Kind

BUF_SHOW = 64  # bytes of a buffer shown in a line
_PROT = ((1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC"))
_MAP = ((0x01, "MAP_SHARED"), (0x02, "MAP_PRIVATE"), (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"))
_CLOCKS = {0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC"}
_ARCH_PRCTL = {0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS", 0x1004: "ARCH_GET_GS"}
# Kinds whose value lands in guest memory only when the call succeeds.
OUT_KINDS = frozenset({Kind.MSG_OUT, Kind.TIMESPEC_OUT, Kind.HANDLEINFO_OUT, Kind.U64_OUT, Kind.STATUS_OUT})
# Kinds whose raw value is a guest address (compiler- and layout-dependent).
POINTER_KINDS = frozenset({Kind.PTR, Kind.MSG_IN, Kind.MSG_OUT, Kind.MSG_INOUT, Kind.PATH, Kind.BUF,
                           Kind.TIMESPEC_IN, Kind.TIMESPEC_OUT, Kind.HANDLEINFO_OUT, Kind.U64_OUT,
                           Kind.STATUS_OUT})
_ERRNOS = {e.name: e for e in Errno}


def quote(data: bytes, limit: int = BUF_SHOW) -> str:
    """Bytes as a C-like string literal: printable text, the rest escaped."""
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


def as_bytes(value) -> bytes:
    """Event data holds bytes in memory and hex strings in JSONL."""
    return bytes.fromhex(value) if isinstance(value, str) else bytes(value)


def format_message(raw) -> str:
    raw = as_bytes(raw)
    sender, msg_type, flags = struct.unpack_from("<QII", raw)
    payload = raw[16:64].rstrip(b"\0")
    return f"{{sender={sender} type={msg_type:#x} flags={flags} payload={quote(payload)}}}"


def _flags(value: int, names) -> str:
    parts = [n for bit, n in names if value & bit]
    rest = value & ~sum(bit for bit, _ in names)
    if rest:
        parts.append(f"{rest:#x}")
    return "|".join(parts) or "0"


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def format_arg(kind: Kind, name: str, value: int, data: dict, completed: bool) -> str:
    """One argument: decoded data when the event has it, else the raw value."""
    if kind is Kind.HANDLE:
        return f"h={value}"
    if kind in (Kind.INT, Kind.PID):
        return str(_signed(value))
    if kind in (Kind.UINT, Kind.LEN, Kind.FD):
        return str(value)
    if kind is Kind.CLOCK:
        return _CLOCKS.get(value, str(value))
    if kind is Kind.PROT:
        return _flags(value, _PROT)
    if kind is Kind.MAP_FLAGS:
        return _flags(value, _MAP)
    if kind is Kind.WAIT_OPTIONS:
        return _flags(value, ((1, "WNOHANG"),))
    if kind is Kind.ARCH_PRCTL_CODE:
        return _ARCH_PRCTL.get(value, f"{value:#x}")
    if kind is Kind.TIMEOUT_NS:
        return "INFINITE" if value == (1 << 64) - 1 else f"{value}ns"
    if kind is Kind.HEX:
        return f"{value:#x}"
    if value == 0:
        return "NULL"
    if kind is Kind.MSG_INOUT:  # a call shows the request, then the reply once it came
        key = name + "_reply" if completed else name
        return format_message(data[key]) if key in data else f"{value:#x}"
    if kind in (Kind.MSG_IN, Kind.MSG_OUT) and name in data:
        return format_message(data[name])
    if kind in (Kind.PATH, Kind.BUF) and name in data:
        return quote(as_bytes(data[name]))
    if kind in (Kind.TIMESPEC_IN, Kind.TIMESPEC_OUT) and name in data:
        sec, nsec = data[name]
        return f"{{tv_sec={sec}, tv_nsec={nsec}}}"
    if kind is Kind.HANDLEINFO_OUT and name in data:
        d = data[name]
        return f"{{type={d['resource_type']} perms={d['permissions']:#x} resource={d['resource']}}}"
    if kind in (Kind.U64_OUT, Kind.STATUS_OUT) and name in data:
        return f"[{data[name]:#x}]"
    return f"{value:#x}"


def format_result(sc, ret: int | None, errno: str | None) -> str:
    if ret is None:
        return "?"
    if errno is not None:
        e = _ERRNOS.get(errno)
        return f"{ret} {errno} ({ERRNO_TEXT[e]})" if e is not None else f"{ret} {errno}"
    if -4096 < ret < 0:
        return f"{ret} {errno_name(-ret)}"
    if sc is not None and sc.ret is Kind.HEX:
        return f"{ret & ((1 << 64) - 1):#x}"
    return str(ret)


def who(ev: dict) -> str:
    pid, tid = ev["pid"], ev["tid"]
    return f"[{pid}]" if tid == pid else f"[{pid}/{tid}]"


def format_syscall(ev: dict) -> str:
    sc = BY_NR.get(ev["nr"])
    data = ev.get("data") or {}
    completed = ev["event"] != "block"
    ok = completed and ev.get("errno") is None and ev.get("ret") is not None
    if sc is None:
        name, shown = f"syscall_{ev['nr']}", ", ".join(f"{a:#x}" for a in ev["args"])
    else:
        name = sc.short
        shown = ", ".join(
            format_arg(a.kind, a.name, v, data if ok or a.kind not in OUT_KINDS else {}, ok)
            for a, v in zip(sc.args, ev["args"]))
    if ev["event"] == "block":
        return f"{who(ev)} {name}({shown}) <unfinished ...>"
    result = format_result(sc, ev.get("ret"), ev.get("errno"))
    if ev["event"] == "resume":
        return f"{who(ev)} <... {name} resumed> ({shown}) = {result}"
    return f"{who(ev)} {name}({shown}) = {result}"


def format_event(ev: dict) -> str | None:
    """The text line of one event, or None for events the text trace omits."""
    kind = ev["event"]
    if kind in ("syscall", "block", "resume"):
        return format_syscall(ev)
    if kind == "process_start":
        if "path" in ev:
            return f"[{ev['pid']}] +++ started {ev['name']} +++"
        return f"[{ev['pid']}] +++ forked from {ev['ppid']} +++"
    if kind == "thread_start":
        return f"{who(ev)} +++ thread started by {ev['creator']} +++"
    if kind == "thread_exit":
        return f"{who(ev)} +++ thread exited with {ev['code']} +++"
    if kind == "exit":
        return f"{who(ev)} +++ exited with {ev['code']} +++"
    if kind == "fault":
        return f"{who(ev)} +++ killed by {ev['signal_name']} ({ev['what']}) +++"
    return None  # preempt, run_end: JSONL only
