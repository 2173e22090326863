"""The report package: its layout, section binding and the sections' behaviour on small sites."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import homekit
from homekit.report import Block, NationalReport, SiteReport
from homekit.report import _base
from conftest import ROOT

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
    pub = r.national_published  # the chart draws the national figures as published (after the gate)
    nat = pub[pub.group == ""].set_index("indicator")["estimate"]
    assert by_row["Fewer home visits"] == pytest.approx(100 * nat["gp_motivated_fewer_home_visits"])
    assert by_row["Financial incentive"] == pytest.approx(100 * nat["gp_motivated_financial_incentive"])
    plt.close("all")


# ---------------------------------------------------------------------------------------------
# Words that match the page
# ---------------------------------------------------------------------------------------------

import re  # noqa: E402

from homekit.instruments import FLOW_METRICS, INDICATORS  # noqa: E402
from homekit.report import comparison, flow, interviews, writers  # noqa: E402
from homekit.report._format import estimate_text  # noqa: E402

RAW = ["ddof1", "p_val", "a_rates_b", "b_rates_a", "High (0.001)", "Low (0.001)", "High (0.025)", "Low (0.025)", "0.000",
       "verdict_text", "start_period", "rater -> ratee", "parameters/", "_"]


def _visible_text(block) -> str:
    """What a reader reads in a block: its words and table cells, not its picture."""
    html = re.sub(r'src="data:[^"]+"', "", block._repr_html_())
    return re.sub(r"<[^>]+>", " ", html)


def test_no_data_is_not_withheld():
    assert estimate_text(None) == "no data"
    assert estimate_text({"indicator": "gp_trust_asc", "estimate": float("nan"), "suppressed": False}) == "no data"
    assert estimate_text({"indicator": "gp_trust_asc", "estimate": float("nan"), "suppressed": True}) == "[c]"
    # A share of events has no interval and reads as the share alone.
    assert estimate_text({"indicator": "flow_delayed_days_share", "estimate": 0.675, "lower": float("nan"),
                          "upper": float("nan"), "suppressed": False}) == "68%"


def test_every_section_reads_labels_never_ids(dataset, national):
    for site in ("barnsley", "wiltshire", "croydon"):
        r = site_report(dataset, national, site, benefits_file=str(ROOT / "parameters" / "benefits.yaml"))
        for block in r.sections():
            text = _visible_text(block)
            for raw in RAW[:-1]:
                assert raw not in text, (site, block.title, raw)
            assert not block.reading.startswith(r.rules.marker), (site, block.title)  # a sentence, not a bare marker
            words = set(re.findall(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b(?!\.(?:csv|xlsx|sav))", text))  # file names may stay
            assert not words & (set(INDICATORS) | set(FLOW_METRICS)), (site, block.title, words)
            assert not words, (site, block.title, words)  # no snake_case id of any kind
    plt.close("all")


def test_absent_sections_print_nothing(dataset, national):
    """Barnsley has no case reviews: no case review section and none of its caption anywhere."""
    r = site_report(dataset, national, "barnsley")
    assert not r.has("case_reviews") and r.case_reviews() is None
    text = " ".join(_visible_text(b) for b in r.sections())
    assert "Multi-agency panels" not in text and "Case reviews" not in text
    # The notebook holds no caption of its own for a section (each block brings its own); its other
    # markdown cells only name the function that draws the next section (tagged, never published).
    import json

    nb = json.loads((ROOT / "notebooks" / "site_analysis.ipynb").read_text())
    captions = [c for c in nb["cells"] if c["cell_type"] == "markdown" and "homekit-code" not in c["metadata"].get("tags", [])]
    assert len(captions) == 1
    plt.close("all")


def test_flow_words_name_the_months_drawn(dataset, national):
    r = site_report(dataset, national, "barnsley")
    block = flow.flow(r)
    periods = sorted(r.tables["flow_metrics"]["period"].unique())
    first, last = (pd.Period(p, freq="M").strftime("%b %Y") for p in (periods[0], periods[-1]))
    assert f"{first} to {last}" in block.intro and "latest twelve months" not in block.reading
    start12 = pd.Period(periods[-12], freq="M").strftime("%b %Y")
    assert f"{start12} to {last}" in block.reading
    ax = _figure(block).axes[0]
    assert len(ax.lines[0].get_xdata()) == len(periods)  # the chart shows every month, as the words say
    plt.close("all")


def test_versus_national_reading_counts_what_the_table_shows(dataset, national):
    r = site_report(dataset, national)
    block = comparison.versus_national(r)
    words = list(block.table["against the other sites"])
    judged = [w for w in words if w in comparison.JUDGED]
    assert block.reading.startswith(f"Of the {len(judged)} headline figures published for this site")
    for w in ("better", "similar", "worse"):
        verb = ("is " if words.count(w) == 1 else "are ") if w == "better" else ""
        assert f"{words.count(w)} {verb}{w}" in block.reading
    rest = len(words) - len(judged)
    if rest:
        assert f"; {rest} more {'is' if rest == 1 else 'are'} withheld" in block.reading
    assert (block.table != "").all().all()  # no empty cell (a headline with no published figure says so)
    # Every figure withheld: the reading says so, never "0 better, 0 similar and 0 worse".
    ind = r.indicators.copy()
    ind["suppressed"] = True
    ind[["estimate", "lower", "upper"]] = np.nan
    r.indicators = ind
    block = comparison.versus_national(r)
    assert block.reading.startswith("None of the") and "0 are better" not in block.reading and block.figure is None
    assert set(block.table["against the other sites"]) == {"[c]"}
    plt.close("all")


def test_each_quote_once():
    iv = pd.DataFrame({"quote": ["Same words.", "Same words.", "Other words."], "stakeholder_group": ["GP", "Carer", "GP"],
                       "theme": ["risk_aversion", "risk_aversion", "capacity"]})
    lines = interviews.quote_lines(iv)
    assert [q for q, _ in lines] == ["Same words.", "Other words."]
    assert lines[0][1] == "GP, Carer; risk aversion"


def test_funnel_labels_do_not_overlap():
    from homekit import plots

    # Eight sites crowded at nearly the same base and share.
    d = pd.DataFrame({"site_id": [f"Site number {i}" for i in range(8)], "numerator": [50, 51, 52, 50, 49, 51, 50, 52],
                      "denominator": [100, 101, 102, 100, 99, 101, 103, 100]})
    fig, ax = plt.subplots(figsize=(6, 4))
    plots.funnel_plot(d, ax=ax)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == 8
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (ax.texts[i].get_text(), ax.texts[j].get_text())
    plt.close(fig)


def test_summary_xlsx_for_an_analyst(tmp_path):
    import openpyxl

    from homekit.disclosure import DisclosureRules

    ind = pd.DataFrame({"site_id": ["a"] * 4,
                        "indicator": ["gp_relationship_poor", "gp_trust_asc", "prof_relationship_score", "gp_unaware_telecare"],
                        "group": ["", "", "asc->gp", ""], "numerator": [39.0, np.nan, 60.0, 0.0], "denominator": [70.0, 10.0, 20.0, 0.0],
                        "estimate": [0.557142857, np.nan, 3.0, np.nan], "lower": [0.44, np.nan, 2.5, np.nan],
                        "upper": [0.67, np.nan, 3.5, np.nan], "method": ["Wilson", "Wilson", "Student's t", "Wilson"],
                        "suppressed": [False, True, False, False]})
    path = writers.write_summary_xlsx(ind, tmp_path / "s.xlsx", title="Site A", rules=DisclosureRules())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["read_me", "headlines", "all_indicators"]
    al = wb["all_indicators"]
    header = [c.value for c in al[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    assert al.freeze_panes == "A2" and al.auto_filter.ref
    est = al.cell(row=2, column=col["estimate"])
    assert isinstance(est.value, float) and est.value == pytest.approx(0.557142857) and est.number_format == "0.0%"
    assert al.cell(row=2, column=col["indicator name"]).value == "GPs rating their relationship with social care poor or very poor"
    assert al.cell(row=2, column=col["indicator"]).value == "gp_relationship_poor"  # the key of indicators.csv, for joins
    # Withheld and no data: blank numbers, the reason in the marker column.
    assert al.cell(row=3, column=col["estimate"]).value is None and al.cell(row=3, column=col["marker"]).value == "[c]"
    assert al.cell(row=5, column=col["estimate"]).value is None and al.cell(row=5, column=col["marker"]).value == "no data"
    assert al.cell(row=4, column=col["estimate"]).number_format == "0.00"  # a mean score
    assert al.cell(row=3, column=col["suppressed"]).value is True and al.cell(row=2, column=col["suppressed"]).data_type == "b"
    assert all(al.column_dimensions[al.cell(row=1, column=i).column_letter].width >= len(h) for i, h in enumerate(header, 1))
    hs = wb["headlines"]
    assert "national" not in [c.value for c in hs[1]]  # no national figures given: no empty column
    readme = [c.value for row in wb["read_me"].iter_rows() for c in row if c.value]
    assert any("counts 1-7" in str(v) and "at least 11 answers" in str(v) for v in readme)  # both rules, as in force
    assert "lower is better" in readme and "higher is better" in readme


def test_funnel_labels_stay_inside_the_axes_at_the_top():
    from homekit import plots

    d = pd.DataFrame({"site_id": [f"Site {i}" for i in range(6)], "numerator": [100, 99, 100, 98, 100, 99],
                      "denominator": [100, 100, 101, 100, 102, 100]})
    fig, ax = plt.subplots(figsize=(6, 4))
    plots.funnel_plot(d, ax=ax)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    top = ax.get_window_extent(renderer).y1
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert all(b.y1 <= top + 1 for b in boxes)
    assert not any(boxes[i].overlaps(boxes[j]) for i in range(len(boxes)) for j in range(i + 1, len(boxes)))
    plt.close(fig)


def test_spc_chart_flags_no_month_before_the_intervention(dataset, national):
    """Wiltshire's trusted assessor: the months after the start sit far below the baseline, and the
    last baseline month is below its mean too; no special-cause marker may sit before the start."""
    from homekit.plots import SPC_LABELS
    from homekit.report import tracking

    r = site_report(dataset, national, "wiltshire")
    block = tracking.tracking(r)
    fig = _figure(block)
    starts = [pd.Period(p, freq="M") for p in r.tables["interventions"]["start_period"]]
    months = sorted(r.tables["flow_metrics"]["period"].unique())
    checked = 0
    for ax, start in zip(fig.axes, starts):
        start_x = [i for i, p in enumerate(months) if pd.Period(p, freq="M") == start][0]
        line = next(ln for ln in ax.lines if ln.get_linestyle() == "-." )  # the start marker
        assert line.get_xdata()[0] == pytest.approx(start_x - 0.5)
        special = [c for c in ax.collections if c.get_label() not in ("", SPC_LABELS["common_cause"]) and not c.get_label().startswith("_")]
        for c in special:
            assert all(x > start_x - 0.5 for x, _ in c.get_offsets()), (ax.get_title(), c.get_label())
        checked += len(special)
    assert checked >= 1  # at least one chart has special-cause points (after its start)
    plt.close("all")


def test_site_charts_and_tables_say_which_way_is_better(dataset, national):
    from homekit.instruments import polarity
    from homekit.report._format import direction_text

    r = site_report(dataset, national, "havering")
    gap = gp.perception_gap(r)
    titles = [ax.get_title() for ax in _figure(gap).axes]
    assert all(direction_text(i) in t for i, t in zip(("gp_unaware_service", "gp_service_rated_poor"), titles))
    assert all(direction_text("gp_unaware_service") in c or c == "service" for c in gap.table.columns)
    assert polarity("gp_unaware_service") == "lower_is_better"  # the data dictionary's word, not a fixed one
    fl = flow.flow(r)
    assert direction_text("flow_care_home_admissions_rate") in _figure(fl).axes[0].get_title()
    plt.close("all")


def test_board_summary_counts_every_verdict_in_words(dataset, national):
    from homekit.report import change

    r = site_report(dataset, national, "wiltshire")
    block = change.summary(r)
    since = list(block.table["since last survey"])
    better = [w.split(" ")[0] for w in block.table["against"]].count("better")
    assert f"Against the benchmark, {better} {'figure is' if better == 1 else 'figures are'} better" in block.reading
    for w in ("improved", "worsened"):
        assert f"{since.count(w)} {w}" in block.reading
    if since.count("increased") + since.count("decreased"):
        assert f"{since.count('increased')} increased and {since.count('decreased')} decreased" in block.reading
    plt.close("all")


class _TrackedSite:
    """Just what the tracking section reads: a site's flow metrics, its interventions and the rules."""

    def __init__(self, flow, interventions):
        from homekit.disclosure import DisclosureRules

        self.tables = {"flow_metrics": flow, "interventions": interventions}
        self.rules = self.site_rules = DisclosureRules()

    def has(self, name):
        return name in self.tables and len(self.tables[name]) > 0


