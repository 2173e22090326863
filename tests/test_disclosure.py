"""Disclosure control: small counts, small bases, complements, rounding, secondary suppression,
and a batch where one site has only six GP responses."""

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from homekit import disclosure
from homekit.disclosure import DisclosureRules, disclose_counts, disclose_indicators, load_rules, publish_count


def _rows(records, site="a"):
    base = {"site_id": site, "group": "", "lower": 0.1, "upper": 0.9, "method": "Wilson"}
    df = pd.DataFrame([{**base, **r} for r in records])
    df["estimate"] = df["numerator"] / df["denominator"]
    return df


def _wilson(x, n, z=1.959963984540054):
    """Wilson score interval written out by hand (Wilson 1927; Newcombe 1998, method 3)."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_defaults_match_parameters_file():
    assert load_rules(ROOT / "parameters" / "disclosure.yaml", "site") == DisclosureRules()
    nat = load_rules(ROOT / "parameters" / "disclosure.yaml", "national")
    assert nat.apply is True and nat.national_exact is False  # national follows the site rules by default
    assert DisclosureRules().professional.min_group_size == 11


def test_first_release_settings_still_read(tmp_path):
    p = tmp_path / "d.yaml"
    p.write_text("site:\n  apply: true\n  suppress_counts_to: 9\n  rounding_base: 10\nnational:\n  apply: false\nsuppressed_marker: '*'\n")
    site = load_rules(p, "site")
    assert site.people.suppress_counts_to == 9 and site.people.rounding_base == 10 and site.marker == "*"
    assert load_rules(p, "national").apply is False  # "national: apply: false" meant exact national figures


def test_national_exact_setting(tmp_path):
    p = tmp_path / "d.yaml"
    p.write_text("national:\n  exact: true\n")
    assert load_rules(p, "national").apply is False
    assert load_rules(p, "site").apply is True


@pytest.mark.parametrize(
    "num, den, suppressed, shown_num, shown_den",
    [
        (5, 40, True, None, 40),  # count 1-7
        (8, 40, False, 10, 40),  # rounded to 5
        (12, 40, False, 10, 40),  # 12 -> 10
        (13, 40, False, 15, 40),  # 13 -> 15
        (0, 40, False, 0, 40),  # zero is not disclosive
        (36, 40, True, None, 40),  # complement 4 is 1-7
        (8, 9, True, None, 10),  # base under 10 (9 rounds to 10, not 1-7)
        (3, 6, True, None, None),  # base 1-7 blanked
        (40, 40, False, 40, 40),  # complement 0
    ],
)
def test_people_rule_primary_suppression_and_rounding(num, den, suppressed, shown_num, shown_den):
    out = disclose_indicators(_rows([{"indicator": "op_planned_ahead", "numerator": num, "denominator": den}]), DisclosureRules()).iloc[0]
    assert bool(out["suppressed"]) is suppressed
    if suppressed:
        assert np.isnan(out["numerator"]) and np.isnan(out["estimate"]) and np.isnan(out["lower"]) and np.isnan(out["upper"])
    else:
        assert out["numerator"] == shown_num
        assert out["estimate"] == round(shown_num / shown_den, 4)  # from the published counts
    if shown_den is None:
        assert np.isnan(out["denominator"])
    else:
        assert out["denominator"] == shown_den


def test_attack_estimate_times_base_gives_only_published_counts():
    # Before: 13/42 was written as 0.3095238095 beside "15 of 40"; 0.3095238095 x 42 = 13 exactly.
    out = disclose_indicators(_rows([{"indicator": "op_planned_ahead", "numerator": 13, "denominator": 42}]), DisclosureRules()).iloc[0]
    assert (out["numerator"], out["denominator"]) == (15, 40)
    assert out["estimate"] == 0.375  # 15 / 40
    for n in range(30, 51):  # every base the attacker might try
        guess = out["estimate"] * n
        assert not (abs(guess - round(guess)) < 1e-6 and round(guess) == 13 and n == 42)
    # The interval is Wilson on 15/40 (hand formula), not on 13/42, at 4 decimals.
    lo, hi = _wilson(15, 40)
    assert (out["lower"], out["upper"]) == (round(lo, 4), round(hi, 4))
    lo13, _ = _wilson(13, 42)
    assert out["lower"] != round(lo13, 4)


def test_professional_rule_group_of_eleven():
    rows = _rows([
        {"indicator": "gp_trust_asc", "numerator": 3, "denominator": 11},  # 3 of 11 GPs: published
        {"indicator": "gp_trust_discharge_team", "numerator": 9, "denominator": 10},  # 10 answers: withheld
    ])
    out = disclose_indicators(rows, DisclosureRules()).set_index("indicator")
    assert not out.loc["gp_trust_asc", "suppressed"]
    assert (out.loc["gp_trust_asc", "numerator"], out.loc["gp_trust_asc", "denominator"]) == (3, 11)
    assert out.loc["gp_trust_asc", "estimate"] == round(3 / 11, 4) == 0.2727
    assert out.loc["gp_trust_discharge_team", "suppressed"]


def test_attack_subgroup_difference_twelve_and_eight():
    # A site of 20 GPs split 12/8 by role: before, both the site and the 12 were published, so
    # the 8 (under the threshold of 11) was the difference.
    rows = _rows([
        {"indicator": "gp_trust_asc", "group": "", "numerator": 15, "denominator": 20},
        {"indicator": "gp_trust_asc", "group": "role:partner", "numerator": 10, "denominator": 12},
        {"indicator": "gp_trust_asc", "group": "wave:1", "numerator": 15, "denominator": 20},  # another breakdown: its own table
        {"indicator": "gp_trust_asc", "group": "role:salaried", "numerator": 5, "denominator": 8},
    ])
    out = disclose_indicators(rows, DisclosureRules()).set_index("group")
    assert out.loc["role:salaried", "suppressed"]  # 8 < 11
    assert out.loc["role:partner", "suppressed"]  # else 20 - 12 = the 8
    assert not out.loc["", "suppressed"]  # the site keeps its headline
    assert not out.loc["wave:1", "suppressed"]


def test_attack_professions_and_roll_up():
    rows = _rows([
        {"indicator": "prof_factor_frequent", "group": "admission:risk_aversion|hospital_discharge", "numerator": 6, "denominator": 12},
        {"indicator": "prof_factor_frequent", "group": "admission:risk_aversion|hospital_clinical", "numerator": 2, "denominator": 8},
        {"indicator": "prof_factor_frequent", "group": "admission:risk_aversion|group:hospital", "numerator": 8, "denominator": 20},
    ])
    out = disclose_indicators(rows, DisclosureRules()).set_index("group")
    assert out["suppressed"].tolist() == [True, True, False]


def test_attack_partition_two_small_cells_and_never_a_zero():
    # Before: with two cells of 3 suppressed nothing more was, and their total (6) = 40 - 34 was known.
    groups = {"GP": 20, "Family": 14, "Social worker": 3, "Hospital staff": 3, "Friends": 0, "Self": 0, "Other": 0}
    df = _rows([{"indicator": "op_most_influential", "group": g, "numerator": n, "denominator": 40} for g, n in groups.items()])
    out = disclose_indicators(df, DisclosureRules()).set_index("group")
    assert out.loc["Social worker", "suppressed"] and out.loc["Hospital staff", "suppressed"]
    assert out.loc["Family", "suppressed"]  # the smallest non-zero cell: hidden total 3 + 3 + 14 = 20
    assert not out.loc[["Friends", "Self", "Other"], "suppressed"].any()  # zero cells are never picked
    assert out["suppressed"].sum() == 3


def test_partition_one_small_cell():
    groups = {"GP": 20, "Family": 30, "Friends": 3, "Self": 10, "Other": 12}
    df = _rows([{"indicator": "op_most_influential", "group": g, "numerator": n, "denominator": 75} for g, n in groups.items()])
    out = disclose_indicators(df, DisclosureRules()).set_index("group")
    assert out.loc["Friends", "suppressed"] and out.loc["Self", "suppressed"]
    assert out["suppressed"].sum() == 2


def test_attack_unpublished_remainder():
    # Likert middle answer = n - top two - bottom two: 3 people; before, it was published by subtraction.
    people = DisclosureRules(professional=disclosure.PEOPLE)  # the GP ids under the people rule
    rows = _rows([
        {"indicator": "gp_likert_top2", "group": "relationship_social_care", "numerator": 20, "denominator": 35},
        {"indicator": "gp_likert_bottom2", "group": "relationship_social_care", "numerator": 12, "denominator": 35},
    ])
    out = disclose_indicators(rows, people).set_index("indicator")
    assert out.loc["gp_likert_bottom2", "suppressed"] and not out.loc["gp_likert_top2", "suppressed"]
    # Don't know on the better-assessor question is the remainder; with none, GP = base - Social care.
    rows = _rows([
        {"indicator": "gp_social_care_better_assessor", "numerator": 14, "denominator": 17},
        {"indicator": "gp_gp_better_assessor", "numerator": 3, "denominator": 17},
    ])
    out = disclose_indicators(rows, people)
    assert out["suppressed"].all()


def test_likert_net_withheld_with_its_parts_and_derived_from_them():
    df = _rows([
        {"indicator": "op_likert_top2", "group": "trust_gp_advice", "numerator": 25, "denominator": 30},
        {"indicator": "op_likert_bottom2", "group": "trust_gp_advice", "numerator": 5, "denominator": 30},
        {"indicator": "op_likert_net", "group": "trust_gp_advice", "numerator": 20, "denominator": 30, "method": "top-two minus bottom-two share"},
    ])
    out = disclose_indicators(df, DisclosureRules()).set_index("indicator")
    assert out["suppressed"].all()
    df.loc[:, "numerator"] = [27, 14, 13]  # a four-level scale: no middle answer
    df.loc[:, "denominator"] = 41
    out = disclose_indicators(df, DisclosureRules()).set_index("indicator")
    # published: 25 and 15 of 40 -> net (25 - 15) / 40 = 0.25 (not 13/41 = 0.3171)
    assert out.loc["op_likert_net", "estimate"] == 0.25 and out.loc["op_likert_net", "numerator"] == 10


def _mean_row(indicator, n, mean, lo, hi, **private):
    return {"indicator": indicator, "group": "item", "numerator": n * mean, "denominator": n, "estimate": mean,
            "lower": lo, "upper": hi, "method": "Student's t", **private}


def test_attack_mean_inversion():
    # Before: mean 3.4358974359, t interval and n = 39 gave the sum 134 and the sum of squares,
    # and with top-two / bottom-two every answer level, including a level chosen by one person.
    row = _mean_row("op_likert_mean", 39, 134 / 39, 3.2568749, 3.6149199, _min_count=1)
    out = disclose_indicators(pd.DataFrame([{"site_id": "a", **row}]), DisclosureRules()).iloc[0]
    assert out["suppressed"] and np.isnan(out["estimate"]) and np.isnan(out["numerator"])
    # Every level has 8 or more people: published to 1 decimal, n rounded, no sum and no
    # interval (mean, t interval and n give the sum of squares; with the rounded top two and
    # bottom two that fixed every level of Wolverhampton's item in the demo: (0, 8, 14, 10)).
    row = _mean_row("op_likert_mean", 41, 113 / 41, 2.4301, 3.0821, _min_count=9)
    out = disclose_indicators(pd.DataFrame([{"site_id": "a", **row}]), DisclosureRules()).iloc[0]
    assert not out["suppressed"]
    assert out["estimate"] == 2.8 and np.isnan(out["lower"]) and np.isnan(out["upper"])  # 113/41 = 2.7561
    assert out["denominator"] == 40 and np.isnan(out["numerator"])
    assert "no interval" in out["method"]
    # A mean of professionals' answers (a group of 11 or more) keeps its interval at 2 decimals.
    row = _mean_row("gp_likert_mean", 41, 113 / 41, 2.4301, 3.0821)
    out = disclose_indicators(pd.DataFrame([{"site_id": "a", **row}]), DisclosureRules()).iloc[0]
    assert out["estimate"] == 2.76 and (out["lower"], out["upper"]) == (2.43, 3.08)
    # Without the level counts the gate cannot check: withheld.
    row = _mean_row("op_likert_mean", 41, 113 / 41, 2.4301, 3.0821)
    assert disclose_indicators(pd.DataFrame([{"site_id": "a", **row}]), DisclosureRules()).iloc[0]["suppressed"]
    # Fewer than 10 values: withheld.
    row = _mean_row("prof_relationship_score", 9, 3.0, 2.0, 4.0)
    assert disclose_indicators(pd.DataFrame([{"site_id": "a", **row}]), DisclosureRules()).iloc[0]["suppressed"]


def test_magnitude_dominance():
    # ACRO's rules by hand: n-k (2 largest >= 90% of the total) and p-ratio (rest < 10% of the largest).
    assert dominance_flags([1000], [500], [300]) == [False]  # 80%, rest 200 = 40% of 500
    assert dominance_flags([1000], [600], [310]) == [True]  # 91%
    assert dominance_flags([1000], [455], [450]) == [True]  # 90.5%, and rest 95 < 45.5
    row = _mean_row("case_weekly_cost_difference", 12, 420.0, 100.0, 740.0, _abs_total=5040.0, _top1=4600.0, _top2=200.0)
    out = disclose_indicators(pd.DataFrame([{"site_id": "a", **row}]), DisclosureRules()).iloc[0]
    assert out["suppressed"]  # two cases make 4800 of 5040 (95%); the rest, 240, is 5% of 4600
    row.update(_top1=600.0, _top2=550.0, estimate=420.4, lower=100.26, upper=740.8)
    out = disclose_indicators(pd.DataFrame([{"site_id": "a", **row}]), DisclosureRules()).iloc[0]
    assert not out["suppressed"] and (out["estimate"], out["lower"], out["upper"]) == (420, 100, 741)  # whole pounds


def dominance_flags(total, top1, top2):
    return disclosure.dominated(total, top1, top2).tolist()


def _trust_of_two_sites():
    """Sites a (12 of 30 professionals) and b (2 of 8), and their national 14 of 38."""
    sites = pd.concat([
        _rows([{"indicator": "prof_trust", "group": "gp->asc", "numerator": 12, "denominator": 30}], site="a"),
        _rows([{"indicator": "prof_trust", "group": "gp->asc", "numerator": 2, "denominator": 8}], site="b"),
    ], ignore_index=True)
    return sites, _rows([{"indicator": "prof_trust", "group": "gp->asc", "numerator": 14, "denominator": 38}], site="national")


def test_attack_national_minus_sites():
    # Site b has 8 professionals answering: withheld at the site. Before, national (exact) minus
    # site a gave back b's 2 of 8.
    sites, national = _trust_of_two_sites()
    rules = load_rules(None, "national")
    assert disclose_indicators(sites, rules.__class__())["suppressed"].tolist() == [False, True]
    assert disclose_indicators(national, rules, sites=sites).iloc[0]["suppressed"]
    # People's counts: the national figure is rounded like a site's (14 -> 15, 38 -> 40).
    people = _rows([{"indicator": "op_planned_ahead", "numerator": 14, "denominator": 38}], site="national")
    out = disclose_indicators(people, rules).iloc[0]
    assert (out["numerator"], out["denominator"], out["estimate"]) == (15, 40, 0.375)


def test_gating_twice_changes_nothing():
    df = _rows([{"indicator": "op_most_influential", "group": g, "numerator": n, "denominator": 40}
                for g, n in {"GP": 20, "Family": 14, "Social worker": 3, "Hospital staff": 3}.items()])
    once = disclose_indicators(df, DisclosureRules())
    twice = disclose_indicators(once, DisclosureRules())
    pd.testing.assert_frame_equal(once, twice)


def test_national_exact_when_set():
    df = _rows([{"indicator": "op_planned_ahead", "numerator": 3, "denominator": 6}])
    out = disclose_indicators(df, disclosure.UNRESTRICTED).iloc[0]
    assert not out["suppressed"] and out["numerator"] == 3 and out["denominator"] == 6


def test_publish_count_and_tables():
    rules = DisclosureRules()
    assert [publish_count(n, rules) for n in (0, 1, 7, 8, 12, 1234)] == ["0", "[c]", "[c]", "10", "10", "1,235"]
    # groups of respondents: a size under 11 is said as such (not [c], which says "1 to 7 withheld")
    assert [publish_count(n, rules, "professional") for n in (0, 3, 10, 11, 23)] == ["0", "fewer than 11", "fewer than 11", "11", "23"]
    t = pd.DataFrame({"a": [10, 3, 0, 3], "b": [20, 30, 40, 2], "c": [9, 12, 2, 30]})
    shown = disclose_counts(t, rules)
    assert shown.loc[1, "a"] == "[c]" and shown.loc[1, "c"] == "[c]"  # secondary: next smallest in the row
    assert shown.loc[2, "c"] == "[c]" and shown.loc[2, "a"] == "0"  # never a zero
    assert shown.loc[0].tolist() == ["10", "20", "10"]
    assert shown.loc[3].tolist() == ["[c]", "[c]", "[c]"]  # 3 + 2 = 5 is still small: a third cell


def test_bad_rules_file(tmp_path):
    p = tmp_path / "d.yaml"
    p.write_text("people:\n  rounding_base: -5\n")
    with pytest.raises(Exception, match="rounding_base"):
        load_rules(p)
    p.write_text("people:\n  suppress_everything: true\n")
    with pytest.raises(Exception, match="suppress_everything"):
        load_rules(p)
    p.write_text("precision:\n  proportion: many\n")
    with pytest.raises(Exception, match="precision.proportion"):
        load_rules(p)


def test_example_data_through_the_gate(example_dir):
    """Every published proportion is its published numerator over its published denominator."""
    import homekit
    from homekit.indicators import compute_indicators

    data = homekit.load_data_dir(example_dir)
    raw = compute_indicators(data.site("barnsley"))
    out = disclose_indicators(raw, DisclosureRules())
    assert not [c for c in out.columns if c.startswith("_")]
    pub = out[~out.suppressed & (out.method == "Wilson")]
    assert (pub.estimate == (pub.numerator / pub.denominator).round(4)).all()
    assert (pub.estimate.round(4) == pub.estimate).all()
    # Barnsley (22 GPs answering) shows its GP headlines.
    heads = out[out.indicator.isin(["gp_trust_asc", "gp_value_closer_links", "gp_relationship_poor"])]
    assert not heads.suppressed.any()
    # A people row's counts are multiples of 5.
    people = pub[pub.indicator.str.startswith(("op_", "case_", "flow_", "interview_"))]
    assert (people[["numerator", "denominator"]].stack() % 5 == 0).all()


# ------------------------------------------------------------------------------------------------
# A batch with one site shrunk to six GP responses
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shrunk_run(example_dir, tmp_path_factory):
    import shutil

    from homekit import pipeline

    data = tmp_path_factory.mktemp("shrunk") / "data"
    shutil.copytree(example_dir, data)
    gp = pd.read_csv(data / "gp_survey.csv", dtype=str, keep_default_na=False)
    keep = gp[gp.site_id != "barnsley"].index.tolist() + gp[gp.site_id == "barnsley"].index[:6].tolist()
    gp.loc[sorted(keep)].to_csv(data / "gp_survey.csv", index=False)
    out = tmp_path_factory.mktemp("shrunk_out") / "out"
    result = pipeline.run(data, out, sites=["barnsley", "wiltshire"], jobs=2, progress=False)
    return result


def test_no_small_count_or_small_base_published_for_shrunk_site(shrunk_run):
    from homekit.instruments import INDICATORS

    out = shrunk_run.output_dir
    # every site and the synthesis ran, and the run's own audit (national minus wiltshire used
    # to give barnsley's withheld GP figures back) pins nothing down
    assert not shrunk_run.failed and shrunk_run.national.status == "ok"
    assert shrunk_run.audit["passed"], shrunk_run.audit
    ind = pd.read_csv(out / "sites" / "barnsley" / "indicators.csv", keep_default_na=False, na_values=[""])
    prof = ind.indicator.map(lambda i: INDICATORS[i].subjects == "professional")
    people = ind[~prof]
    for col in ("numerator", "denominator"):
        v = people[col].dropna()
        assert not v.between(1, 7).any(), col
    assert not (people.loc[~people.suppressed, "denominator"] < 10).any()
    # Professionals: no group under 11 is shown, not even its size.
    assert not ind.loc[prof, "denominator"].dropna().between(1, 10).any()
    gp_rows = ind[ind.indicator.str.startswith("gp_") & ~ind.indicator.str.endswith("likert_missing")]
    assert gp_rows["suppressed"].all()  # six GPs: every GP figure is withheld, the response rate too
    # how many of them left an item blank is not an opinion, and is published
    assert not ind.loc[ind.indicator == "gp_likert_missing", "suppressed"].any()
    # Suppressed cells cannot be recovered: no partition has exactly one suppressed cell.
    for (ind_id,), part in ind[ind.indicator.isin(disclosure.PARTITIONS)].groupby(["indicator"]):
        assert part["suppressed"].sum() != 1, ind_id
    # Rounded counts: every published count about people is a multiple of 5.
    pub = people.loc[~people.suppressed & people.method.isin(["Wilson", "Byars", "Exact"]), ["numerator", "denominator"]].stack()
    assert (pub % 5 == 0).all()


def test_reports_do_not_show_the_six(shrunk_run):
    out = shrunk_run.output_dir
    html = (out / "sites" / "barnsley" / "report.html").read_text()
    text = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(script|style).*?</\1>", " ", html))
    assert "GP survey responses" in text
    assert not re.search(r"GP survey responses\s+6\b", text)
    assert not re.search(r"\b6 of 175\b", text)
    import openpyxl

    from homekit.instruments import INDICATORS

    wb = openpyxl.load_workbook(out / "sites" / "barnsley" / "summary.xlsx")
    people, prof = [], []
    for name, columns in (("all_indicators", ("numerator", "denominator")), ("headlines", ("base",))):
        rows = list(wb[name].iter_rows(values_only=True))
        idx = [rows[0].index(c) for c in columns]
        ind = rows[0].index("indicator")
        for r in rows[1:]:
            into = prof if INDICATORS[r[ind]].subjects == "professional" else people
            into += [(columns[k], r[i]) for k, i in enumerate(idx) if isinstance(r[i], (int, float))]
    assert people and not [v for _, v in people if 1 <= v <= 7]
    assert not [v for c, v in prof if c != "numerator" and 1 <= v <= 10]  # no group of professionals under 11


# Stage 2 diagnostic linked tables (observations by setting, comms by audience, risk framing)


def _stage2_rows(records):
    return _rows([{"indicator": i, "group": g, "numerator": float(n), "denominator": float(d)} for i, g, n, d in records])


def test_attack_observations_by_setting():
    # Home first observed 30 times: ward 20, front door 5, discharge meeting 5. Front door and
    # discharge meeting are groups under 11 (professional rule); together they are 10 = 30 - 20,
    # still under 11, so the ward is suppressed too and nothing can be worked out by subtraction.
    df = _stage2_rows([("obs_behaviour_desired", "home_first", 12, 30), ("obs_behaviour_desired", "home_first|ward", 8, 20),
                ("obs_behaviour_desired", "home_first|front_door", 2, 5),
                ("obs_behaviour_desired", "home_first|discharge_meeting", 2, 5)])
    out = disclose_indicators(df, DisclosureRules()).set_index("group")
    assert not out.loc["home_first", "suppressed"]
    assert out.loc[["home_first|ward", "home_first|front_door", "home_first|discharge_meeting"], "suppressed"].all()


def test_attack_comms_by_audience():
    # 30 items: 15 for the person, 10 for families, 5 for staff. Staff (5) is under 11; families
    # (10) too; together 15 = 30 - 15 is not, so the person row stays published.
    df = _stage2_rows([("comms_plain_language", "", 20, 30), ("comms_plain_language", "audience:person", 10, 15),
                ("comms_plain_language", "audience:family", 6, 10), ("comms_plain_language", "audience:staff", 4, 5)])
    out = disclose_indicators(df, DisclosureRules()).set_index("group")
    assert out.loc[["audience:family", "audience:staff"], "suppressed"].all()
    assert not out.loc[["", "audience:person"], "suppressed"].any()
    # With 26 person items and 4 family ones, the one small group would be recovered: suppress more.
    df = _stage2_rows([("comms_plain_language", "", 20, 30), ("comms_plain_language", "audience:person", 16, 26),
                ("comms_plain_language", "audience:family", 4, 4)])
    out = disclose_indicators(df, DisclosureRules()).set_index("group")
    assert out.loc[["audience:person", "audience:family"], "suppressed"].all()


def test_risk_framing_declared_as_one_partition():
    df = _stage2_rows([("comms_risk_framing", "enabling", 6, 30), ("comms_risk_framing", "neutral", 12, 30), ("comms_risk_averse", "", 12, 30)])
    tables = disclosure.linked_tables(df.assign(group=df["group"].fillna("")))
    names = [t.name for t in tables]
    assert names.count("comms risk framing") == 1
    t = tables[names.index("comms risk framing")]
    assert sorted(t.parts) == [0, 1, 2] and t.total is None


def test_no_figure_computed_before_the_gate_reaches_any_output(shrunk_run, example_dir):
    """Search every file a run wrote for the exact (pre-gate) estimates of rows the gate rounded."""
    import homekit
    from homekit.indicators import compute_indicators

    from homekit.loaders import Dataset

    out = shrunk_run.output_dir
    data = homekit.load_data_dir(example_dir)  # the people's data of the run are the example's
    two = Dataset(data.data_dir, {k: v[v.site_id.isin(["barnsley", "wiltshire"])] for k, v in data.tables.items()}, data.sources)
    raw = pd.concat([compute_indicators(data.site("wiltshire")), compute_indicators(two, level="national")])
    people = raw[raw.indicator.str.startswith(("op_", "case_", "flow_", "interview_")) & (raw.method == "Wilson")]
    exact = {f"{v:.6f}"[:7] for v in people.estimate.dropna() if abs(v * 1e4 - round(v * 1e4)) > 1e-3}
    exact |= {f"{100 * v:.2f}" for v in people.estimate.dropna() if abs(v * 1e4 - round(v * 1e4)) > 1e-3}
    assert exact
    found = []
    for path in list((out / "sites" / "wiltshire").rglob("*")) + list((out / "national").rglob("*")):
        if path.suffix not in (".csv", ".html", ".ipynb"):
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".ipynb":  # what the notebook shows: its cells and outputs (not run timings)
            nb = json.loads(text)
            text = json.dumps([(c.get("source"), [{k: v for k, v in o.items() if k != "metadata"} for o in c.get("outputs", [])])
                               for c in nb["cells"]])
        text = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\\n]+", " ", text)
        text = re.sub(r'"image/png": "[^"]*"', " ", text)
        found += [(path.name, e) for e in exact if re.search(rf"(?<![\d.]){re.escape(e)}\d", text)]
    assert not found, found[:10]


def test_site_of_twenty_gps_shows_headlines_and_likert_chart(example_dir):
    from homekit.report import SiteReport

    r = SiteReport.open("barnsley", data_dir=str(example_dir))
    block = r.gp_relationships()
    assert "[c]" not in " ".join(block.table["this site (95% CI)"])
    assert not any("Not drawn" in n for n in block.notes)
    assert not block.table["national"].str.contains(r"\.\d{3}").any()  # national as published, not exact


def test_likert_chart_reads_only_published_rows():
    from homekit.report import published_distribution

    df = _rows([
        {"indicator": "op_likert_top2", "group": "trust_gp_advice", "numerator": 27, "denominator": 41},
        {"indicator": "op_likert_bottom2", "group": "trust_gp_advice", "numerator": 14, "denominator": 41},
        {"indicator": "op_likert_missing", "group": "trust_gp_advice", "numerator": 3, "denominator": 44},
    ])
    gated = disclose_indicators(df, DisclosureRules())
    d = published_distribution(gated, "op_", ["trust_gp_advice"], "agree4").set_index("level")["count"]
    # 27 -> 25, 14 -> 15 of 41 -> 40; the missing 3 is withheld (-1 is written as [c])
    assert d.to_dict() == {"Disagree": 15, "Agree": 25, "blank": -1}


def test_attack_change_minus_rounds():
    """A change is derived from the two published rounds: change minus a round gives back only the other published round."""
    raw = pd.DataFrame({"site_id": "a", "indicator": "op_planned_ahead", "group": "", "period": ["2013", "2019", "2013", "2019"],
                        "numerator": [11.0, 27.0, 3.0, 20.0], "denominator": [42.0, 44.0, 41.0, 40.0], "lower": 0.0, "upper": 1.0,
                        "method": "Wilson"})
    raw["estimate"] = raw.numerator / raw.denominator
    raw.loc[2:, "indicator"] = "op_influenced_by_gp"
    hist = disclose_indicators(raw, DisclosureRules())
    out = disclosure.disclose_change(hist, rules=DisclosureRules()).set_index("indicator")
    # published rounds: 10/40 = 0.25 and 25/45 = 0.5556; the change is their difference, not 27/44 - 11/42 = 0.3517
    assert (out.loc["op_planned_ahead", "from_estimate"], out.loc["op_planned_ahead", "to_estimate"]) == (0.25, 0.5556)
    assert out.loc["op_planned_ahead", "difference"] == 0.3056
    assert out.loc["op_planned_ahead", "verdict"] == "improved"  # planning ahead: higher is better
    # 3 of 41 in 2013 is withheld, so is the change (else change minus 2019 would give it back)
    assert out.loc["op_influenced_by_gp", "suppressed"] and np.isnan(out.loc["op_influenced_by_gp", "difference"])
    assert out.loc["op_influenced_by_gp", "verdict"] == "not compared"


def test_attack_two_linked_tables_together(tmp_path):
    # 15 professionals in one respondent group rate a delay factor: never 0, infrequently 0,
    # sometimes 7, frequently 5, very frequently 3; "frequent" (frequently + very frequently)
    # = 8 of 15 is withheld (here: marked so by an earlier rule). One table at a time, the gate
    # hid very frequently (3) in "frequently or more" and then frequently (5) in the levels: each
    # table has two unknowns. Together they give the withheld row back by hand:
    # frequent = 15 - never - infrequently - sometimes = 15 - 0 - 0 - 7 = 8.
    k = "delay:stabilise_in_hospital|group:community_gp_other"
    levels = {"never": 0, "infrequently": 0, "sometimes": 7, "frequently": 5, "very_frequently": 3}
    df = _rows([{"indicator": "prof_factor_level", "group": f"{k}|{lv}", "numerator": v, "denominator": 15}
                for lv, v in levels.items()] + [{"indicator": "prof_factor_frequent", "group": k, "numerator": 8, "denominator": 15}])
    df["suppressed"] = df["indicator"] == "prof_factor_frequent"
    out = disclose_indicators(df, DisclosureRules()).set_index("group")
    shown = {g.rsplit("|", 1)[1]: v for g, v in out.loc[~out.suppressed & (out.indicator == "prof_factor_level"), "numerator"].items()}
    # the attack: 15 minus the published levels below "frequently" needs all three of them
    assert not {"never", "infrequently", "sometimes"} <= set(shown), shown
    assert "sometimes" not in shown and shown.get("never") == 0  # a zero is never picked
    # and the run's own attacker, reading the file, pins nothing down
    from homekit.audit import audit

    (tmp_path / "sites" / "a").mkdir(parents=True)
    out.reset_index().to_csv(tmp_path / "sites" / "a" / "indicators.csv", index=False)
    assert audit(tmp_path).passed


def test_share_of_events_gets_no_interval_at_the_gate():
    # Delayed days are not independent people: the indicator has no interval, and the gate must
    # not add a Wilson interval from the rounded counts (an interval no one computed).
    df = _rows([{"indicator": "flow_delayed_days_share", "group": "nhs", "numerator": 2947, "denominator": 5127}])
    df[["lower", "upper"]] = np.nan
    df["method"] = "share of events (no interval: events are not independent people)"
    out = disclose_indicators(df, DisclosureRules()).iloc[0]
    assert out["estimate"] == round(2945 / 5125, 4) and np.isnan(out["lower"]) and np.isnan(out["upper"])


def test_mean_with_no_values_reads_no_data_not_withheld():
    # No case had both weekly costs: nothing to withhold, and a reader must not see [c] ("too few
    # to show") where the truth is that there is nothing at all.
    df = pd.DataFrame([{"site_id": "a", "indicator": "case_weekly_cost_difference", "group": "", "numerator": np.nan,
                        "denominator": 0.0, "estimate": np.nan, "lower": np.nan, "upper": np.nan, "method": "Student's t"}])
    out = disclose_indicators(df, DisclosureRules()).iloc[0]
    assert not out["suppressed"] and out["denominator"] == 0 and np.isnan(out["estimate"])


def test_attack_zero_levels_forced_by_two_tables():
    # 14 professionals: never 0, infrequently 0, sometimes 1, frequently 8, very frequently 5;
    # "frequent" 13 of 14 published. If never and infrequently are withheld (as zeros the gate
    # had to hide) and frequently / very frequently too, the tables give by hand:
    # never + infrequently = 14 - 1 - (frequently + very frequently) = 14 - 1 - 13 = 0, and
    # counts are never negative, so both are 0. The gate must withhold a third level.
    k = "wrong_pathway:time_pressure|group:community_gp_other"
    levels = {"never": 0, "infrequently": 0, "sometimes": 1, "frequently": 8, "very_frequently": 5}
    df = _rows([{"indicator": "prof_factor_level", "group": f"{k}|{lv}", "numerator": v, "denominator": 14}
                for lv, v in levels.items()] + [{"indicator": "prof_factor_frequent", "group": k, "numerator": 13, "denominator": 14}])
    df["suppressed"] = df["group"].str.endswith(("|never", "|infrequently", "|frequently", "|very_frequently"))
    out = disclose_indicators(df, DisclosureRules()).set_index("group")
    # the only published level below "frequently" was "sometimes": it must go too
    assert out.loc[f"{k}|sometimes", "suppressed"] or out.loc[k, "suppressed"]


def test_national_checked_against_what_the_sites_published():
    # The national 14 of 38 against sites a (12 of 30) and b (2 of 8). Handed the sites' rows as
    # they were published, the gate reads what each withheld from them (not gating them again):
    # b withheld -> national withheld (national minus a = b's 2 of 8); b published (say, a site
    # whose own report showed it) -> national minus a gives nothing new, the national row stays.
    sites, national = _trust_of_two_sites()
    rules = load_rules(None, "national")
    published = sites.assign(suppressed=[False, True])
    assert disclose_indicators(national, rules, sites=sites, published_sites=published).iloc[0]["suppressed"]
    shown = sites.assign(suppressed=[False, False])
    assert not disclose_indicators(national, rules, sites=sites, published_sites=shown).iloc[0]["suppressed"]
    # a site whose rows were not published at all is gated here, as without published_sites
    only_a = shown.iloc[:1]
    assert disclose_indicators(national, rules, sites=sites, published_sites=only_a).iloc[0]["suppressed"]


def test_national_of_several_rounds_withheld_when_one_round_would_single_out_a_site():
    # Sites a, b were last surveyed in 2014, c, d in 2019; a (7 GPs) and d (6 GPs) are withheld.
    # Together 13 GPs, but the national row pools two rounds: the national 2014 history row
    # (a + b) is published, so national - national 2014 = c + d, and minus the published c gives
    # d's 2 of 6 (the red team's attack on Redcar's falls prevention). Judged round by round,
    # d alone is a group of 6: the national row is withheld.
    sites = _rows([{"indicator": "gp_likert_top2", "group": "trust_asc", "numerator": x, "denominator": n}
                   for x, n in ((3, 7), (9, 20), (10, 25), (2, 6))])
    sites["site_id"] = ["a", "b", "c", "d"]
    sites["period"] = ["2014", "2014", "2019", "2019"]
    nat = _rows([{"indicator": "gp_likert_top2", "group": "trust_asc", "numerator": 24, "denominator": 58}], site="national")
    nat["period"] = "2014; 2019"
    assert disclose_indicators(sites, DisclosureRules())["suppressed"].tolist() == [True, False, False, True]
    assert disclose_indicators(nat, load_rules(None, "national"), sites=sites).iloc[0]["suppressed"]
    # the same sites in one round: a and d together (13) are a group that may be shown
    one_round = sites.assign(period="2019")
    assert not disclose_indicators(nat.assign(period="2019"), load_rules(None, "national"), sites=one_round).iloc[0]["suppressed"]


def test_national_is_the_sum_of_published_sites():
    # Independent rounding of a total and its parts is invertible at the extremes (AUDIT_FINDINGS):
    # sites 688, 628, 408, 388 of discharges publish 690, 630, 410, 390 (sum 2120); the total
    # 2112 rounds to 2110, and 2108..2112 against 2112..2128 leaves only 2112, every site at the
    # bottom of its range. The national figure is the sum of the published site figures instead.
    sites = _rows([{"indicator": "flow_discharge_pathway_share", "group": "pathway_2", "numerator": x, "denominator": 4 * x}
                   for x in (688, 628, 408, 388)])
    sites["site_id"] = ["a", "b", "c", "d"]
    nat = _rows([{"indicator": "flow_discharge_pathway_share", "group": "pathway_2", "numerator": 2112, "denominator": 8448}],
                site="national")
    out = disclose_indicators(nat, load_rules(None, "national"), sites=sites).iloc[0]
    assert out["numerator"] == 690 + 630 + 410 + 390 and out["denominator"] == 2750 + 2510 + 1630 + 1550
    assert out["estimate"] == round(2120 / 8440, 4)


def test_national_zero_withheld_when_it_would_show_each_small_group_said_none():
    # Two sites' groups of 9 and 3 GPs (each withheld: under 11); nationally 0 of 12 rated the
    # service poor, a group of 12 that may be shown, but 0 of 12 means 0 of 9 and 0 of 3.
    sites = _rows([{"indicator": "gp_likert_bottom2", "group": "quality_day_care", "numerator": 0, "denominator": n} for n in (9, 3)])
    sites["site_id"] = ["a", "b"]
    nat = _rows([{"indicator": "gp_likert_bottom2", "group": "quality_day_care", "numerator": 0, "denominator": 12}], site="national")
    assert disclose_indicators(nat, load_rules(None, "national"), sites=sites).iloc[0]["suppressed"]


def test_item_mean_withheld_with_its_top_or_bottom_two():
    # mean 3.5 with its t interval on 12 answers and the top two (5) give the answer levels, hence
    # the withheld bottom two: the mean goes with it.
    df = _rows([{"indicator": "gp_likert_top2", "group": "item", "numerator": 5, "denominator": 12},
                {"indicator": "gp_likert_bottom2", "group": "item", "numerator": 0, "denominator": 12},
                {"indicator": "gp_likert_mean", "group": "item", "numerator": 42, "denominator": 12, "method": "Student's t"}])
    df["suppressed"] = df["indicator"] == "gp_likert_bottom2"
    out = disclose_indicators(df, DisclosureRules()).set_index("indicator")
    assert out.loc["gp_likert_mean", "suppressed"]


def test_culture_gap_withheld_with_either_level():
    # gap = senior share - frontline share: with the gap and the frontline share published, a
    # withheld senior share comes back by addition (0.5263 = 0.1678 + 0.3585)
    df = _rows([{"indicator": "culture_behaviour_agree", "group": "home_first|senior", "numerator": 10, "denominator": 19},
                {"indicator": "culture_behaviour_agree", "group": "home_first|frontline", "numerator": 19, "denominator": 53},
                {"indicator": "culture_level_gap", "group": "home_first", "numerator": np.nan, "denominator": 19,
                 "method": "Newcombe hybrid score (senior minus frontline)"}])
    df.loc[2, "estimate"] = 10 / 19 - 19 / 53
    df["suppressed"] = df["group"] == "home_first|senior"
    out = disclose_indicators(df, DisclosureRules()).set_index("group")
    assert out.loc["home_first", "suppressed"]


def test_trust_levels_add_up_to_the_share_trusting():
    # Nationally 15 "other" professionals rated adult social care: 0 strongly disagree (withheld:
    # the sites too small to publish would be seen to say none), 7 disagree, 5 agree, 3 strongly
    # agree; 8 of 15 trust (prof_trust, published). Withholding only the zero and the smallest
    # other level (3, strongly agree) is not enough: 8 - 5 gives the 3 back, and 15 - 7 - 5 - 3
    # the zero. Agree + Strongly agree is the prof_trust row, so the gate keeps a pair of unknowns
    # on each side: strongly disagree + disagree = 15 - 8 = 7 and agree + strongly agree = 8.
    levels = {"strongly_disagree": 0, "disagree": 7, "agree": 5, "strongly_agree": 3}
    df = _rows([{"indicator": "prof_trust_level", "group": f"other->asc|{lv}", "numerator": n, "denominator": 15}
                for lv, n in levels.items()] + [{"indicator": "prof_trust", "group": "other->asc", "numerator": 8, "denominator": 15}],
               site="national")
    df["suppressed"] = df["group"] == "other->asc|strongly_disagree"
    out = disclose_indicators(df, DisclosureRules()).set_index("group")
    hidden = {g.split("|")[1] for g in out.index[out.suppressed] if "|" in g}
    assert not out.loc["other->asc", "suppressed"] and out.loc["other->asc", "numerator"] == 8
    # both sides' totals are known (7 and 8), so a side with a withheld level has both withheld
    assert "strongly_disagree" in hidden
    for side in ({"strongly_disagree", "disagree"}, {"agree", "strongly_agree"}):
        assert not hidden & side or side <= hidden


def test_sites_gated_together_as_each_alone(example_dir):
    # Each site report gates its own rows; a table of several sites (the national check of
    # national minus sites, the spread of sites) must see exactly what each site publishes. When
    # secondary suppression moved all sites in lockstep, medway's rows gated beside barnsley's had
    # a cell more withheld than its own report withholds, and national minus "the published
    # sites" missed a small group of culture answers (found by the audit).
    import homekit
    from homekit.indicators import compute_indicators

    rows = compute_indicators(homekit.load_data_dir(example_dir))
    rows = rows[rows.site_id.isin(["barnsley", "medway"])].reset_index(drop=True)
    together = disclose_indicators(rows, DisclosureRules())
    for site in ("barnsley", "medway"):
        alone = disclose_indicators(rows[rows.site_id == site].reset_index(drop=True), DisclosureRules())
        mine = together[together.site_id == site].reset_index(drop=True)
        assert mine["suppressed"].tolist() == alone["suppressed"].tolist()
        assert mine["numerator"].fillna(-1).tolist() == alone["numerator"].fillna(-1).tolist()


def _cases(transitions: dict) -> pd.DataFrame:
    """Case reviews with ``{(actual, ideal): count}`` (the columns the case indicators need)."""
    from homekit.instruments import CHOICES, SCALES

    pw, yn = CHOICES["pathway"].dtype(), SCALES["yesno"].dtype()
    pairs = [pair for pair, n in transitions.items() for _ in range(n)]
    return pd.DataFrame({"site_id": "a", "actual_pathway": pd.Categorical([a for a, _ in pairs], dtype=pw),
                         "ideal_pathway": pd.Categorical([i for _, i in pairs], dtype=pw),
                         "alternative_available": pd.Categorical(["Yes"] * len(pairs), dtype=yn)})


def test_attack_pathway_heatmap_minus_improvable_decisions():
    # 3 people went to reablement where the panel would have kept them at home with support.
    # The cells of the heatmap partition the cases, so the gate withholds a second cell there; the
    # smallest is the 12 on the diagonal. But the cells off the diagonal are the improvable
    # decisions (published: 73), so 73 - 40 - 30 gives the 3 back unless a second cell *off* the
    # diagonal is withheld too (exact counts, as under ``national.exact``).
    from homekit.indicators import case_indicators, pathway_transitions

    cases = _cases({("reablement", "home_with_support"): 3, ("residential_care", "reablement"): 40,
                    ("home_with_support", "home_no_support"): 30, ("reablement", "reablement"): 12,
                    ("residential_care", "residential_care"): 50})
    rows = pd.concat([case_indicators(cases, by=["site_id"]), pathway_transitions(cases, by=["site_id"])], ignore_index=True)
    exact = DisclosureRules(people=disclosure.replace(disclosure.PEOPLE, rounding_base=1))
    out = disclose_indicators(rows, exact)
    cells = out[out.indicator == "case_pathway_transition"].set_index("group")
    assert cells.loc["reablement->home_with_support", "suppressed"]
    off = [g for g in cells.index if g.split("->")[0] != g.split("->")[1]]
    improvable = out[(out.indicator == "case_decision_improvable") & (out.group == "")].iloc[0]
    hidden_off = [g for g in off if cells.loc[g, "suppressed"]]
    # the attack: improvable minus the published cells off the diagonal, when one cell is hidden
    assert improvable["suppressed"] or len(hidden_off) >= 2
    # and the cells still add up to every case; the published ones are the true counts
    shown = cells[~cells.suppressed.astype(bool)]
    truth = {f"{a}->{i}": n for (a, i), n in {("residential_care", "reablement"): 40, ("home_with_support", "home_no_support"): 30,
                                              ("reablement", "reablement"): 12, ("residential_care", "residential_care"): 50}.items()}
    for g, r in shown.iterrows():
        assert r["numerator"] == truth.get(g, 0)
        assert r["denominator"] == 135


def test_ideal_less_intensive_cells_linked():
    # Below the diagonal (ideal less intensive than actual) the cells add up to
    # case_ideal_less_intensive (47 of 57 improvable). With the 2 hidden, the other linked tables
    # are satisfied by hiding cells on or above the diagonal (the 10 and the 11), so 47 - 20 - 25
    # would give the 2 back unless a second cell below the diagonal is withheld too.
    from homekit.indicators import case_indicators, pathway_transitions

    cases = _cases({("reablement", "home_with_support"): 2, ("residential_care", "reablement"): 20,
                    ("nursing_care", "residential_care"): 25, ("home_no_support", "reablement"): 10,
                    ("residential_care", "residential_care"): 11, ("reablement", "reablement"): 30})
    rows = pd.concat([case_indicators(cases, by=["site_id"]), pathway_transitions(cases, by=["site_id"])], ignore_index=True)
    exact = DisclosureRules(people=disclosure.replace(disclosure.PEOPLE, rounding_base=1))
    out = disclose_indicators(rows, exact)
    cells = out[out.indicator == "case_pathway_transition"].set_index("group")
    from homekit.instruments import PATHWAYS

    below = [f"{a}->{i}" for k, a in enumerate(PATHWAYS) for i in PATHWAYS[:k]]
    less = out[(out.indicator == "case_ideal_less_intensive") & (out.group == "")].iloc[0]
    assert cells.loc["reablement->home_with_support", "suppressed"]
    assert less["suppressed"] or cells.loc[below, "suppressed"].sum() >= 2


def test_attack_tone_of_a_small_theme():
    # Before: the tone table gated each count on its own and printed "[c] | 0 | 0 | [c]" for a theme
    # mentioned 5 times, all negatively - the zeros told the reader every mention was negative.
    # The tones are now rows that partition the theme's mentions: a base under 10 shows nothing.
    from homekit.indicators import interview_indicators

    said = [("capacity", "-1")] * 5 + [("trust", "-1")] * 20 + [("trust", "1")] * 10
    iv = pd.DataFrame({"site_id": "a", "interview_id": [f"i{k % 12}" for k in range(len(said))],
                       "theme": [t for t, _ in said], "sentiment": [s for _, s in said]})
    out = disclose_indicators(interview_indicators(iv), DisclosureRules()).set_index("group")
    small = out.loc[[f"capacity|{t}" for t in ("negative", "neutral", "positive")]]
    assert small["suppressed"].all() and small["numerator"].isna().all()
    # a theme of 30 mentions publishes its tones, rounded: 20 negative, 0 neutral, 10 positive
    big = out.loc[[f"trust|{t}" for t in ("negative", "neutral", "positive")]]
    assert not big["suppressed"].any()
    assert big["numerator"].tolist() == [20, 0, 10] and (big["denominator"] == 30).all()


def test_attack_base_of_the_alternative_row_gives_the_improvable_count():
    # Red-team review (Wiltshire, primary reason behaviour/culture): improvable decisions were
    # withheld as [c] of 80 because the complement (cases that could not be improved) was 6, but
    # the "alternative available" row published its base, the improvable decisions that answered:
    # 70, so improvable = 68 to 72 and the complement 6 or 7 (2 values, fewer than a rounded count
    # spans). A row whose base is a withheld count is withheld with its base.
    rows = _rows([
        {"indicator": "case_decision_improvable", "group": "primary_reason:culture", "numerator": 74, "denominator": 80},
        {"indicator": "case_alternative_available", "group": "primary_reason:culture", "numerator": 60, "denominator": 74},
        {"indicator": "case_ideal_less_intensive", "group": "primary_reason:culture", "numerator": 50, "denominator": 74},
        {"indicator": "case_decision_improvable", "group": "primary_reason:falls", "numerator": 30, "denominator": 60},
        {"indicator": "case_alternative_available", "group": "primary_reason:falls", "numerator": 20, "denominator": 30},
    ])
    out = disclose_indicators(rows, DisclosureRules()).set_index(["indicator", "group"])
    assert out.loc[("case_decision_improvable", "primary_reason:culture"), "suppressed"]  # complement 6
    for ind in ("case_alternative_available", "case_ideal_less_intensive"):
        row = out.loc[(ind, "primary_reason:culture")]
        assert row["suppressed"] and pd.isna(row["denominator"]) and pd.isna(row["numerator"])
    # where the improvable count is published, the rows built on it are published with their base
    falls = out.loc[("case_alternative_available", "primary_reason:falls")]
    assert not falls["suppressed"] and falls["denominator"] == 30 and falls["numerator"] == 20


def test_attack_national_minus_sites_undoes_a_secondary_suppression():
    # Red-team review (observations, held to the professional rule of 11): Croydon withheld its 11
    # observations of discharge meetings only to protect two settings of fewer than 11; the
    # national row (30 of 99) minus the other sites' published 28 of 88 gave those 2 of 11 back,
    # and then the settings' total gave the small settings' "none". With exact counts, a national
    # row with a single site withheld is that site's cell: the national row is withheld.
    rows = [{"site_id": "croydon", "indicator": "obs_behaviour_desired", "group": "time_for_conversations|discharge_meeting",
             "numerator": 2, "denominator": 11, "suppressed": True}]
    rows += [{"site_id": s, "indicator": "obs_behaviour_desired", "group": "time_for_conversations|discharge_meeting",
              "numerator": n, "denominator": d, "suppressed": False} for s, (n, d) in
             {"barnsley": (5, 14), "birmingham": (5, 16), "medway": (5, 15), "oxfordshire": (5, 22), "wiltshire": (8, 21)}.items()]
    sites = pd.DataFrame(rows).assign(lower=0.1, upper=0.9, method="Wilson")
    sites["estimate"] = sites.numerator / sites.denominator
    nat = _rows([{"indicator": "obs_behaviour_desired", "group": "time_for_conversations|discharge_meeting", "numerator": 30,
                  "denominator": 99}], site="national")
    published = sites.copy()
    published.loc[published.suppressed, ["numerator", "estimate", "lower", "upper"]] = np.nan
    out = disclose_indicators(nat, load_rules(None, "national"), sites=sites.drop(columns="suppressed").assign(suppressed=False),
                              published_sites=published)
    assert out["suppressed"].iloc[0]


def test_attack_a_published_zero_over_withheld_groups(tmp_path):
    # Found by the audit on a 150-site run: 12 professionals, none of whom named "incomplete
    # assessment" as a frequent cause; every profession and respondent group is under 11 and
    # withheld, but the total 0 of 12 was published. By hand: each group's count is at least 0
    # and they add up to 0, so every group's "frequent" count is 0, what groups of 2 to 5 said.
    # No non-zero published cell can protect them: the total itself must be withheld.
    f = "wrong_pathway:incomplete_assessment"
    groups = {"asc": 5, "hospital_discharge": 2, "hospital_clinical": 2, "gp": 2, "community_health": 1}
    rows = [{"indicator": "prof_wrong_pathway_factor_frequent", "group": "incomplete_assessment", "numerator": 0, "denominator": 12}]
    rows += [{"indicator": "prof_factor_frequent", "group": f"{f}|{p}", "numerator": 0, "denominator": n} for p, n in groups.items()]
    rows += [{"indicator": "prof_factor_frequent", "group": f"{f}|group:{g}", "numerator": 0, "denominator": n}
             for g, n in (("asc", 5), ("hospital", 4), ("community_gp_other", 3))]
    out = disclose_indicators(_rows(rows), DisclosureRules()).set_index("group")
    assert out.drop(index="incomplete_assessment")["suppressed"].all()  # groups under 11
    assert out.loc["incomplete_assessment", "suppressed"]  # the zero total goes with them
    from homekit.audit import audit

    (tmp_path / "sites" / "a").mkdir(parents=True)
    out.reset_index().to_csv(tmp_path / "sites" / "a" / "indicators.csv", index=False)
    assert audit(tmp_path).passed


def test_attack_a_published_zero_in_one_table_alone(tmp_path):
    # The same found at a single table (a 150-site run): a respondent group of 11 (GPs 4,
    # community health 4, other 3) published "0 of 11" frequent, its professions withheld as under
    # 11. One equation, gp + community health + other = 0, with counts never negative: each is 0.
    f = "admission:family_pressure"
    rows = [{"indicator": "prof_factor_frequent", "group": f"{f}|{p}", "numerator": 0, "denominator": n}
            for p, n in (("gp", 4), ("community_health", 4), ("other", 3))]
    rows += [{"indicator": "prof_factor_frequent", "group": f"{f}|group:community_gp_other", "numerator": 0, "denominator": 11}]
    out = disclose_indicators(_rows(rows), DisclosureRules()).set_index("group")
    assert out.loc[f"{f}|group:community_gp_other", "suppressed"]
    from homekit.audit import audit

    (tmp_path / "sites" / "a").mkdir(parents=True)
    out.reset_index().to_csv(tmp_path / "sites" / "a" / "indicators.csv", index=False)
    assert audit(tmp_path).passed


def _two_rounds():
    """A site's partition of 40 older people in two survey rounds; in 2019 two cells are 3."""
    cells = {"2013": {"GP": 20, "Family": 12, "Social worker": 8}, "2019": {"GP": 20, "Family": 14, "Social worker": 3, "Hospital staff": 3}}
    df = pd.concat([_rows([{"indicator": "op_most_influential", "group": g, "numerator": n, "denominator": 40} for g, n in c.items()]).assign(period=p)
                    for p, c in cells.items()], ignore_index=True)
    return df


