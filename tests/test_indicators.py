"""Indicators on tiny hand-made fixtures (hand calculations written here) and on the example data."""

import numpy as np
import pandas as pd
import pytest

import homekit
from homekit.example_data import make_example_data
from homekit.indicators import (
    HEADLINES,
    asymmetry,
    case_indicators,
    compute_indicators,
    factor_shares,
    factor_tests,
    gp_headlines,
    indicator_history,
    likert_distribution,
    likert_summary,
    perception_gap,
    relationship_matrix,
    team_variation,
    transition_table,
    trust_matrix,
)

RATED = ["asc", "gp", "hospital_discharge", "hospital_clinical", "community_health"]


def _load(tmp_path, name, df):
    p = tmp_path / f"{name}.csv"
    df.to_csv(p, index=False)
    return homekit.load(name, p)


@pytest.fixture
def prof(tmp_path):
    base = make_example_data()["professional_survey"].head(5).copy()
    for p in RATED:
        base[f"trust_{p}"] = ""
        base[f"relationship_{p}"] = ""
    base["site_id"] = "a"
    base["profession"] = ["asc", "asc", "gp", "gp", "hospital_discharge"]
    base.loc[0, ["relationship_gp", "relationship_hospital_discharge", "trust_gp"]] = ["2", "4", "Disagree"]
    base.loc[1, ["relationship_gp", "trust_gp"]] = ["3", "Agree"]
    base.loc[2, ["relationship_asc", "trust_asc"]] = ["1", "Strongly disagree"]
    base.loc[3, ["relationship_asc", "trust_asc"]] = ["2", "Strongly agree"]
    base.loc[4, ["relationship_asc", "trust_asc", "relationship_gp"]] = ["5", "Don't know", "Don't know"]
    return _load(tmp_path, "professional_survey", base)


def test_relationship_matrix_by_hand(prof):
    m = relationship_matrix(prof, by=[]).set_index("group")
    assert m.loc["asc->gp", "estimate"] == 2.5 and m.loc["asc->gp", "denominator"] == 2
    assert m.loc["gp->asc", "estimate"] == 1.5
    assert m.loc["hospital_discharge->asc", "estimate"] == 5 and np.isnan(m.loc["hospital_discharge->asc", "lower"])
    assert m.loc["hospital_discharge->gp", "denominator"] == 0  # Don't know is missing
    # t interval for asc->gp: mean 2.5, sd sqrt(0.5), n 2, t(0.975, 1) = 12.7062047
    assert m.loc["asc->gp", "upper"] == pytest.approx(2.5 + 12.706204736174707 * np.sqrt(0.5) / np.sqrt(2))


def test_trust_matrix_by_hand(prof):
    t = trust_matrix(prof, by=[]).set_index("group")
    assert (t.loc["asc->gp", "numerator"], t.loc["asc->gp", "denominator"]) == (1, 2)
    assert (t.loc["gp->asc", "numerator"], t.loc["gp->asc", "denominator"]) == (1, 2)
    assert t.loc["hospital_discharge->asc", "denominator"] == 0


def test_asymmetry_by_hand(prof):
    a = asymmetry(prof)
    row = a[(a.measure == "relationship") & (a.a == "asc") & (a.b == "gp")].iloc[0]
    assert row["a_rates_b"] == 2.5 and row["b_rates_a"] == 1.5 and row["difference"] == 1.0
    # Welch interval by hand: both variances 0.5, n 2 each: se = sqrt(0.5/2 + 0.5/2) = sqrt(0.5);
    # Welch df = 2; t(0.975, 2) = 4.302652729911275
    assert row["upper"] == pytest.approx(1.0 + 4.302652729911275 * np.sqrt(0.5), abs=1e-9)


@pytest.fixture
def cases(tmp_path):
    base = make_example_data()["case_reviews"].head(6).copy()
    base["site_id"] = "a"
    base["actual_pathway"] = ["residential_care", "residential_care", "acute_admission", "reablement", "home_with_support", "nursing_care"]
    base["ideal_pathway"] = ["home_with_support", "residential_care", "intermediate_care_bed", "reablement", "reablement", "residential_care"]
    base["alternative_available"] = ["Yes", "Yes", "No", "Yes", "Yes", ""]
    base["actual_weekly_cost"] = ["700", "700", "2900", "", "250", "900"]
    base["ideal_weekly_cost"] = ["250", "700", "1250", "", "400", "720"]
    base["care_hours_start"] = ["10", "", "20", "", "", ""]
    base["care_hours_after_review"] = ["5", "", "20", "", "", ""]
    base["team"] = ["t1", "t1", "t1", "t2", "t2", "t2"]
    base["reablement_suitable"] = ["Yes", "Yes", "No", "No", "No", "No"]
    return _load(tmp_path, "case_reviews", base)


