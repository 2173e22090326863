"""Interface survey findings by profession (IMPOWER 2019, Findings 1-4) on a small hand-made
table; every expected figure is worked out by hand beside it."""

import numpy as np
import pandas as pd
import pytest

from homekit.indicators import factor_frequent, factor_levels, trust_levels
from homekit.instruments import RATED_PROFESSIONS, SCALES

FREQ = SCALES["frequency5"].dtype()
AGREE = SCALES["agree4"].dtype()


@pytest.fixture
def prof():
    d = pd.DataFrame({"site_id": "a", "profession": ["asc", "asc", "hospital_discharge", "hospital_clinical", "gp", "other", "asc"]})
    #                         asc           asc      discharge          clinical     gp            other  asc
    d["admission_factor_risk_aversion"] = pd.Categorical(
        ["Frequently", "Never", "Very frequently", "Sometimes", "Frequently", None, "Infrequently"], dtype=FREQ)
    d["delay_factor_stabilise_in_hospital"] = pd.Categorical(
        ["Very frequently", "Very frequently", "Never", "Never", "Sometimes", "Frequently", None], dtype=FREQ)
    for p in RATED_PROFESSIONS:
        d[f"trust_{p}"] = pd.Categorical([None] * len(d), dtype=AGREE)
    d["trust_gp"] = pd.Categorical(["Strongly agree", "Disagree", "Agree", None, None, "Agree", None], dtype=AGREE)
    d["trust_asc"] = pd.Categorical([None, None, "Strongly disagree", "Disagree", "Agree", None, None], dtype=AGREE)
    return d


def test_factor_frequent_by_profession_and_group(prof):
    f = factor_frequent(prof, by=[]).set_index("group")
    assert set(f.indicator) == {"prof_factor_frequent"}

    def nd(g):
        return f.loc[g, "numerator"], f.loc[g, "denominator"]

    # Risk aversion driving admissions, Frequently or Very frequently:
    # asc: Frequently, Never, Infrequently -> 1 of 3
    assert nd("admission:risk_aversion|asc") == (1, 3)
    # hospital discharge: Very frequently -> 1 of 1; hospital clinical: Sometimes -> 0 of 1
    assert nd("admission:risk_aversion|hospital_discharge") == (1, 1)
    assert nd("admission:risk_aversion|hospital_clinical") == (0, 1)
    # other: missing -> base 0; community health: nobody -> base 0
    assert nd("admission:risk_aversion|other") == (0, 0) and nd("admission:risk_aversion|community_health") == (0, 0)
    # The seed's three groups: asc = asc; hospital = discharge + clinical -> 1 of 2;
    # community, GPs and others = gp (Frequently) + community health + other (missing) -> 1 of 1
    assert nd("admission:risk_aversion|group:asc") == (1, 3)
    assert nd("admission:risk_aversion|group:hospital") == (1, 2)
    assert nd("admission:risk_aversion|group:community_gp_other") == (1, 1)
    # Stabilise in hospital delaying discharge: asc 2 of 2 (third asc missing), hospital 0 of 2,
    # community/GP/other: Sometimes, Frequently -> 1 of 2
    assert nd("delay:stabilise_in_hospital|group:asc") == (2, 2)
    assert nd("delay:stabilise_in_hospital|group:hospital") == (0, 2)
    assert nd("delay:stabilise_in_hospital|group:community_gp_other") == (1, 2)
    # Wilson interval for 1 of 2, written out: p = 0.5, n = 2, z = 1.959964:
    # centre = (0.5 + z^2/4) / (1 + z^2/2) = 0.5; half = z sqrt(0.125 + z^2/16) / (1 + z^2/2)
    z = 1.959963984540054
    half = z * np.sqrt(0.125 + z * z / 16) / (1 + z * z / 2)
    g = "admission:risk_aversion|group:hospital"
    assert (f.loc[g, "lower"], f.loc[g, "upper"]) == pytest.approx((0.5 - half, 0.5 + half))
    # 6 professions + 3 groups for each of the two items present
    assert len(f) == 2 * 9


def test_trust_levels_four_levels_sum_to_base(prof):
    t = trust_levels(prof, by=[]).set_index("group")
    # asc rating GPs: Strongly agree, Disagree (third asc blank) -> base 2, one each
    for level, n in (("strongly_disagree", 0), ("disagree", 1), ("agree", 0), ("strongly_agree", 1)):
        assert (t.loc[f"asc->gp|{level}", "numerator"], t.loc[f"asc->gp|{level}", "denominator"]) == (n, 2)
    # hospital discharge rating GPs: Agree -> 1 of 1; other rating GPs: Agree -> 1 of 1
    assert t.loc["hospital_discharge->gp|agree", "estimate"] == 1.0 and t.loc["other->gp|agree", "estimate"] == 1.0
    # trust in ASC: discharge Strongly disagree, clinical Disagree, gp Agree, each 1 of 1
    assert t.loc["hospital_discharge->asc|strongly_disagree", "numerator"] == 1
    assert t.loc["hospital_clinical->asc|disagree", "numerator"] == 1
    assert t.loc["gp->asc|agree", "numerator"] == 1 and t.loc["gp->asc|strongly_agree", "numerator"] == 0
    # nobody rates their own profession; every rater->ratee pair has four rows that add up
    assert not any(g.startswith("asc->asc") for g in t.index)
    pair = t.index.str.split("|").str[0]
    sums = t.groupby(pair)[["numerator", "denominator"]].agg({"numerator": "sum", "denominator": "first"})
    assert (sums["numerator"] == sums["denominator"]).all()
    assert (t.groupby(pair).size() == 4).all()


def test_factor_levels_five_levels_per_group(prof):
    f = factor_levels(prof, by=[]).set_index("group")
    # Risk aversion, asc (three answers): Frequently, Never, Infrequently -> one each of three
    key = "admission:risk_aversion|group:asc"
    got = {lv: (f.loc[f"{key}|{lv}", "numerator"], f.loc[f"{key}|{lv}", "denominator"])
           for lv in ("never", "infrequently", "sometimes", "frequently", "very_frequently")}
    assert got == {"never": (1, 3), "infrequently": (1, 3), "sometimes": (0, 3), "frequently": (1, 3), "very_frequently": (0, 3)}
    # hospital (discharge Very frequently, clinical Sometimes) -> 1 of 2 each
    assert f.loc["admission:risk_aversion|group:hospital|very_frequently", "estimate"] == 0.5
    assert f.loc["admission:risk_aversion|group:hospital|sometimes", "estimate"] == 0.5
    # frequently + very frequently = the prof_factor_frequent row of the same group
    ff = factor_frequent(prof, by=[]).set_index("group")
    for g in ("asc", "hospital", "community_gp_other"):
        for key in ("admission:risk_aversion", "delay:stabilise_in_hospital"):
            top = f.loc[f"{key}|group:{g}|frequently", "numerator"] + f.loc[f"{key}|group:{g}|very_frequently", "numerator"]
            assert top == ff.loc[f"{key}|group:{g}", "numerator"]
    # two items x three groups x five levels
    assert len(f) == 2 * 3 * 5
