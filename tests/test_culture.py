"""Culture and behaviour surveys: agreement by staff level and the senior-minus-frontline gap,
checked against hand calculations (Wilson and Newcombe written out here)."""

import math

import pandas as pd
import pytest

from homekit import indicators
from homekit.instruments import SCALES

Z = 1.959963984540054


def wilson(x, n):
    """Wilson score interval, by hand: (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)."""
    p = x / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


def survey():
    # Site a: 11 senior (8 agree or strongly agree, 2 disagree, 1 Don't know: out of the base),
    # 21 frontline (8 agree, 12 disagree, 1 blank). Site b: 3 frontline only.
    agree4 = SCALES["agree4"].dtype()
    senior = ["Agree"] * 5 + ["Strongly agree"] * 3 + ["Disagree", "Strongly disagree", None]
    front = ["Agree"] * 8 + ["Disagree"] * 12 + [None]
    rows = [("a", "senior", "asc", v) for v in senior] + [("a", "frontline", "hospital_clinical" if i < 10 else "asc", v)
                                                          for i, v in enumerate(front)]
    rows += [("b", "frontline", "gp", v) for v in ["Agree", "Disagree", "Agree"]]
    df = pd.DataFrame(rows, columns=["site_id", "staff_level", "profession", "behaviour_home_first"])
    df["behaviour_home_first"] = pd.Categorical(df["behaviour_home_first"], dtype=agree4)
    df["organisation"] = "council"
    return df


def test_agreement_by_staff_level_by_hand():
    r = indicators.culture_agreement(survey()).set_index(["site_id", "group"])
    s = r.loc[("a", "home_first|senior")]
    assert (s["numerator"], s["denominator"], s["estimate"]) == (8, 10, 0.8)
    lo, hi = wilson(8, 10)  # (0.4902, 0.9433), the textbook 8/10
    assert (s["lower"], s["upper"]) == pytest.approx((lo, hi), abs=1e-9)
    assert round(lo, 4) == 0.4902 and round(hi, 4) == 0.9433
    f = r.loc[("a", "home_first|frontline")]
    assert (f["numerator"], f["denominator"]) == (8, 20)
    assert r.loc[("b", "home_first|frontline"), "estimate"] == pytest.approx(2 / 3)
    assert ("b", "home_first|senior") not in r.index
    assert set(r["indicator"]) == {"culture_behaviour_agree"}


def test_agreement_by_profession():
    r = indicators.culture_agreement(survey(), across="profession").set_index(["site_id", "group"])
    # Frontline hospital clinical: the first 10 frontline answers, 8 agree and 2 disagree.
    assert (r.loc[("a", "home_first|hospital_clinical"), "numerator"], r.loc[("a", "home_first|hospital_clinical"), "denominator"]) == (8, 10)
    # ASC: 8 of the 10 senior answered, 0 of the 10 frontline answered.
    assert (r.loc[("a", "home_first|asc"), "numerator"], r.loc[("a", "home_first|asc"), "denominator"]) == (8, 20)
    with pytest.raises(ValueError, match="across"):
        indicators.culture_agreement(survey(), across="wave")


def test_level_gap_newcombe_by_hand():
    r = indicators.culture_level_gap(survey())
    assert list(r["site_id"]) == ["a"]  # site b has no senior answers: no gap
    row = r.iloc[0]
    ls, us = wilson(8, 10)
    lf, uf = wilson(8, 20)
    ps, pf = 0.8, 0.4
    # Newcombe (1998) method 10: d -/+ sqrt of the squared distances to the opposite limits.
    lower = (ps - pf) - math.sqrt((ps - ls) ** 2 + (uf - pf) ** 2)
    upper = (ps - pf) + math.sqrt((us - ps) ** 2 + (pf - lf) ** 2)
    assert row["estimate"] == pytest.approx(0.4)
    assert (row["lower"], row["upper"]) == pytest.approx((lower, upper), abs=1e-9)
    assert round(row["lower"], 4) == 0.0238 and round(row["upper"], 4) == 0.6310
    assert row["group"] == "home_first" and row["indicator"] == "culture_level_gap"
    assert math.isnan(row["numerator"]) and row["denominator"] == 10  # the smaller base


def test_culture_indicators_shape_and_order():
    out = indicators.culture_indicators(survey())
    assert list(out.columns[:9]) == ["site_id", "indicator", "group", "numerator", "denominator", "estimate", "lower", "upper", "method"]
    a = out[out.site_id == "a"]
    assert a["group"].tolist() == ["home_first|senior", "home_first|frontline", "home_first", "home_first|profession:asc",
                                   "home_first|profession:hospital_clinical", "home_first|organisation:council", "home_first"]
    assert a["indicator"].tolist() == ["culture_behaviour_agree"] * 6 + ["culture_level_gap"]