def test_spc_chart_draws_the_baseline_limits_the_verdict_is_judged_against():
    """12 baseline months then 8 lower ones (multiples of 5 of 8 or more: published as they are). By
    hand: baseline mean 690/12 = 57.5, moving ranges 10,5,10,5,10,5,5,5,10,5,5 (sum 75, mean 75/11),
    limits 57.5 -/+ 2.66 x 75/11 = 39.3636 and 75.6364. The months after the start (mean 37.5 of
    their own) must be drawn against those extended limits, not against limits rebased on themselves."""
    from homekit.report import tracking

    values = [50, 60, 55, 65, 60, 50, 55, 60, 65, 55, 60, 55] + [40, 35, 40, 35, 40, 35, 40, 35]
    months = list(pd.period_range("2015-01", periods=len(values), freq="M"))
    flow = pd.DataFrame({"site_id": "s", "metric": "permanent_admissions_care_homes_65plus", "period": months,
                         "value": [float(v) for v in values]})
    iv = pd.DataFrame([{"intervention_id": "i1", "site_id": "s", "name": "Trusted assessor", "start_period": "2016-01",
                        "metric": "permanent_admissions_care_homes_65plus", "desired_direction": "down", "target": None}])
    block = tracking.tracking(_TrackedSite(flow, iv))
    ax = _figure(block).axes[0]
    mean, lower, upper = 57.5, 57.5 - 2.66 * 75 / 11, 57.5 + 2.66 * 75 / 11
    after = [ln for ln in ax.lines if ln.get_linestyle() in ("-", "--") and len(ln.get_xdata()) > 1
             and max(ln.get_xdata()) >= 12 and ln.get_marker() in ("None", None, "")]
    limit_lines = [ln for ln in after if len(set(np.round(ln.get_ydata(), 6))) == 1]
    drawn = sorted(round(float(ln.get_ydata()[0]), 4) for ln in limit_lines)
    assert drawn == [round(lower, 4), round(mean, 4), round(upper, 4)]
    for ln in limit_lines:  # each runs unbroken from the first baseline month to the last month
        assert min(ln.get_xdata()) == 0 and max(ln.get_xdata()) == len(values) - 1
    assert not any(np.isclose(ln.get_ydata(), 37.5).any() for ln in ax.lines)  # no line at the rebased mean
    assert "special cause improvement" in block.reading
    plt.close("all")