def test_rows_gated_before_are_taken_scope_by_scope_only_when_alike():
    """``gated=(before, after)``: a scope (site and period) of the rows whose every row is the same as
    in ``before`` is published as ``after`` has it, not gated again; a scope that differs in one count
    is gated here."""
    rules = DisclosureRules()
    rounds = _two_rounds()
    latest = rounds[rounds.period == "2019"].reset_index(drop=True)
    after = disclose_indicators(latest, rules)
    assert after["suppressed"].sum() == 3  # the two 3s (together 6) and a cell that protects them
    marked = after.assign(method="as published before")  # (to see where a row came from)
    out = disclose_indicators(rounds, rules, gated=(latest, marked))
    assert (out.loc[rounds.period == "2019", "method"] == "as published before").all()
    assert (out.loc[rounds.period == "2013", "method"] == "Wilson").all()
    pd.testing.assert_frame_equal(out.assign(method=rounds["method"]), disclose_indicators(rounds, rules))
    # one count differs from what was gated before: the scope is gated here
    changed = latest.copy()
    changed.loc[changed.group == "GP", "numerator"] = 21
    out = disclose_indicators(rounds, rules, gated=(changed, marked))
    assert (out["method"] == "Wilson").all()
    # a row more in ``before`` than here: the scope is not the same, gated here
    more = pd.concat([latest, latest.iloc[:1].assign(group="Friend", numerator=0)], ignore_index=True)
    out = disclose_indicators(rounds, rules, gated=(more, disclose_indicators(more, rules).assign(method="x")))
    assert (out["method"] == "Wilson").all()
    # another public column differs (the comparison with the other sites moved): gated here, never
    # published with the old value
    out = disclose_indicators(rounds.assign(comparison="better"), rules,
                              gated=(latest.assign(comparison="worse"), marked.assign(comparison="worse")))
    assert (out["method"] == "Wilson").all() and (out.loc[~out["suppressed"], "comparison"] == "better").all()