def test_case_indicators_by_hand(cases):
    c = case_indicators(cases, by=[]).set_index("indicator")
    # improvable: rows 0, 2, 4, 5 -> 4 of 6
    assert (c.loc["case_decision_improvable", "numerator"], c.loc["case_decision_improvable", "denominator"]) == (4, 6)
    # alternative among improvable that answered: rows 0 Yes, 2 No, 4 Yes (row 5 blank) -> 2/3
    assert (c.loc["case_alternative_available", "numerator"], c.loc["case_alternative_available", "denominator"]) == (2, 3)
    # less intensive among improvable: rows 0, 2, 5 (row 4 goes up to reablement) -> 3/4
    assert c.loc["case_ideal_less_intensive", "numerator"] == 3
    # cost difference among improvable with both costs: 450, 1650, -150, 180 -> mean 532.5
    assert c.loc["case_weekly_cost_difference", "estimate"] == pytest.approx((450 + 1650 - 150 + 180) / 4)
    assert (c.loc["case_care_hours_fell", "numerator"], c.loc["case_care_hours_fell", "denominator"]) == (1, 2)


def test_transition_table_by_hand(cases):
    t = transition_table(cases)
    assert t.shape == (7, 7) and t.values.sum() == 6
    assert t.loc["residential_care", "home_with_support"] == 1
    assert t.loc["residential_care", "residential_care"] == 1
    assert t.loc["home_with_support", "reablement"] == 1
    assert list(t.index)[0] == "home_no_support"
    shares = transition_table(cases, normalize=True)
    assert shares.loc["residential_care"].sum() == pytest.approx(1.0)


def test_team_variation_by_hand(cases):
    tv = team_variation(cases)
    teams = tv["teams"].set_index("team")
    assert teams.loc["t1", "estimate"] == pytest.approx(2 / 3) and teams.loc["t2", "estimate"] == 0
    # Pearson chi-square of [[2, 1], [0, 3]] without continuity correction, by hand:
    obs = np.array([[2, 1], [0, 3]])
    exp = obs.sum(1, keepdims=True) * obs.sum(0, keepdims=True) / obs.sum()
    assert tv["chi2"]["chi2"] == pytest.approx(((obs - exp) ** 2 / exp).sum())


def test_gp_headline_bases_exclude_missing(tmp_path):
    gp = make_example_data()["gp_survey"].head(6).copy()
    gp["relationship_social_care"] = ["Poor", "Very poor", "Good", "Don't know", "", "Neither good nor poor"]
    gp["better_assessor_residential"] = ["GP", "Social care", "Don't know", "Social care", "", "GP"]
    gp["aware_reablement"] = ["Yes", "Yes", "No", "Yes", "Yes", "No"]
    gp["quality_reablement"] = ["Poor", "Good", "", "Not applicable", "Very poor", ""]
    df = _load(tmp_path, "gp_survey", gp)
    h = gp_headlines(df, by=[]).set_index("indicator")
    assert (h.loc["gp_relationship_poor", "numerator"], h.loc["gp_relationship_poor", "denominator"]) == (2, 4)
    # Don't know is an answer here: base 5 (blank excluded), social care 2
    assert (h.loc["gp_social_care_better_assessor", "numerator"], h.loc["gp_social_care_better_assessor", "denominator"]) == (2, 5)
    assert (h.loc["gp_reablement_rated_poor", "numerator"], h.loc["gp_reablement_rated_poor", "denominator"]) == (2, 3)


def test_likert_distribution_keeps_empty_levels_and_missing(tmp_path):
    gp = make_example_data()["gp_survey"].head(4).copy()
    gp["trust_asc"] = ["Agree", "Agree", "Don't know", ""]
    df = _load(tmp_path, "gp_survey", gp)
    d = likert_distribution(df, ["trust_asc"], by=[]).set_index("level")
    assert d.loc["Agree", "count"] == 2 and d.loc["Agree", "share"] == 1.0
    assert d.loc["Strongly disagree", "count"] == 0
    assert d.loc["dont_know", "count"] == 1 and d.loc["blank", "count"] == 1
    s = likert_summary(df, ["trust_asc"], by=[]).set_index("indicator")
    assert s.loc["likert_top2", "estimate"] == 1.0 and s.loc["likert_mean", "estimate"] == 3.0
    assert s.loc["likert_missing", "numerator"] == 2


