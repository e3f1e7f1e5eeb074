"""Golden traces: `strat9-emu record` writes a run's JSONL trace, and
`strat9-emu check` runs again and compares event by event, semantically.

Volatile fields (docs/trace-format.md) are left out of the comparison:
seq, the text of block reasons and fault descriptions, fault rip,
preemption events, the raw values of pointer arguments (only NULL or not
counts: guest addresses differ between compilers), and handle numbers,
which are compared by their order of first appearance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kernel_model.syscalls import BY_NR, Kind

from .trace import SCHEMA, SCHEMA_VERSION, dumps
from .trace_format import POINTER_KINDS, format_event, format_message, quote

VOLATILE_EVENTS = frozenset({"preempt"})
VOLATILE_FIELDS = frozenset({"seq", "what", "rip"})


class GoldenError(Exception):
    """An unreadable golden file (exit status 2)."""


def load(path: str) -> tuple[dict, list[dict]]:
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise GoldenError(f"{path}: cannot read: {e.strerror}") from None
    try:
        header = json.loads(lines[0]) if lines else None
        if not isinstance(header, dict) or header.get("schema") != SCHEMA:
            raise GoldenError(f"{path}: not a {SCHEMA} JSONL file (bad header)")
        if header.get("version") != SCHEMA_VERSION:
            raise GoldenError(f"{path}: schema version {header.get('version')}, this tool reads {SCHEMA_VERSION}")
        return header, [json.loads(line) for line in lines[1:] if line.strip()]
    except json.JSONDecodeError as e:
        raise GoldenError(f"{path}: line {e.lineno}: not JSON: {e.msg}") from None


def write(path: str, events: list[dict], config: dict | None = None) -> None:
    """A golden file: the JSONL form of a run's events."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps({"schema": SCHEMA, "version": SCHEMA_VERSION, "config": config or {}}) + "\n")
        for ev in events:
            f.write(dumps(ev) + "\n")


def normalise(events: list[dict], per_process: bool = False) -> list[tuple[int, dict]]:
    """(index in `events`, comparable form) of every non-volatile event.
    Handles are numbered by first appearance in the whole run, or within
    each process (`per_process`, when processes may interleave differently)."""
    numbering: dict = {}

    def handle(ev: dict, h: int) -> str:
        handles = numbering.setdefault(ev["pid"] if per_process else 0, {})
        return f"h#{handles.setdefault(h, len(handles) + 1)}"

    out = []
    for i, ev in enumerate(events):
        if ev["event"] in VOLATILE_EVENTS:
            continue
        n = {k: v for k, v in ev.items() if k not in VOLATILE_FIELDS}
        sc = BY_NR.get(ev.get("nr")) if "nr" in ev else None
        if sc is not None:
            args = []
            for a, v in zip(sc.args, ev["args"]):
                if a.kind is Kind.HANDLE:
                    args.append(handle(ev, v))
                elif a.kind in POINTER_KINDS:
                    args.append("ptr" if v else 0)
                else:
                    args.append(v)
            n["args"] = args
            if sc.ret is Kind.HANDLE and ev.get("ret") is not None and ev["ret"] >= 0:
                n["ret"] = handle(ev, ev["ret"])
        if "data" in n:
            n["data"] = json.loads(dumps(n["data"]))  # bytes as hex, as in a file
        out.append((i, n))
    return out


@dataclass
class Divergence:
    index: int  # position among the compared (non-volatile) events
    expected: dict | None
    actual: dict | None
    fields: list[str]

    def report(self) -> str:
        lines = [f"strat9-emu check: traces diverge at event {self.index + 1} (after {self.index} equal events)"]
        for label, ev in (("expected", self.expected), ("actual", self.actual)):
            if ev is None:
                lines.append(f"  {label + ':':9} (no more events)")
            else:
                text = format_event(ev) or f"{ev['event']} {dumps({k: v for k, v in ev.items() if k != 'seq'})}"
                lines.append(f"  {label + ':':9} {text}")
        if self.fields:
            lines.append(f"  differs in: {', '.join(self.fields)}")
            for f in self.fields:
                if f.startswith("data.") and self.expected and self.actual:
                    key = f[5:]
                    lines.append(f"    expected {key}: {_show(self.expected.get('data', {}).get(key))}")
                    lines.append(f"    actual   {key}: {_show(self.actual.get('data', {}).get(key))}")
        return "\n".join(lines)


def _show(value) -> str:
    if isinstance(value, str) and all(c in "0123456789abcdef" for c in value) and len(value) % 2 == 0:
        value = bytes.fromhex(value)
    if isinstance(value, (bytes, bytearray)):
        if len(value) == 64:  # an IpcMessage
            return f"{format_message(value)}  [{value.hex(' ')}]"
        return f"{quote(bytes(value))}  [{value.hex(' ')}]"
    return json.dumps(value)


def compare(expected: list[dict], actual: list[dict], per_task: bool = False) -> Divergence | None:
    """The first divergence, or None. `per_task` compares each task's own
    events in order and ignores virtual time: for builds of the same sources
    by other compilers, whose slice preemptions (and so the
    interleaving of tasks) may land elsewhere."""
    a, b = normalise(expected, per_task), normalise(actual, per_task)
    if per_task:
        a, b = _by_task(a), _by_task(b)
    for pos, ((ia, na), (ib, nb)) in enumerate(zip(a, b)):
        if na != nb:
            fields = sorted(k for k in set(na) | set(nb) if k != "data" and na.get(k) != nb.get(k))
            da, db = na.get("data", {}), nb.get("data", {})
            fields += [f"data.{k}" for k in sorted(set(da) | set(db)) if da.get(k) != db.get(k)]
            return Divergence(pos, expected[ia], actual[ib], fields)
    if len(a) != len(b):
        pos = min(len(a), len(b))
        return Divergence(pos, expected[a[pos][0]] if pos < len(a) else None,
                          actual[b[pos][0]] if pos < len(b) else None, [])
    return None


def _by_task(events: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """Events grouped by (pid, tid) in order of first appearance, without `t`.
    run_end, the outcome of the whole run, stays last."""
    groups: dict[tuple, list] = {}
    for i, n in events:
        n = {k: v for k, v in n.items() if k != "t"}
        groups.setdefault((n["pid"], n["tid"]), []).append((i, n))
    return [item for key in sorted(groups, key=lambda k: (k == (0, 0), k)) for item in groups[key]]