def test_every_round_gated_with_the_latest_taken_is_every_round_gated(example_dir):
    """The run's preparation gates each site's earlier rounds only and takes the latest round from
    the site's rows gated just before: the same table as gating every round."""
    from homekit import load_data_dir
    from homekit.indicators import compute_indicators, indicator_history

    data = load_data_dir(example_dir).only_sites(["hertfordshire", "wiltshire"])
    rules = load_rules(None, "site")
    latest = compute_indicators(data, national=compute_indicators(data, level="national"))
    published = disclose_indicators(latest, rules)
    history = indicator_history(data)
    taken = disclose_indicators(history, rules, gated=(latest, published))
    pd.testing.assert_frame_equal(taken, disclose_indicators(history, rules))
    assert (history.period.astype(str) != "2019").any() and taken["suppressed"].any()


@pytest.mark.parametrize("a, b, ub, truth, forced", [
    # x1 + x2 = 0: both are 0 in every solution
    ([[1, 1]], [0], [9, 9], [0, 0], [True, True]),
    # x1 + x2 = 3 with x1 = 0 today: x1 could be 1, 2 or 3 (x2 = 3 - x1), so nothing is forced
    ([[1, 1]], [3], [5, 5], [0, 3], [False, False]),
    # x1 + x2 = 10 with both at most 5: both must be 5 (at their bound)
    ([[1, 1]], [10], [5, 5], [5, 5], [True, True]),
    # x1 + x2 + x3 = 4, x1 - x2 = 0, x3 <= 4, truth (0, 0, 4): x1 = x2 = 1, x3 = 2 also solves it
    ([[1, 1, 1], [1, -1, 0]], [4, 0], [9, 9, 4], [0, 0, 4], [False, False, False]),
    # x1 + x2 = 4 and x1 + x3 = 0: x1 = x3 = 0 forced, x2 = 4 has no finite bound to be forced to
    ([[1, 1, 0], [1, 0, 1]], [4, 0], [4, np.inf, 4], [0, 4, 0], [True, False, True]),
    # x2 at its bound 4 only if x1 is 0, which it must be: x1 + x2 = 4 and x1 = 0
    ([[1, 1], [1, 0]], [4, 0], [4, 4], [0, 4], [True, True]),
])
def test_pinned_at_bounds_hand_solved_systems(a, b, ub, truth, forced):
    got = disclosure._pinned_at_bounds(np.array(a, float), np.array(b, float), ub, truth)
    assert got.tolist() == forced


