"""Fixtures for the kernel model's unit tests (helpers in km_helpers.py)."""

import sys
from pathlib import Path

import pytest

# The repository root first, so that `kernel_model` is the package and not
# this test directory (pytest puts tests/ on sys.path) when pytest runs
# without the project installed.
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from km_helpers import Sim  # noqa: E402


@pytest.fixture
def sim():
    return Sim()


@pytest.fixture
def k(sim):
    return sim.k