def test_spc_start_and_verdict_labels_cover_no_point():
    """Hertfordshire's shape: the months after the start jump to the top of the chart, where the
    'intervention starts' and verdict labels are written; neither may cover a point."""
    from homekit import spc
    from homekit.plots import spc_chart

    values = [10, 12, 11, 13, 12, 10, 11, 12, 13, 11, 12, 11] + [20, 21, 20, 22, 21, 20, 22, 21]
    chart = spc.xmr(values, rebase=[12], baseline_limits=True, improvement="up", index=[f"m{i}" for i in range(len(values))])
    fig, ax = plt.subplots(figsize=(10, 3.6))
    spc_chart(chart, start="m12", verdict=spc.variation(chart, since=12), title="Reablement", ax=ax)
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t.get_window_extent(renderer) for t in ax.texts if t.get_text() in ("intervention starts", "special cause improvement")]
    assert len(labels) == 2
    for c in ax.collections:
        for px, py in ax.transData.transform(c.get_offsets()):
            r = np.sqrt(c.get_sizes()[0]) / 2 * fig.dpi / 72
            assert not any(b.x0 < px + r and b.x1 > px - r and b.y0 < py + r and b.y1 > py - r for b in labels), (px, py)
    plt.close("all")


def test_sections_with_everything_withheld_show_no_table_of_markers(dataset, national):
    """Barnsley's interface survey is too small to publish any group: no chart, no table of [c], and a
    note that says why without speaking of bars that are not drawn."""
    from homekit.report import interface

    r = site_report(dataset, national, "barnsley")
    for block in (interface.factors_by_group(r), interface.trust_levels(r)):
        assert block.figure is None and block.table is None
        notes = " ".join(block.notes)
        assert "nothing is drawn or tabulated" in notes and "bars" not in notes
    plt.close("all")


