"""The report package: its layout, section binding and the sections' behaviour on small sites."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import homekit
from homekit.report import Block, NationalReport, SiteReport
from homekit.report import _base

PKG = Path(homekit.__file__).parent


def _imports(path: Path) -> set[str]:
    """Modules a file imports, resolved to absolute dotted names inside homekit."""
    tree = ast.parse(path.read_text())
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    package = parts[:-1] if parts[-1] != "__init__" else parts
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            out |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom):
            base = list(package[: len(package) - (n.level - 1)]) if n.level else []
            mod = ".".join(base + ([n.module] if n.module else []))
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in n.names}
    return out


@pytest.mark.parametrize("model", ["spc.py", "benefits.py"])
def test_models_hold_no_presentation(model):
    imported = _imports(PKG / model)
    assert not any(m.startswith(("matplotlib", "seaborn", "homekit.report", "homekit.plots")) for m in imported), imported


def test_nothing_upstream_imports_the_report_package():
    for path in PKG.rglob("*.py"):
        if "report" in path.relative_to(PKG).parts or path.name in ("pipeline.py", "worker.py", "cli.py"):
            continue
        assert not any(m.startswith("homekit.report") for m in _imports(path)), path


def test_section_modules_do_not_import_the_report_classes():
    """Sections are plain functions of a report: they never import site.py or national.py (no circle)."""
    for path in (PKG / "report").glob("*.py"):
        if path.name in ("__init__.py", "site.py", "national.py"):
            continue
        imported = _imports(path)
        assert "homekit.report.site" not in imported and "homekit.report.national" not in imported, path


def test_every_section_is_a_method_named_after_its_function():
    for cls in (SiteReport, NationalReport):
        names = cls.section_names()
        assert len(names) == len(set(names))
        for fn in cls.SECTIONS:
            assert getattr(cls, fn.__name__).__wrapped__ is fn
    # The site report opens with the summary for the board and what changed (contract, second release).
    assert SiteReport.section_names()[:6] == ["title", "summary", "what_changed", "provenance", "response_profile", "gp_relationships"]
    assert "forest_plots" in NationalReport.section_names()


def test_a_new_section_is_one_function_and_one_entry():
    """The recipe of homekit.report's docstring, followed literally."""

    def shout(report):
        return Block("Shout", f"{report.who} says hello")

    def nothing(report):
        return None

    class Tiny(_base.Report):
        SECTIONS = (shout, nothing)

        def __init__(self):
            self.who = "Tiny"

    t = Tiny()
    assert t.shout().reading == "Tiny says hello"
    assert t.nothing() is None
    assert [b.title for b in t.sections()] == ["Shout"]


# ---------------------------------------------------------------------------------------------
# Sections built on the example data: read back what is drawn, as seaborn's tests do
# ---------------------------------------------------------------------------------------------

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from homekit.instruments import SERVICE_NAMES  # noqa: E402
from homekit.report import gp  # noqa: E402


@pytest.fixture(scope="module")
def dataset(example_dir):
    from homekit import load_data_dir

    return load_data_dir(example_dir)


@pytest.fixture(scope="module")
def national(dataset):
    from homekit.indicators import compute_indicators

    return compute_indicators(dataset, level="national")


def site_report(dataset, national, site_id="barnsley", **kw):
    return SiteReport(site_id, dataset.site(site_id), national=national, sources=dataset.sources, **kw)


def _points_by_label(ax):
    """{tick label: x of the point drawn on that row} for the points of a forest plot."""
    labels = {round(float(t), 6): lab.get_text() for t, lab in zip(ax.get_yticks(), ax.get_yticklabels())}
    xy = ax.lines[0].get_xydata()  # errorbar's data line: one (x, y) per drawn point
    return {labels[round(float(y), 6)]: float(x) for x, y in xy}


def _figure(block):
    """The figure of a block before it is rendered to PNG."""
    assert block.figure is not None
    return block.figure


def test_perception_gap_points_sit_on_their_own_service(dataset, national):
    r = site_report(dataset, national)
    ind = r.indicators.copy()
    # Withhold three services' awareness figures, as disclosure would at a small site.
    hide = (ind.indicator == "gp_unaware_service") & ind.group.isin(["reablement", "intermediate_care", "day_care"])
    ind.loc[hide, ["estimate", "lower", "upper"]] = np.nan
    ind.loc[hide, "suppressed"] = True
    r.indicators = ind
    block = gp.perception_gap(r)
    ax = _figure(block).axes[0]
    drawn = _points_by_label(ax)
    unaware = ind[(ind.indicator == "gp_unaware_service") & ~ind.suppressed].set_index("group")["estimate"]
    expected = {SERVICE_NAMES[s]: 100 * v for s, v in unaware.items()}
    assert drawn == pytest.approx(expected)
    # The withheld services keep their row, marked [c], and have no point.
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    for s in ("reablement", "intermediate_care", "day_care"):
        assert SERVICE_NAMES[s] in ticks and SERVICE_NAMES[s] not in drawn
    n_hidden = int(((ind.indicator == "gp_unaware_service") & (ind.suppressed | ind.estimate.isna())).sum())
    assert n_hidden >= 3 and [t.get_text() for t in ax.texts].count("[c]") == n_hidden
    plt.close("all")


def test_motivators_reference_ticks_belong_to_their_own_row(dataset, national):
    r = site_report(dataset, national)
    block = gp.motivators(r)
    ax = _figure(block).axes[0]
    labels = {round(float(t), 6): lab.get_text() for t, lab in zip(ax.get_yticks(), ax.get_yticklabels())}
    refs = [c for c in ax.collections if c.get_label().startswith("national")]
    assert len(refs) == 1 and not any(line.get_linestyle() == "--" for line in ax.lines)  # no line across all rows
    by_row = {labels[round(float(y), 6)]: x for x, y in refs[0].get_offsets()}
    nat = national[national.group == ""].set_index("indicator")["estimate"]
    assert by_row["Fewer home visits"] == pytest.approx(100 * nat["gp_motivated_fewer_home_visits"])
    assert by_row["Financial incentive"] == pytest.approx(100 * nat["gp_motivated_financial_incentive"])
    plt.close("all")
