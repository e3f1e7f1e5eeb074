"""The malformed-ELF corpus (tests/elf_corpus/, written by
tools/make_elf_corpus.py): every file gives one line naming the file and
the reason, exit status 2, never a traceback; the two valid bases run."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emu import cli
from emu.loader import USER_STACK_BASE, LoadError, load_elf
from emu.system import System
from tests.conftest import ROOT, guest

CORPUS = ROOT / "tests" / "elf_corpus"


def corpus_tool():
    """tools/make_elf_corpus.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_elf_corpus", ROOT / "tools" / "make_elf_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_in_process(*args: str) -> tuple[int, str, str]:
    """`strat9-emu ARGS` in this process (what `python -m emu` runs): status,
    stdout, stderr. An exception escaping the CLI fails the test as a
    traceback would."""
    out, err = io.StringIO(), io.StringIO()
    out.buffer = io.BytesIO()  # the console writes guest output to sys.stdout.buffer
    err.buffer = io.BytesIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(list(args))
    return status, out.buffer.getvalue().decode() + out.getvalue(), err.buffer.getvalue().decode() + err.getvalue()


def assert_one_line_error(status: int, err: str, path: Path, reason: str) -> None:
    assert status == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"strat9-emu: {path}: "), err
    assert reason in lines[0], err


# -- regressions found while building the corpus ---------------------------------------------

@pytest.mark.parametrize("offset,memsz", [(0x3000, None), (-0x1000, 0x2000)], ids=["inside", "reaching_into"])
def test_segment_over_the_stack_is_a_load_error(tmp_path, offset, memsz):
    """A PT_LOAD segment over the fixed user stack made spawn's stack mapping
    fail inside Unicorn (UcError UC_ERR_MAP): a traceback, exit 1."""
    data = bytearray(Path(guest("hello")).read_bytes())
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phnum = struct.unpack_from("<H", data, 56)[0]
    last = max(i for i in range(phnum) if struct.unpack_from("<I", data, phoff + 56 * i)[0] == 1)
    at = phoff + 56 * last
    vaddr = struct.unpack_from("<Q", data, at + 16)[0]
    struct.pack_into("<QQ", data, at + 16, *[USER_STACK_BASE + offset + (vaddr & 0xFFF)] * 2)
    if memsz is not None:
        struct.pack_into("<Q", data, at + 40, memsz)
    path = tmp_path / "on_stack.elf"
    path.write_bytes(bytes(data))
    with pytest.raises(LoadError, match="overlaps the user stack"):
        System().spawn(str(path))
    status, _, err = run_in_process("run", str(path))
    assert_one_line_error(status, err, path, "overlaps the user stack")



def test_huge_zero_filled_code_segment_spawns_quickly(tmp_path):
    """The privileged-instruction sweep disassembled every byte of an
    executable segment, bss included: a 300-byte image declaring 64 MiB of
    executable memory took about a minute to spawn (1 GiB: a quarter of an
    hour). A privileged instruction right before the zeros is still caught."""
    tool = corpus_tool()
    ex = tool.base_exec()
    text, data = tool.get_phdr(ex, 0), tool.get_phdr(ex, 1)
    at = text[5] - len(tool.MESSAGE)  # the message ends the text segment's file bytes
    blob = bytearray(tool.put(ex, tool.E_ENTRY, "<Q", text[3] + at))
    blob[at:at + 3] = b"\xe4\x00\x00"  # in al, 0 (#GP at CPL 3), then zeros
    blob = tool.edit_phdr(bytes(blob), 0, memsz=64 << 20)
    blob = tool.edit_phdr(blob, 1, vaddr=0x1000_0000 + (data[3] & 0xFFF))
    path = tmp_path / "big_bss_code.elf"
    path.write_bytes(blob)
    start = time.monotonic()
    system = System()
    system.spawn(str(path))
    assert time.monotonic() - start < 10
    r = system.run()
    assert r.status == 128 + 11 and "privileged instruction" in r.processes[0].report