def test_interventions_and_opportunities_read_names_and_no_empty_cells(dataset, national):
    """The metric a site's intervention is measured on reads its dictionary name (never its id); a
    saving that is not modelled says so; no column of empty cells (no savings, no notes)."""
    from homekit.instruments import METRIC_NAMES
    from homekit.report import diagnostic, tracking

    r = site_report(dataset, national, "barnsley")
    iv = diagnostic.interventions(r).table
    metric = r.tables["interventions"]["metric"].iloc[0]
    assert list(iv["measured on"]) == [METRIC_NAMES[metric]] and "_" not in " ".join(iv["measured on"])
    assert list(iv["expected saving a year"]) == ["not modelled"]
    opp = diagnostic.opportunities(r)
    assert not {"central saving a year", "P10", "P50", "P90", "note"} & set(opp.table.columns)
    assert any(n.startswith("No savings are shown: benefits model not run") for n in opp.notes)
    for table in (iv, opp.table, tracking.tracking(r).table):
        assert (table.astype(str) != "").all().all()
    plt.close("all")


def _published_by_hand(v):
    """A monthly count about people as the NHS Digital rule publishes it: 1 to 7 withheld, else
    rounded half up to 5 (22 -> 20, 23 -> 25, 22.5 does not occur)."""
    return [np.nan if 1 <= x <= 7 else 5 * np.floor(x / 5 + 0.5) for x in v]


