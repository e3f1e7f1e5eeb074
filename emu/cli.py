"""`strat9-emu`: run Strat9 guest programs in one emulated system.

Exit status of `run` (and `record`): 0 when every task exited 0; else the
exit code of the lowest-pid process that failed (1 if its code is 0 modulo
256), or 128 + signal if it faulted; 124 when a time or instruction limit
stopped the run; 125 on deadlock; 2 for usage errors, unusable input
files and trace outputs that could not be written; 3 for an internal error
of the emulator. `check`: 0 when the run
matches the golden trace, 1 when it diverges, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from kernel_model.limits import Limits

from .loader import LoadError, load_elf
from .system import EXIT_USAGE, System

EPILOG = """exit status: 0 all tasks exited 0; N the exit code of the lowest-pid failing
process; 128+S killed by signal S (SIGSEGV 11, SIGILL 4, SIGBUS 7, SIGFPE 8);
124 time or instruction limit; 125 deadlock; 2 usage error, unusable ELF or
unwritable trace output; 3 internal error; 130 interrupted (Ctrl-C)."""
CHECK_EPILOG = """exit status: 0 the run matches the golden trace; 1 it diverges (the first
divergence is printed); 2 usage error, unusable ELF or unreadable golden file."""


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("elfs", nargs="+", metavar="ELF", help="static x86_64 guest executables")
    p.add_argument("--trace", action="store_true", help="decoded syscall trace on stderr")
    p.add_argument("--trace-out", metavar="FILE", help="write the decoded trace to FILE instead of stderr")
    p.add_argument("--insn-trace", nargs="?", const="all", metavar="PID",
                   help="print every executed instruction (slow debug mode), for one pid or all")
    p.add_argument("--insn-trace-limit", type=int, default=100_000, metavar="N",
                   help="stop printing instructions after N (default 100000)")
    p.add_argument("--timeout", type=float, metavar="S", help="wall-clock limit for the whole run")
    p.add_argument("--exact", action="store_true",
                   help="count instructions even for a lone task and account them exactly per syscall "
                        "(needed by --max-insns; slower)")
    p.add_argument("--max-insns", type=int, metavar="N",
                   help="with --exact: stop the run (status 124) when a task executes N instructions "
                        "without a syscall")
    p.add_argument("--unprivileged", type=int, action="append", default=[], metavar="K",
                   help="start the K-th process (1-based) without admin rights; repeatable")
    p.add_argument("--args", nargs=2, action="append", default=[], metavar=("K", "ARGS"),
                   help="command-line arguments of the K-th process, shell-quoted")
    p.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                   help="change a resource limit (docs/limits.md), e.g. processes=64 or system_memory=2G")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="strat9-emu", description="Run Strat9-OS guest programs under Unicorn "
                                "with a Python model of the Strat9 kernel.", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run guests (one process per ELF, pids in the given order)",
                         epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _run_options(run)
    run.add_argument("--trace-file", metavar="F.jsonl", help="machine-readable JSONL trace")
    record = sub.add_parser("record", help="run guests and record their trace as a golden file",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    record.add_argument("--golden", required=True, metavar="G.jsonl", help="the golden trace to write")
    _run_options(record)
    check = sub.add_parser("check", help="run guests again and compare with a golden trace",
                           epilog=CHECK_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("--golden", required=True, metavar="G.jsonl", help="the golden trace to compare with")
    _run_options(check)
    return p


def _usage(msg: str) -> int:
    print(f"strat9-emu: {msg}", file=sys.stderr)
    return EXIT_USAGE


def _process_args(ns) -> dict[int, list[str]] | str:
    """Per-process argv from --args, or an error message."""
    n = len(ns.elfs)
    for k in ns.unprivileged:
        if not 1 <= k <= n:
            return f"--unprivileged {k}: there are {n} processes"
    argv: dict[int, list[str]] = {}
    for k, text in ns.args:
        if not k.isdigit() or not 1 <= int(k) <= n:
            return f"--args {k}: not a process number between 1 and {n}"
        try:
            argv[int(k)] = shlex.split(text)
        except ValueError as e:
            return f"--args {k}: {e}"
    if ns.max_insns is not None and not ns.exact:
        return "--max-insns needs --exact"
    if ns.max_insns is not None and ns.max_insns <= 0:
        return "--max-insns must be positive"
    if ns.insn_trace is not None and ns.insn_trace != "all" and not ns.insn_trace.isdigit():
        return f"--insn-trace {ns.insn_trace}: a pid, or nothing for every process"
    if ns.timeout is not None and ns.timeout <= 0:
        return "--timeout must be positive"
    ns.limits = Limits()
    for text in ns.limit:
        try:
            ns.limits = ns.limits.with_setting(text)
        except ValueError as e:
            return f"--limit {text}: {e}"
    return argv


class _TraceOutput:
    """A trace output file whose write errors (a full disk, ...) stop the
    writing, not the run; `error` says what went wrong, for the exit status."""

    def __init__(self, path: str):
        self.path = path
        self.error = None
        self._f = open(path, "w", encoding="utf-8")

    def write(self, text: str) -> int:
        if self.error is None:
            try:
                self._f.write(text)
            except OSError as e:
                self.error = e.strerror
        return len(text)

    def close(self) -> None:
        try:
            self._f.close()
        except OSError as e:
            self.error = self.error or e.strerror


def _execute(ns, argv: dict[int, list[str]], jsonl_path: str | None, keep: bool):
    """Build the system from the options, run it; (result, None) or (None, exit status)."""
    from .trace import Tracer

    try:  # every file usable before anything is traced or run
        for path in ns.elfs:
            load_elf(path)
    except LoadError as e:
        return None, _usage(str(e))
    files = []
    try:
        tracer = None
        if ns.trace or ns.trace_out or jsonl_path or keep:
            text = None
            if ns.trace_out:
                text = _TraceOutput(ns.trace_out)
                files.append(text)
            elif ns.trace:
                text = sys.stderr
            jsonl = None
            if jsonl_path:
                jsonl = _TraceOutput(jsonl_path)
                files.append(jsonl)
            config = {"exact": ns.exact, "unprivileged": sorted(ns.unprivileged), "max_insns": ns.max_insns,
                      "processes": [[os.path.basename(p)] + argv.get(i, []) for i, p in enumerate(ns.elfs, 1)]}
            tracer = Tracer(text=text, jsonl=jsonl, config=config, keep=keep)
    except OSError as e:
        for f in files:
            f.close()
        return None, _usage(f"cannot open trace output: {e}")
    try:
        system = System(tracer=tracer, exact=ns.exact, timeout=ns.timeout, max_insns=ns.max_insns,
                        stdout=sys.stdout.buffer, stderr=sys.stderr.buffer, report=sys.stderr, limits=ns.limits)
        for i, path in enumerate(ns.elfs, 1):
            system.spawn(path, argv=[os.path.basename(path)] + argv.get(i, []), admin=i not in ns.unprivileged)
        if ns.insn_trace:
            from .insn_trace import attach_insn_trace
            attach_insn_trace(system, ns.insn_trace, ns.insn_trace_limit, sys.stderr)
        outcome = system.run(), None
    except LoadError as e:
        outcome = None, _usage(str(e))
    finally:
        for f in files:
            f.close()
    failed = [f for f in files if f.error]
    for f in failed:
        _usage(f"cannot write trace output {f.path}: {f.error}")
    return (None, EXIT_USAGE) if failed else outcome


def cmd_run(ns) -> int:
    argv = _process_args(ns)
    if isinstance(argv, str):
        return _usage(argv)
    result, status = _execute(ns, argv, ns.trace_file, keep=False)
    return status if result is None else result.status


def cmd_record(ns) -> int:
    argv = _process_args(ns)
    if isinstance(argv, str):
        return _usage(argv)
    result, status = _execute(ns, argv, ns.golden, keep=False)
    if result is None:
        return status
    print(f"strat9-emu record: wrote {ns.golden} (run status {result.status})", file=sys.stderr)
    return result.status


def cmd_check(ns) -> int:
    from .golden import GoldenError, compare, load

    argv = _process_args(ns)
    if isinstance(argv, str):
        return _usage(argv)
    try:
        _, expected = load(ns.golden)
    except GoldenError as e:
        return _usage(str(e))
    result, status = _execute(ns, argv, None, keep=True)
    if result is None:
        return status
    divergence = compare(expected, result.trace)
    if divergence is not None:
        print(divergence.report(), file=sys.stderr)
        return 1
    print(f"strat9-emu check: {ns.golden}: {len(result.trace)} events match (run status {result.status})",
          file=sys.stderr)
    return 0


COMMANDS = {"run": cmd_run, "record": cmd_record, "check": cmd_check}


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:  # stdout's reader went away: nothing more to say there
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())


def _main(argv: list[str] | None) -> int:
    p = _parser()
    ns = p.parse_args(argv)
    if ns.command is None:
        p.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return COMMANDS[ns.command](ns)
    except KeyboardInterrupt:
        print("strat9-emu: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
