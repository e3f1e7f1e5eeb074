"""Mutated ELF files (byte flips, truncations, insertions, header and
program header field edits, dynamic table edits) never break the emulator:
either `load_elf` refuses them with a LoadError whose message is one line
naming the file, or the image loads and runs to a clean end (exit, fault
report, deadlock or limit), never an internal error. A few mutants also go
through `python -m emu run` as a user runs it.

STRAT9_FUZZ_EXAMPLES=N raises the number of hypothesis examples (default
250) for a longer session; `make fuzz` does.
"""

from __future__ import annotations

import os
import random
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from emu import System, Tracer
from emu.loader import LoadError, load_elf
from tests.conftest import ROOT, guest

CORPUS = ROOT / "tests" / "elf_corpus"
EXAMPLES = int(os.environ.get("STRAT9_FUZZ_EXAMPLES", "250"))
# Images larger than this load but are not run (mapping them costs seconds).
RUN_LIMIT = 32 << 20
U64 = (1 << 64) - 1

# ELF header fields: (offset, struct format).
EHDR_FIELDS = [(4, "B"), (5, "B"), (6, "B"), (7, "B"), (16, "<H"), (18, "<H"), (20, "<I"), (24, "<Q"), (32, "<Q"),
               (40, "<Q"), (48, "<I"), (52, "<H"), (54, "<H"), (56, "<H"), (58, "<H"), (60, "<H"), (62, "<H")]
# Program header fields, relative to the entry.
PHDR_FIELDS = [(0, "<I"), (4, "<I"), (8, "<Q"), (16, "<Q"), (24, "<Q"), (32, "<Q"), (40, "<Q"), (48, "<Q")]
INTERESTING = [0, 1, 2, 3, 4, 7, 8, 0x10, 0x38, 0x40, 0x7F, 0x80, 0xFF, 0x100, 0x200, 0xFFF, 0x1000, 0x7FFF, 0x8000,
               0xFFFF, 0x10000, 0x400000, 0x6000_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1 << 32, 1 << 30,
               (1 << 30) + 1, 1 << 40, (1 << 47) - 0x1000, 1 << 47, 0x7FFF_F000_0000, 0x7FFF_F000_F000, 1 << 63,
               U64 - 0xFFF, U64 - 7, U64, 0x6474E551, 3, 6]
WIDTH = {"B": 0xFF, "<H": 0xFFFF, "<I": 0xFFFF_FFFF, "<Q": U64}


def _bases() -> dict[str, bytes]:
    return {"exec": (CORPUS / "base_exec.elf").read_bytes(), "pie": (CORPUS / "base_pie.elf").read_bytes(),
            "hello": Path(guest("hello")).read_bytes()}


_BASES: dict[str, bytes] = {}


def bases() -> dict[str, bytes]:
    if not _BASES:
        _BASES.update(_bases())
    return _BASES