def test_pinned_at_bounds_large_counts_and_systems_solved_together():
    """Counts of 10^5 (a national table): x1 + x2 = 200,000 with each at most 100,000 forces both to
    their bound; solved together with a small system (x3 + x4 = 0) whose zeros are forced too.
    Worked out by hand; the gate solves many systems in one block-diagonal program."""
    from scipy.sparse import block_diag

    big = np.array([[1.0, 1.0]])
    small = np.array([[1.0, 1.0]])
    a = block_diag([big, small], format="csr")
    got = disclosure._pinned_at_bounds(a, np.array([200_000.0, 0.0]), [100_000, 100_000, 9, 9], [100_000, 100_000, 0, 0])
    assert got.tolist() == [True, True, True, True]
    # and a large system with room: x1 + x2 = 150,000, each at most 100,000, x1 = 100,000 today: not forced
    got = disclosure._pinned_at_bounds(big, np.array([150_000.0]), [100_000, 100_000], [100_000, 50_000])
    assert got.tolist() == [False, False]


def test_gated_rows_are_reused_only_when_the_private_figures_match_too():
    """A total's public figures can stay the same while the largest contributions behind it
    change (cases' costs corrected): the scope must be gated again, as a fresh gate would."""
    rules = DisclosureRules()
    before = pd.DataFrame({"site_id": ["a"], "indicator": ["case_weekly_cost_difference"], "group": [""], "numerator": [4000.0],
                           "denominator": [40.0], "estimate": [100.0], "lower": [80.0], "upper": [120.0], "method": ["Student's t"],
                           "suppressed": [False], "period": ["2019"], "_abs_total": [4000.0], "_top1": [150.0], "_top2": [140.0]})
    published = disclose_indicators(before, rules)
    after = before.assign(_top1=[2500.0], _top2=[1300.0])  # two cases now make up 95% of the total
    fresh = disclose_indicators(after, rules)
    assert not published["suppressed"].iloc[0] and fresh["suppressed"].iloc[0]  # (the dominance rule, by hand: 3800 of 4000)
    reused = disclose_indicators(after, rules, gated=(before, published))
    pd.testing.assert_frame_equal(reused, fresh)


