"""The committed ABI regression corpus keeps passing `strat9-emu check`,
and `check` reports a changed guest readably."""

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

CORPUS = ROOT / "tests" / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.json").exists())


def _options(spec: dict) -> list[str]:
    opts = []
    for k, v in spec["args"].items():
        opts += ["--args", k, v]
    for k in spec["unprivileged"]:
        opts += ["--unprivileged", str(k)]
    return opts


def test_corpus_is_not_empty():
    assert len(CASES) >= 5


@pytest.mark.parametrize("case", CASES)
def test_corpus_case_still_matches_its_golden_trace(case):
    spec = json.loads((CORPUS / case / "case.json").read_text())
    p = run_cli("check", "--golden", str(CORPUS / case / "golden.jsonl"), *_options(spec),
                *[str(CORPUS / case / e) for e in spec["elfs"]])
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    assert b"events match" in p.stderr


def _build(tmp_path: Path, name: str, payload: str) -> Path:
    """guest.elf in tmp_path/name/: the same program name, a different payload."""
    (tmp_path / name).mkdir()
    src = tmp_path / name / "guest.c"
    src.write_text(f'''
#include "strat9.h"
int main(void) {{
    static const char path[] = "/srv/golden";
    long port = sys_ipc_create_port(0);
    if (sys_ipc_bind_port(port, path, sizeof path - 1) != 0) return 1;
    long h = sys_ipc_connect(path, sizeof path - 1);
    IpcMessage m = {{0}};
    m.msg_type = 7;
    memcpy(m.payload, "{payload}", sizeof "{payload}");
    if (sys_ipc_send(h, &m) != 0 || sys_ipc_recv(port, &m) != 0) return 2;
    s9_printf("got %s\\n", (char *)m.payload);
    return 0;
}}
''')
    inc, gen, rt = ROOT / "guest_programs" / "include", ROOT / "build" / "include", ROOT / "guest_programs" / "runtime"
    exe = tmp_path / name / "guest.elf"
    subprocess.run(["gcc", "-O2", "-ffreestanding", "-fno-builtin", "-fno-pie", "-no-pie", "-nostdlib", "-static",
                    "-fno-stack-protector", "-fno-tree-loop-distribute-patterns", f"-I{inc}", f"-I{gen}", "-o",
                    str(exe), str(rt / "crt0.S"), str(rt / "libc.c"), str(src)], check=True)
    return exe


def test_record_then_check_passes_and_a_changed_payload_diverges(tmp_path):
    golden = tmp_path / "g.jsonl"
    original = _build(tmp_path, "original", "ping")
    assert run_cli("record", "--golden", str(golden), str(original)).returncode == 0
    same = run_cli("check", "--golden", str(golden), str(original))
    assert same.returncode == 0, same.stderr.decode()
    changed = _build(tmp_path, "changed", "pong")
    p = run_cli("check", "--golden", str(golden), str(changed))
    err = p.stderr.decode()
    assert p.returncode == 1, err
    assert "traces diverge at event" in err
    assert 'expected: [1] ipc_send(h=2, {sender=0 type=0x7 flags=0 payload="ping"}) = 0' in err
    assert 'actual:   [1] ipc_send(h=2, {sender=0 type=0x7 flags=0 payload="pong"}) = 0' in err
    assert "differs in: data.msg" in err


def test_check_with_a_bad_golden_file_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    p = run_cli("check", "--golden", str(bad), str(CORPUS / CASES[0] / "syscalls_basic.elf"))
    assert p.returncode == 2 and b"Traceback" not in p.stderr
    p = run_cli("check", "--golden", str(tmp_path / "missing.jsonl"), str(CORPUS / CASES[0] / "syscalls_basic.elf"))
    assert p.returncode == 2 and b"cannot read" in p.stderr
