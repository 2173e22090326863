"""Polarity and benchmarks: every headline's direction, never comparing a site with itself, England values."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

import homekit
from conftest import TWO_ROUND_TRUST
from homekit.exceptions import ParameterError
from homekit.indicators import compute_indicators, load_benchmarks
from homekit.indicators.compare import compare_with_benchmarks, rest_of_sites
from homekit.instruments import INDICATORS, POLARITIES

#: Every headline's polarity, with the reason (contract, second release, and the seeds' framing).
HEADLINE_POLARITY = {
    "gp_relationship_poor": "lower_is_better",  # contract example: fewer GPs rating the relationship poor
    "gp_value_closer_links": "no_judgement",  # wanting closer links is neither good nor bad
    "gp_strongly_value_closer_links": "no_judgement",
    "gp_trust_asc": "higher_is_better",  # contract example
    "gp_trust_discharge_team": "higher_is_better",  # trust to act in patients' best interests
    "gp_social_care_better_assessor": "no_judgement",  # an opinion on who assesses better
    "gp_reablement_rated_poor": "lower_is_better",
    "gp_unaware_telecare": "lower_is_better",  # "a service GPs do not know about is as good as missing"
    "gp_motivated_fewer_home_visits": "no_judgement",
    "gp_motivated_financial_incentive": "no_judgement",
    "op_planned_ahead": "higher_is_better",  # planning before the crisis (seeds: "low")
    "op_influenced_by_gp": "no_judgement",
    "case_decision_improvable": "lower_is_better",  # fewer decisions that could have been better
    "case_alternative_available": "no_judgement",  # says whether the gap was behaviour or capacity
    "prof_relationship_score": "higher_is_better",
    "prof_trust": "higher_is_better",
}


def test_polarity_of_every_headline():
    headlines = {k for k, v in INDICATORS.items() if v.headline}
    assert headlines == set(HEADLINE_POLARITY)
    for k, expected in HEADLINE_POLARITY.items():
        assert INDICATORS[k].polarity == expected, k
    assert all(v.polarity in POLARITIES for v in INDICATORS.values())
    assert INDICATORS["op_most_influential"].polarity == "no_judgement"  # contract example


def test_polarity_is_published(example_dir):
    ind = compute_indicators(homekit.load_data_dir(example_dir).site("barnsley"))
    pol = ind.drop_duplicates("indicator").set_index("indicator")["polarity"]
    assert pol["gp_trust_asc"] == "higher_is_better" and pol["gp_relationship_poor"] == "lower_is_better"


def test_a_site_is_never_compared_with_itself(two_round_dir):
    data = homekit.load_data_dir(two_round_dir)
    ind = compute_indicators(data)
    row = ind[(ind.indicator == "gp_trust_asc") & (ind.site_id == "alpha")].iloc[0]
    # Alpha's latest round: 35/40. The other sites' latest rounds: beta 30/40 + gamma 20/40 = 50/80.
    x, n = TWO_ROUND_TRUST[("alpha", 2019)]
    rx = TWO_ROUND_TRUST[("beta", 2019)][0] + TWO_ROUND_TRUST[("gamma", 2019)][0]
    lo, hi = confint_proportions_2indep(x, n, rx, 80, method="newcomb", compare="diff")
    assert lo > 0  # 87.5% against 62.5%
    assert (row.comparison, row.benchmark) == ("better", "national_excluding_site")
    assert row.period == "2019"
    # The other sites' counts are national minus the site, exactly those of the data without it.
    nat = compute_indicators(data, level="national")
    rest = rest_of_sites(ind[ind.site_id == "alpha"], nat)
    without = compute_indicators(data.without_site("alpha"), level="national").set_index(["indicator", "group"])
    alpha = ind[ind.site_id == "alpha"]
    trust = rest.loc[alpha.index[alpha.indicator == "gp_trust_asc"][0]]
    assert (trust.rest_numerator, trust.rest_denominator) == (50, 80)  # not the 85/120 that includes alpha
    checked = 0
    for i, r in alpha.iterrows():
        if np.isnan(rest.loc[i, "rest_denominator"]):
            continue
        w = without.loc[(r.indicator, r.group)]
        assert rest.loc[i, "rest_numerator"] == pytest.approx(w.numerator)
        assert rest.loc[i, "rest_denominator"] == pytest.approx(w.denominator)
        checked += 1
    assert checked > 20


def test_means_rest_of_sites_matches_the_data_without_the_site(example_dir):
    data = homekit.load_data_dir(example_dir)
    ind = compute_indicators(data)
    nat = compute_indicators(data, level="national")
    site = ind[(ind.site_id == "croydon") & (ind.indicator == "prof_relationship_score")]
    rest = rest_of_sites(site, nat)
    without = compute_indicators(data.without_site("croydon"), level="national").set_index(["indicator", "group"])
    for i, r in site.iterrows():
        w = without.loc[(r.indicator, r.group)]
        assert rest.loc[i, "rest_mean"] == pytest.approx(w.estimate)
        half = (w.upper - w.lower) / 2
        from scipy import stats as st
        sd = half / st.t.ppf(0.975, w.denominator - 1) * np.sqrt(w.denominator)
        assert rest.loc[i, "rest_sd"] == pytest.approx(sd, rel=1e-6)


def test_benchmarks_have_value_year_and_source():
    b = load_benchmarks().set_index(["indicator", "group"])
    assert set(b.index) == {("flow_care_home_admissions_rate", ""), ("flow_reablement_at_home_91days", ""),
                            ("flow_delayed_days_share", "social_care")}
    assert (b["source"].str.len() > 20).all() and (b["year"].str.len() >= 4).all()
    assert "ASCOF 2A(2)" in b.loc[("flow_care_home_admissions_rate", ""), "name"]
    assert "ASCOF 2B(1)" in b.loc[("flow_reablement_at_home_91days", ""), "name"]
    assert b.loc[("flow_delayed_days_share", "social_care"), "value"] == 0.35
    assert 0 < b.loc[("flow_reablement_at_home_91days", ""), "value"] < 1  # a proportion, as the indicator


def test_benchmark_file_errors(tmp_path):
    p = tmp_path / "benchmarks.yaml"
    p.write_text("england:\n  flow_care_home_admissions_rate: {value: 659, year: '2014-15'}\n")
    with pytest.raises(ParameterError, match="source"):
        load_benchmarks(p)
    p.write_text("england:\n  no_such_indicator: {value: 1, year: '2014', source: x}\n")
    with pytest.raises(ParameterError, match="indicator id"):
        load_benchmarks(p)


def test_flow_against_england_by_the_sites_interval():
    bench = pd.DataFrame({"indicator": ["flow_care_home_admissions_rate", "flow_delayed_days_share"], "group": ["", "social_care"],
                          "value": [659.0, 0.35], "year": "y", "source": "s", "name": ""})
    site = pd.DataFrame({"site_id": ["a", "b", "c", "a"], "indicator": ["flow_care_home_admissions_rate"] * 3 + ["flow_delayed_days_share"],
                         "group": ["", "", "", "social_care"], "numerator": [200.0, 300.0, 330.0, 400.0],
                         "denominator": [40000.0, 40000.0, 50000.0, 1000.0], "estimate": [500.0, 750.0, 660.0, 0.4],
                         "lower": [433.0, 668.0, 591.0, 0.3697], "upper": [574.0, 840.0, 735.0, 0.4310], "method": "Byars"})
    out = compare_with_benchmarks(site, None, bench)
    # Admissions: lower is better. a's interval lies below 659, b's above, c's straddles it.
    assert out["comparison"].tolist() == ["better", "worse", "similar", "higher"]  # delayed share: no judgement
    assert set(out["benchmark"]) == {"england"}
    assert out["comparison_method"].str.contains("England value").all()