def _likert_rows(site, levels, item="quality_telecare"):
    """A GP survey item's published rows from its answer levels (1 to 5): top two, bottom two, and
    the mean with its Student's t interval, as a site or the nation computes them."""
    from scipy import stats

    codes = np.arange(1, 6)
    n = sum(levels)
    values = np.repeat(codes, levels)
    mean, sd = values.mean(), values.std(ddof=1)
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    return _rows([{"indicator": "gp_likert_top2", "group": item, "numerator": levels[3] + levels[4], "denominator": n},
                  {"indicator": "gp_likert_bottom2", "group": item, "numerator": levels[0] + levels[1], "denominator": n},
                  {"indicator": "gp_likert_mean", "group": item, "numerator": values.sum(), "denominator": n,
                   "estimate": mean, "lower": mean - half, "upper": mean + half, "method": "Student's t"}], site=site).assign(
        estimate=lambda d: np.where(d["indicator"] == "gp_likert_mean", mean, d["estimate"]))


def _levels_behind(published: pd.DataFrame) -> list[tuple]:
    """The attacker's step: every answer-level vector (1 to 5) that gives a published item's n,
    top two, bottom two and, where published, its mean and t interval to their decimals."""
    from itertools import product

    from scipy import stats

    row = published.set_index("indicator")
    n, top, bottom = int(row.loc["gp_likert_top2", "denominator"]), row.loc["gp_likert_top2", "numerator"], row.loc["gp_likert_bottom2", "numerator"]
    mean = row.loc["gp_likert_mean"]
    found = []
    for l1, l5 in product(range(int(bottom) + 1), range(int(top) + 1)):
        lv = (l1, int(bottom) - l1, n - int(top) - int(bottom), int(top) - l5, l5)
        if not mean["suppressed"]:
            values = np.repeat(np.arange(1, 6), lv)
            m, half = values.mean(), stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)
            if (round(m, 2), round(m - half, 2), round(m + half, 2)) != (mean["estimate"], mean["lower"], mean["upper"]):
                continue
        found.append(lv)
    return found


