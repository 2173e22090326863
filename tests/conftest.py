"""Shared fixtures: the example data written once per session, and the ../shared oracles."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HOMEKIT_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def example_dir(tmp_path_factory) -> Path:
    """The example data (CSV), written once; tests that change it must copy it first."""
    from homekit.example_data import write_example_data

    d = tmp_path_factory.mktemp("example") / "data"
    write_example_data(d)
    return d


@pytest.fixture
def example_copy(example_dir, tmp_path) -> Path:
    """A private copy of the example data that a test may break."""
    d = tmp_path / "data"
    shutil.copytree(example_dir, d)
    return d


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the repository; tests that need it skip cleanly when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared folder not found at {SHARED}")
    return SHARED
