"""Shared fixtures: the example data written once per session, and the ../shared oracles."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HOMEKIT_SHARED", ROOT.parent / "shared"))

# homekit's private cache (the example data as generated, what each output folder's audit
# settled) in a folder of this test session's own, inherited by the CLI and kernels the tests
# start and removed at the end: a test run leaves nothing in ~/.cache
CACHE = tempfile.mkdtemp(prefix="homekit-test-cache-")
os.environ["HOMEKIT_CACHE"] = CACHE
atexit.register(shutil.rmtree, CACHE, True)


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


#: Hand-made two-round sites: GPs agreeing they trust adult social care / answering, per round.
#: (site, year) -> (agree, answered). Every other answer is copied from the example data.
TWO_ROUND_TRUST = {
    ("alpha", 2013): (20, 40), ("alpha", 2019): (35, 40),   # improves
    ("beta", 2013): (30, 40), ("beta", 2019): (30, 40),     # no change
    ("gamma", 2013): (36, 40), ("gamma", 2019): (20, 40),   # worsens
}


def write_two_round_data(directory: Path) -> Path:
    """Three sites each surveyed in 2013 and 2019 (GP survey only), trust_asc as TWO_ROUND_TRUST.

    Respondent ids repeat between the two rounds of a site (unique within a round only).
    """
    import pandas as pd

    from homekit.example_data import make_example_data

    tables = make_example_data()
    template = tables["gp_survey"]
    template = template[template.survey_year == "2013"].reset_index(drop=True)
    directory.mkdir(parents=True, exist_ok=True)
    sites = tables["sites"].head(3).copy()
    sites["site_id"] = ["alpha", "beta", "gamma"]
    sites["site_name"] = ["Alpha", "Beta", "Gamma"]
    sites.to_csv(directory / "sites.csv", index=False)
    frames, start = [], 0
    for (site, year), (agree, answered) in TWO_ROUND_TRUST.items():
        part = template.iloc[start:start + answered].copy()
        start = (start + answered) % (len(template) - answered)
        part["site_id"] = site
        part["survey_year"] = str(year)
        part["respondent_id"] = [f"r{i:03d}" for i in range(answered)]
        part["trust_asc"] = ["Agree"] * agree + ["Disagree"] * (answered - agree)
        frames.append(part)
    pd.concat(frames).to_csv(directory / "gp_survey.csv", index=False)
    return directory


@pytest.fixture(scope="session")
def two_round_dir(tmp_path_factory) -> Path:
    return write_two_round_data(tmp_path_factory.mktemp("two_rounds") / "data")
