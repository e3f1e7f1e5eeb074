"""The command line as a user meets it."""

import re

from tests.conftest import guest, run_cli


def test_help_lists_run_and_exit_statuses():
    p = run_cli("run", "--help")
    assert p.returncode == 0
    out = p.stdout.decode()
    for opt in ("--trace", "--trace-file", "--insn-trace", "--timeout", "--exact", "--max-insns", "--unprivileged"):
        assert opt in out
    assert "125 deadlock" in out


def test_insn_trace_shows_disassembly_and_respects_the_limit():
    p = run_cli("run", "--insn-trace", "--insn-trace-limit", "50", guest("hello"))
    assert p.returncode == 0
    lines = [ln for ln in p.stderr.decode().splitlines() if re.match(r"^\[1/1\] 0x[0-9a-f]+: ", ln)]
    assert len(lines) == 50
    assert "syscall" in p.stderr.decode() or any("call" in ln for ln in lines)
    assert "--insn-trace-limit 50 reached" in p.stderr.decode()
    assert p.stdout == b"hello from pid 1\n"


def test_insn_trace_for_one_pid_only():
    p = run_cli("run", "--insn-trace", "2", "--insn-trace-limit", "20", guest("hello"), guest("hello"))
    err = p.stderr.decode()
    assert "[2/2] 0x" in err and "[1/1] 0x" not in err


def test_trace_out_writes_a_file(tmp_path):
    out = tmp_path / "trace.txt"
    p = run_cli("run", "--trace-out", str(out), guest("hello"))
    assert p.returncode == 0 and p.stderr == b""
    assert '[1] write(1, "hello from pid 1\\n", 17) = 17' in out.read_text()


def test_closed_stdout_does_not_crash_the_run():
    import subprocess
    import sys

    from tests.conftest import ROOT
    p = subprocess.run(f"{sys.executable} -m emu run {guest('talker')} {guest('talker')} | head -1",
                       shell=True, capture_output=True, cwd=ROOT, timeout=60)
    assert p.stdout == b"talker: line 1\n"
    assert b"Traceback" not in p.stderr and b"Error" not in p.stderr


def test_ctrl_c_stops_a_guest_computing_without_syscalls(tmp_path):
    """SIGINT while busy_loop computes (no syscall for minutes) and a talker
    waits: exit status 130 at once, a one-line message, the trace whole."""
    import json
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    trace = tmp_path / "t.jsonl"
    p = subprocess.Popen([sys.executable, "-m", "emu", "run", "--trace-file", str(trace), "--args", "1",
                          "3000000000", guest("busy_loop"), guest("talker")], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    time.sleep(2)
    assert p.poll() is None, p.communicate()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130, err
    assert err.decode().strip().splitlines()[-1] == "strat9-emu: interrupted"
    assert b"Traceback" not in err
    events = [json.loads(line) for line in trace.read_text().splitlines()[1:]]
    assert events and all("seq" in e for e in events)
