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
from homekit.indicators.professional import FREQUENCY_LEVELS, TRUST_LEVELS  # noqa: E402
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
    assert len(block.table) == 15 and list(block.table.columns[2:]) == list(PROFESSION_GROUP_NAMES.values())
    plt.close(block.figure)


def _drawn(fig) -> dict:
    """Drawn segments of diverging bars read back from the figure: (axis, y, hue, level) -> (width %, hatched)."""
    out = {}
    for k, ax in enumerate(fig.axes):
        for p in ax.patches:
            if p.get_gid():
                y, hue, level = p.get_gid().split("|")
                out[(k, y, hue, level)] = (p.get_width(), bool(p.get_hatch()))
    return out


def _check_bars(drawn, pub, bars, levels, top_of):
    """Every bar drawn with all its levels: a published level at its published share; withheld
    levels hatched, in runs whose drawn total is what the published rows leave (base minus the
    published levels; the published top-two row for the positive side)."""
    withheld = 0
    for (k, y, hue), rows in bars.items():
        rows = rows.set_index("level")
        widths = [drawn[(k, y, hue, lv)] for lv in levels]  # KeyError: a level not drawn
        assert sum(w for w, _ in widths) == pytest.approx(100, abs=1e-6)
        top = top_of(k, y, hue)
        right = [lv for lv in levels[len(levels) // 2 + len(levels) % 2:]]
        assert sum(drawn[(k, y, hue, lv)][0] for lv in right) == pytest.approx(100 * top["numerator"] / top["denominator"], abs=1e-6)
        for lv, (w, hatched) in zip(levels, widths):
            r = rows.loc[lv]
            if not r["suppressed"]:
                assert not hatched and w == pytest.approx(100 * r["estimate"], abs=0.006)
            else:
                withheld += 1
                assert hatched and pd.isna(r["estimate"]) and r["denominator"] >= 11
    return withheld


def test_factors_by_group_draws_every_group_from_the_published_rows(national):
    # Nationally every respondent group has 11 answers or more (the professional rule allows all
    # 45 factor x group bars): each is drawn with its five levels, a published level at its
    # published share, and the levels the gate withholds (national minus the sites: "none of the
    # small sites' groups said it") hatched with their combined share, which is only what the
    # published rows leave. The blue side is the table's "% frequently or very frequently".
    block = national.factors_by_group()
    pub = national.published
    lv = pub[pub.indicator == "prof_factor_level"].copy()
    parts = lv.group.str.split("|", expand=True)
    lv["domain"] = parts[0].str.split(":").str[0]
    lv["factor"] = parts[0].str.split(":").str[1]
    lv["who"] = parts[1].str.replace("group:", "")
    lv["level"] = parts[2].map(dict(zip(["never", "infrequently", "sometimes", "frequently", "very_frequently"], FREQUENCY_LEVELS)))
    axis = {d: k for k, d in enumerate(FACTOR_NAMES_BY_DOMAIN)}
    bars = {(axis[d], f, w): rows for (d, f, w), rows in lv.groupby(["domain", "factor", "who"])}
    assert len(bars) == 45 and (lv.denominator >= 11).all()

    def top(k, factor, who):
        d = list(FACTOR_NAMES_BY_DOMAIN)[k]
        return _pub(national, "prof_factor_frequent", f"{d}:{factor}|group:{who}")

    withheld = _check_bars(_drawn(block.figure), pub, bars, list(FREQUENCY_LEVELS), top)
    assert withheld == int(lv.suppressed.sum()) > 0
    # the table gives the same blue side, from the same published rows
    table = block.table.set_index("factor")
    r = top(0, "risk_aversion", "hospital")
    assert table.loc["Mitigating risk (risk aversion)", PROFESSION_GROUP_NAMES["hospital"]].startswith(pct(r["estimate"]))
    assert "although the group has 11 or more answers" in " ".join(block.notes)
    plt.close(block.figure)


def test_trust_levels_reading_is_the_published_trust_gap(national):
    block = national.trust_levels()
    for hosp in ("hospital_discharge", "hospital_clinical"):
        assert pct(_pub(national, "prof_trust", f"{hosp}->asc")["estimate"]) in block.reading
        assert pct(_pub(national, "prof_trust", f"asc->{hosp}")["estimate"]) in block.reading
    # 5 rated professions x 5 other raters, each group of 11 or more nationally: every bar drawn
    # with its four levels; Agree + Strongly agree is the published % trusting (prof_trust)
    lv = national.published[national.published.indicator == "prof_trust_level"].copy()
    parts = lv.group.str.split("|", expand=True)
    lv["rater"], lv["ratee"] = parts[0].str.split("->").str[0], parts[0].str.split("->").str[1]
    lv["level"] = parts[1].map(dict(zip(["strongly_disagree", "disagree", "agree", "strongly_agree"], TRUST_LEVELS)))
    bars = {(0, ratee, rater): rows for (ratee, rater), rows in lv.groupby(["ratee", "rater"])}
    assert len(bars) == 25
    withheld = _check_bars(_drawn(block.figure), national.published, bars, list(TRUST_LEVELS),
                           lambda k, ratee, rater: _pub(national, "prof_trust", f"{rater}->{ratee}"))
    assert withheld == int(lv.suppressed.sum()) > 0
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
    assert ("A judged 100% of its cases suitable for reablement, B 0%: a difference more than chance would explain "
            "(p < 0.001, Pearson chi-square test)") in block.reading
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


def test_bar_segments_draws_withheld_neighbours_together_from_published_rows():
    from homekit.report.interface import bar_segments

    levels = ["N", "I", "S", "F", "V"]

    def bar(b, nums, den=40):
        return pd.DataFrame({"bar": b, "level": levels, "numerator": nums, "denominator": den,
                             "estimate": [n / den if n == n else None for n in nums], "suppressed": [n != n for n in nums]})

    nan = float("nan")
    rows = pd.concat([bar("all", [2, 6, 12, 12, 8]),
                      bar("left", [nan, nan, 12, 12, 8]),           # 40 - 32 = 8 never or infrequently
                      bar("both", [nan, nan, 12, nan, nan]),        # frequent row 20: 20 right, 40 - 12 - 20 = 8 left
                      bar("one", [nan, 6, 12, 12, 8]),              # a single withheld level: never drawn
                      bar("small", [nan] * 5, den=nan)], ignore_index=True)
    out = bar_segments(rows, ["bar"], levels, top={("both",): 20}).set_index(["bar", "level"])
    assert out.loc["all", "estimate"].tolist() == [0.05, 0.15, 0.3, 0.3, 0.2] and not out.loc["all", "merged"].any()
    # a run's share sits on its level nearest the middle (its colour), 0 on the others
    assert out.loc["left", "estimate"].tolist() == [0.0, 0.2, 0.3, 0.3, 0.2]
    assert out.loc["left", "merged"].tolist() == [True, True, False, False, False]
    assert out.loc["both", "estimate"].tolist() == [0.0, 0.2, 0.3, 0.5, 0.0]
    assert out.loc["both", "merged"].tolist() == [True, True, False, True, True]
    assert out.loc["one", "suppressed"].all() and out.loc["one", "estimate"].isna().all()
    assert out.loc["small", "suppressed"].all()
