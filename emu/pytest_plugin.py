"""pytest plugin: run Strat9 guests from a test in a line or two.

    def test_echo(strat9):
        result = strat9.run("build/guests/gcc-O2/hello.elf")
        assert result.status == 0 and b"hello" in result.stdout
        strat9.assert_golden(result, "tests/golden/hello.jsonl")

`strat9.run(*elfs, args={2: ["x"]}, unprivileged=(2,), timeout=..., exact=...)`
returns an `emu.RunResult` whose `.trace` holds the decoded events.
`strat9.assert_golden(result, path)` compares the trace with a golden file
(the comparison of `strat9-emu check`); `pytest --update-golden` writes the
file instead. Installed with the package (entry point `pytest11`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .golden import GoldenError, compare, load, write
from .system import RunResult, System
from .trace import Tracer


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="strat9: rewrite golden traces instead of comparing with them")


class Strat9:
    def __init__(self, update_golden: bool):
        self.update_golden = update_golden

    def run(self, *elfs, args: dict | None = None, unprivileged=(), **system_options) -> RunResult:
        """Spawn each ELF (pids 1, 2, ... in order) and run the system."""
        args = args or {}
        system = System(tracer=Tracer(), **system_options)
        self.config = {"exact": system.exact, "unprivileged": sorted(unprivileged),
                       "max_insns": system.max_insns, "processes": []}
        for i, elf in enumerate(elfs, 1):
            argv = [os.path.basename(str(elf))] + [str(a) for a in args.get(i, [])]
            self.config["processes"].append(argv)
            system.spawn(str(elf), argv=argv, admin=i not in unprivileged)
        return system.run()

    def assert_golden(self, result: RunResult, path, per_task: bool = False) -> None:
        path = Path(path)
        if self.update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            write(str(path), result.trace, getattr(self, "config", {}))
            return
        try:
            _, expected = load(str(path))
        except GoldenError as e:
            pytest.fail(f"{e} (run pytest --update-golden to create it)", pytrace=False)
        divergence = compare(expected, result.trace, per_task=per_task)
        if divergence is not None:
            pytest.fail(divergence.report(), pytrace=False)


@pytest.fixture
def strat9(request) -> Strat9:
    return Strat9(request.config.getoption("--update-golden"))
