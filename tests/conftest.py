"""Shared fixtures: the built guest programs and a one-line way to run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLCHAIN = os.environ.get("STRAT9_TOOLCHAIN", "gcc")
OPT = os.environ.get("STRAT9_OPT", "-O2")
GUEST_DIR = ROOT / "build" / "guests" / f"{TOOLCHAIN}{OPT}"


def guest(name: str) -> str:
    """Path of a built guest program; fails clearly if `make guests` was not run."""
    path = GUEST_DIR / f"{name}.elf"
    if not path.exists():
        pytest.fail(f"{path} is missing: build the guests first (make guests)")
    return str(path)


@pytest.fixture
def run_guests():
    """run_guests(["hello", ("exit_code", "5")], trace=True, exact=False, ...) -> RunResult."""
    from emu import System, Tracer

    def _run(specs, *, trace: bool = False, unprivileged=(), **kwargs):
        tracer = Tracer() if trace else None
        system = System(tracer=tracer, **kwargs)
        for i, spec in enumerate(specs, 1):
            name, *args = (spec,) if isinstance(spec, str) else spec
            system.spawn(guest(name), argv=[name] + list(args), admin=i not in unprivileged)
        return system.run()

    return _run


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`strat9-emu ARGS` as a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "emu", *args], capture_output=True, timeout=timeout,
                          cwd=ROOT)
