"""The example data against the published seed figures, recomputed with plain pandas.

These computations deliberately avoid homekit's loaders and indicator code: they read the CSV
exports as text and count answers by hand, so they check the data, not the code that reads it.
Seed figures: Home Truths July 2013 update; LGA/Newton 2017; IMPOWER interface survey 2019.
"""

import hashlib

import pandas as pd
import pytest

from homekit.example_data import write_example_data

MISSING = {"", "Don't know", "Not applicable"}
WAVE1 = ["barnsley", "croydon", "hertfordshire", "redcar_cleveland", "wiltshire", "wolverhampton"]


def read(d, name):
    return pd.read_csv(d / f"{name}.csv", dtype=str, keep_default_na=False)


def first_round(gp):
    """The 2013 (wave 1) and 2014 (wave 2) rounds the published figures describe."""
    return gp[gp.survey_year != "2019"]


def share(series, yes, missing=MISSING):
    answered = series[~series.isin(missing)]
    return answered.isin(yes).mean()


PUBLISHED = [
    # (column, numerator labels, published share, missing labels, filter)
    ("relationship_social_care", ["Poor", "Very poor"], 0.56, MISSING),
    ("value_closer_links", ["Would value", "Would strongly value"], 0.92, MISSING),
    ("value_closer_links", ["Would strongly value"], 0.56, MISSING),
    ("trust_asc", ["Agree", "Strongly agree"], 0.73, MISSING),
    ("trust_discharge_team", ["Agree", "Strongly agree"], 0.41, MISSING),
    ("better_assessor_residential", ["Social care"], 0.57, {""}),
    ("better_assessor_residential", ["GP"], 0.41, {""}),
    ("aware_telecare", ["No"], 0.59, MISSING),
    ("motivator_fewer_home_visits", ["Yes"], 0.68, MISSING),
    ("motivator_financial_incentive", ["Yes"], 0.50, MISSING),
]


@pytest.mark.parametrize("column, yes, published, missing", PUBLISHED)
@pytest.mark.parametrize("scope", ["wave1", "all"])
def test_gp_shares_near_published(example_dir, column, yes, published, missing, scope):
    gp = first_round(read(example_dir, "gp_survey"))
    if scope == "wave1":
        gp = gp[gp.site_id.isin(WAVE1)]
    assert abs(share(gp[column], yes, missing) - published) <= 0.03


def test_reablement_rated_poor_among_aware(example_dir):
    gp = first_round(read(example_dir, "gp_survey"))
    aware = gp[gp.aware_reablement == "Yes"]
    assert abs(share(aware.quality_reablement, ["Poor", "Very poor"]) - 0.46) <= 0.03


def test_sample_sizes(example_dir):
    gp, op, prof = read(example_dir, "gp_survey"), read(example_dir, "older_people_survey"), read(example_dir, "professional_survey")
    assert (first_round(gp).site_id.isin(WAVE1)).sum() == 154
    second = gp[gp.survey_year == "2019"]
    assert len(second) == 172 and set(second.site_id) == set(WAVE1)
    op1 = op[op.site_id.isin(WAVE1)]
    assert len(op1) == 225 and op1.site_id.nunique() == 5
    assert len(prof) == 210
    cases = read(example_dir, "case_reviews")
    assert cases.site_id.nunique() == 5 and 1900 <= len(cases) <= 2100
    sites = read(example_dir, "sites")
    assert len(sites) == 11
    assert sites[sites.site_id.isin(WAVE1)].wave.eq("1").all()


def test_answers_carry_missing(example_dir):
    gp = read(example_dir, "gp_survey")
    assert (gp.trust_asc == "").sum() > 0 and (gp.trust_asc == "Don't know").sum() > 0


def test_sites_differ(example_dir):
    gp = read(example_dir, "gp_survey")
    by_site = gp.groupby("site_id").relationship_social_care.apply(lambda s: share(s, ["Poor", "Very poor"]))
    assert by_site.max() - by_site.min() > 0.15


