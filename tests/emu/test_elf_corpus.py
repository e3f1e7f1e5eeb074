"""The malformed-ELF corpus (tests/elf_corpus/, written by
tools/make_elf_corpus.py): every file gives one line naming the file and
the reason, exit status 2, never a traceback; the two valid bases run."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import struct
import subprocess
import sys
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
