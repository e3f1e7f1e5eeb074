"""Write the malformed-ELF corpus of tests/elf_corpus/.

Two tiny valid executables are assembled here byte by byte (no compiler):
`base_exec.elf`, a static ET_EXEC image that writes "ok" and exits 0, and
`base_pie.elf`, a static-PIE (ET_DYN) image whose message pointer is
fixed up by an R_X86_64_RELATIVE relocation. Every corpus case is one of
them with one defect: a truncated header or segment, a wrong class,
machine or byte order, p_filesz > p_memsz, a huge, overlapping or wrapping
segment, an entry point outside any executable segment, no PT_LOAD, a
PT_INTERP, absurd counts, broken dynamic data, ... `MANIFEST.json` maps
each file to the reason the loader must give (a substring of its one-line
error; null for the two valid bases, which must run and exit 0).

The files are small and committed on purpose, so that the suite checks
them without this script; tests/emu/test_elf_corpus.py also checks that
the committed files are exactly what this script writes.

usage: python tools/make_elf_corpus.py [--check] [DIR]
  --check: write nothing, exit 1 when DIR (default tests/elf_corpus)
  differs from what would be written.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "elf_corpus"

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")  # type, flags, offset, vaddr, paddr, filesz, memsz, align
EHDR_SIZE, PHDR_SIZE = 64, 56
PT_NULL, PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_GNU_STACK = 0, 1, 2, 3, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
ET_EXEC, ET_DYN = 2, 3
EM_X86_64 = 62
DT_NULL, DT_RELA, DT_RELASZ, DT_RELAENT, DT_RELR, DT_RELRSZ, DT_RELRENT = 0, 7, 8, 9, 36, 35, 37
R_X86_64_64, R_X86_64_RELATIVE = 1, 8

SYS_WRITE, SYS_PROC_EXIT = 404, 300
MESSAGE = b"ok\n"

# Field offsets in the ELF header.
E_TYPE, E_MACHINE, E_VERSION, E_ENTRY, E_PHOFF, E_SHOFF = 16, 18, 20, 24, 32, 40
E_PHENTSIZE, E_PHNUM, E_SHENTSIZE, E_SHNUM, E_SHSTRNDX = 54, 56, 58, 60, 62
U64 = (1 << 64) - 1
USER_TOP = 1 << 47
STACK_BASE = 0x7FFF_F000_0000  # emu.loader.USER_STACK_BASE


def _ehdr(etype: int, entry: int, phnum: int) -> bytes:
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # ELFCLASS64, little endian, EV_CURRENT, SysV
    return EHDR.pack(ident, etype, EM_X86_64, 1, entry, EHDR_SIZE, 0, 0, EHDR_SIZE, PHDR_SIZE, phnum, 64, 0, 0)


def _code(msg_load: bytes, data_store: bytes) -> bytes:
    """write(1, msg, 3); [a store to the data segment]; proc_exit(0); ud2.
    `msg_load` puts the message address into rsi."""
    return (data_store
            + b"\xb8" + struct.pack("<I", SYS_WRITE)   # mov eax, SYS_WRITE
            + b"\xbf\x01\x00\x00\x00"                   # mov edi, 1
            + msg_load                                   # rsi = the message
            + b"\xba" + struct.pack("<I", len(MESSAGE))  # mov edx, 3
            + b"\x0f\x05"                                # syscall
            + b"\xb8" + struct.pack("<I", SYS_PROC_EXIT)  # mov eax, SYS_PROC_EXIT
            + b"\x31\xff"                                # xor edi, edi
            + b"\x0f\x05"                                # syscall
            + b"\x0f\x0b")                               # ud2: exit returned


def base_exec() -> bytes:
    """ET_EXEC: text (R+X) at 0x400000 holding the headers and the code, data
    (R+W, with bss) at 0x600000 + the same page offset, and a PT_GNU_STACK."""
    text_vaddr, data_page = 0x400000, 0x600000
    phnum = 3
    code_off = EHDR_SIZE + phnum * PHDR_SIZE
    code_len = len(_code(b"\0" * 7, b"\0" * 11))
    msg_off = code_off + code_len
    data_off = msg_off + len(MESSAGE)
    data_vaddr = data_page + data_off  # congruent with its offset modulo the page size
    data_file = struct.pack("<Q", 0x5354524154390000)  # 8 bytes of initialised data
    store = b"\xc7\x04\x25" + struct.pack("<I", data_vaddr + 8) + struct.pack("<I", 1)  # mov dword [bss], 1
    msg_load = b"\x48\xc7\xc6" + struct.pack("<I", text_vaddr + msg_off)  # mov rsi, imm32
    code = _code(msg_load, store)
    assert len(code) == code_len
    entry = text_vaddr + code_off
    text = PHDR.pack(PT_LOAD, PF_R | PF_X, 0, text_vaddr, text_vaddr, data_off, data_off, 0x1000)
    data = PHDR.pack(PT_LOAD, PF_R | PF_W, data_off, data_vaddr, data_vaddr, len(data_file), 0x100, 0x1000)
    stack = PHDR.pack(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0, 16)
    image = _ehdr(ET_EXEC, entry, phnum) + text + data + stack + code + MESSAGE + data_file
    assert len(image) == data_off + len(data_file)
    return image


def base_pie() -> bytes:
    """ET_DYN (static PIE) linked at 0: text (R+X) with the headers and the
    code; data (R+W) with the dynamic array, one RELA entry and the message
    pointer it relocates; PT_DYNAMIC over the dynamic array."""
    phnum = 3
    code_off = EHDR_SIZE + phnum * PHDR_SIZE
    code_len = len(_code(b"\0" * 7, b""))
    msg_off = code_off + code_len
    text_end = msg_off + len(MESSAGE)
    data_off = (text_end + 15) & ~15
    data_vaddr = 0x1000 + data_off
    dyn_vaddr = data_vaddr
    dyn_len = 4 * 16
    rela_vaddr = dyn_vaddr + dyn_len
    ptr_vaddr = rela_vaddr + 24
    dynamic = struct.pack("<8Q", DT_RELA, rela_vaddr, DT_RELASZ, 24, DT_RELAENT, 24, DT_NULL, 0)
    rela = struct.pack("<QQq", ptr_vaddr, R_X86_64_RELATIVE, msg_off)
    data_file = dynamic + rela + struct.pack("<Q", 0)  # the pointer: 0 until relocated
    # The load follows "mov eax, imm32" (5 bytes) and "mov edi, 1" (5) and is 7 bytes long.
    rip_after = code_off + 10 + 7
    msg_load = b"\x48\x8b\x35" + struct.pack("<i", ptr_vaddr - rip_after)  # mov rsi, [rip + ptr]
    code = _code(msg_load, b"")
    assert len(code) == code_len
    text = PHDR.pack(PT_LOAD, PF_R | PF_X, 0, 0, 0, text_end, text_end, 0x1000)
    data = PHDR.pack(PT_LOAD, PF_R | PF_W, data_off, data_vaddr, data_vaddr, len(data_file), len(data_file),
                     0x1000)
    dyn = PHDR.pack(PT_DYNAMIC, PF_R | PF_W, data_off, dyn_vaddr, dyn_vaddr, dyn_len, dyn_len, 8)
    image = _ehdr(ET_DYN, code_off, phnum) + text + data + dyn + code + MESSAGE
    image += bytes(data_off - len(image)) + data_file
    return image


# -- editing helpers -------------------------------------------------------------------

def put(data: bytes, offset: int, fmt: str, value) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def phdr_offset(data: bytes, index: int) -> int:
    phoff = struct.unpack_from("<Q", data, E_PHOFF)[0]
    return phoff + index * PHDR_SIZE


def get_phdr(data: bytes, index: int) -> list[int]:
    return list(PHDR.unpack_from(data, phdr_offset(data, index)))


_FIELDS = ("type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align")


def edit_phdr(data: bytes, index: int, **fields) -> bytes:
    ph = get_phdr(data, index)
    for name, value in fields.items():
        ph[_FIELDS.index(name)] = value & U64 if name not in ("type", "flags") else value
    out = bytearray(data)
    PHDR.pack_into(out, phdr_offset(data, index), *ph)
    return bytes(out)


def dyn_entry_offset(pie: bytes, tag: int) -> int:
    """File offset of the value of dynamic tag `tag` in base_pie()."""
    dyn = get_phdr(pie, 2)
    for i in range(0, dyn[5], 16):
        if struct.unpack_from("<q", pie, dyn[2] + i)[0] == tag:
            return dyn[2] + i + 8
    raise KeyError(tag)


def cases() -> dict[str, tuple[bytes, str | None]]:
    """{file name: (bytes, reason substring)}; reason None: a valid image."""
    ex = base_exec()
    pie = base_pie()
    text, data = get_phdr(ex, 0), get_phdr(ex, 1)
    text_vaddr, data_vaddr = text[3], data[3]
    pdata = get_phdr(pie, 1)
    rela_off = pdata[2] + 64  # the RELA entry follows the 4 dynamic entries
    c: dict[str, tuple[bytes, str | None]] = {
        "base_exec.elf": (ex, None),
        "base_pie.elf": (pie, None),
        # Not an ELF, or a cut header
        "empty.elf": (b"", "not an ELF file"),
        "text_file.elf": (b"#!/bin/sh\necho hello\n", "not an ELF file"),
        "bad_magic.elf": (b"\x7fELG" + ex[4:], "not an ELF file"),
        "magic_only.elf": (ex[:4], "truncated ELF header"),
        "header_cut_20.elf": (ex[:20], "truncated ELF header"),
        "header_cut_63.elf": (ex[:63], "truncated ELF header"),
        # Identification and header fields
        "class32.elf": (put(ex, 4, "B", 1), "not a 64-bit ELF"),
        "class_none.elf": (put(ex, 4, "B", 0), "not a 64-bit ELF"),
        "class_invalid.elf": (put(ex, 4, "B", 9), "not a 64-bit ELF"),
        "big_endian.elf": (put(ex, 5, "B", 2), "not a little-endian ELF"),
        "data_none.elf": (put(ex, 5, "B", 0), "not a little-endian ELF"),
        "machine_arm.elf": (put(ex, E_MACHINE, "<H", 40), "not an x86_64 ELF"),
        "machine_i386.elf": (put(ex, E_MACHINE, "<H", 3), "not an x86_64 ELF"),
        "machine_aarch64.elf": (put(ex, E_MACHINE, "<H", 183), "not an x86_64 ELF"),
        "machine_none.elf": (put(ex, E_MACHINE, "<H", 0), "not an x86_64 ELF"),
        "machine_unknown.elf": (put(ex, E_MACHINE, "<H", 0xBEEF), "not an x86_64 ELF"),
        "type_none.elf": (put(ex, E_TYPE, "<H", 0), "not an executable"),
        "type_rel.elf": (put(ex, E_TYPE, "<H", 1), "not an executable"),
        "type_core.elf": (put(ex, E_TYPE, "<H", 4), "not an executable"),
        "type_os_specific.elf": (put(ex, E_TYPE, "<H", 0xFE00), "not an executable"),
        "version_zero.elf": (put(ex, E_VERSION, "<I", 0), "unsupported ELF version"),
        # Program header table
        "phnum_zero.elf": (put(ex, E_PHNUM, "<H", 0), "no program headers"),
        "phnum_513.elf": (put(ex, E_PHNUM, "<H", 513), "absurd program header count"),
        "phnum_absurd.elf": (put(ex, E_PHNUM, "<H", 0xFFFF), "absurd program header count"),
        "phnum_past_eof.elf": (put(ex, E_PHNUM, "<H", 40), "program headers extend past end of file"),
        "phentsize_32.elf": (put(ex, E_PHENTSIZE, "<H", 32), "unexpected program header size"),
        "phentsize_zero.elf": (put(ex, E_PHENTSIZE, "<H", 0), "unexpected program header size"),
        "phoff_past_eof.elf": (put(ex, E_PHOFF, "<Q", 1 << 40), "program headers extend past end of file"),
        "phoff_wraps.elf": (put(ex, E_PHOFF, "<Q", U64 - 7), "program headers extend past end of file"),
        "phdrs_cut.elf": (ex[:EHDR_SIZE + PHDR_SIZE + 20], "program headers extend past end of file"),
        "phoff_misaligned.elf": (put(ex, E_PHOFF, "<Q", 20), "p_filesz"),
        # Segment kinds
        "interp.elf": (edit_phdr(ex, 2, type=PT_INTERP), "dynamic executable (has PT_INTERP)"),
        "no_load.elf": (edit_phdr(edit_phdr(ex, 0, type=PT_NULL), 1, type=PT_NULL), "no loadable (PT_LOAD)"),
        "loads_empty.elf": (edit_phdr(edit_phdr(ex, 0, filesz=0, memsz=0), 1, filesz=0, memsz=0),
                            "no loadable (PT_LOAD)"),
        # Segment sizes and file extents
        "filesz_gt_memsz.elf": (edit_phdr(ex, 1, filesz=data[6] + 1), "p_filesz"),
        "segment_offset_past_eof.elf": (edit_phdr(ex, 1, offset=len(ex) + 0x1000 + (data[2] & 0xFFF)),
                                        "extends past end of file"),
        "segment_cut.elf": (ex[:-4], "extends past end of file"),
        "segment_offset_wraps.elf": (edit_phdr(ex, 1, offset=U64 - 7), "extends past end of file"),
        "filesz_huge.elf": (edit_phdr(ex, 1, filesz=1 << 62, memsz=1 << 62), "extends past end of file"),
        "memsz_huge.elf": (edit_phdr(ex, 1, memsz=1 << 40), "image too large"),
        "memsz_max.elf": (edit_phdr(ex, 1, memsz=U64), "outside user space"),
        "memsz_over_image_limit.elf": (edit_phdr(ex, 1, memsz=(1 << 30) + 1), "image too large"),
        "memsz_sum_over_image_limit.elf": (edit_phdr(edit_phdr(ex, 0, memsz=0x2000_0000), 1,
                                                     vaddr=0x4000_0000 + (data[3] & 0xFFF), memsz=0x2000_0001),
                                           "image too large"),
        # Segment placement
        "vaddr_wraps.elf": (edit_phdr(ex, 1, vaddr=U64 - 0xFFF + (data[3] & 0xFFF)), "outside user space"),
        "vaddr_kernel_half.elf": (edit_phdr(ex, 1, vaddr=0xFFFF_8000_0060_0000 + (data[3] & 0xFFF)),
                                  "outside user space"),
        "vaddr_noncanonical.elf": (edit_phdr(ex, 1, vaddr=USER_TOP + (data[3] & 0xFFF)), "outside user space"),
        "segment_crosses_user_top.elf": (edit_phdr(ex, 1, vaddr=USER_TOP - 0x1000 + (data[3] & 0xFFF),
                                                   memsz=0x2000), "outside user space"),
        "segment_on_stack.elf": (edit_phdr(ex, 1, vaddr=STACK_BASE + 0x3000 + (data[3] & 0xFFF)),
                                 "overlaps the user stack"),
        "segment_below_stack_into_it.elf": (edit_phdr(ex, 1, vaddr=STACK_BASE - 0x1000 + (data[3] & 0xFFF),
                                                      memsz=0x2000), "overlaps the user stack"),
        "overlap_same_start.elf": (edit_phdr(ex, 1, vaddr=text_vaddr, offset=0), "overlapping segments"),
        "overlap_partial.elf": (edit_phdr(edit_phdr(ex, 0, memsz=0x2000), 1, vaddr=text_vaddr + 0x1000 + data[2],
                                                                   memsz=0x2000), "overlapping segments"),
        "overlap_contained.elf": (edit_phdr(edit_phdr(ex, 0, memsz=0x10000), 1, vaddr=text_vaddr + 0x3000
                                            + (data[3] & 0xFFF)), "overlapping segments"),
        "duplicate_segment.elf": (edit_phdr(ex, 1, **dict(zip(_FIELDS, text))), "overlapping segments"),
        "zero_page.elf": (edit_phdr(ex, 0, vaddr=0, paddr=0), "first 64 KiB"),
        "low_page.elf": (edit_phdr(ex, 0, vaddr=0x1000, paddr=0x1000), "first 64 KiB"),
        "misaligned.elf": (edit_phdr(ex, 1, vaddr=data_vaddr + 3), "misaligned with its file offset"),
        # Entry point
        "entry_outside.elf": (put(ex, E_ENTRY, "<Q", 0x7000_0000), "entry point"),
        "entry_zero.elf": (put(ex, E_ENTRY, "<Q", 0), "entry point"),
        "entry_in_data.elf": (put(ex, E_ENTRY, "<Q", data_vaddr), "entry point"),
        "entry_kernel_half.elf": (put(ex, E_ENTRY, "<Q", 0xFFFF_FFFF_8000_0000), "entry point"),
        "entry_not_executable.elf": (edit_phdr(ex, 0, flags=PF_R), "entry point"),
        # Static PIE: placement and dynamic data
        "pie_too_high.elf": (edit_phdr(pie, 1, vaddr=USER_TOP - 0x1000 + (pdata[3] & 0xFFF)),
                             "static-PIE image does not fit"),
        "pie_dynamic_outside.elf": (edit_phdr(pie, 2, vaddr=0x10_0000), "dynamic data"),
        "pie_rela_outside.elf": (put(pie, dyn_entry_offset(pie, DT_RELA), "<Q", 0x50_0000), "dynamic data"),
        "pie_relasz_huge.elf": (put(pie, dyn_entry_offset(pie, DT_RELASZ), "<Q", 1 << 40), "dynamic data"),
        "pie_relaent_bad.elf": (put(pie, dyn_entry_offset(pie, DT_RELAENT), "<Q", 16), "DT_RELAENT"),
        "pie_reloc_type.elf": (put(pie, rela_off + 8, "<Q", R_X86_64_64), "unsupported relocation type"),
        "pie_reloc_symbol.elf": (put(pie, rela_off + 8, "<Q", (5 << 32) | R_X86_64_RELATIVE),
                                 "unsupported relocation type"),
        "pie_reloc_target_outside.elf": (put(pie, rela_off, "<Q", 0x40_0000), "relocation target"),
        "pie_reloc_target_wraps.elf": (put(pie, rela_off, "<Q", U64 - 3), "relocation target"),
    }
    # DT_RELR with an address entry outside the image (replaces the RELA tags).
    relr = put(pie, dyn_entry_offset(pie, DT_RELA) - 8, "<q", DT_RELR)
    relr = put(relr, dyn_entry_offset(pie, DT_RELASZ) - 8, "<q", DT_RELRSZ)
    relr = put(relr, dyn_entry_offset(pie, DT_RELASZ), "<Q", 8)
    relr = put(relr, rela_off, "<Q", 0x70_0000)  # the RELR table: one address entry, outside
    c["pie_relr_outside.elf"] = (relr, "dynamic data")
    return c


def manifest(corpus: dict[str, tuple[bytes, str | None]]) -> str:
    return json.dumps({name: reason for name, (_, reason) in sorted(corpus.items())}, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    ap.add_argument("dir", nargs="?", default=str(CORPUS))
    ns = ap.parse_args(argv)
    out = Path(ns.dir)
    corpus = cases()
    files = {name: blob for name, (blob, _) in corpus.items()}
    files["MANIFEST.json"] = manifest(corpus).encode()
    if ns.check:
        stale = [n for n, blob in files.items() if not (out / n).is_file() or (out / n).read_bytes() != blob]
        extra = sorted(p.name for p in out.glob("*.elf") if p.name not in files)
        for n in stale:
            print(f"{out / n}: differs from what tools/make_elf_corpus.py writes", file=sys.stderr)
        for n in extra:
            print(f"{out / n}: not written by tools/make_elf_corpus.py", file=sys.stderr)
        return 1 if stale or extra else 0
    out.mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        (out / name).write_bytes(blob)
    print(f"wrote {len(corpus)} files and MANIFEST.json to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
