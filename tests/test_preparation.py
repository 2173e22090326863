"""The run's preparation (national rows -> site rows -> the sites gated), shared by the batch and
the national report."""

from __future__ import annotations

import pandas as pd
import pytest

from homekit import load_data_dir
from homekit.disclosure import load_rules
from homekit.instruments import INDICATORS, INSTRUMENTS
from homekit.preparation import prepare_national, site_rows

SITES = ["barnsley", "croydon"]


@pytest.fixture(scope="module")
def two_sites(example_dir):
    return load_data_dir(example_dir).only_sites(SITES)


@pytest.fixture(scope="module")
def prepared(two_sites):
    return prepare_national(two_sites, load_rules(None, "site"))


def test_the_sites_of_the_run_and_their_rows(prepared):
    assert set(prepared) == {"sites", "indicators", "raw_sites", "published_sites", "raw_history", "published_history"}
    assert prepared["sites"] == SITES
    assert set(prepared["indicators"].site_id) == {"national"}
    assert set(prepared["raw_sites"].site_id) == set(SITES) == set(prepared["published_sites"].site_id)


def test_national_counts_are_the_sum_of_the_sites(prepared, two_sites):
    # a GP headline counted by hand from the raw answers: national = barnsley + croydon
    answered = two_sites.latest()["gp_survey"]["trust_asc"].notna()  # each site's latest round
    nat = prepared["indicators"].set_index(["indicator", "group"])
    sites = prepared["raw_sites"][(prepared["raw_sites"].group == "")]
    row = nat.loc[("gp_trust_asc", "")]
    assert row["denominator"] == answered.sum()
    assert row["denominator"] == sites.loc[sites.indicator == "gp_trust_asc", "denominator"].sum()
    assert row["numerator"] == sites.loc[sites.indicator == "gp_trust_asc", "numerator"].sum()


def test_published_sites_went_through_the_gate(prepared):
    raw, pub = prepared["raw_sites"], prepared["published_sites"]
    assert len(raw) == len(pub) and (raw.indicator.to_numpy() == pub.indicator.to_numpy()).all()
    # proportions about people (not professionals' opinions) with a count of 1 to 7 read [c]
    def about_people(ind: str) -> bool:
        i = INDICATORS.get(ind)
        return i is not None and i.kind == "proportion" and INSTRUMENTS[i.instrument].subjects == "people"

    small = raw.indicator.map(about_people) & raw.numerator.between(1, 7) & (raw.denominator > 0)
    assert small.any()
    assert pub.loc[small.to_numpy(), "suppressed"].all()
    assert pub.loc[small.to_numpy(), "numerator"].isna().all()


def test_national_report_prepares_as_the_run_does(prepared, two_sites):
    from homekit.report import NationalReport

    rules = load_rules(None, "site")
    given = NationalReport(two_sites, prepared["published_sites"], site_rules=rules, prepared=prepared)
    alone = NationalReport(two_sites, prepared["published_sites"], site_rules=rules)
    pd.testing.assert_frame_equal(given.published, alone.published)
    pd.testing.assert_frame_equal(given._raw_sites, alone._raw_sites)


def test_a_site_report_publishes_the_rows_it_would_compute_and_gate_alone(prepared, two_sites):
    """The batch hands each site notebook its part of the preparation (computed and gated with
    every site of the run) instead of computing and gating again. That is only right if the site
    alone would publish the same rows: the gate's choices for one site (secondary suppression, the
    rows withheld with a withheld base) must not depend on the other sites gated with it."""
    from homekit.report import SiteReport

    rules = load_rules(None, "site")
    parts = site_rows(prepared)
    assert set(parts) == set(SITES)
    for s in SITES:
        given = SiteReport(s, two_sites.site(s), national=prepared["indicators"], rules=rules, prepared=parts[s])
        alone = SiteReport(s, two_sites.site(s), national=prepared["indicators"], rules=rules)
        assert given.indicators is parts[s]["published_sites"]  # the preparation's rows, not gated again
        assert alone.indicators["suppressed"].any()  # (the gate withholds something at both sites)
        for a, b in ((given.indicators, alone.indicators), (given.published_history, alone.published_history)):
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
        pd.testing.assert_frame_equal(given.changes.reset_index(drop=True), alone.changes.reset_index(drop=True))


def test_a_site_restricted_to_some_instruments_computes_its_own_rows(prepared, two_sites):
    """A site whose parameters keep only some instruments publishes fewer rows than the preparation
    made for it, so it computes them itself."""
    from homekit.report import SiteReport

    part = site_rows(prepared)["croydon"]
    report = SiteReport("croydon", two_sites.site("croydon"), national=prepared["indicators"], rules=load_rules(None, "site"),
                        parameters={"instruments": ["gp_survey"]}, prepared=part)
    assert set(report.indicators.indicator.str.split("_").str[0]) <= {"gp"} < set(part["published_sites"].indicator.str.split("_").str[0])


def test_a_previous_preparation_gates_again_only_what_changed(example_dir, tmp_path, monkeypatch):
    """An --update's preparation: with the previous run's rows (same rules), every table equals a
    preparation from nothing, and only the changed site's scopes go through the gate again."""
    import shutil

    from homekit import disclosure
    from homekit.preparation import kept_rows

    data_dir = tmp_path / "data"
    shutil.copytree(example_dir, data_dir)
    rules, nat_rules = load_rules(None, "site"), load_rules(None, "national")
    sites = ["barnsley", "croydon", "wiltshire"]
    before = prepare_national(load_data_dir(data_dir).only_sites(sites), rules, national_rules=nat_rules)
    # one answer of one Croydon respondent of its latest round corrected
    gp = pd.read_csv(data_dir / "gp_survey.csv", dtype=str, keep_default_na=False)
    mine = gp.index[(gp.site_id == "croydon") & (gp.survey_year == gp.loc[gp.site_id == "croydon", "survey_year"].max())]
    gp.at[mine[0], "trust_asc"] = "Disagree" if gp.at[mine[0], "trust_asc"] != "Disagree" else "Agree"
    gp.to_csv(data_dir / "gp_survey.csv", index=False)
    data = load_data_dir(data_dir).only_sites(sites)

    gated_again = []
    real = disclosure._scopes_gated_alike

    def spy(frame, raw):
        same = real(frame, raw)
        gated_again.append(set(frame.loc[~same, "site_id"]))
        return same

    monkeypatch.setattr(disclosure, "_scopes_gated_alike", spy)
    updated = prepare_national(data, rules, national_rules=nat_rules, previous=kept_rows(before))
    monkeypatch.setattr(disclosure, "_scopes_gated_alike", real)
    fresh = prepare_national(data, rules, national_rules=nat_rules)
    for key in ("raw_sites", "published_sites", "raw_history", "published_history", "published_national"):
        pd.testing.assert_frame_equal(updated[key], fresh[key], check_like=False)
    # the latest rounds (first): Croydon's is gated again (and a site whose comparison with the
    # other sites moved with Croydon's answer, if any); every round (last): nothing more, Croydon's
    # latest round being taken as just gated, every other round as gated by the previous run
    assert gated_again and "croydon" in gated_again[0] and len(gated_again[0]) < len(sites)
    assert gated_again[-1] <= gated_again[0]