def test_case_reviews_near_published(example_dir):
    c = read(example_dir, "case_reviews")
    improvable = c.actual_pathway != c.ideal_pathway
    assert abs(improvable.mean() - 0.45) <= 0.03
    assert (c[improvable].alternative_available == "Yes").mean() > 0.90
    order = ["home_no_support", "home_with_support", "reablement", "intermediate_care_bed", "residential_care",
             "nursing_care", "acute_admission"]
    rank = {p: i for i, p in enumerate(order)}
    less = c[improvable].ideal_pathway.map(rank) < c[improvable].actual_pathway.map(rank)
    assert less.mean() > 0.8  # "almost always at a lower level of cost"
    suit = c[c.reablement_suitable != ""].groupby("team").reablement_suitable.apply(lambda s: (s == "Yes").mean())
    assert abs(suit.max() - 0.70) <= 0.03 and abs(suit.min() - 0.10) <= 0.03
    # "undertaking a review two weeks after the care package began indicated that a third of
    # recipients no longer needed the amount of care": packages reviewed within 14 days
    hours = c[(c.care_hours_start != "") & (c.review_interval_days != "")]
    fell = hours.care_hours_after_review.astype(float) < hours.care_hours_start.astype(float)
    early = hours.review_interval_days.astype(int) <= 14
    assert abs(fell[early].mean() - 1 / 3) <= 0.03 and early.sum() >= 100
    assert fell[~early].mean() < fell[early].mean() - 0.1  # later reviews found less to reduce


def test_case_review_practice_findings(example_dir):
    """LGA/Newton 2017 practice findings, counted by hand from the exported text."""
    c = read(example_dir, "case_reviews")
    # "only 10% of people who went from short-term medical care to long-term residential care
    # should have done so" (one area: Birmingham)
    moved = c[(c.prior_setting == "short_term_medical") & c.actual_pathway.isin(["residential_care", "nursing_care"])]
    assert set(moved.site_id) == {"birmingham"} and len(moved) >= 80
    assert abs((moved.ideal_pathway == moved.actual_pathway).mean() - 0.10) <= 0.02
    # "one team judged 70% of discharges suitable for reablement, another team just 10% - and
    # that didn't change when the populations were reversed": the same shares in each caseload
    w = c[c.reablement_suitable != ""]
    cell = w.groupby(["team", "caseload"]).reablement_suitable.apply(lambda s: (s == "Yes").mean())
    assert len(cell) == 4
    for caseload in ("North population", "South population"):
        assert abs(cell[("North locality", caseload)] - 0.70) <= 0.02
        assert abs(cell[("South locality", caseload)] - 0.10) <= 0.02
    # delays: 35% social care, 65% health among the delays attributed to a system
    system = c.delay_reason.map({"awaiting_care_package": "sc", "awaiting_care_home": "sc", "awaiting_assessment": "h",
                                 "awaiting_intermediate_care": "h", "clinical": "h"}).dropna()
    assert abs((system == "sc").mean() - 0.35) <= 0.03 and len(system) >= 300
    assert c.loc[c.delay_reason != "", "decision_point"].eq("discharge").all()


def test_lowest_relationships_are_asc_gp_and_discharge_asc(example_dir):
    p = read(example_dir, "professional_survey")
    profs = ["asc", "gp", "hospital_discharge", "hospital_clinical", "community_health"]
    means = {}
    for rater in profs:
        for ratee in profs:
            if rater != ratee:
                v = pd.to_numeric(p.loc[p.profession == rater, f"relationship_{ratee}"], errors="coerce").dropna()
                means[(rater, ratee)] = v.mean()
    lowest3 = sorted(means, key=means.get)[:3]
    assert set(lowest3) == {("asc", "gp"), ("gp", "asc"), ("hospital_discharge", "asc")}
    assert max(means, key=means.get) == ("asc", "hospital_discharge")


def test_deterministic(tmp_path):
    def digest(d):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}

    write_example_data(tmp_path / "a")
    write_example_data(tmp_path / "b")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_refuses_non_empty_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        write_example_data(tmp_path)
    assert (tmp_path / "keep.txt").exists()
