"""The change sections and outputs: the director's summary, what changed, and ``homekit run``
on three sites surveyed in 2013 and 2019, checked against an independent computation."""

import csv
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

import homekit
from conftest import TWO_ROUND_TRUST
from homekit.indicators.change import CHANGE_COLUMNS
from homekit.report import SiteReport
from homekit.report._format import label_for
from homekit.report.change import SUMMARY_ROWS

SITES = ("alpha", "beta", "gamma")
EXPECTED = {"alpha": "improved", "beta": "no significant change", "gamma": "worsened"}
CHANGE_WORDS = {"improved", "no significant change", "worsened", "increased", "decreased", "not compared", "first survey"}
COMPARE_WORDS = ("better", "similar", "worse", "higher", "lower", "not compared")


def _verdict(lo, hi):
    return "improved" if lo > 0 else "worsened" if hi < 0 else "no significant change"


def _independent(x1, n1, x2, n2):
    lo, hi = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb", compare="diff")  # statsmodels, not homekit
    return x2 / n2 - x1 / n1, lo, hi, _verdict(lo, hi)


@pytest.fixture(scope="module")
def two_round_report(two_round_dir):
    return SiteReport.open("alpha", data_dir=str(two_round_dir))


def test_summary_says_every_headline_in_words(two_round_report):
    block = two_round_report.summary()
    t = block.table
    assert list(t.columns) == ["indicator", "which way is better", "this round", "previous round", "change (95% CI)", "since last survey", "against"]
    assert set(t["since last survey"]) <= CHANGE_WORDS
    assert all(a.split(" ")[0] in COMPARE_WORDS for a in t["against"])
    row = t[t.indicator.str.startswith("GPs trusting adult social care")].iloc[0]
    # alpha: 20/40 in 2013, 35/40 in 2019; the other sites' 2019 rounds pool 50/80.
    assert (row["this round"], row["previous round"]) == ("88% (2019)", "50% (2013)")
    assert row["since last survey"] == "improved" and row["against"] == "better (than the other sites)"
    assert row["which way is better"] == "higher is better"
    assert "improved" in block.reading and block.png() is not None  # the spine chart is drawn


def test_what_changed_lists_each_headline_measured_twice(two_round_report):
    block = two_round_report.what_changed()
    gp_heads = [i for i, g in SUMMARY_ROWS if i.startswith("gp_")]
    assert len(block.table) >= len(gp_heads)
    assert set(block.table["verdict"]) <= CHANGE_WORDS


def test_a_site_surveyed_once_has_no_change_section(example_dir):
    """Birmingham (wave 2) was surveyed once: no change section, no columns of empty cells for the
    previous round and the change, and 'first survey' only for figures from surveys: its flow
    figures and case reviews are not measured in survey rounds and never read 'first survey'."""
    from homekit.instruments import INDICATORS

    report = SiteReport.open("birmingham", data_dir=str(example_dir))  # wave 2: one round (2014)
    assert report.what_changed() is None
    table = report.summary().table
    assert "previous round" not in table.columns and "change (95% CI)" not in table.columns
    by_label = {label_for(i, g): INDICATORS[i].instrument for i, g in SUMMARY_ROWS}
    words = {by_label[lab]: set() for lab in table["indicator"]}
    for lab, w in zip(table["indicator"], table["since last survey"]):
        words[by_label[lab]].add(w)
    assert words["flow_metrics"] == {"not measured in rounds"} and words["case_reviews"] == {"not measured in rounds"}
    assert words["gp_survey"] == {"first survey"}


def test_what_changed_counts_add_up_to_the_figures_compared(example_dir):
    """Barnsley 2013 -> 2019: the reading's counts (improved, no change, worsened, increased,
    decreased, not compared) add up to the headline figures it says were measured twice, and the
    board summary's to its rows that have a verdict (one headline with no judgement decreased)."""
    report = SiteReport.open("barnsley", data_dir=str(example_dir))
    block = report.what_changed()
    head, rest = re.match(r"Of (\d+) headline figures measured in both rounds, (.*); \d+ other figures", block.reading).groups()
    assert sum(int(x) for x in re.findall(r"(\d+) (?:improved|showed|worsened|increased|decreased|could)", rest)) == int(head)
    assert "decreased" in rest  # the demo's case: the count that was left out
    summary = report.summary()
    said = re.search(r"Since the last survey, (.*)\.", summary.reading).group(1)
    verdicts = summary.table["since last survey"]
    compared = int((~verdicts.isin(["first survey", "not measured in rounds"])).sum())
    assert sum(int(x) for x in re.findall(r"(\d+) (?:improved|showed|worsened|increased|decreased|could)", said)) == compared


