"""Report sections of the seed findings (IMPOWER 2019 interface survey by respondent group and
profession; LGA/Newton 2017 case-review practice): readings computed from the published figures
they describe, withheld figures never drawn nor described, absent data gives no section."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from homekit.example_data import make_example_data  # noqa: E402
from homekit.instruments import FACTOR_NAMES_BY_DOMAIN, PROFESSION_GROUP_NAMES  # noqa: E402
from homekit.report import NationalReport, SiteReport  # noqa: E402
from homekit.report._format import pct  # noqa: E402


@pytest.fixture(scope="module")
def national(example_dir):
    return NationalReport.open(data_dir=str(example_dir))


def _bar_rows(fig) -> int:
    """How many bars (distinct rows with a drawn segment) a figure holds."""
    rows = 0
    for ax in fig.axes:
        rows += len({round(p.get_y(), 6) for p in ax.patches if p.get_width() > 0})
    return rows


def _pub(report, ind, group):
    pub = getattr(report, "published", report.indicators)
    m = pub[(pub.indicator == ind) & (pub.group == group)]
    return m.iloc[0]


def test_factors_by_group_reading_is_the_published_top_factor(national):
    block = national.factors_by_group()
    pub = national.published
    for g, name in PROFESSION_GROUP_NAMES.items():
        rows = pub[(pub.indicator == "prof_factor_frequent") & pub.group.str.match(rf"admission:[^|]+\|group:{g}$")]
        top = rows.loc[rows.estimate.idxmax()]
        factor = top["group"].split("|")[0].split(":")[1]
        assert f"{name}: {FACTOR_NAMES_BY_DOMAIN['admission'][factor].lower()} ({pct(top['estimate'])})" in block.reading
    # a factor x group bar (five levels) is drawn exactly where all five of its levels are
    # published: of 15 factors x 3 groups nationally, the gate withholds levels whose national
    # figure would give back a small site's (national minus the other sites, "none of them")
    lv = pub[pub.indicator == "prof_factor_level"]
    bar = lv.group.str.rsplit("|", n=1).str[0]
    whole = (~lv.suppressed.astype(bool) & lv.estimate.notna()).groupby(bar).all()
    assert len(whole) == 15 * 3
    assert 0 < int(whole.sum()) and _bar_rows(block.figure) == int(whole.sum())
    assert len(block.table) == 15 and list(block.table.columns[2:]) == list(PROFESSION_GROUP_NAMES.values())
    plt.close(block.figure)


def test_trust_levels_reading_is_the_published_trust_gap(national):
    block = national.trust_levels()
    for hosp in ("hospital_discharge", "hospital_clinical"):
        assert pct(_pub(national, "prof_trust", f"{hosp}->asc")["estimate"]) in block.reading
        assert pct(_pub(national, "prof_trust", f"asc->{hosp}")["estimate"]) in block.reading
    # 5 rated professions x 5 other raters: a bar is drawn where its four levels are published
    lv = national.published[national.published.indicator == "prof_trust_level"]
    pair = lv.group.str.rsplit("|", n=1).str[0]
    whole = (~lv.suppressed.astype(bool) & lv.estimate.notna()).groupby(pair).all()
    assert len(whole) >= 25 and _bar_rows(block.figure) == int(whole.sum()) >= 15
    plt.close(block.figure)


def test_factors_by_profession_national_table(national):
    block = national.factors_by_profession()
    assert len(block.table) == 15 and "GPs" in block.table.columns
    row = block.table[block.table.factor == "Desire to stabilise in hospital"].iloc[0]
    r = _pub(national, "prof_factor_frequent", "delay:stabilise_in_hospital|asc")
    assert row["Adult social care"].startswith(pct(r["estimate"]))


def test_practice_findings_national_reading_and_table(national):
    block = national.practice_findings()
    text = block.reading
    north = _pub(national, "case_team_reablement_suitable", "wiltshire:North locality")
    south = _pub(national, "case_team_reablement_suitable", "wiltshire:South locality")
    assert f"North locality judged {pct(north['estimate'])}" in text and f"South locality {pct(south['estimate'])}" in text
    assert "the difference followed the team, not the population" in text
    should = _pub(national, "case_residential_should_have", "")
    assert f"agreed with {pct(should['estimate'])} of the moves (published: only 10% should have)" in text
    early = _pub(national, "case_care_hours_fell", "review_within_14_days")
    assert f"{pct(early['estimate'])} of care packages needed fewer hours (published: a third)" in text
    table = block.table.set_index("finding")
    assert table.loc["Delays that lie in social care (case reviews)", "published (2017)"] == "35%"
    assert table.loc["Delays that lie in the health system (case reviews)", "published (2017)"] == "65%"
    plt.close(block.figure)


def test_site_report_no_longer_points_to_missing_breakdowns(example_dir):
    r = SiteReport.open("barnsley", data_dir=str(example_dir))
    assert r.trust_levels().figure is None or _bar_rows(r.trust_levels().figure) > 0
    notes = " ".join(r.interface_factors().notes + r.factors_by_group().notes)
    assert "Breakdowns by profession are in the national report" not in notes
    assert "national report shows every group and each profession" in notes  # and it does: see above
    # Barnsley has no case reviews: no practice-findings section.
    assert r.practice_findings() is None
    # Bars drawn at the site are exactly the published factor x group bars.
    block = r.factors_by_group()
    lv = r.indicators[r.indicators.indicator == "prof_factor_level"]
    bar = lv.group.str.rsplit("|", n=1).str[0]
    published = lv.assign(bar=bar).groupby("bar").apply(lambda g: bool((~g.suppressed & g.estimate.notna()).all()),
                                                        include_groups=False)
    drawn = 0 if block.figure is None else _bar_rows(block.figure)  # no empty frame when nothing is published
    assert drawn == int(published.sum())
    if block.figure is not None:
        plt.close(block.figure)


def _small_site(tmp_path, team_sizes):
    """One site whose case reviews come from two teams of the given sizes (A all Yes, B all No)."""
    d = tmp_path / "data"
    d.mkdir()
    tables = make_example_data()
    tables["sites"].head(1).to_csv(d / "sites.csv", index=False)
    site = tables["sites"].iloc[0]["site_id"]
    n = sum(team_sizes)
    cases = tables["case_reviews"].head(n).copy()
    cases["site_id"] = site
    cases["team"] = ["A"] * team_sizes[0] + ["B"] * team_sizes[1]
    cases["reablement_suitable"] = ["Yes"] * team_sizes[0] + ["No"] * team_sizes[1]
    cases["caseload"] = ""
    cases.to_csv(d / "case_reviews.csv", index=False)
    return SiteReport.open(site, data_dir=str(d))


def test_practice_findings_withheld_teams_are_not_compared(tmp_path):
    # Team A: 5 cases, all judged suitable; team B: 30, none. A's count (5) is withheld at site
    # level, so neither its share nor a test that would reveal it is published.
    r = _small_site(tmp_path, (5, 30))
    block = r.practice_findings()
    assert "[c] some teams' judgements are withheld" in block.reading
    assert "chi-square" not in block.reading and "Fisher" not in block.reading and not re.search(r"p [<=]", block.reading)
    a = block.table[block.table.finding.str.startswith("A ")].iloc[0]
    assert a["figure (95% CI)"] == "[c]"
    if block.figure is not None:
        ax = block.figure.axes[0]
        assert [t.get_text() for t in ax.get_yticklabels()] == ["B"]  # A is not drawn
        plt.close(block.figure)


def test_practice_findings_compares_published_teams(tmp_path):
    # 30 of 30 against 0 of 30: both published; expected counts 15 >= 5, so Pearson's chi-square
    # = 60 * (30*30 - 0*0)^2 / (30 * 30 * 30 * 30) = 60 on 1 df: p < 0.001.
    r = _small_site(tmp_path, (30, 30))
    block = r.practice_findings()
    assert "A judged 100% of its cases suitable for reablement, B 0% (Pearson chi-square, p < 0.001)" in block.reading
    plt.close(block.figure)


def test_team_note_reads_in_words(tmp_path):
    # 30 of 30 against 0 of 30 around the site's 50%: A is far above the funnel's 99.8% limit
    # (50% + 3.09 * sqrt(0.25 / 30) = 78%) and B far below; the note says so in words, not
    # with the library's flags ("high (0.001)").
    r = _small_site(tmp_path, (30, 30))
    block = r.case_reviews()
    note = next(n for n in block.notes if n.startswith("Reablement suitability by team"))
    assert "A: 100% (higher: outside the 99.8% limits)" in note and "B: 0% (lower: outside the 99.8% limits)" in note
    assert "(0.001)" not in note
    if block.figure is not None:
        plt.close(block.figure)
