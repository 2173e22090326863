"""The audit attacks hand-made published folders; every expected cell is worked out by hand here.

Each folder is written as a gate would publish it: ``naive`` rows are the gate on main before
issue 11 (counts rounded to 5, but estimates and intervals to 10 significant figures computed
from the hidden counts); ``derived`` rows publish only what follows from the rounded counts.
Intervals in the files come from statsmodels and scipy, never from homekit.
"""

from __future__ import annotations

import os
import json

import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from homekit.audit import AuditPolicy, audit
from homekit.cli import main

HEADER = "site_id,indicator,group,numerator,denominator,estimate,lower,upper,method,suppressed"


def r5(x: int) -> int:
    return int(5 * ((x / 5) // 1 + (1 if (x / 5) % 1 >= 0.5 else 0)))


def naive(site, ind, group, a, n, *, suppressed=False):
    """The old gate: counts rounded to 5 (or blank when suppressed), figures from the hidden counts."""
    lo, hi = proportion_confint(a, n, method="wilson")
    if suppressed:
        return f"{site},{ind},{group},,{r5(n)},,,,Wilson,true"
    return f"{site},{ind},{group},{r5(a)},{r5(n)},{a / n:.10g},{lo:.10g},{hi:.10g},Wilson,false"


def derived(site, ind, group, a, n, *, suppressed=False):
    """Only what follows from the rounded counts: rounded a over rounded n, 3 decimals."""
    if suppressed:
        return f"{site},{ind},{group},,{r5(n)},,,,Wilson,true"
    ra, rn = r5(a), r5(n)
    lo, hi = proportion_confint(ra, rn, method="wilson")
    return f"{site},{ind},{group},{ra},{rn},{ra / rn:.3f},{lo:.3f},{hi:.3f},Wilson,false"


def exact(site, ind, group, a, n, *, suppressed=False):
    """Exact counts (an unrestricted file, or a gate that suppresses without rounding)."""
    if suppressed:
        return f"{site},{ind},{group},,{n},,,,Wilson,true"
    lo, hi = proportion_confint(a, n, method="wilson")
    return f"{site},{ind},{group},{a},{n},{a / n:.10g},{lo:.10g},{hi:.10g},Wilson,false"


def write(out, folder, rows, name="indicators.csv", header=HEADER):
    path = out / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / name).write_text("\n".join([header, *rows]) + "\n")


def found(result, **match):
    return [f for f in result.findings if all(getattr(f, k) == v for k, v in match.items())]


POLICY = AuditPolicy(read_xlsx=False, time_limit=60)


def test_estimate_times_base_pins_numerator_and_denominator(tmp_path):
    # 68 of 74 older people planned ahead. The base is published rounded (75), the numerator is
    # withheld (its complement, 6, is 1-7), and the estimate is 68/74 to 10 figures. For the
    # bases a rounded 75 allows (73..77): 0.9189189189 x 73 = 67.08, x 74 = 68.00, x 75 = 68.92,
    # x 76 = 69.84, x 77 = 70.76; only 74 gives a whole number, so 68/74 and 6 did not plan.
    rows = [naive("a", "op_planned_ahead", "", 68, 74).replace(",70,", ",,"),
            naive("a", "op_influenced_by_gp", "", 40, 74)]
    write(tmp_path, "sites/a", rows)
    result = audit(tmp_path, policy=POLICY)
    assert not result.passed
    num = found(result, indicator="op_planned_ahead", cell="numerator")
    den = found(result, indicator="op_planned_ahead", cell="denominator")
    other = found(result, indicator="op_planned_ahead", cell="complement (base minus numerator)")
    assert [(f.low, f.high) for f in num] == [(68, 68)]
    assert [(f.low, f.high) for f in den] == [(74, 74)]
    assert [(f.low, f.high) for f in other] == [(6, 6)]
    assert num[0].rule == "withheld count recovered exactly" and num[0].attack == "estimate x base"
    assert other[0].rule.startswith("count of 1-7 people")


def test_mean_and_interval_give_the_answer_levels(tmp_path):
    # 45 older people answered trust_gp_advice (agree4): levels 1..4 = 3, 9, 20, 13.
    # Published: top two 35 (true 33) and bottom two 10 (true 12) as derived figures, and the
    # mean 133/45 with its t interval to 10 figures (the old gate). From the mean row:
    # n = 45, sum S = 133, sum of squares Q = 3 + 36 + 180 + 208 = 427. Then with c4 = t:
    #   c1+c2+c3+c4 = 45, c1+2c2+3c3+4c4 = 133, c1+4c2+9c3+16c4 = 427
    #   => c3 = 59 - 3t, c2 = 3t - 30, c1 = 16 - t, all >= 0 => 10 <= t <= 16;
    # bottom two c1+c2 = 2t - 14 lies in the rounded 8..12 => 11 <= t <= 13 => c1 in 3..5:
    # the number strongly disagreeing is known to be 1-7 (3, 4 or 5).
    codes = [1] * 3 + [2] * 9 + [3] * 20 + [4] * 13
    n, s = len(codes), sum(codes)
    mean = s / n
    sd = stats.tstd(codes)
    half = stats.t.ppf(0.975, n - 1) * sd / n ** 0.5
    rows = [derived("a", "op_likert_top2", "trust_gp_advice", 33, 45),
            derived("a", "op_likert_bottom2", "trust_gp_advice", 12, 45),
            f"a,op_likert_mean,trust_gp_advice,{r5(s)},45,{mean:.10g},{mean - half:.10g},{mean + half:.10g},Student's t,false"]
    write(tmp_path, "sites/a", rows)
    result = audit(tmp_path, policy=POLICY)
    level1 = found(result, indicator="op_likert_mean", cell="answers at level 1 of 4")
    assert [(f.low, f.high) for f in level1] == [(3, 5)]
    assert level1[0].rule.startswith("count of 1-7 people")
    assert "Likert item" in level1[0].attack and "mean and interval inversion" in level1[0].attack
    # the mean row itself gives the exact number of answers where counts are rounded
    assert [(f.low, f.high) for f in found(result, indicator="op_likert_mean", cell="denominator")] == [(45, 45)]


def test_national_minus_the_other_sites(tmp_path):
    # Site a: 5 of 40 planned ahead (suppressed); site b: 14 of 44, published as derived
    # figures 15/45; national (unrestricted, exact): 19 of 84. Site a's count is
    # 19 - b's, and b's lies in 13..17 (15 +- 2), so a's is 19-17..19-13 = 2..6: five values,
    # no more than the marker [c] ("1 to 7") and a rounded count say. Not a finding.
    write(tmp_path, "sites/a", [derived("a", "op_planned_ahead", "", 5, 40, suppressed=True),
                                derived("a", "op_influenced_by_gp", "", 20, 40)])
    write(tmp_path, "sites/b", [derived("b", "op_planned_ahead", "", 14, 44),
                                derived("b", "op_influenced_by_gp", "", 22, 44)])
    write(tmp_path, "national", [exact("national", "op_planned_ahead", "", 19, 84),
                                 exact("national", "op_influenced_by_gp", "", 42, 84)])
    result = audit(tmp_path, policy=POLICY)
    assert not found(result, site_id="a", indicator="op_planned_ahead", cell="numerator")
    # Site b's file from the old gate (estimate from the hidden counts): 14/44 exactly, so
    # national minus b gives a's withheld count exactly: 19 - 14 = 5.
    write(tmp_path, "sites/b", [naive("b", "op_planned_ahead", "", 14, 44), naive("b", "op_influenced_by_gp", "", 22, 44)])
    result = audit(tmp_path, policy=POLICY)
    hit = found(result, site_id="a", indicator="op_planned_ahead", cell="numerator")
    assert [(f.low, f.high) for f in hit] == [(5, 5)]
    assert "national minus the other sites" in hit[0].attack
    assert hit[0].rule == "count of 1-7 people recovered exactly (NHS Digital rule)"


def _partition_site(site, sw, hs):
    # A gate that suppresses without rounding (exact counts). Most influential person, base 40:
    # GP 15, Family 20, Social worker sw (suppressed, 1-7), Hospital staff hs (secondary).
    return [exact(site, "op_most_influential", "GP", 15, 40),
            exact(site, "op_most_influential", "Family", 20, 40),
            exact(site, "op_most_influential", "Social worker", sw, 40, suppressed=True),
            exact(site, "op_most_influential", "Hospital staff", hs, 40, suppressed=True),
            exact(site, "op_likert_top2", "trust_gp_advice", 30, 42),
            exact(site, "op_likert_bottom2", "trust_gp_advice", 12, 42),
            exact(site, "op_likert_missing", "trust_gp_advice", 3, 45, suppressed=True)]


def test_subtraction_within_linked_tables_found_in_the_data(tmp_path):
    # Three sites publish the same tables. No registry is given: the audit has to notice that the
    # groups of op_most_influential add up to their base (consistent in every file) and read the
    # Likert rows as one item. Per site: the two suppressed groups add up to 40 - 15 - 20 = 5
    # (1-7 people, although the secondary cell chosen was a zero), and the missing answers are
    # responses minus answered = 45 - 42 = 3.
    for site, (sw, hs) in {"a": (5, 0), "b": (3, 2), "c": (5, 0)}.items():
        write(tmp_path, f"sites/{site}", _partition_site(site, sw, hs))
    result = audit(tmp_path, policy=POLICY)
    for site in "abc":
        both = found(result, site_id=site, indicator="op_most_influential", cell="sum of the 2 suppressed groups")
        assert [(f.low, f.high) for f in both] == [(5, 5)]
        assert both[0].attack == "groups adding up to their base"
        missing = found(result, site_id=site, indicator="op_likert_missing", cell="numerator")
        assert [(f.low, f.high) for f in missing] == [(3, 3)]
        assert "Likert item" in missing[0].attack
        # each suppressed group on its own stays 0-5: not pinned
        assert not found(result, site_id=site, indicator="op_most_influential", group="Social worker", cell="numerator")


def test_change_minus_rounds(tmp_path):
    # Round 2013: 9 of 41 (published 10/40, derived); round 2019: 6 of 45, suppressed in
    # history.csv. change.csv gives both rounds' estimates to 10 figures: 0.1333333333 x n for
    # n in 43..47 (the rounded base 45) is 5.73, 5.87, 6.00, 6.13, 6.27: only 6/45 is whole.
    hist_header = HEADER + ",period"
    write(tmp_path, "sites/a", [derived("a", "op_planned_ahead", "", 9, 41) + ",2013",
                                derived("a", "op_planned_ahead", "", 6, 45, suppressed=True) + ",2019",
                                derived("a", "op_influenced_by_gp", "", 20, 45) + ",2019"], name="history.csv", header=hist_header)
    change_header = "site_id,indicator,group,from_period,to_period,from_estimate,to_estimate,difference,lower,upper,p_value,method,verdict,suppressed"
    d = 6 / 45 - 9 / 41
    write(tmp_path, "sites/a", [f"a,op_planned_ahead,,2013,2019,{9 / 41:.10g},{6 / 45:.10g},{d:.10g},,,,Newcombe,no significant change,false"],
          name="change.csv", header=change_header)
    result = audit(tmp_path, policy=POLICY)
    hit = found(result, indicator="op_planned_ahead", period="2019", cell="numerator")
    assert [(f.low, f.high) for f in hit] == [(6, 6)]
    assert hit[0].attack == "change minus rounds"
    assert hit[0].rule.startswith("count of 1-7 people")


def test_professional_group_worked_out_from_its_roll_up(tmp_path, monkeypatch):
    # 20 hospital professionals answered: 12 in discharge teams (published) and 8 clinical
    # (withheld: fewer than 11). The roll-up "group:hospital" (9 of 20) is published too, so the
    # clinical group is 20 - 12 = 8 answers, 3 of whom said yes: an opinion of a group under 11.
    # The national file (exact, more sites) shows which groups the roll-up adds up.
    g = "prof_factor_frequent"
    site = [exact("a", g, "admission:risk_aversion|hospital_discharge", 6, 12),
            f"a,{g},admission:risk_aversion|hospital_clinical,,,,,,Wilson,true",
            exact("a", g, "admission:risk_aversion|group:hospital", 9, 20),
            exact("a", g, "admission:risk_aversion|asc", 7, 15),
            exact("a", g, "admission:risk_aversion|group:asc", 7, 15)]
    nat = []
    for factor, (d, c, s_) in {"admission:risk_aversion": ((20, 40), (10, 30), (30, 50)),
                               "delay:family_choice": ((15, 38), (12, 29), (20, 48))}.items():
        nat += [exact("national", g, f"{factor}|hospital_discharge", *d),
                exact("national", g, f"{factor}|hospital_clinical", *c),
                exact("national", g, f"{factor}|group:hospital", d[0] + c[0], d[1] + c[1]),
                exact("national", g, f"{factor}|asc", *s_),
                exact("national", g, f"{factor}|group:asc", *s_)]
    write(tmp_path, "sites/a", site)
    write(tmp_path, "national", nat)
    # the audit finds the roll-up in the data; the gate's own registry is not needed for it
    monkeypatch.setattr("homekit.disclosure.LINKED_TABLES", ())
    result = audit(tmp_path, policy=POLICY)
    # what the 8 said is worked out: 9 - 6 = 3 of them find risk aversion a frequent factor
    hit = found(result, indicator=g, group="admission:risk_aversion|hospital_clinical", cell="numerator")
    assert [(f.low, f.high) for f in hit] == [(3, 3)]
    assert hit[0].rule == "withheld count recovered exactly"
    assert hit[0].attack == "groups and their roll-ups"
    # how many answered (8) is not an opinion: a group's size is never a finding
    assert not found(result, indicator=g, group="admission:risk_aversion|hospital_clinical", cell="denominator")
    # the people rule does not apply to professionals: 3 of 8 is not itself a finding
    assert all(f.rule != "count of 1-7 people (NHS Digital rule)" for f in result.findings)


def test_national_of_two_rounds_minus_the_national_of_one(tmp_path):
    # The red team's attack on Redcar (exact professional counts). Sites a (9 of 20 GPs) and b
    # (withheld, 3 of 7) were last surveyed in 2014; c (10 of 25) and d (withheld, 1 of 6) in 2019.
    # The national row pools both rounds (23 of 58); the national 2014 row (12 of 27) is published
    # and the 2019 one withheld with its base 31. National - national 2014 = 11 of 31 GPs of 2019,
    # minus c: d's 1 of 6.
    g, item = "gp_likert_top2", "trust_asc"
    header = HEADER + ",period"
    for site, a, n, year, hidden in (("a", 9, 20, 2014, False), ("b", 3, 7, 2014, True), ("c", 10, 25, 2019, False),
                                     ("d", 1, 6, 2019, True)):
        write(tmp_path, f"sites/{site}", [exact(site, g, item, a, n, suppressed=hidden).replace(f",{n},", ",,") + f",{year}"
                                          if hidden else exact(site, g, item, a, n) + f",{year}"], header=header)
    write(tmp_path, "national", [exact("national", g, item, 23, 58) + ",2014; 2019"], header=header)
    write(tmp_path, "national", [exact("national", g, item, 12, 27) + ",2014",
                                 exact("national", g, item, 11, 31, suppressed=True) + ",2019"], name="history.csv", header=header)
    result = audit(tmp_path, policy=POLICY)
    hit = found(result, site_id="d", indicator=g, cell="numerator")
    assert [(f.low, f.high) for f in hit] == [(1, 1)] and hit[0].attack == "national minus the other sites"
    # b is withheld too but the 2014 sites are a group of 27 with a published national row:
    # national 2014 minus a gives b's 3 of 7, which the same attack finds
    assert [(f.low, f.high) for f in found(result, site_id="b", indicator=g, cell="numerator")] == [(3, 3)]


def test_none_of_a_small_professional_group_is_a_finding(tmp_path):
    # Site a's 11 GPs: 0 rated day care poor (published); site b's 9 GPs withheld (a group under
    # 11). The national row says 0 of 20: so none of b's 9 did either, an opinion of a group under
    # 11 (its size, 20 - 11 = 9, follows too, and is not itself a finding). A withheld 0 about
    # people would not be a finding: a count of none may be published.
    g, item = "gp_likert_bottom2", "quality_day_care"
    write(tmp_path, "sites/a", [exact("a", g, item, 0, 11)])
    write(tmp_path, "sites/b", [f"b,{g},{item},,,,,,Wilson,true"])
    write(tmp_path, "national", [exact("national", g, item, 0, 20)])
    result = audit(tmp_path, policy=POLICY)
    hit = found(result, site_id="b", indicator=g, cell="numerator")
    assert [(f.low, f.high, f.rule) for f in hit] == [(0, 0, "withheld count recovered exactly")]
    assert not found(result, site_id="b", cell="denominator")


def test_nothing_to_pin_when_only_derived_figures_are_published(tmp_path):
    # Rounded counts, estimates and intervals from the rounded counts only, and two suppressed
    # groups whose sum ranges over 40+-2 - (10+-2 + 15+-2 + 10+-2) = -3..13, i.e. 0..13.
    for site, (gp, fam, self_, sw, hs, base) in {"a": (11, 14, 9, 3, 4, 41), "b": (9, 16, 11, 2, 2, 40),
                                                  "c": (10, 15, 10, 5, 0, 40)}.items():
        rows = [derived(site, "op_most_influential", "GP", gp, base),
                derived(site, "op_most_influential", "Family", fam, base),
                derived(site, "op_most_influential", "Self", self_, base),
                derived(site, "op_most_influential", "Social worker", sw, base, suppressed=True),
                derived(site, "op_most_influential", "Hospital staff", hs, base, suppressed=True),
                derived(site, "op_planned_ahead", "", 12, base),
                derived(site, "op_likert_top2", "trust_gp_advice", 25, base),
                derived(site, "op_likert_bottom2", "trust_gp_advice", base - 25, base)]
        write(tmp_path, f"sites/{site}", rows)
    result = audit(tmp_path, policy=POLICY)
    assert result.passed, result.table()
    assert result.linked_tables.get("groups adding up to their base") == 3
    assert main(["audit", str(tmp_path)]) == 0


def test_a_workbook_number_that_no_csv_publishes_is_found(tmp_path):
    # The site publishes 15 of 40 (derived: 0.375). Its workbook's headline sheet repeats the
    # published 0.375 and base 40, but also carries 0.3658536585 (15/41, the figure before the gate)
    # and a text "38%" and a boolean: only the pre-gate number is a finding.
    from openpyxl import Workbook

    write(tmp_path, "sites/a", [derived("a", "op_planned_ahead", "", 15, 41)])
    wb = Workbook()
    ws = wb.active
    ws.title = "headlines"
    ws.append(["indicator name", "estimate", "base", "published", "suppressed", "indicator"])
    ws.append(["Planned ahead", 0.375, 40, "38%", False, "op_planned_ahead"])
    ws.append(["Planned ahead (before the gate)", 15 / 41, 40, "37%", False, "op_planned_ahead"])
    wb.save(tmp_path / "sites/a/summary.xlsx")
    result = audit(tmp_path, policy=AuditPolicy(time_limit=60))
    assert [(f.cell, f.published, f.indicator) for f in result.findings] == [
        ("headlines!estimate (row 3)", "0.365853658536585", "op_planned_ahead")]
    assert not result.passed and "no published CSV holds" in result.findings[0].line()


def test_cli_exit_codes_and_json(tmp_path, capsys):
    write(tmp_path / "bad", "sites/a", [naive("a", "op_planned_ahead", "", 68, 74), naive("a", "op_influenced_by_gp", "", 40, 74)])
    report = tmp_path / "verdict.json"
    assert main(["audit", str(tmp_path / "bad"), "--json", str(report)]) == 1
    text = capsys.readouterr().out
    assert "audit FAILED" in text and "op_planned_ahead" in text
    verdict = json.loads(report.read_text())
    assert verdict["passed"] is False and verdict["findings"] == len(verdict["first_findings"]) >= 2
    (tmp_path / "empty").mkdir()
    assert main(["audit", str(tmp_path / "empty")]) == 2


@pytest.mark.parametrize("text,half_unit", [("0.9189189189", 0.5e-10), ("0.920", 0.0005), ("12.5", 0.05), ("1.387778781e-17", 0.5e-26)])
def test_precision_of_a_published_figure(text, half_unit):
    # half a unit in the last written place, plus no more than float noise
    from homekit.audit import _precision, _tolerance

    dec, sf = _precision(text)
    assert half_unit <= _tolerance(float(text), dec, sf) <= half_unit * (1 + 1e-6) + 2e-14


def test_mean_to_one_decimal_still_gives_the_base(tmp_path):
    # A GP item (quality5, professional rule) published as a mean 3.4 (2.7, 4.0) on a base
    # rounded to 10. Brute force, independent of the audit: every answer distribution over
    # levels 1-5 for each base 8..12 the rounded 10 allows, its mean and t interval rounded
    # to 1 decimal; only bases with a match remain.
    import itertools

    import numpy as np

    def bases():
        out = set()
        for n in range(8, 13):
            t = stats.t.ppf(0.975, n - 1)
            for c in itertools.product(range(n + 1), repeat=4):
                if sum(c) > n:
                    continue
                codes = np.repeat(np.arange(1, 6), list(c) + [n - sum(c)])
                m, h = codes.mean(), t * codes.std(ddof=1) / np.sqrt(n)
                if (round(m, 1), round(m - h, 1), round(m + h, 1)) == (3.4, 2.7, 4.0):
                    out.add(n)
        return out

    assert bases() == {11}
    # other GP rows of the file, published (derived) with counts rounded to 5
    others = [derived("a", ind, "", a, 47) for ind, a in (("gp_trust_asc", 33), ("gp_trust_discharge_team", 21),
                                                         ("gp_relationship_poor", 26), ("gp_value_closer_links", 41))]
    write(tmp_path, "sites/a", ["a,gp_likert_mean,quality_day_care,,10,3.4,2.7,4.0,Student's t,false",
                                "a,gp_likert_top2,quality_day_care,,10,,,,Wilson,true",
                                "a,gp_likert_bottom2,quality_day_care,,10,,,,Wilson,true", *others])
    result = audit(tmp_path, policy=POLICY)
    hit = found(result, indicator="gp_likert_mean", cell="denominator")
    assert [(f.low, f.high, f.attack) for f in hit] == [(11, 11, "mean and interval inversion")]
    # every count in the file is a multiple of 5: the file rounds them, and 11 is exact
    assert hit[0].rule == "exact count where counts are rounded to 5"


def test_change_file_read_at_each_kind_of_figure_precision(tmp_path):
    # change.csv mixes proportions (4 decimals) and means (2 decimals) in one column; a mean of
    # 3.15 read as 3.1500 +- 0.00005 would fit no whole sum for 26 answers (81.9), while at
    # 2 decimals the distributions (0,6,10,10), (1,3,13,9), (2,0,16,8) fit (brute force, by hand:
    # sums 82, 82, 82 over 26 = 3.1538).
    hist_header = HEADER + ",period"
    write(tmp_path, "sites/a", ["a,gp_likert_mean,trust_asc,,26,3.15,2.84,3.47,Student's t,false,2019",
                                "a,gp_likert_mean,trust_asc,,20,3.15,2.88,3.42,Student's t,false,2013",
                                derived("a", "gp_trust_asc", "", 22, 26) + ",2019",
                                derived("a", "gp_trust_asc", "", 15, 20) + ",2013"], name="history.csv", header=hist_header)
    change_header = "site_id,indicator,group,from_period,to_period,from_estimate,to_estimate,difference,lower,upper,p_value,method,verdict,suppressed"
    write(tmp_path, "sites/a", ["a,gp_likert_mean,trust_asc,2013,2019,3.15,3.15,0,-0.4033,0.4033,1,Welch t (unequal variances),no significant change,false",
                                "a,gp_trust_asc,,2013,2019,0.75,0.8462,0.0962,-0.1389,0.3376,0.42,Newcombe hybrid score,no significant change,false"],
          name="change.csv", header=change_header)
    result = audit(tmp_path, policy=POLICY)
    assert not [n for n in result.notes if "gp_likert_mean" in n], result.notes


def test_messy_four_site_run_passes_its_audit(example_dir, tmp_path):
    """A messy set of four sites: one site's surveys thinned to every other respondent (groups of
    5 to 10 professionals), a tenth of every answer left blank. Before the joint protection of
    linked tables, national minus the other sites and the factor levels gave back withheld
    opinions of small groups (AUDIT_FINDINGS: 287 cells); the run's audit must find nothing."""
    import numpy as np
    import pandas as pd

    from homekit import pipeline

    data = tmp_path / "data"
    data.mkdir()
    keep = ["barnsley", "redcar_cleveland", "medway", "north_ayrshire"]
    rng = np.random.default_rng(7)
    for f in example_dir.glob("*.csv"):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "site_id" in df.columns:
            df = df[df.site_id.isin(keep)]
        if f.stem in ("gp_survey", "older_people_survey", "professional_survey"):
            thin = df.site_id == "north_ayrshire"
            df = pd.concat([df[~thin], df[thin].iloc[::2]])
            for c in df.columns.difference(["respondent_id", "site_id", "survey_year", "survey_round", "profession"]):
                df.loc[rng.random(len(df)) < 0.10, c] = ""
        df.to_csv(data / f.name, index=False)
    result = pipeline.run(data, tmp_path / "out", jobs=2, progress=False)
    assert not result.failed and result.national.status == "ok"
    assert result.audit["passed"], result.audit["first_findings"]
    # and the thinned site is there to be attacked: its professional groups are under 11
    ind = pd.read_csv(tmp_path / "out" / "sites" / "north_ayrshire" / "indicators.csv")
    assert ind.loc[ind.indicator == "prof_delay_factor_frequent", "suppressed"].all()


def test_heatmap_cell_worked_out_from_the_improvable_decisions(tmp_path):
    # The case-review heatmap as published rows (case_pathway_transition, exact counts): the one
    # cell off the diagonal that is withheld (3 people went to reablement where the panel would
    # have kept them at home with support) is the improvable decisions (73) minus the cells off the
    # diagonal that are published (40 + 30). The diagonal's withheld 12 does not protect it.
    n = 135
    cells = {"reablement->home_with_support": (3, True), "residential_care->reablement": (40, False),
             "home_with_support->home_no_support": (30, False), "reablement->reablement": (12, True),
             "residential_care->residential_care": (50, False)}
    rows = [exact("a", "case_pathway_transition", g, a, n, suppressed=s) for g, (a, s) in cells.items()]
    rows.append(exact("a", "case_decision_improvable", "", 73, n))
    write(tmp_path, "sites/a", rows)
    result = audit(tmp_path, policy=POLICY)
    hit = found(result, site_id="a", indicator="case_pathway_transition", group="reablement->home_with_support", cell="numerator")
    assert [(f.low, f.high) for f in hit] == [(3, 3)]


def test_organisation_that_is_some_professions_found_in_the_data(tmp_path):
    # Culture survey (professionals, exact counts). In sites a and b every row is published and the
    # acute trust is always hospital clinical + hospital discharge (18/30 = 15/21 + 3/9 would be
    # c's); nothing declares it, the audit has to see it. At site c the 9 hospital discharge staff
    # are withheld, but acute trust 18/30 minus hospital clinical 15/21 gives their 3 of 9 back.
    def site(name, hc, hd, withheld=False):
        (ha, hn), (da, dn) = hc, hd
        return [exact(name, "culture_behaviour_agree", "home_first|profession:hospital_clinical", ha, hn),
                exact(name, "culture_behaviour_agree", "home_first|profession:hospital_discharge", da, dn, suppressed=withheld)
                .replace(f",{dn},,,,Wilson,true", ",,,,,Wilson,true"),
                exact(name, "culture_behaviour_agree", "home_first|organisation:acute_trust", ha + da, hn + dn)]
    write(tmp_path, "sites/a", site("a", (12, 20), (8, 14)))
    write(tmp_path, "sites/b", site("b", (9, 16), (11, 13)))
    write(tmp_path, "sites/c", site("c", (15, 21), (3, 9), withheld=True))
    result = audit(tmp_path, policy=POLICY)
    hit = found(result, site_id="c", group="home_first|profession:hospital_discharge", cell="numerator")
    assert [(f.low, f.high) for f in hit] == [(3, 3)] and hit[0].attack == "groups and their roll-ups"
    assert not found(result, site_id="a") and not found(result, site_id="b")


def test_base_of_one_row_is_the_count_of_another_found_in_the_data(tmp_path):
    # The base of "alternative available" is the count of improvable decisions: in five sites both
    # are published and equal (five different sizes: not chance). At site f the improvable count
    # is withheld (36 of 40: the 4 that could not be improved are 1-7 people), but the base of the
    # alternative row, 36, gives it back, and with it the 4.
    sizes = {"a": (20, 50), "b": (25, 61), "c": (30, 44), "d": (33, 70), "e": (47, 90)}
    for name, (k, n) in sizes.items():
        write(tmp_path, f"sites/{name}", [exact(name, "case_decision_improvable", "", k, n),
                                          exact(name, "case_alternative_available", "", k - 9, k)])
    write(tmp_path, "sites/f", [exact("f", "case_decision_improvable", "", 36, 40, suppressed=True),
                                exact("f", "case_alternative_available", "", 24, 36)])
    result = audit(tmp_path, policy=POLICY)
    hit = found(result, site_id="f", indicator="case_decision_improvable", cell="complement (base minus numerator)")
    assert [(f.low, f.high) for f in hit] == [(4, 4)]
    assert "base is another's count" in hit[0].attack


def test_none_of_two_small_withheld_groups_with_blank_bases(tmp_path):
    # Observations (held to the professional rule): the settings add up to the behaviour's total.
    # 14 of 49 minus the published 6/19, 6/12 and 2/11 leaves 0 of 7 for the two withheld settings,
    # whose bases are blank. A blank base on a withheld professional row is a group of 1 to 10 (an
    # empty one shows 0), so each withheld setting is known to have had none: a finding.
    g = "time_for_conversations"
    rows = [exact("a", "obs_behaviour_desired", g, 14, 49), exact("a", "obs_behaviour_desired", f"{g}|ward", 6, 19),
            exact("a", "obs_behaviour_desired", f"{g}|community_team", 6, 12),
            exact("a", "obs_behaviour_desired", f"{g}|discharge_meeting", 2, 11),
            f"a,obs_behaviour_desired,{g}|front_door,,,,,,Wilson,true", f"a,obs_behaviour_desired,{g}|strategic_meeting,,,,,,Wilson,true"]
    write(tmp_path, "sites/a", rows)
    result = audit(tmp_path, policy=POLICY)
    for setting in ("front_door", "strategic_meeting"):
        hit = found(result, site_id="a", group=f"{g}|{setting}", cell="numerator")
        assert [(f.low, f.high) for f in hit] == [(0, 0)]


def test_time_limit_grows_with_the_counts_checked():
    # 120 s at least; a 150-site run checks about 350,000 counts: 1 s per 1,000, so 350 s
    assert AuditPolicy().seconds_for(35_000) == 120.0
    assert AuditPolicy().seconds_for(350_000) == 350.0
    assert AuditPolicy(time_limit=600).seconds_for(350_000) == 600.0


def test_programs_split_over_two_processes_find_the_same(tmp_path, monkeypatch):
    # The components' integer programs run in two processes (forked) for a large run; forced here
    # on a small one (three sites with a table each to work back): the same findings as in one
    # process, and the parent solved only some of the components itself.
    import homekit.audit as audit_module

    for site, (sw, hs) in {"a": (5, 0), "b": (3, 2), "c": (5, 0)}.items():
        write(tmp_path, f"sites/{site}", _partition_site(site, sw, hs))
    solved_here = []
    real = audit_module._ranges_of

    def spy(model, comp_rows, comp_cons, by_comp, roots, *args):
        solved_here.append(len(roots))
        return real(model, comp_rows, comp_cons, by_comp, roots, *args)

    monkeypatch.setattr(audit_module, "_ranges_of", spy)
    one = [f.as_dict() for f in audit(tmp_path, policy=POLICY).findings]
    monkeypatch.setattr(audit_module, "_PARALLEL_FROM", 0)
    two = [f.as_dict() for f in audit(tmp_path, policy=POLICY).findings]
    assert two == one and one
    if (os.cpu_count() or 1) >= 2:  # (in this process: all the components, then some of them)
        assert len(solved_here) == 2 and 0 < solved_here[1] < solved_here[0]


def test_block_diagonal_of_csr_blocks_matches_scipy():
    """The audit stacks its components' programs with its own block-diagonal join; scipy's
    block_diag is the reference (blocks of every shape, an empty block, a block with no entry)."""
    import numpy as np
    from scipy import sparse

    from homekit.audit import _block_diag_csr

    rng = np.random.default_rng(1)
    blocks = [sparse.csr_array(rng.integers(-2, 3, size=shape) * (rng.random(shape) < 0.5)) for shape in [(3, 4), (1, 1), (2, 5), (4, 2)]]
    blocks.insert(2, sparse.csr_array((2, 3)))
    got = _block_diag_csr(blocks)
    want = sparse.block_diag(blocks, format="csr")
    assert got.shape == want.shape
    assert (got.toarray() == want.toarray()).all()


def test_witness_program_moves_every_check_that_can_move():
    """_Problem.apart: three withheld counts of a table of 10 (x1 + x2 + x3 = 10) that every earlier
    witness showed as (0, 0, 10). One solution of the augmented program must move all three off
    those values (x1 >= 1, x2 >= 1, x3 <= 9, worked out by hand: e.g. 1 + 1 + 8), and what it
    returns for the checks is a solution of the original table."""
    import numpy as np
    from scipy import sparse

    from homekit.audit import _Problem

    A = sparse.csr_array(np.array([[1.0, 1.0, 1.0]]))
    C = sparse.csr_array(np.eye(3))
    prob = _Problem(A, np.array([10.0]), np.array([10.0]), np.zeros(3), np.full(3, 10.0), C)
    seen = np.array([0.0, 0.0, 10.0])
    apart, objective = prob.apart([0, 1, 2], seen, seen)
    (values,) = _Problem.solve_blocks([apart], [objective], deadline=float("inf"))
    assert values.sum() == 10 and (values == np.round(values)).all() and (values >= 0).all()
    assert values[0] >= 1 and values[1] >= 1 and values[2] <= 9


def _likert_mean_site(top2, bottom2):
    """The Likert item of test_mean_and_interval_give_the_answer_levels: levels 3, 9, 20, 13 of 45,
    the mean and its t interval to 10 figures, top two and bottom two as given."""
    codes = [1] * 3 + [2] * 9 + [3] * 20 + [4] * 13
    n, s = len(codes), sum(codes)
    mean, half = s / n, stats.t.ppf(0.975, n - 1) * stats.tstd(codes) / n ** 0.5
    return [derived("a", "op_likert_top2", "trust_gp_advice", top2, 45), derived("a", "op_likert_bottom2", "trust_gp_advice", bottom2, 45),
            f"a,op_likert_mean,trust_gp_advice,{r5(s)},45,{mean:.10g},{mean - half:.10g},{mean + half:.10g},Student's t,false"]


def test_cache_of_settled_programs_gives_the_same_verdict(tmp_path):
    """An audit that takes components from the cache of an earlier audit finds exactly what a fresh
    audit finds; a component whose program changed (one published count) is solved again."""
    cache = tmp_path / "cache" / "settled.pkl"
    leak = tmp_path / "leak"
    write(leak, "sites/a", _likert_mean_site(33, 12))
    fresh = audit(leak, policy=POLICY)
    first = audit(leak, policy=POLICY, cache=cache)
    again = audit(leak, policy=POLICY, cache=cache)
    assert cache.exists() and first.reused == 0 and again.components > 0 and again.reused == again.components
    assert [f.as_dict() for f in again.findings] == [f.as_dict() for f in fresh.findings] == [f.as_dict() for f in first.findings]
    assert [(f.low, f.high) for f in found(again, cell="answers at level 1 of 4")] == [(3, 5)]  # worked out by hand above
    # the same item published with other top-two and bottom-two counts: another program
    other = tmp_path / "other"
    write(other, "sites/a", _likert_mean_site(28, 17))
    cached = audit(other, policy=POLICY, cache=cache)
    assert cached.reused == 0
    assert [f.as_dict() for f in cached.findings] == [f.as_dict() for f in audit(other, policy=POLICY).findings]


def test_folders_read_ahead_are_used_only_while_unchanged(tmp_path, monkeypatch):
    """A run reads each site's folder for its audit while the last notebooks run: the audit uses
    such a reading where no file of the folder changed since, and reads a changed folder again
    (here the leaking Likert item written after the safe one was read ahead)."""
    import homekit.audit as A

    write(tmp_path, "sites/a", _likert_mean_site(33, 12)[:2])  # top two and bottom two only: nothing to pin
    ahead = {str(tmp_path / "sites" / "a"): {**A.read_folder(tmp_path, tmp_path / "sites" / "a", read_xlsx=False), "seconds": 0.5}}
    reads = []
    real = A._read_csv
    monkeypatch.setattr(A, "_read_csv", lambda path: reads.append(path) or real(path))
    used = audit(tmp_path, policy=POLICY, read_ahead=ahead)
    assert used.passed and reads == [] and used.seconds >= 0.5  # (the reading ahead is counted in the audit's time)
    write(tmp_path, "sites/a", _likert_mean_site(33, 12))  # the mean row added after the folder was read
    again = audit(tmp_path, policy=POLICY, read_ahead=ahead)
    assert reads and [f.as_dict() for f in again.findings] == [f.as_dict() for f in audit(tmp_path, policy=POLICY).findings]
    assert found(again, cell="answers at level 1 of 4")


def test_cache_of_settled_programs_is_not_used_by_other_code(tmp_path, monkeypatch):
    """Programs settled by another version of the audit (another way of solving, or of judging a
    range) are solved again."""
    import homekit.audit as A

    cache = tmp_path / "settled.pkl"
    write(tmp_path / "out", "sites/a", _likert_mean_site(33, 12))
    audit(tmp_path / "out", policy=POLICY, cache=cache)
    assert audit(tmp_path / "out", policy=POLICY, cache=cache).reused > 0
    monkeypatch.setattr(A, "_CODE", b"another version of homekit/audit.py")
    other = audit(tmp_path / "out", policy=POLICY, cache=cache)
    assert other.components > 0 and other.reused == 0
    # ... or by another solver (scipy brings its HiGHS)
    import scipy

    monkeypatch.setattr(A, "_CODE", None)
    again = audit(tmp_path / "out", policy=POLICY, cache=cache)
    assert again.reused == 0 and audit(tmp_path / "out", policy=POLICY, cache=cache).reused > 0
    monkeypatch.setattr(A, "_CODE", None)
    monkeypatch.setattr(scipy, "__version__", "0.0-another")
    assert audit(tmp_path / "out", policy=POLICY, cache=cache).reused == 0


def test_an_audit_of_a_predicted_folder_holds_only_while_the_folder_is_as_predicted(tmp_path):
    """``homekit run`` audits the national folder as predicted from its preparation while the
    national notebook writes it (``audit_readings``): that audit finds what the audit of the
    written folder finds, and stands only while every reading holds (``readings_hold``): the
    written folder read back cell for cell as predicted, no other folder changed, no folder added."""
    import homekit.audit as A

    out, pred = tmp_path / "out", tmp_path / "predicted"
    write(pred, "sites/a", _likert_mean_site(33, 12))  # the leaking Likert item, predicted
    write(out, "sites/a", _likert_mean_site(33, 12))  # ... and as written
    write(out, "sites/b", _likert_mean_site(33, 12)[:2])
    readings = {str(out / "sites" / "a"): {**A.read_folder(pred, pred / "sites" / "a", read_xlsx=False), "signature": None},
                str(out / "sites" / "b"): A.read_folder(out, out / "sites" / "b", read_xlsx=False)}
    ahead = A.audit_readings(out, readings, policy=POLICY)
    fresh = audit(out, policy=POLICY)
    assert found(fresh, cell="answers at level 1 of 4")
    assert [f.as_dict() for f in ahead.findings] == [f.as_dict() for f in fresh.findings]
    assert (ahead.rows, ahead.cells, ahead.files) == (fresh.rows, fresh.cells, fresh.files)
    assert A.readings_hold(out, readings)
    # written otherwise than predicted (the mean row left out): the folder must be audited again
    write(out, "sites/a", _likert_mean_site(33, 12)[:2])
    assert not A.readings_hold(out, readings)
    write(out, "sites/a", _likert_mean_site(33, 12))
    assert A.readings_hold(out, readings)
    # a folder read from disk changed since
    write(out, "sites/b", _likert_mean_site(33, 12)[:1])
    assert not A.readings_hold(out, readings)
    readings[str(out / "sites" / "b")] = A.read_folder(out, out / "sites" / "b", read_xlsx=False)
    assert A.readings_hold(out, readings)
    # a folder that was not read
    write(out, "sites/c", _likert_mean_site(33, 12)[:2])
    assert not A.readings_hold(out, readings)


def test_readings_differ_on_workbook_cell_types_and_the_audit_made_ahead_can_be_stopped(tmp_path):
    """Two readings agree only if every workbook cell has the same type too (True == 1 for Python,
    not for the audit, which reads a 1 in a headline sheet as a number and skips a true/false);
    folders read with or without their workbooks unlike the policy are refused; an audit made
    ahead stops, unused, once its run no longer needs it."""
    import homekit.audit as A

    write(tmp_path, "sites/a", _likert_mean_site(33, 12)[:2])
    got = A.read_folder(tmp_path, tmp_path / "sites" / "a", read_xlsx=False)
    one = {**got, "workbooks": {"sites/a/summary.xlsx": {"headlines": [["indicator", "withheld"], ["x", 1]]}}}
    true = {**got, "workbooks": {"sites/a/summary.xlsx": {"headlines": [["indicator", "withheld"], ["x", True]]}}}
    assert one["workbooks"] == true["workbooks"] and not A.same_reading(one, true) and A.same_reading(one, dict(one))
    readings = {str(tmp_path / "sites" / "a"): got}
    with pytest.raises(ValueError, match="without their workbooks"):
        A.audit_readings(tmp_path, readings)  # (the default policy reads workbooks)
    assert A.audit_readings(tmp_path, readings, policy=POLICY, cancelled=lambda: True) is None
    assert A.audit_readings(tmp_path, readings, policy=POLICY).passed


def test_a_lone_sign_or_point_is_text_not_a_number(tmp_path):
    """A cell of "-", "." or "e5" is not a published number (it used to stop the audit at float())."""
    rows = [naive("a", "op_planned_ahead", "", 68, 74).replace(",70,75,", ",-,75,"),
            naive("a", "op_lives_alone", "", 20, 74).replace(",20,75,", ",.,e5,")]
    assert rows[0].startswith("a,op_planned_ahead,,-,75,") and rows[1].startswith("a,op_lives_alone,,.,e5,")
    write(tmp_path / "out", "sites/a", rows)
    result = audit(tmp_path / "out", policy=POLICY)
    assert result.rows == 2 and not result.unsettled


def test_a_program_the_solver_fails_on_is_unsettled_not_contradictory(tmp_path, monkeypatch):
    """A linked table whose integer program the solver neither solves nor proves infeasible (a
    numerical failure) leaves its counts unsettled, so the audit does not pass; it used to be
    read as published figures that contradict one another, checked row by row, and passed."""
    import types

    import homekit.audit as A

    write(tmp_path, "sites/a", _likert_mean_site(33, 12))
    monkeypatch.setattr(A, "milp", lambda *a, **k: types.SimpleNamespace(x=None, status=4))
    failed = audit(tmp_path, policy=POLICY)
    assert failed.unsettled > 0 and not failed.passed and any("the solver failed" in n for n in failed.notes)
    assert not any("do not fit one reading" in n for n in failed.notes)
    # proved infeasible (status 2): the rows are checked one by one, as before
    monkeypatch.setattr(A, "milp", lambda *a, **k: types.SimpleNamespace(x=None, status=2))
    contradictory = audit(tmp_path, policy=POLICY)
    assert contradictory.unsettled == 0 and any("do not fit one reading" in n for n in contradictory.notes)