def test_published_flow_rounds_counts_and_withholds_small_months_and_shares():
    from homekit.disclosure import DisclosureRules
    from homekit.report.flow import published_flow

    fm = pd.DataFrame({"site_id": "s", "period": [f"2015-{m:02d}" for m in range(1, 9)],
                       "metric": ["adm"] * 4 + ["share"] * 4,
                       "value": [22, 23, 3, 0, 30, 5, 33, 6],
                       "denominator": [np.nan] * 4 + [38, 40, 38, 8]})
    out = published_flow(fm, DisclosureRules())
    # counts: 22 -> 20, 23 -> 25, 3 withheld, 0 stays 0
    assert out["value"].iloc[:4].tolist()[:2] == [20.0, 25.0] and np.isnan(out["value"].iloc[2]) and out["value"].iloc[3] == 0
    # shares: 30 of 38 -> 30 of 40; 5 of 40 withheld (count 1-7); 33 of 38 withheld (complement 5);
    # 6 of 8 withheld (base under 10)
    assert (out["value"].iloc[4], out["denominator"].iloc[4]) == (30.0, 40.0)
    assert out["value"].iloc[5:].isna().all()
    assert fm["value"].tolist() == [22, 23, 3, 0, 30, 5, 33, 6]  # the raw table is not touched
    unrestricted = published_flow(fm, DisclosureRules(apply=False))
    assert unrestricted["value"].tolist() == [22, 23, 3, 0, 30, 5, 33, 6]