def test_attack_national_mean_and_interval_minus_sites_gives_a_withheld_sites_answer_levels():
    # A red-team review of the demo: a GP item's mean with its t interval and its top two and
    # bottom two give every answer level (five levels, five facts), nationally as at each site;
    # national minus the published sites then gave the withheld sites' answers level by level:
    # "none of the GPs of Havering, Medway and North Ayrshire rated telecare very good". Here
    # sites c and d (5 and 7 GPs answered: each withheld) said (1, 1, 2, 1, 0) and (2, 1, 2, 2, 0):
    # together 12 answers, top two 3 and bottom two 5, neither none nor all, which the national top
    # two and bottom two were already checked for; that none of them said "very good" came back
    # from the national mean and interval.
    a, b, c, d = (2, 4, 6, 5, 3), (1, 3, 5, 4, 2), (1, 1, 2, 1, 0), (2, 1, 2, 2, 0)
    sites = pd.concat([_likert_rows(s, lv) for s, lv in zip("abcd", (a, b, c, d))], ignore_index=True)
    nat = _likert_rows("national", tuple(map(sum, zip(a, b, c, d))))
    site_pub = disclose_indicators(sites, DisclosureRules())
    assert site_pub.groupby("site_id")["suppressed"].all().to_dict() == {"a": False, "b": False, "c": True, "d": True}
    assert _levels_behind(site_pub[site_pub.site_id == "a"]) == [a] and _levels_behind(site_pub[site_pub.site_id == "b"]) == [b]
    # the attack on the national rows published as they were before: mean and interval pin the
    # levels, and national minus a and b gives c and d's "very good": 0
    before = nat.assign(suppressed=False).round({"estimate": 2, "lower": 2, "upper": 2})
    assert [lv[4] - a[4] - b[4] for lv in _levels_behind(before)] == [0]
    # now: the national mean is withheld (sites with answers withhold theirs), and the levels
    # behind the published top two and bottom two leave c and d's "very good" anywhere from 0 to 3
    pub = disclose_indicators(nat, load_rules(None, "national"), sites=sites).set_index("indicator")
    assert pub.loc["gp_likert_mean", "suppressed"] and np.isnan(pub.loc["gp_likert_mean", "estimate"])
    assert not pub.loc["gp_likert_top2", "suppressed"] and not pub.loc["gp_likert_bottom2", "suppressed"]
    residual_top2 = pub.loc["gp_likert_top2", "numerator"] - (a[3] + a[4]) - (b[3] + b[4])
    assert residual_top2 == 3
    assert {lv[4] - a[4] - b[4] for lv in _levels_behind(pub.reset_index())} >= set(range(int(residual_top2) + 1))