@pytest.fixture(scope="module")
def rounds_run(two_round_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("rounds_run") / "out"
    res = subprocess.run([sys.executable, "-m", "homekit.cli", "run", "--data-dir", str(two_round_dir), "--output-dir", str(out),
                          "--jobs", "2", "--quiet"], capture_output=True, text=True, timeout=1500)
    assert res.returncode == 0, res.stdout + res.stderr
    return out


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_run_change_csv_matches_an_independent_computation(rounds_run):
    for site in SITES:
        rows = _rows(rounds_run / "sites" / site / "change.csv")
        assert list(rows[0]) == CHANGE_COLUMNS
        r = next(r for r in rows if r["indicator"] == "gp_trust_asc" and r["group"] == "")
        d, lo, hi, word = _independent(*TWO_ROUND_TRUST[(site, 2013)], *TWO_ROUND_TRUST[(site, 2019)])
        assert (r["from_period"], r["to_period"], r["suppressed"]) == ("2013", "2019", "false")
        assert float(r["difference"]) == pytest.approx(d, abs=1e-4)
        assert (float(r["lower"]), float(r["upper"])) == (pytest.approx(lo, abs=1e-4), pytest.approx(hi, abs=1e-4))
        assert r["verdict"] == word == EXPECTED[site]
        hist = _rows(rounds_run / "sites" / site / "history.csv")
        assert {h["period"] for h in hist if h["indicator"] == "gp_trust_asc"} == {"2013", "2019"}
    nat = next(r for r in _rows(rounds_run / "national" / "change.csv") if r["indicator"] == "gp_trust_asc" and r["group"] == "")
    x1 = sum(TWO_ROUND_TRUST[(s, 2013)][0] for s in SITES)
    x2 = sum(TWO_ROUND_TRUST[(s, 2019)][0] for s in SITES)
    d, lo, hi, word = _independent(x1, 120, x2, 120)
    assert float(nat["difference"]) == pytest.approx(d, abs=1e-4)
    assert (float(nat["lower"]), float(nat["upper"])) == (pytest.approx(lo, abs=1e-4), pytest.approx(hi, abs=1e-4))
    assert nat["verdict"] == word == "no significant change"


def test_run_first_page_says_the_words_per_headline(rounds_run):
    for site in SITES:
        html = (rounds_run / "sites" / site / "report.html").read_text()
        start = html.index("<h2>Summary for the board</h2>")
        assert start < html.index("<h2>What changed since the last survey</h2>") < html.index("<h2>Provenance")
        section = html[start:html.index("<h2", start + 1)]
        cells = re.findall(r"<td>([^<]*)</td>", section)
        row = cells[cells.index(next(c for c in cells if c.startswith("GPs trusting adult social care"))):][:7]
        assert row[5] == EXPECTED[site]
        assert row[6].split(" ")[0] in COMPARE_WORDS
        for label in ("GPs rating their relationship with social care poor or very poor", "GPs trusting the hospital discharge team"):
            i = cells.index(label)
            assert cells[i + 5] in CHANGE_WORDS and cells[i + 6].split(" ")[0] in COMPARE_WORDS
    ind = _rows(rounds_run / "sites" / "alpha" / "indicators.csv")
    trust = next(r for r in ind if r["indicator"] == "gp_trust_asc")
    assert (trust["period"], trust["comparison"], trust["benchmark"]) == ("2019", "better", "national_excluding_site")


def test_summary_xlsx_has_the_change_sheet(two_round_report, tmp_path):
    import openpyxl

    two_round_report.write_outputs(str(tmp_path))
    wb = openpyxl.load_workbook(tmp_path / "summary.xlsx")
    ws = wb["change"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    # Readable headers first, every key column of change.csv kept last for joins (no raw header before them).
    assert header[:4] == ["indicator name", "group name", "from year", "to year"]
    assert {"site_id", "indicator", "group", "from_period", "to_period"} <= set(header) and "p_value" not in header
    # Formatted like the other sheets: bold frozen header, filters, widths that fit.
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref and ws.cell(row=1, column=1).font.bold
    assert all(ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width >= len(h) for i, h in enumerate(header, 1))
    trust = next(i for i in range(2, ws.max_row + 1) if ws.cell(row=i, column=col["indicator"]).value == "gp_trust_asc"
                 and not ws.cell(row=i, column=col["group"]).value)
    cell = lambda h: ws.cell(row=trust, column=col[h])  # noqa: E731
    assert cell("indicator name").value.startswith("GPs trusting adult social care") and cell("verdict").value == "improved"
    # Typed cells: years as numbers, withheld as a boolean, shares and changes as formatted numbers.
    assert isinstance(cell("from year").value, int) and cell("from year").value < cell("to year").value
    assert cell("withheld").value is False and cell("withheld").data_type == "b"
    assert isinstance(cell("to").value, float) and cell("to").number_format == "0.0%"
    assert cell("change").number_format.startswith("+0.0%") and cell("p-value").number_format == "0.000"
    published = pd.read_csv(tmp_path / "change.csv", keep_default_na=False, dtype={"to_period": str})
    row = published[(published.indicator == "gp_trust_asc") & (published.group == "")].iloc[0]
    assert cell("change").value == pytest.approx(float(row["difference"])) and cell("to_period").value == str(row["to_period"])
    assert (tmp_path / "change.csv").exists() and (tmp_path / "history.csv").exists()


def _marker_boxes(ax):
    """(left, right, bottom, top) in pixels of every scatter marker drawn on ``ax``."""
    import numpy as np
    from matplotlib.collections import PathCollection

    boxes = []
    for c in ax.collections:
        if not isinstance(c, PathCollection):
            continue
        offsets = c.get_offsets()
        if len(offsets) == 0:
            continue
        sizes = np.broadcast_to(np.asarray(c.get_sizes(), float), (len(offsets),))
        pix = ax.transData.transform(offsets)
        r = np.sqrt(sizes) / 2 * ax.figure.dpi / 72  # marker area s in points^2 -> radius in pixels
        boxes += [(x - ri, x + ri, y - ri, y + ri) for (x, y), ri in zip(pix, r)]
    return boxes


def _change_row(ind, a, b, verdict):
    """One published change.csv row (from a to b) with the given verdict."""
    return {"indicator": ind, "group": "", "from_period": "2013", "to_period": "2019", "from_estimate": a, "to_estimate": b,
            "difference": b - a, "lower": b - a - 0.1, "upper": b - a + 0.1, "p_value": 0.01, "verdict": verdict,
            "suppressed": False}


class _SiteWithChanges:
    """Just what the what-changed section reads: a site's published changes."""

    def __init__(self, rows):
        self.changes = pd.DataFrame(rows)


def test_what_changed_draws_points_at_0_and_100_percent_whole():
    """A headline going from 60% to 100% and one from 0% to 30%: every marker, at the frame's edges
    included, lies wholly inside the axes, and the axis still reads 0 to 100."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from homekit.report import change

    block = change.what_changed(_SiteWithChanges([_change_row("gp_trust_asc", 0.6, 1.0, "improved"),
                                                  _change_row("gp_relationship_poor", 0.0, 0.3, "worsened")]))
    fig = block.figure
    ax = fig.axes[0]
    fig.canvas.draw()
    frame = ax.get_window_extent()
    from matplotlib.collections import PathCollection

    drawn = sorted(x for c in ax.collections if isinstance(c, PathCollection) for x, _ in c.get_offsets())
    assert drawn[0] == 0 and drawn[-1] == 100  # the test draws points on both edges
    for left, right, bottom, top in _marker_boxes(ax):
        assert frame.x0 <= left and right <= frame.x1, (left, right, frame)
    lo, hi = ax.get_xlim()
    assert lo < 0 and hi > 100 and [t for t in ax.get_xticks() if lo <= t <= hi][:1] == [0] and max(ax.get_xticks()) == 100
    plt.close(fig)


def test_site_and_national_tables_word_the_direction_one_way(two_round_report, two_round_dir):
    """Every 'which way is better' cell, in the site's and the national tables, is direction_text's
    wording of the indicator's polarity, the no-judgement one included (no 'neither' beside 'no judgement')."""
    from homekit.instruments import INDICATORS
    from homekit.report import NationalReport
    from homekit.report._format import direction_text

    allowed = {direction_text(i) for i in INDICATORS}
    assert len(allowed) == 3
    national = NationalReport.open(data_dir=str(two_round_dir))
    blocks = [two_round_report.summary(), two_round_report.what_changed(), national.headlines_over_rounds(), national.headlines()]
    seen = set()
    for block in blocks:
        assert block is not None and block.table is not None
        assert "better is" not in block.table.columns
        for col in [c for c in block.table.columns if "better" in c]:
            seen |= set(block.table[col])
    assert seen <= allowed and direction_text("gp_value_closer_links") in seen and "higher is better" in seen


def test_likert_summaries_are_read_with_their_items_direction(two_round_report):
    """Alpha's GPs disagreeing that they trust adult social care fell from 20 of 40 to 5 of 40 (the
    bottom two answers of trust_asc; Newcombe's interval of -37.5 points lies wholly below 0, by
    statsmodels here). Fewer GPs distrusting is better: the bottom-two row reads 'lower is better'
    and 'improved' like the headline it mirrors, never 'no judgement' and 'decreased'; the item
    on valuing closer links keeps no judgement, as its headline does."""
    from homekit.report._format import label_for

    d, lo, hi, _ = _independent(20, 40, 5, 40)
    assert hi < 0
    table = two_round_report.what_changed().table
    rows = table.set_index("indicator")
    bottom = rows.loc[label_for("gp_likert_bottom2", "trust_asc")]
    assert (bottom["which way is better"], bottom["verdict"]) == ("lower is better", "improved")
    top = rows.loc[label_for("gp_likert_top2", "trust_asc")]
    assert (top["which way is better"], top["verdict"]) == ("higher is better", "improved")
    pub = two_round_report.indicators.set_index(["indicator", "group"])["polarity"]
    assert pub[("gp_likert_bottom2", "trust_asc")] == "lower_is_better"
    assert pub[("gp_likert_bottom2", "quality_home_care")] == "lower_is_better"
    assert pub[("gp_likert_mean", "relationship_social_care")] == "higher_is_better"
    assert pub[("gp_likert_bottom2", "value_closer_links")] == "no_judgement"
    assert pub[("gp_likert_missing", "trust_asc")] == "no_judgement"


def test_what_changed_shapes_each_point_by_its_own_verdict():
    """Colour is never the only cue: each row's 'this round' marker has the shape of its own
    verdict (up-triangle improved, down-triangle worsened, left-pointing decreased), read back from
    the drawn collections and the tick labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.markers import MarkerStyle

    from homekit.report import change

    ax = change.what_changed(_SiteWithChanges([_change_row("gp_trust_asc", 0.6, 0.9, "improved"),
                                               _change_row("gp_relationship_poor", 0.2, 0.5, "worsened"),
                                               _change_row("gp_motivated_fewer_home_visits", 0.8, 0.5, "decreased")])).figure.axes[0]
    names = {round(float(t), 6): lab.get_text().replace("\n", " ") for t, lab in zip(ax.get_yticks(), ax.get_yticklabels())}
    shape = {}
    for c in ax.collections:
        if not c.get_label().startswith("this round"):
            continue
        for _, y in c.get_offsets():
            shape[names[round(float(y), 6)]] = c.get_paths()[0].vertices.tolist()
    expected = {"GPs trusting adult social care to act in patients' best interests": "^",
                "GPs rating their relationship with social care poor or very poor": "v",
                "GPs motivated by fewer home visits in advice on residential care": "<"}
    for label, marker in expected.items():
        m = MarkerStyle(marker)
        assert np.allclose(shape[label], m.get_path().transformed(m.get_transform()).vertices), label
    plt.close("all")


def test_workbook_names_a_likert_item_once_and_its_direction(two_round_report, tmp_path):
    """The change sheet's bottom-two row of trust_asc: the group name is the question alone (not
    'bottom-two answers: ...' again) and the row reads 'lower is better'; the read-me says the
    Likert summaries' direction depends on the item instead of 'no judgement'."""
    import openpyxl

    from homekit.instruments import INSTRUMENTS

    two_round_report.write_outputs(str(tmp_path))
    wb = openpyxl.load_workbook(tmp_path / "summary.xlsx")
    ws = wb["change"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]
    (row,) = [r for r in rows if r["indicator"] == "gp_likert_bottom2" and r["group"] == "trust_asc"]
    assert row["group name"] == INSTRUMENTS["gp_survey"].column("trust_asc").question
    assert row["which way is better"] == "lower is better"
    readme = {r[2].value: r[1].value for r in wb["read_me"].iter_rows() if len(r) > 2 and r[2].value}
    assert readme["gp_likert_bottom2"] == "depends on the item: see each row"
    assert readme["gp_trust_asc"] == "higher is better"