def test_agreement_by_profession_and_organisation_published_by_hand():
    # Site a answered home first: 10 senior ASC (8 agree), 10 frontline hospital clinical (8
    # agree), 10 frontline ASC (0 agree); all 30 answers from the council. By hand:
    #   all staff 16 of 30; ASC 8 of 20; hospital clinical 8 of 10; council 16 of 30.
    out = indicators.culture_indicators(survey())
    a = out[(out.site_id == "a") & (out.indicator == "culture_behaviour_agree")].set_index("group")
    assert tuple(a.loc["home_first", ["numerator", "denominator"]]) == (16, 30)
    assert tuple(a.loc["home_first|profession:asc", ["numerator", "denominator"]]) == (8, 20)
    assert tuple(a.loc["home_first|profession:hospital_clinical", ["numerator", "denominator"]]) == (8, 10)
    assert tuple(a.loc["home_first|organisation:council", ["numerator", "denominator"]]) == (16, 30)
    lo, hi = wilson(8, 20)
    assert tuple(a.loc["home_first|profession:asc", ["lower", "upper"]]) == pytest.approx((lo, hi), abs=1e-9)
    # Through the gate (professional rule, groups of 11 or more): hospital clinical has 10 answers
    # and is withheld; all staff (30) minus ASC (20) would give it back (8 of 10), so ASC is
    # withheld with it. All staff, the council and both staff levels (10 and 20 answers: senior
    # withheld, hence frontline and the gap) follow the same rule.
    from homekit.disclosure import DisclosureRules, disclose_indicators

    pub = disclose_indicators(out.assign(suppressed=False), DisclosureRules())
    pa = pub[pub.site_id == "a"].set_index(["indicator", "group"])["suppressed"]
    assert pa[("culture_behaviour_agree", "home_first|profession:hospital_clinical")]
    assert pa[("culture_behaviour_agree", "home_first|profession:asc")]
    assert not pa[("culture_behaviour_agree", "home_first")] and not pa[("culture_behaviour_agree", "home_first|organisation:council")]
    assert pa[("culture_behaviour_agree", "home_first|senior")] and pa[("culture_behaviour_agree", "home_first|frontline")]


def test_example_data_senior_rate_culture_better(example_dir):
    import homekit

    data = homekit.load_data_dir(example_dir, instruments=["culture_survey"])
    gap = indicators.culture_level_gap(data["culture_survey"], by=[])
    # The seed's story: senior staff rate every behaviour better than frontline staff.
    assert (gap["estimate"] > 0.1).all() and (gap["lower"] > 0).all()
    prof = indicators.culture_agreement(data["culture_survey"], by=[], across="profession").set_index("group")["estimate"]
    # Hospital staff see risk shared least; ASC staff see alternatives considered least.
    assert prof["risk_shared|hospital_clinical"] < prof["risk_shared|asc"]
    assert prof["alternatives_considered|asc"] < prof["alternatives_considered|hospital_clinical"]


def test_attack_organisation_minus_profession():
    # A red-team review of the demo's files (Croydon, home first): everyone at the acute trust is
    # hospital clinical or hospital discharge staff, so acute trust 18/30 minus hospital clinical
    # 15/21 gave the withheld hospital discharge group's answers: 3 of 9 agree. The organisation
    # is the sum of those professions here, so the gate must treat it as a linked table.
    from homekit.disclosure import DisclosureRules, disclose_indicators

    agree4 = SCALES["agree4"].dtype()
    people = ([("hospital_clinical", "acute_trust", "Agree")] * 15 + [("hospital_clinical", "acute_trust", "Disagree")] * 6
              + [("hospital_discharge", "acute_trust", "Agree")] * 3 + [("hospital_discharge", "acute_trust", "Disagree")] * 6
              + [("asc", "council", "Agree")] * 10 + [("asc", "council", "Disagree")] * 10)
    cs = pd.DataFrame({"respondent_id": [f"r{i}" for i in range(len(people))], "site_id": "a",
                       "staff_level": ["frontline" if i % 2 else "senior" for i in range(len(people))],
                       "profession": [p for p, _, _ in people], "organisation": [o for _, o, _ in people],
                       "behaviour_home_first": pd.Categorical([a for _, _, a in people], dtype=agree4)})
    rows = indicators.culture_indicators(cs)
    out = disclose_indicators(rows, DisclosureRules())
    out = out[out.indicator == "culture_behaviour_agree"].set_index("group")
    assert out.loc["home_first|profession:hospital_discharge", "suppressed"]  # a group of 9
    acute, clinical = out.loc["home_first|organisation:acute_trust"], out.loc["home_first|profession:hospital_clinical"]
    # the attack: both published would give 18 - 15 = 3 of 30 - 21 = 9
    assert acute["suppressed"] or clinical["suppressed"]
    # every route at once: the identities a reader can see (all staff = senior + frontline = the
    # professions = the organisations; acute trust = its two professions; council = social care)
    # as equations in the withheld agree counts; the 3 must not follow from them
    import numpy as np

    groups = ["home_first|senior", "home_first|frontline", "home_first", "home_first|profession:asc",
              "home_first|profession:hospital_clinical", "home_first|profession:hospital_discharge",
              "home_first|organisation:acute_trust", "home_first|organisation:council"]
    sums = [(2, [0, 1]), (2, [3, 4, 5]), (2, [6, 7]), (6, [4, 5]), (7, [3])]
    hidden = [g for g in groups if out.loc[g, "suppressed"]]
    col = {g: k for k, g in enumerate(hidden)}
    a, b = [], []
    for total, parts in sums:
        row, rhs = np.zeros(len(hidden)), 0.0
        for g, sign in [(groups[total], -1.0)] + [(groups[p], 1.0) for p in parts]:
            if g in col:
                row[col[g]] += sign
            else:
                rhs -= sign * out.loc[g, "numerator"]
        a.append(row)
        b.append(rhs)
    a = np.array(a)
    target = np.zeros(len(hidden))
    target[col["home_first|profession:hospital_discharge"]] = 1
    # in the row space of the equations <=> determined
    coef, *_ = np.linalg.lstsq(a.T, target, rcond=None)
    assert not np.allclose(a.T @ coef, target)