def test_perception_gap_only_where_provided(tmp_path):
    gp = make_example_data()["gp_survey"].head(4).copy()
    gp["site_id"] = ["a", "a", "b", "b"]
    gp["aware_day_care"] = ["No", "Yes", "No", "No"]
    gp["quality_day_care"] = ["", "Good", "", ""]
    services = pd.DataFrame({"site_id": ["a", "b"], "service": ["day_care", "day_care"], "available": ["Yes", "No"]})
    df = _load(tmp_path, "gp_survey", gp)
    pg = perception_gap(df, services, by=[])
    row = pg[(pg.indicator == "gp_unaware_service") & (pg.group == "day_care")].iloc[0]
    assert (row["numerator"], row["denominator"]) == (1, 2)


def test_national_headlines_reproduce_seeds(example_dir):
    data = homekit.load_data_dir(example_dir)
    nat = compute_indicators(data, level="national")
    heads = nat[(nat.group == "") & nat.indicator.isin(HEADLINES)].set_index("indicator")
    for ind, (_, _, published, _) in HEADLINES.items():
        if published is None or ind not in heads.index:
            continue
        if ind == "case_alternative_available":
            assert heads.loc[ind, "estimate"] > 0.90
        else:
            assert abs(heads.loc[ind, "estimate"] - published) <= 0.03, ind
    rel = nat[nat.indicator == "prof_relationship_score"].copy()
    rel[["rater", "ratee"]] = rel["group"].str.split("->", expand=True)
    rel = rel[rel.rater != "other"]
    pair = rel.assign(pair=rel.apply(lambda r: "<->".join(sorted([r.rater, r.ratee])), axis=1))
    pair_score = (pair.groupby("pair")["numerator"].sum() / pair.groupby("pair")["denominator"].sum())
    assert pair_score.idxmin() == "asc<->gp"


def test_site_indicators_contract_and_by_grouping(example_dir):
    data = homekit.load_data_dir(example_dir)
    site = compute_indicators(data.site("barnsley"))
    public = [c for c in site.columns if not c.startswith("_")]  # private columns are for the gate only
    assert public == ["site_id", "indicator", "group", "numerator", "denominator", "estimate",
                      "lower", "upper", "method", "suppressed", "period", "polarity", "comparison", "benchmark",
                      "comparison_method"]
    assert "_min_count" in site.columns and set(site.columns) - set(public) <= {"_min_count", "_abs_total", "_top1", "_top2", "_sum_of"}
    assert set(site.site_id) == {"barnsley"}
    prop = site[site.method == "Wilson"]
    assert ((prop.lower <= prop.estimate + 1e-12) & (prop.estimate <= prop.upper + 1e-12) | prop.estimate.isna()).all()
    by_role = gp_headlines(data["gp_survey"], by=["site_id", "gp_role"])
    assert {"site_id", "gp_role"} <= set(by_role.columns)
    by_prof = factor_shares(data["professional_survey"], by=["profession"])
    assert set(by_prof.profession) >= {"asc", "gp"} and (by_prof["rank"] >= 1).all()


def test_factor_tests_shapes(example_dir):
    data = homekit.load_data_dir(example_dir)
    omnibus, pairwise = factor_tests(data["professional_survey"])
    assert len(omnibus) == 15 and (omnibus.p_val.between(0, 1)).all()
    assert (pairwise.p_holm >= pairwise.p_unc - 1e-12).all()
    stab = omnibus.set_index("item").loc["delay_factor_stabilise_in_hospital", "p_val"]
    assert stab < 0.001  # the seeds' "big discrepancy" between settings


def test_a_sites_rows_do_not_depend_on_the_other_sites(example_dir):
    """Computed with every site of a run or alone, a site has the same rows: a breakdown that
    only other sites have (a setting, a theme, a review interval) gives it no 0 of 0 row and no
    theme "raised in 0 of 10 interviews". The batch relies on it: the run's preparation gates every
    site once and the reports publish those rows. (Before the fix Croydon had a "relationships"
    row 0 of 10 when computed with Birmingham, and none alone.)"""
    data = homekit.load_data_dir(example_dir)
    national = compute_indicators(data, level="national")
    pooled = compute_indicators(data, national=national)
    history = indicator_history(data)
    key = ["indicator", "group", "period"]
    values = ["numerator", "denominator", "estimate", "lower", "upper"]
    for s in ("croydon", "hertfordshire", "oxfordshire", "wiltshire"):
        for every, alone in ((pooled, compute_indicators(data.site(s), national=national)),
                             (history, indicator_history(data.site(s)))):
            mine = every[every.site_id == s].sort_values(key).reset_index(drop=True)
            alone = alone.sort_values(key).reset_index(drop=True)
            assert mine[key].equals(alone[key]), (s, set(map(tuple, mine[key].values)) ^ set(map(tuple, alone[key].values)))
            pd.testing.assert_frame_equal(mine[values], alone[values], check_dtype=False)