@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_special_files_are_refused_at_once(tmp_path, kind):
    """A FIFO blocked the loader for ever (open waits for a writer); from
    /dev/zero it read 1 GiB before finding no ELF magic."""
    if kind == "fifo":
        path = tmp_path / "pipe.elf"
        os.mkfifo(path)
    else:
        path = Path(kind)
    p = subprocess.run([sys.executable, "-m", "emu", "run", str(path)], cwd=ROOT, capture_output=True, timeout=30)
    assert_one_line_error(p.returncode, p.stderr.decode(), path, "cannot read: not a regular file")


# -- the corpus -------------------------------------------------------------------------------

def manifest() -> dict[str, str | None]:
    return json.loads((CORPUS / "MANIFEST.json").read_text())


MANIFEST = manifest()
MALFORMED = sorted(n for n, reason in MANIFEST.items() if reason is not None)
VALID = sorted(n for n, reason in MANIFEST.items() if reason is None)


def test_corpus_is_what_the_tool_writes():
    """The committed files are exactly tools/make_elf_corpus.py's output, and
    the manifest names every file."""
    assert corpus_tool().main(["--check", str(CORPUS)]) == 0
    assert sorted(p.name for p in CORPUS.glob("*.elf")) == sorted(MANIFEST)
    assert len(MALFORMED) >= 60 and VALID == ["base_exec.elf", "base_pie.elf"]
    assert all(p.stat().st_size < 4096 for p in CORPUS.glob("*.elf"))


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_elf_one_line_exit_2(name):
    path = CORPUS / name
    with pytest.raises(LoadError) as exc:
        load_elf(str(path))
    text = str(exc.value)
    assert "\n" not in text and text.startswith(f"{path}: ") and MANIFEST[name] in text
    status, out, err = run_in_process("run", str(path))
    assert out == ""
    assert_one_line_error(status, err, path, MANIFEST[name])


@pytest.mark.parametrize("name", VALID)
def test_valid_bases_run(name):
    status, out, err = run_in_process("run", str(CORPUS / name))
    assert (status, out, err) == (0, "ok\n", "")


@pytest.mark.parametrize("option", [None, "--trace", "--trace-file", "--trace-out", "record"])
def test_bad_file_after_a_good_one_runs_and_traces_nothing(tmp_path, option):
    """With a trace, the first process's start was traced before the second
    file was found unusable: a second stderr line with --trace, a JSONL
    file with a header, a process_start and no run_end with --trace-file."""
    good, bad = CORPUS / "base_exec.elf", CORPUS / "interp.elf"
    out_file = tmp_path / "trace.out"
    opts = {None: ["run"], "--trace": ["run", "--trace"], "--trace-file": ["run", "--trace-file", str(out_file)],
            "--trace-out": ["run", "--trace", "--trace-out", str(out_file)],
            "record": ["record", "--golden", str(out_file)]}[option]
    status, out, err = run_in_process(*opts, str(good), str(bad))
    assert out == ""
    assert_one_line_error(status, err, bad, MANIFEST["interp.elf"])
    assert not out_file.exists()


# A sample run as a user runs it: `python -m emu run FILE`, in parallel.
CLI_SAMPLE = ["empty.elf", "class32.elf", "machine_arm.elf", "interp.elf", "no_load.elf", "filesz_gt_memsz.elf",
              "memsz_huge.elf", "overlap_partial.elf", "vaddr_wraps.elf", "entry_outside.elf",
              "segment_on_stack.elf", "pie_reloc_type.elf", "base_exec.elf"]


def test_cli_subprocess_sample():
    procs = {name: subprocess.Popen([sys.executable, "-m", "emu", "run", str(CORPUS / name)], cwd=ROOT,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in CLI_SAMPLE}
    for name, p in procs.items():
        out, err = p.communicate(timeout=120)
        if MANIFEST[name] is None:
            assert (p.returncode, out, err) == (0, b"ok\n", b""), err.decode()
        else:
            assert out == b""
            assert_one_line_error(p.returncode, err.decode(), CORPUS / name, MANIFEST[name])