def _score_rows(site, levels, group):
    """A relationship score (1 to 5) with its Student's t interval, from its answer levels."""
    from scipy import stats

    values = np.repeat(np.arange(1, 6), levels)
    n, mean = len(values), values.mean()
    half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return {"site_id": site, "indicator": "prof_relationship_score", "group": group, "numerator": values.sum(), "denominator": n,
            "estimate": mean, "lower": mean - half, "upper": mean + half, "method": "Student's t"}


def _attacker_levels(n, mean, lower, upper):
    """Every answer-level vector of n answers whose mean and t interval round to the published
    two decimals: the attacker's brute force, written out with the statistics module."""
    import statistics
    from itertools import combinations

    from scipy import stats

    t = stats.t.ppf(0.975, n - 1)
    found = []
    for cuts in combinations(range(n + 4), 4):  # stars and bars: 5 levels adding up to n
        lv = [b - a - 1 for a, b in zip((-1, *cuts), (*cuts, n + 4))]
        values = [code for code, k in zip(range(1, 6), lv) for _ in range(k)]
        m = statistics.fmean(values)
        half = t * statistics.stdev(values) / math.sqrt(n)
        if all(abs(x - y) <= 0.005 + 1e-9 for x, y in ((m, mean), (m - half, lower), (m + half, upper))):
            found.append(tuple(lv))
    return found


