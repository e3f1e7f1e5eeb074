"""ELF loading: every unusable input gives one line naming the file and the
reason, exit status 2, never a traceback; static-PIE images are relocated."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from emu.loader import PIE_BASE, LoadError, load_elf
from tests.conftest import ROOT, guest, run_cli

PHDR = struct.Struct("<IIQQQQQQ")  # type, flags, offset, vaddr, paddr, filesz, memsz, align


def _phdrs(data: bytes):
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    return [(phoff + i * phentsize, list(PHDR.unpack_from(data, phoff + i * phentsize))) for i in range(phnum)]


def _edit_load(data: bytes, index: int, **fields) -> bytes:
    names = ["type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align"]
    out = bytearray(data)
    loads = [(off, ph) for off, ph in _phdrs(data) if ph[0] == 1]
    off, ph = loads[index]
    for k, v in fields.items():
        ph[names.index(k)] = v
    PHDR.pack_into(out, off, *ph)
    return bytes(out)


def _set(data: bytes, offset: int, fmt: str, value) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def _all_loads_to(data: bytes, ptype: int) -> bytes:
    out = bytearray(data)
    for off, ph in _phdrs(data):
        if ph[0] == 1:
            struct.pack_into("<I", out, off, ptype)
    return bytes(out)


def _first_phdr_to(data: bytes, ptype: int) -> bytes:
    off, _ = _phdrs(data)[0]
    return _set(data, off, "<I", ptype)


def _malformed(hello: bytes) -> dict[str, tuple[bytes, str]]:
    loads = [ph for _, ph in _phdrs(hello) if ph[0] == 1]
    text_vaddr = next(ph[3] for ph in loads if ph[1] & 1)
    return {
        "empty": (b"", "not an ELF file"),
        "text": (b"#!/bin/sh\necho hi\n", "not an ELF file"),
        "short_header": (hello[:20], "truncated ELF header"),
        "class32": (_set(hello, 4, "B", 1), "not a 64-bit ELF"),
        "bad_class": (_set(hello, 4, "B", 7), "not a 64-bit ELF"),
        "big_endian": (_set(hello, 5, "B", 2), "not a little-endian ELF"),
        "arm": (_set(hello, 18, "<H", 40), "not an x86_64 ELF"),
        "relocatable": (_set(hello, 16, "<H", 1), "not an executable"),
        "core": (_set(hello, 16, "<H", 4), "not an executable"),
        "interp": (_first_phdr_to(hello, 3), "dynamic executable"),
        "no_load": (_all_loads_to(hello, 0), "no loadable"),
        "filesz_gt_memsz": (_edit_load(hello, 1, filesz=loads[1][6] + 0x100000), "p_filesz"),
        "segment_past_eof": (_edit_load(hello, 1, offset=len(hello) + 0x1000), "past end of file"),
        "truncated": (hello[: len(hello) // 3], "past end of file"),
        "huge_memsz": (_edit_load(hello, 0, memsz=1 << 40), "too large"),
        "overlap": (_edit_load(hello, 1, vaddr=loads[0][3], offset=loads[0][2]), "overlapping"),
        "wrap": (_edit_load(hello, 0, vaddr=(1 << 64) - 0x1000), "outside user space"),
        "kernel_half": (_edit_load(hello, 0, vaddr=0xFFFF_8000_0000_0000), "outside user space"),
        "entry_outside": (_set(hello, 24, "<Q", 0x7000_0000), "entry point"),
        "entry_in_data": (_set(hello, 24, "<Q", loads[-1][3]), "entry point"),
        "phnum_absurd": (_set(hello, 56, "<H", 0xFFFF), "program header"),
        "phnum_zero": (_set(hello, 56, "<H", 0), "no program headers"),
        "phentsize": (_set(hello, 54, "<H", 32), "program header size"),
        "phoff_past_eof": (_set(hello, 32, "<Q", 1 << 40), "program headers extend past"),
        "zero_page": (_edit_load(hello, 0, vaddr=0, offset=0), "first 64 KiB"),
        "text_misaligned": (_edit_load(hello, 0, vaddr=text_vaddr + 3), ""),
    }


def hello_bytes() -> bytes:
    return Path(guest("hello")).read_bytes()




def pytest_generate_tests(metafunc):
    if "bad_case" in metafunc.fixturenames:
        names = ["empty", "text", "short_header", "class32", "bad_class", "big_endian", "arm", "relocatable",
                 "core", "interp", "no_load", "filesz_gt_memsz", "segment_past_eof", "truncated", "huge_memsz",
                 "overlap", "wrap", "kernel_half", "entry_outside", "entry_in_data", "phnum_absurd",
                 "phnum_zero", "phentsize", "phoff_past_eof", "zero_page", "text_misaligned"]
        metafunc.parametrize("bad_case", names)


def _assert_usage_error(p, path: Path, reason: str) -> None:
    err = p.stderr.decode()
    assert p.returncode == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"strat9-emu: {path}:"), err
    assert reason in lines[0], err


def test_malformed_elf_is_a_one_line_error(tmp_path, bad_case):
    data, reason = _malformed(hello_bytes())[bad_case]
    path = tmp_path / f"{bad_case}.elf"
    path.write_bytes(data)
    _assert_usage_error(run_cli("run", str(path)), path, reason)


def test_malformed_second_file_stops_before_running(tmp_path):
    bad = tmp_path / "bad.elf"
    bad.write_bytes(b"junk")
    p = run_cli("run", guest("hello"), str(bad))
    _assert_usage_error(p, bad, "not an ELF")
    assert p.stdout == b""  # nothing ran


def test_missing_file_and_directory(tmp_path):
    missing = tmp_path / "nope.elf"
    _assert_usage_error(run_cli("run", str(missing)), missing, "cannot read")
    _assert_usage_error(run_cli("run", str(tmp_path)), tmp_path, "cannot read")


def test_real_dynamic_executable_is_refused(tmp_path):
    src = tmp_path / "dyn.c"
    src.write_text("int main(void) { return 0; }\n")
    exe = tmp_path / "dyn"
    subprocess.run(["gcc", "-o", str(exe), str(src)], check=True)
    _assert_usage_error(run_cli("run", str(exe)), exe, "dynamic executable")


def test_static_pie_is_loaded_at_upstream_base_and_relocated(tmp_path):
    """A static-PIE guest with absolute pointers in data runs correctly: the
    loader applied its R_X86_64_RELATIVE relocations at PIE_BASE."""
    src = tmp_path / "pie.c"
    src.write_text(r'''
#include "strat9.h"
static const char *words[] = {"relocated", "pointers", "work"};
int main(void) {
    for (int i = 0; i < 3; i++) s9_printf("%s\n", words[i]);
    s9_printf("main at %s\n", (unsigned long)&main >= 0x100000000UL ? "high" : "low");
    return 0;
}
''')
    gen = ROOT / "build" / "include"
    inc = ROOT / "guest_programs" / "include"
    rt = ROOT / "guest_programs" / "runtime"
    exe = tmp_path / "pie.elf"
    subprocess.run(["gcc", "-O2", "-fPIE", "-static-pie", "-nostdlib", "-ffreestanding", "-fno-builtin",
                    "-fno-stack-protector", "-fno-tree-loop-distribute-patterns", f"-I{inc}", f"-I{gen}",
                    "-o", str(exe), str(rt / "crt0.S"), str(rt / "libc.c"), str(src)], check=True)
    image = load_elf(str(exe))
    assert image.static_pie and min(s.vaddr for s in image.segments) == PIE_BASE
    p = run_cli("run", str(exe))
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout == b"relocated\npointers\nwork\nmain at high\n"


def test_load_error_api():
    with pytest.raises(LoadError, match="not an ELF"):
        load_elf("x.elf", b"nope")


def test_auxv_and_argv(run_guests):
    r = run_guests([("proc_info", "alpha", "beta gamma")])
    assert r.status == 0, r.stdout.decode()
    assert b"alpha" in r.stdout and b"beta gamma" in r.stdout
