"""The issue-2 syscalls run by a real guest, success and error paths, and
the exit statuses of the run."""

import re

from tests.conftest import guest, run_cli


def _tap(stdout: bytes) -> tuple[int, list[str]]:
    text = stdout.decode()
    oks = re.findall(r"^ok \d+ ", text, re.M)
    bad = re.findall(r"^not ok .*$", text, re.M)
    return len(oks), bad


def test_syscalls_basic_conformance(run_guests):
    r = run_guests(["syscalls_basic"])
    passed, failed = _tap(r.stdout)
    assert not failed, "\n".join(failed)
    assert passed >= 70
    assert r.status == 0


def test_syscalls_basic_under_exact_mode(run_guests):
    r = run_guests(["syscalls_basic"], exact=True)
    assert _tap(r.stdout)[1] == [] and r.status == 0


def test_debug_log_goes_to_the_console_log(run_guests):
    r = run_guests(["syscalls_basic"])
    assert b"[user-debug] " in r.stderr


def test_exit_codes_pass_through():
    for code, want in (("0", 0), ("3", 3), ("255", 255), ("256", 1), ("-1", 255), ("513", 1)):
        p = run_cli("run", "--args", "1", code, guest("exit_code"))
        assert p.returncode == want, (code, p.stderr.decode())
        p = run_cli("run", "--args", "1", code, guest("exit_group"))
        assert p.returncode == want, (code, p.stderr.decode())


def test_lowest_failing_pid_decides_the_status():
    p = run_cli("run", "--args", "2", "7", "--args", "3", "9", guest("hello"), guest("exit_code"),
                guest("exit_code"))
    assert p.returncode == 7
    p = run_cli("run", "--args", "1", "5", guest("exit_code"), guest("fault_ill"))
    assert p.returncode == 5
    p = run_cli("run", guest("fault_fpe"), guest("exit_code"))
    assert p.returncode == 128 + 8


def test_getpid_follows_spawn_order(run_guests):
    r = run_guests(["hello", "hello", "hello"])
    assert r.stdout.count(b"hello from pid") == 3
    for pid in (1, 2, 3):
        assert f"hello from pid {pid}\n".encode() in r.stdout


def test_trace_lines_decode_arguments_and_errors():
    p = run_cli("run", "--trace", guest("syscalls_basic"))
    err = p.stderr.decode()
    assert p.returncode == 0
    assert re.search(r'^\[1\] write\(1, "ok 1 - ', err, re.M)
    assert re.search(r"^\[1\] write\(3, .*\) = -9 EBADF \(Bad file descriptor\)$", err, re.M)
    assert re.search(r"^\[1\] clock_gettime\(2, NULL\) = -14 EFAULT \(Bad address\)$", err, re.M)
    assert re.search(r"^\[1\] clock_gettime\(2, 0x[0-9a-f]+\) = -22 EINVAL \(Invalid argument\)$", err, re.M)
    assert re.search(r"^\[1\] clock_gettime\(CLOCK_MONOTONIC, \{tv_sec=0, tv_nsec=\d+\}\) = 0$", err, re.M)
    assert re.search(r"^\[1\] null\(\) = 0x57a79$", err, re.M)
    assert re.search(r"^\[1\] syscall_5000\(.*\) = -38 ENOSYS", err, re.M)
    assert re.search(r"^\[1\] nanosleep\(\{tv_sec=0, tv_nsec=5000000\}, .*\) <unfinished \.\.\.>$", err, re.M)
    assert re.search(r"^\[1\] <\.\.\. nanosleep resumed> \(.*\) = 0$", err, re.M)
    assert re.search(r"^\[1\] proc_exit\(0\) = \?\n\[1\] \+\+\+ exited with 0 \+\+\+$", err, re.M)


def test_usage_errors_exit_2():
    for args in ([], ["run"], ["run", "--timeout", "0", guest("hello")], ["run", "--unprivileged", "3",
                 guest("hello")], ["run", "--max-insns", "10", guest("hello")], ["bogus"],
                 ["run", "--exact", "--max-insns", "0", guest("hello")], ["run", "--insn-trace", "abc", guest("hello")]):
        p = run_cli(*args)
        assert p.returncode == 2, (args, p.stderr.decode())
        assert b"Traceback" not in p.stderr