def test_attack_a_national_score_and_its_interval_show_a_level_no_withheld_site_gave():
    # A red-team review of the demo: every site withheld its hospital discharge staff's score of
    # adult social care (under 11 each), the national score of the 27 together was published,
    # 2.48 (2.23 to 2.74), and only three answer-level vectors give that: none of them has a 5,
    # so none of the withheld sites' staff gave a 5. Now withheld; a score whose levels the
    # attacker cannot pin (gp->asc here: 32 vectors, every level 0 in some) is still published.
    pinned = {"a": (1, 3, 4, 0, 0), "b": (1, 4, 5, 0, 0), "c": (0, 3, 6, 0, 0)}
    free = {"a": (1, 2, 3, 2, 1), "b": (2, 3, 2, 1, 1), "c": (1, 2, 4, 2, 1)}
    sites = pd.DataFrame([_score_rows(s, lv, g) for g, parts in (("hospital_discharge->asc", pinned), ("gp->asc", free))
                          for s, lv in parts.items()])
    nat = pd.DataFrame([_score_rows("national", tuple(map(sum, zip(*parts.values()))), g)
                        for g, parts in (("hospital_discharge->asc", pinned), ("gp->asc", free))])
    assert disclose_indicators(sites, DisclosureRules())["suppressed"].all()
    before = nat.round({"estimate": 2, "lower": 2, "upper": 2}).set_index("group")
    got = _attacker_levels(27, *before.loc["hospital_discharge->asc", ["estimate", "lower", "upper"]])
    assert len(got) == 3 and {lv[4] for lv in got} == {0}  # the attack, on the row as it was published
    free_levels = _attacker_levels(28, *before.loc["gp->asc", ["estimate", "lower", "upper"]])
    assert all(len({lv[k] for lv in free_levels}) > 1 for k in range(5))  # nothing pinned
    assert disclosure.score_levels_pinned(27, *before.loc["hospital_discharge->asc", ["estimate", "lower", "upper"]])
    assert not disclosure.score_levels_pinned(28, *before.loc["gp->asc", ["estimate", "lower", "upper"]])
    pub = disclose_indicators(nat, load_rules(None, "national"), sites=sites).set_index("group")
    assert pub.loc["hospital_discharge->asc", "suppressed"] and np.isnan(pub.loc["hospital_discharge->asc", "estimate"])
    assert not pub.loc["gp->asc", "suppressed"] and pub.loc["gp->asc", "estimate"] == 2.86
