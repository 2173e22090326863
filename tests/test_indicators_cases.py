"""Case-review practice findings (LGA/Newton 2017) on a small hand-made table; every expected
figure is worked out by hand in the comments beside it."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

import homekit
from homekit.example_data import make_example_data
from homekit.indicators import (
    case_indicators,
    compute_indicators,
    indicator_history,
    swapped_populations,
    team_indicators,
    team_variation,
)
from homekit.instruments import SCALES

# Weekly costs (GBP) given to the indicator, as parameters/benefits.yaml would (an intermediate
# care bed costs more a week than residential or nursing care).
COSTS = {"home_no_support": 0, "home_with_support": 330, "reablement": 420, "intermediate_care_bed": 1450,
         "residential_care": 1150, "nursing_care": 1300, "acute_admission": 3100}

#        actual              ideal                  prior                 own costs    hours    days  delay reason                 team suit  caseload
ROWS = [
    ("residential_care", "home_with_support", "short_term_medical", "", "", "10", "5", "10", "awaiting_care_package", "A", "Yes", "P"),  # 0
    ("residential_care", "residential_care", "short_term_medical", "", "", "12", "12", "14", "awaiting_assessment", "A", "Yes", "Q"),    # 1
    ("nursing_care", "intermediate_care_bed", "short_term_medical", "", "", "20", "15", "30", "clinical", "A", "No", "P"),               # 2
    ("residential_care", "intermediate_care_bed", "home", "", "", "8", "8", "60", "family_choice", "B", "No", "Q"),                     # 3
    ("acute_admission", "reablement", "home", "2900", "420", "", "", "", "", "B", "No", "P"),                                           # 4
    ("home_with_support", "reablement", "home", "300", "250", "", "", "7", "awaiting_care_home", "B", "Yes", "Q"),                      # 5
    ("reablement", "reablement", "", "", "", "6", "3", "15", "awaiting_intermediate_care", "B", "No", "P"),                             # 6
    ("nursing_care", "residential_care", "short_term_medical", "", "", "", "", "", "", "", "Yes", ""),                                  # 7
]
COLUMNS = ["actual_pathway", "ideal_pathway", "prior_setting", "actual_weekly_cost", "ideal_weekly_cost", "care_hours_start",
           "care_hours_after_review", "review_interval_days", "delay_reason", "team", "reablement_suitable", "caseload"]


def _table(site_ids=None) -> pd.DataFrame:
    base = make_example_data()["case_reviews"].head(len(ROWS)).copy().reset_index(drop=True)
    base["site_id"] = site_ids or "a"
    base["alternative_available"] = "Yes"
    for j, c in enumerate(COLUMNS):
        base[c] = [r[j] for r in ROWS]
    return base


@pytest.fixture
def cases(tmp_path):
    p = tmp_path / "case_reviews.csv"
    _table().to_csv(p, index=False)
    return homekit.load("case_reviews", p)


def _row(df, indicator, group=""):
    m = df[(df.indicator == indicator) & (df.group == group)]
    assert len(m) == 1, (indicator, group, m)
    return m.iloc[0]


def _wilson(x, n, z=1.959963984540054):
    # Wilson score interval written out: (p + z^2/2n +/- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_ideal_cheaper_uses_weekly_costs_never_the_ladder(cases):
    c = case_indicators(cases, by=[], weekly_costs=COSTS)
    # Improvable (ideal differs from actual): cases 0, 2, 3, 4, 5, 7 -> 6.
    # Ideal cheaper a week, own costs where the case gives both, else the parameters:
    #   0 residential 1150 -> home with support 330: cheaper
    #   2 nursing 1300 -> intermediate care bed 1450: dearer (though lower on the pathway list)
    #   3 residential 1150 -> intermediate care bed 1450: dearer (though lower on the pathway list)
    #   4 own 2900 -> 420: cheaper
    #   5 own 300 -> 250: cheaper (though reablement is higher on the pathway list)
    #   7 nursing 1300 -> residential 1150: cheaper
    row = _row(c, "case_ideal_cheaper")
    assert (row.numerator, row.denominator) == (4, 6)
    assert (row.lower, row.upper) == pytest.approx(_wilson(4, 6))
    # The intensity ladder would have said 5 of 6 (all but case 5): a different figure.
    assert (_row(c, "case_ideal_less_intensive").numerator, _row(c, "case_ideal_less_intensive").denominator) == (5, 6)
    # Without parameter costs only cases 4 and 5 (both own costs) count: both cheaper.
    own = _row(case_indicators(cases, by=[]), "case_ideal_cheaper")
    assert (own.numerator, own.denominator) == (2, 2)


def test_residential_should_have(cases):
    c = case_indicators(cases, by=[], weekly_costs=COSTS)
    # From short-term medical care to residential or nursing care: cases 0, 1, 2, 7; ideal the
    # same as actual: case 1 only -> 1 of 4.
    row = _row(c, "case_residential_should_have")
    assert (row.numerator, row.denominator, row.estimate) == (1, 4, 0.25)


def test_care_hours_fell_by_review_interval(cases):
    c = case_indicators(cases, by=[], weekly_costs=COSTS)
    # Both hours known: cases 0 (10->5 fell), 1 (12->12), 2 (20->15 fell), 3 (8->8), 6 (6->3 fell).
    assert (_row(c, "case_care_hours_fell").numerator, _row(c, "case_care_hours_fell").denominator) == (3, 5)
    # Within 14 days (14 included): cases 0 (10 days), 1 (14 days) -> 1 of 2.
    early = _row(c, "case_care_hours_fell", "review_within_14_days")
    assert (early.numerator, early.denominator) == (1, 2)
    # Later: cases 2 (30), 3 (60), 6 (15) -> 2 of 3. Case 5 (7 days) has no hours: not counted.
    later = _row(c, "case_care_hours_fell", "review_later")
    assert (later.numerator, later.denominator) == (2, 3)


def test_delay_reasons_and_attribution(cases):
    c = case_indicators(cases, by=[], weekly_costs=COSTS)
    # Delay reason given: cases 0, 1, 2, 3, 5, 6 -> base 6, one each of six reasons, none "other".
    reasons = c[c.indicator == "case_delay_reason"].set_index("group")
    assert reasons["denominator"].eq(6).all() and reasons["numerator"].sum() == 6
    assert reasons.loc["awaiting_care_package", "numerator"] == 1 and reasons.loc["other", "numerator"] == 0
    # Attributed: social care = care package (0) + care home (5) = 2; health = assessment (1) +
    # clinical (2) + intermediate care (6) = 3; family choice (3) is neither -> base 5.
    sc, health = _row(c, "case_delay_attribution", "social_care"), _row(c, "case_delay_attribution", "health")
    assert (sc.numerator, sc.denominator, health.numerator, health.denominator) == (2, 5, 3, 5)


def test_team_rows_and_variation_test(cases):
    t = team_indicators(cases, by=[]).set_index("group")
    # Team A: cases 0, 1, 2 -> Yes, Yes, No = 2 of 3. Team B: cases 3-6 -> No, No, Yes, No = 1 of 4.
    # Case 7 has no team and is left out.
    assert (t.loc["A", "numerator"], t.loc["A", "denominator"]) == (2, 3)
    assert (t.loc["B", "numerator"], t.loc["B", "denominator"]) == (1, 4)
    assert (t.loc["A", "lower"], t.loc["A", "upper"]) == pytest.approx(_wilson(2, 3))
    # Both teams judged cases of caseloads P and Q (populations swapped), so the rows by caseload
    # follow: A|P cases 0, 2 -> 1 of 2; A|Q case 1 -> 1 of 1; B|P cases 4, 6 -> 0 of 2;
    # B|Q cases 3, 5 -> 1 of 2.
    assert (t.loc["A|caseload:P", "numerator"], t.loc["A|caseload:P", "denominator"]) == (1, 2)
    assert (t.loc["A|caseload:Q", "numerator"], t.loc["A|caseload:Q", "denominator"]) == (1, 1)
    assert (t.loc["B|caseload:P", "numerator"], t.loc["B|caseload:P", "denominator"]) == (0, 2)
    assert (t.loc["B|caseload:Q", "numerator"], t.loc["B|caseload:Q", "denominator"]) == (1, 2)
    test = team_variation(cases)["test"]
    # Table [[2, 1], [1, 3]]: expected counts 3*3/7 < 5, so Fisher's exact test. By hand: with
    # margins rows (3, 4), columns (3, 4), P(Yes in A = x) = C(3,x) C(4,3-x) / C(7,3):
    # x=0: 4/35, x=1: 18/35, x=2: 12/35 (observed), x=3: 1/35. Two-sided p sums the tables no
    # more likely than the observed: (4 + 12 + 1) / 35.
    assert test["test"] == "Fisher's exact test"
    assert test["p_val"] == pytest.approx(17 / 35)
    assert test["statistic"] == pytest.approx(2 * 3 / (1 * 1))  # sample odds ratio


def test_swapped_populations_cmh_by_hand(cases):
    s = swapped_populations(cases, by=[]).iloc[0]
    assert (s.team_a, s.team_b, s.caseloads) == ("A", "B", "P|Q")
    # Cochran-Mantel-Haenszel by hand, strata P and Q, a = team A's Yes:
    #   P: [[1, 1], [0, 2]]: n 4, E(a) = 2*1/4 = 0.5, Var = 2*2*1*3 / (4^2 * 3) = 0.25
    #   Q: [[1, 0], [1, 1]]: n 3, E(a) = 1*2/3,     Var = 1*2*2*1 / (3^2 * 2) = 2/9
    #   CMH = (|sum(a - E)| - 0.5)^2 / sum(Var) = (|2 - 0.5 - 2/3| - 0.5)^2 / (0.25 + 2/9)
    cmh = (abs(2 - 0.5 - 2 / 3) - 0.5) ** 2 / (0.25 + 2 / 9)
    assert s.team_p == pytest.approx(st.chi2.sf(cmh, 1))
    assert s.same_direction  # A above B in both caseloads (1/2 > 0/2, 1/1 > 1/2)
    assert s.verdict == "unclear"  # too few cases to tell


def _judged(cells) -> pd.DataFrame:
    """Rows from {(team, caseload): (yes, n)}."""
    rows = []
    for (team, caseload), (yes, n) in cells.items():
        rows += [(team, caseload, "Yes")] * yes + [(team, caseload, "No")] * (n - yes)
    d = pd.DataFrame(rows, columns=["team", "caseload", "reablement_suitable"])
    d["reablement_suitable"] = pd.Categorical(d["reablement_suitable"], dtype=SCALES["yesno"].dtype())
    return d


def test_swapped_populations_verdicts():
    # The seed: one team 70%, the other 10%, unchanged when the populations were reversed.
    seed = swapped_populations(_judged({("A", "P"): (35, 50), ("A", "Q"): (36, 50), ("B", "P"): (5, 50), ("B", "Q"): (6, 50)}),
                               by=[]).iloc[0]
    assert seed.verdict == "team" and seed.team_p < 0.001 and seed.caseload_p > 0.5
    # The opposite: the populations differ, the teams judge alike.
    pop = swapped_populations(_judged({("A", "P"): (40, 50), ("A", "Q"): (5, 50), ("B", "P"): (38, 50), ("B", "Q"): (6, 50)}),
                              by=[]).iloc[0]
    assert pop.verdict == "population" and pop.team_p > 0.5 and pop.caseload_p < 0.001
    # No caseload shared by both teams: nothing to say.
    assert swapped_populations(_judged({("A", "P"): (5, 10), ("B", "Q"): (2, 10)}), by=[]).empty


def test_chi_square_when_expected_counts_allow():
    # 70 of 100 against 10 of 100: expected Yes 40 and No 60 in each row, so Pearson's
    # chi-square = 2 * ((70-40)^2/40 + (30-60)^2/60) = 2 * (22.5 + 15) = 75 on 1 df.
    d = _judged({("A", "P"): (70, 100), ("B", "P"): (10, 100)})
    test = team_variation(d)["test"]
    assert test["test"] == "Pearson chi-square" and test["statistic"] == pytest.approx(75.0)
    assert test["p_val"] == pytest.approx(st.chi2.sf(75.0, 1))
    assert test["cramer"] == pytest.approx(np.sqrt(75 / 200))


def test_compute_indicators_carries_the_findings(tmp_path):
    """Site and national rows of the new ids, with teams named by site nationally, and the GP
    response rate pooled over the sites that ran the survey."""
    d = tmp_path / "data"
    d.mkdir()
    pd.DataFrame({"site_id": ["a", "b", "c"], "site_name": ["A", "B", "C"], "wave": ["1", "1", "2"], "nation": "England",
                  "population": "1000", "population_65plus": "200", "gp_count": ["100", "60", "40"]}).to_csv(d / "sites.csv", index=False)
    _table(["a"] * 4 + ["b"] * 4).to_csv(d / "case_reviews.csv", index=False)
    gp = make_example_data()["gp_survey"].head(16).copy()
    gp["site_id"] = ["a"] * 10 + ["b"] * 6
    gp["respondent_id"] = [str(i) for i in range(16)]
    gp.to_csv(d / "gp_survey.csv", index=False)
    data = homekit.load_data_dir(d)
    site = compute_indicators(data, weekly_costs=COSTS)
    nat = compute_indicators(data, level="national", weekly_costs=COSTS)
    # Site a holds cases 0-3: team A (0, 1, 2) 2 of 3 and team B (3) 0 of 1.
    a = site[(site.site_id == "a") & (site.indicator == "case_team_reablement_suitable")].set_index("group")
    assert (a.loc["A", "numerator"], a.loc["A", "denominator"], a.loc["B", "denominator"]) == (2, 3, 1)
    # Nationally the teams keep their site: group "<site>:<team>".
    n = nat[nat.indicator == "case_team_reablement_suitable"].set_index("group")
    assert {"a:A", "a:B", "b:B"} <= set(n.index) and n.loc["b:B", "numerator"] == 1  # cases 4-6: No, Yes, No
    assert _row(nat, "case_ideal_cheaper").numerator == 4
    # GP response rate: site a 10 of 100; nationally (10 + 6) of (100 + 60), site c (no survey)
    # left out; wave 1 the same sites.
    assert (_row(site[site.site_id == "a"], "gp_response_rate").estimate) == 0.1
    assert (_row(nat, "gp_response_rate").numerator, _row(nat, "gp_response_rate").denominator) == (16, 160)
    assert _row(nat, "gp_response_rate", "wave:1").denominator == 160
    assert "wave:2" not in set(nat.loc[nat.indicator == "gp_response_rate", "group"])


def test_example_data_shows_every_case_finding(example_dir):
    data = homekit.load_data_dir(example_dir)
    nat = compute_indicators(data, level="national")
    assert abs(_row(nat, "case_residential_should_have").estimate - 0.10) <= 0.02
    assert abs(_row(nat, "case_care_hours_fell", "review_within_14_days").estimate - 1 / 3) <= 0.02
    assert abs(_row(nat, "case_delay_attribution", "social_care").estimate - 0.35) <= 0.03
    # The 2013 round of wave 1 (the history: indicators.csv holds each site's latest round):
    # 154 of the 1,765 GPs of the six sites, "154 GPs, 9% of the GP population"
    hist = indicator_history(data, level="national")
    r2013 = _row(hist[hist.period == "2013"], "gp_response_rate", "wave:1")
    assert (r2013.numerator, r2013.denominator) == (154, 1765) and round(r2013.estimate, 2) == 0.09
    teams = nat[nat.indicator == "case_team_reablement_suitable"].set_index("group")
    assert abs(teams.loc["wiltshire:North locality", "estimate"] - 0.70) <= 0.02
    assert abs(teams.loc["wiltshire:South locality", "estimate"] - 0.10) <= 0.02
    s = swapped_populations(data["case_reviews"])
    assert s.set_index("site_id").loc["wiltshire", "verdict"] == "team"
    # Weekly costs say an improvable decision's ideal is cheaper less often than the ladder says
    # it is less intensive (intermediate care beds cost more than residential care).
    assert _row(nat, "case_ideal_cheaper").estimate < _row(nat, "case_ideal_less_intensive").estimate


def test_ideal_cheaper_follows_the_runs_weekly_costs(tmp_path):
    """``case_ideal_cheaper`` takes the run's ``benefits.yaml`` (the project's parameters), not the
    packaged one: site and national reports and the run's national counts all use it."""
    import yaml

    from homekit.report import NationalReport, SiteReport
    from homekit.resources import default_parameters

    d = tmp_path / "data"
    d.mkdir()
    pd.DataFrame({"site_id": ["a"], "site_name": ["A"], "wave": ["1"], "nation": "England", "population": "1000",
                  "population_65plus": "200", "gp_count": ["100"]}).to_csv(d / "sites.csv", index=False)
    _table().to_csv(d / "case_reviews.csv", index=False)
    # A project whose intermediate care beds cost GBP 1,000 a week (2024 prices, so not uprated),
    # below residential (1,150) and nursing care (1,300).
    cfg = yaml.safe_load((default_parameters() / "benefits.yaml").read_text())
    assert cfg["costs"]["week_intermediate_care_bed"]["value"] == 1450 and cfg["price_year"] == 2024
    cfg["costs"]["week_intermediate_care_bed"].update(value=1000, low=900, high=1100)
    project = tmp_path / "benefits.yaml"
    project.write_text(yaml.safe_dump(cfg))

    def cheaper(table):
        return tuple(_row(table, "case_ideal_cheaper")[["numerator", "denominator"]])

    # Improvable: cases 0, 2, 3, 4, 5, 7 (6). Packaged costs: 0 (1150 -> 330), 4 (own 2900 -> 420),
    # 5 (own 300 -> 250), 7 (1300 -> 1150) cheaper; 2 (nursing 1300 -> bed 1450) and 3
    # (residential 1150 -> bed 1450) dearer: 4 of 6.
    # The project's costs: 2 (1300 -> 1000) and 3 (1150 -> 1000) become cheaper too: 6 of 6.
    packaged = SiteReport.open("a", data_dir=str(d))
    assert cheaper(packaged.raw_indicators) == (4, 6)
    site = SiteReport.open("a", data_dir=str(d), benefits_file=str(project))
    assert cheaper(site.raw_indicators) == (6, 6)
    assert cheaper(site.national) == (6, 6)  # the national rows a site is compared with
    nat = NationalReport.open(data_dir=str(d), benefits_file=str(project))
    assert cheaper(nat.indicators) == (6, 6)
    assert cheaper(NationalReport.open(data_dir=str(d)).indicators) == (4, 6)