def test_flow_and_spc_charts_draw_only_published_months(dataset, national):
    """Barnsley's admissions run 9 to 31 a month: the flow chart and the SPC chart of its GP link
    social workers draw each month rounded to 5 (as indicators.csv publishes counts about people),
    and the SPC mean is the mean of those published baseline months, computed here by hand."""
    from homekit.report import tracking

    r = site_report(dataset, national, "barnsley")
    raw = r.tables["flow_metrics"]
    raw = raw[raw.metric == "permanent_admissions_care_homes_65plus"].sort_values("period")
    expected = _published_by_hand(raw["value"].to_numpy(float))
    assert (raw["value"] % 5 != 0).any()  # the data would show if drawn unrounded
    ax = _figure(flow.flow(r)).axes[0]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), expected)
    block = tracking.tracking(r)
    ax = _figure(block).axes[0]
    drawn = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections])
    assert sorted(drawn) == sorted(expected)
    start = pd.Period(r.tables["interventions"].iloc[0]["start_period"], freq="M")
    before = [e for e, p in zip(expected, raw["period"]) if pd.Period(p, freq="M") < start]
    mean_lines = [ln for ln in ax.lines if ln.get_color() == "black" and ln.get_linestyle() == "-"]
    assert mean_lines and mean_lines[0].get_ydata()[0] == pytest.approx(sum(before) / len(before))
    assert any("drawn as it may be published" in n for n in block.notes)
    plt.close("all")


def test_money_reads_in_whole_pounds_with_its_unit(dataset, national):
    """Birmingham's weekly cost difference of improvable cases is money, published to whole pounds:
    '£446 (£328 to £564) a week', never '446.00 (328.00 to 564.00)' without a currency."""
    from homekit.report import cases
    from homekit.report._format import label_for

    r = site_report(dataset, national, "birmingham")
    row = r.ind("case_weekly_cost_difference")
    table = cases.case_reviews(r).table.set_index("indicator")
    cell = table.loc[label_for("case_weekly_cost_difference"), "this site (95% CI)"]
    assert cell == f"£{row['estimate']:,.0f} (£{row['lower']:,.0f} to £{row['upper']:,.0f}) a week"
    assert re.fullmatch(r"£[\d,]+ a week", table.loc[label_for("case_weekly_cost_difference"), "national"])
    plt.close("all")


def test_flow_chart_points_lie_inside_the_frame_and_clear_of_the_legend(dataset, national):
    """Croydon's busiest month is the chart's highest point: drawn whole inside the axes and not
    under the 'latest twelve months' label (every site's chart is checked)."""
    for site in ("croydon", "birmingham", "barnsley"):
        fig = _figure(flow.flow(site_report(dataset, national, site)))
        ax = fig.axes[0]
        fig.canvas.draw()
        frame, legend = ax.get_window_extent(), ax.get_legend().get_window_extent()
        line = ax.lines[0]
        r = line.get_markersize() / 2 * fig.dpi / 72
        for px, py in ax.transData.transform(line.get_xydata()[np.isfinite(line.get_ydata())]):
            assert frame.y0 <= py - r and py + r <= frame.y1, (site, px, py)
            assert not (legend.x0 < px + r and legend.x1 > px - r and legend.y0 < py + r and legend.y1 > py - r), (site, px, py)
        plt.close("all")


def test_trust_and_matrix_readings_say_what_the_charts_show(dataset, national):
    """Hertfordshire publishes only adult social care staff's trust in the two hospital professions
    (11 raters): the reading names those two figures from the published rows and says why no gap
    is shown, never that every profession is withheld; the matrix reading does not call its one
    published relationship score the 'lowest'."""
    from homekit.report import interface

    r = site_report(dataset, national, "hertfordshire")
    trust = r.indicators[(r.indicators.indicator == "prof_trust") & ~r.indicators.suppressed.astype(bool) & r.indicators.estimate.notna()]
    assert set(trust.group) == {"asc->hospital_discharge", "asc->hospital_clinical"}  # the demo's case
    block = interface.trust_levels(r)
    assert block.figure is not None and "too few raters in each profession" not in block.reading
    for g, est in zip(trust.group, trust.estimate):
        ratee = {"asc->hospital_discharge": "hospital discharge", "asc->hospital_clinical": "hospital clinical"}[g]
        assert f"{100 * est:.0f}% of adult social care staff trust {ratee} staff" in block.reading
    rel = r.indicators[(r.indicators.indicator == "prof_relationship_score") & ~r.indicators.suppressed.astype(bool)
                       & r.indicators.estimate.notna()]
    assert len(rel) == 1
    reading = interface.matrices(r).reading
    assert "Lowest" not in reading and f"{rel.estimate.iloc[0]:.1f} on a scale of 1 to 5" in reading
    plt.close("all")