def _phdr_span(data: bytes) -> tuple[int, int]:
    if len(data) < 64:
        return 64, 0
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phnum = struct.unpack_from("<H", data, 56)[0]
    return phoff, min(phnum, max(0, (len(data) - phoff) // 56) if phoff < len(data) else 0)


def _dynamic_span(data: bytes) -> tuple[int, int] | None:
    phoff, phnum = _phdr_span(data)
    for i in range(phnum):
        if phoff + 56 * i + 40 <= len(data) and struct.unpack_from("<I", data, phoff + 56 * i)[0] == 2:
            off, _, _, filesz = struct.unpack_from("<QQQQ", data, phoff + 56 * i + 8)
            return off, filesz
    return None


# -- mutations ----------------------------------------------------------------------------------

def field_value(fmt: str):
    width = WIDTH[fmt]
    return st.one_of(st.sampled_from([v for v in INTERESTING if v <= width]), st.integers(0, width))


@st.composite
def mutation(draw, data: bytes):
    """One edit of `data`, as a (description, function) pair."""
    n = len(data)
    if n == 0:
        return "no-op", lambda b: b
    kind = draw(st.sampled_from(["flip", "flip", "set_byte", "ehdr", "phdr", "phdr", "delta", "dyn", "cut",
                                 "insert", "delete"]))
    if kind in ("flip", "set_byte"):
        pos = draw(st.integers(0, n - 1) | st.integers(0, min(n, 512) - 1))
        val = draw(st.integers(1, 255) if kind == "flip" else st.integers(0, 255))
        new = (lambda old: old ^ val) if kind == "flip" else (lambda old: val)
        return f"{kind} {pos} {val:#x}", lambda b: b[:pos] + bytes([new(b[pos])]) + b[pos + 1:]
    if kind == "ehdr":
        off, fmt = draw(st.sampled_from(EHDR_FIELDS))
        val = draw(field_value(fmt))
        return f"ehdr {off} = {val:#x}", lambda b: _put(b, off, fmt, val)
    if kind in ("phdr", "delta"):
        phoff, phnum = _phdr_span(data)
        i = draw(st.integers(0, max(phnum - 1, 0)))
        rel, fmt = draw(st.sampled_from(PHDR_FIELDS))
        off = phoff + 56 * i + rel
        if kind == "phdr":
            val = draw(field_value(fmt))
            return f"phdr {i} +{rel} = {val:#x}", lambda b: _put(b, off, fmt, val)
        delta = draw(st.sampled_from([-0x1000, -8, -1, 1, 8, 0x1000, 0x10_0000]))
        return f"phdr {i} +{rel} += {delta}", lambda b: _add(b, off, fmt, delta)
    if kind == "dyn":
        span = _dynamic_span(data)
        if span is None:
            return "no-op", lambda b: b
        off, size = span
        slot = draw(st.integers(0, max(size // 8 - 1, 0)))
        val = draw(field_value("<Q"))
        return f"dyn +{8 * slot} = {val:#x}", lambda b: _put(b, off + 8 * slot, "<Q", val)
    if kind == "cut":
        at = draw(st.integers(0, n - 1))
        return f"cut at {at}", lambda b: b[:at]
    if kind == "insert":
        at = draw(st.integers(0, n))
        blob = draw(st.binary(min_size=1, max_size=16))
        return f"insert {blob.hex()} at {at}", lambda b: b[:at] + blob + b[at:]
    at = draw(st.integers(0, n - 1))
    count = draw(st.integers(1, 16))
    return f"delete {count} at {at}", lambda b: b[:at] + b[at + count:]


def _put(b: bytes, off: int, fmt: str, val: int) -> bytes:
    size = struct.calcsize(fmt)
    if off + size > len(b):
        return b
    out = bytearray(b)
    struct.pack_into(fmt, out, off, val & WIDTH[fmt])
    return bytes(out)


def _add(b: bytes, off: int, fmt: str, delta: int) -> bytes:
    size = struct.calcsize(fmt)
    if off + size > len(b):
        return b
    return _put(b, off, fmt, (struct.unpack_from(fmt, b, off)[0] + delta) & WIDTH[fmt])


@st.composite
def mutant(draw):
    name = draw(st.sampled_from(["exec", "exec", "pie", "pie", "hello"]))
    data = bases()[name]
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        desc, fn = draw(mutation(data))
        data = fn(data)
        steps.append(desc)
        if not data:
            break
    return name, steps, data


# -- the contract ----------------------------------------------------------------------------------

_TMP = tempfile.mkdtemp(prefix="strat9-elf-fuzz-")


def check_mutant(data: bytes, path: str) -> str:
    """Load, and run if loadable; return what happened. Fails on any
    exception other than LoadError and on an internal error of a run."""
    try:
        image = load_elf(path, data)
    except LoadError as e:
        text = str(e)
        assert "\n" not in text and text.startswith(f"{path}: ") and len(text) > len(path) + 2, text
        return "refused"
    size = sum(len(s.data) for s in image.segments)
    if size > RUN_LIMIT:
        return "loaded (large, not run)"
    Path(path).write_bytes(data)
    system = System(tracer=Tracer(), timeout=2, exact=True, max_insns=100_000)
    try:
        system.spawn(path)
    except LoadError as e:
        assert "\n" not in str(e) and str(e).startswith(f"{path}: ")
        return "refused at spawn"
    r = system.run()
    assert r.reason != "internal", r.report
    assert r.reason in ("exited", "deadlock", "timeout", "insn-limit")
    assert r.trace[-1]["event"] == "run_end" and r.trace[-1]["status"] == r.status
    for p in r.processes:
        if p.signal is not None:
            assert p.report and "killed by" in p.report
    if r.reason != "exited":
        assert r.report.startswith("strat9-emu: ")
    return f"ran: {r.reason}" + (f", signal {r.processes[0].signal}" if r.processes[0].signal else "")


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=mutant())
def test_mutated_elf_is_refused_in_one_line_or_runs_cleanly(case):
    name, steps, data = case
    outcome = check_mutant(data, os.path.join(_TMP, f"mutant-{name}.elf"))
    event(f"{name}: {outcome}")


def seeded_mutants(seed: int, count: int) -> list[tuple[str, bytes]]:
    """Deterministic mutants for the command-line runs (byte flips and field
    edits of the two tiny bases)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        data = bytearray(bases()["exec" if i % 2 else "pie"])
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.5:
                pos = rng.randrange(min(len(data), 300))
                data[pos] ^= rng.randrange(1, 256)
            else:
                off, fmt = rng.choice(EHDR_FIELDS[4:] + [(64 + 56 * rng.randrange(3) + r, f) for r, f in PHDR_FIELDS])
                data = bytearray(_put(bytes(data), off, fmt, rng.choice(INTERESTING)))
        out.append((f"cli-{seed}-{i}.elf", bytes(data)))
    return out


def test_cli_runs_of_mutants(tmp_path):
    """`python -m emu run` on mutants: exit 2 with one line, or a run that
    ends cleanly; never a traceback, never the internal-error status 3."""
    paths = []
    for name, data in seeded_mutants(7, 10):
        p = tmp_path / name
        p.write_bytes(data)
        paths.append(p)
    procs = [(p, subprocess.Popen([sys.executable, "-m", "emu", "run", "--timeout", "5", "--trace-file",
                                   str(p) + ".jsonl", str(p)], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)) for p in paths]
    outcomes = set()
    for p, proc in procs:
        _, err = proc.communicate(timeout=120)
        err = err.decode(errors="replace")
        assert "Traceback" not in err and "internal error" not in err, err
        assert proc.returncode != 3, err
        if proc.returncode == 2 and not Path(str(p) + ".jsonl").exists():
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"strat9-emu: {p}: "), err
            outcomes.add("refused")
        else:
            last = Path(str(p) + ".jsonl").read_text().splitlines()[-1]
            assert '"event": "run_end"' in last, last
            outcomes.add("ran")
    assert outcomes == {"refused", "ran"}  # the sample covers both sides of the contract