def test_a_zero_base_reads_no_data_not_withheld(dataset, national, tmp_path):
    """Birmingham's case reviews record no review interval, so 'care hours fell after review' has a
    published base of 0: the report and the workbook say 'no data', never the withheld marker."""
    import openpyxl

    from homekit.report import cases
    from homekit.report._format import label_for

    r = site_report(dataset, national, "birmingham")
    row = r.ind("case_care_hours_fell")
    assert row is not None and row["denominator"] == 0
    table = cases.case_reviews(r).table.set_index("indicator")
    assert table.loc[label_for("case_care_hours_fell"), "this site (95% CI)"] == "no data"
    r.write_outputs(str(tmp_path))
    ws = openpyxl.load_workbook(tmp_path / "summary.xlsx")["all_indicators"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in cells))) for cells in ws.iter_rows(min_row=2)]
    (cell,) = [x for x in rows if x.get("indicator id") == "case_care_hours_fell" or x.get("indicator_id") == "case_care_hours_fell"
               or "case_care_hours_fell" in x.values()]
    assert "no data" in cell.values() and r.rules.marker not in cell.values()
    plt.close("all")


def test_perception_gap_draws_no_panel_of_markers_only(dataset, national):
    """North Ayrshire publishes awareness for three services and no aware GPs' rating at all: one
    full-width panel of the published points, a note instead of a frame of [c], and the points on
    their own services."""
    r = site_report(dataset, national, "north_ayrshire")
    block = gp.perception_gap(r)
    fig = _figure(block)
    assert len(fig.axes) == 1 and fig.axes[0].get_position().width > 0.6
    assert any("every service's figure is withheld" in n for n in block.notes)
    drawn = _points_by_label(fig.axes[0])
    for s, label in SERVICE_NAMES.items():
        row = r.ind("gp_unaware_service", s)
        if row is not None and not row["suppressed"] and pd.notna(row["estimate"]):
            assert drawn[label] == pytest.approx(100 * row["estimate"])
        else:
            assert label not in drawn
    plt.close("all")


def test_versus_national_marks_each_row_by_its_own_comparison(dataset, national):
    """Oxfordshire: a worse, a better and similar rows. Each point's marker shape and legend word
    are its own row's comparison (read back from the drawn collections), so the legend key is not
    the first row's colour and colour is never the only cue."""
    from matplotlib.markers import MarkerStyle

    from homekit.plots import COMPARISON_MARKERS

    r = site_report(dataset, national, "oxfordshire")
    block = comparison.versus_national(r)
    ax = _figure(block).axes[0]
    names = {round(float(t), 6): lab.get_text().replace("\n", " ") for t, lab in zip(ax.get_yticks(), ax.get_yticklabels())}
    words = dict(zip(block.table["indicator"], block.table["against the other sites"]))
    seen = set()
    for c in ax.collections:
        if not c.get_label().startswith("this site: "):
            continue
        w = c.get_label().removeprefix("this site: ")
        m = MarkerStyle(COMPARISON_MARKERS[w])
        assert np.allclose(c.get_paths()[0].vertices, m.get_path().transformed(m.get_transform()).vertices)
        for _, yv in c.get_offsets():
            assert words[names[round(float(yv), 6)]] == w
            seen.add(w)
    assert {"better", "worse", "similar"} <= seen
    plt.close("all")
