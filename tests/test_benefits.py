"""Benefits model: a hand-worked site for both streams, reproducible Monte Carlo, scaling, errors."""


import pandas as pd
import pytest

from conftest import ROOT
from homekit.benefits import BenefitsModel
from homekit.exceptions import ParameterError
from homekit.loaders import Dataset


def _p(value, low=None, high=None, year=2024):
    return {"value": value, "low": value if low is None else low, "high": value if high is None else high,
            "price_year": year, "source": "test"}


def _config(**over):
    cfg = {
        "price_year": 2024,
        "uprating": {"source": "test", "index": {2013: 80.0, 2024: 100.0}},
        "england_population_65plus": _p(10_000_000),
        "published_social_care_saving": _p(600e6, year=2013),
        "published_nhs_saving": _p(1e9, year=2013),
        "costs": {
            "week_home_no_support": _p(0), "week_home_with_support": _p(300), "week_reablement": _p(400),
            "week_intermediate_care_bed": _p(1400), "week_residential_care": _p(1000), "week_nursing_care": _p(1200),
            "week_acute_admission": _p(3000), "non_elective_admission": _p(4000), "excess_bed_day": _p(500),
        },
        "assumptions": {
            "care_home_stay_weeks": _p(100, 80, 120), "reablement_weeks": _p(6), "intermediate_care_weeks": _p(4),
            "realisation_rate": _p(0.5, 0.25, 0.75), "avoidable_delay_share_of_improvable": _p(0.6),
        },
        "monte_carlo": {"draws": 2000, "seed": 7},
    }
    for k, v in over.items():
        section, name = k.split("__")
        cfg[section][name] = v
    return cfg


def _site_data():
    """A hand-made site: 10 reviewed care home placements (4 avoidable), 10 admissions (3 avoidable),
    10 discharges (5 improvable with the alternative available); flow over 12 months."""
    rows = []
    def case(i, dp, actual, ideal, alt="Yes"):
        rows.append({"case_id": f"c{i}", "site_id": "s", "decision_point": dp, "actual_pathway": actual,
                     "ideal_pathway": ideal, "alternative_available": alt})
    i = 0
    for k in range(10):  # care home placements at discharge, 4 avoidable: 2 -> home with support, 2 -> reablement
        ideal = ["home_with_support", "home_with_support", "reablement", "reablement"][k] if k < 4 else "residential_care"
        case(i := i + 1, "discharge", "residential_care", ideal)
    for k in range(10):  # admissions: 3 avoidable (ideal intermediate care bed)
        case(i := i + 1, "admission", "acute_admission", "intermediate_care_bed" if k < 3 else "acute_admission")
    cases = pd.DataFrame(rows)
    for c in ("decision_point", "actual_pathway", "ideal_pathway", "alternative_available"):
        cases[c] = cases[c].astype("category")
    periods = pd.period_range("2015-01", "2015-12", freq="M")
    flow = pd.DataFrame(
        [{"site_id": "s", "period": p, "metric": m, "value": v} for p in periods
         for m, v in (("permanent_admissions_care_homes_65plus", 10), ("non_elective_admissions_65plus", 100),
                      ("delayed_days_nhs", 50), ("delayed_days_social_care", 30), ("delayed_days_joint", 20))])
    flow["period"] = flow["period"].astype("period[M]")
    sites = pd.DataFrame({"site_id": ["s"], "site_name": ["S"], "population_65plus": [20000]})
    return Dataset("", {"sites": sites, "case_reviews": cases, "flow_metrics": flow})


def test_hand_worked_site():
    model = BenefitsModel.from_dict(_config())
    r = model.site(_site_data(), "s")
    ev = r.evidence
    assert (ev.care_home_cases, ev.care_home_avoidable) == (10, 4)
    assert (ev.admission_cases, ev.admission_avoidable) == (10, 3)
    # discharge decisions: the 10 placements, 4 improvable with the alternative available
    assert (ev.discharge_cases, ev.discharge_improvable) == (10, 4)
    # Social care, by hand: 120 admissions a year x 4/10 avoidable x 0.5 realised x saving per placement.
    # Residential 100 weeks at 1000 = 100,000. Home with support 100 weeks at 300 = 30,000 (saving 70,000).
    # Reablement 6 weeks at 400 then 94 weeks at 300 = 2,400 + 28,200 = 30,600 (saving 69,400).
    per_placement = (2 * 70_000 + 2 * 69_400) / 4
    assert r.streams["social_care"] == pytest.approx(120 * 0.4 * 0.5 * per_placement)
    # NHS admissions: 1,200 a year x 3/10 x 0.5 x 4,000 = 720,000.
    assert r.streams["nhs_admissions"] == pytest.approx(720_000)
    # Bed days: 1,200 delayed days x 4/10 x 0.6 x 0.5 x 500 = 72,000.
    assert r.streams["nhs_bed_days"] == pytest.approx(72_000)


def test_same_seed_same_percentiles_and_p10_below_p90():
    model = BenefitsModel.from_dict(_config())
    a = model.site(_site_data(), "s").monte_carlo
    b = model.site(_site_data(), "s").monte_carlo
    pd.testing.assert_frame_equal(a, b)
    assert (a.p10 <= a.p50).all() and (a.p50 <= a.p90).all() and (a.p10 < a.p90).all()
    other = BenefitsModel.from_dict({**_config(), "monte_carlo": {"draws": 2000, "seed": 8}})
    assert not other.site(_site_data(), "s").monte_carlo.equals(a)


def test_doubling_a_cost_doubles_its_stream():
    base = BenefitsModel.from_dict(_config()).site(_site_data(), "s")
    cfg = _config(costs__non_elective_admission=_p(8000))
    doubled = BenefitsModel.from_dict(cfg).site(_site_data(), "s")
    assert doubled.streams["nhs_admissions"] == pytest.approx(2 * base.streams["nhs_admissions"])
    assert doubled.streams["social_care"] == pytest.approx(base.streams["social_care"])
    cfg = _config()
    for k in list(cfg["costs"]):
        if k.startswith("week_"):
            cfg["costs"][k] = _p(2 * cfg["costs"][k]["value"])
    care = BenefitsModel.from_dict(cfg).site(_site_data(), "s")
    assert care.streams["social_care"] == pytest.approx(2 * base.streams["social_care"])


def test_uprating_to_price_year():
    cfg = _config(costs__excess_bed_day=_p(400, year=2013))
    r = BenefitsModel.from_dict(cfg).site(_site_data(), "s")
    assert r.streams["nhs_bed_days"] == pytest.approx(1200 * 0.4 * 0.6 * 0.5 * 400 * 100 / 80)


def test_with_values_overrides_one_parameter():
    model = BenefitsModel.from_dict(_config())
    r1 = model.site(_site_data(), "s")
    r2 = model.with_values(realisation_rate=1.0).site(_site_data(), "s")
    assert r2.streams["nhs_admissions"] == pytest.approx(2 * r1.streams["nhs_admissions"])
    with pytest.raises(ParameterError, match="no_such"):
        model.with_values(no_such=1)


def test_tornado_names_the_driver():
    r = BenefitsModel.from_dict(_config()).site(_site_data(), "s")
    assert r.tornado.iloc[0]["parameter"] == "realisation_rate"
    assert "realisation rate" in r.drivers
    # the chart and the sentence name parameters in words, never by their ids
    import matplotlib.pyplot as plt

    from homekit import plots

    fig, ax = plt.subplots()
    plots.tornado_plot(r, ax=ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    plt.close(fig)
    assert labels and not any("_" in lab for lab in labels)
    assert "Realisation rate (share of improvable decisions changed)" in labels
    assert not any(w.startswith("week ") for w in labels) and "_" not in r.drivers


@pytest.mark.parametrize(
    "change, name",
    [
        ({"costs__excess_bed_day": None}, "excess_bed_day"),
        ({"costs__excess_bed_day": _p(-5)}, "excess_bed_day"),
        ({"assumptions__realisation_rate": {"value": 0.5, "low": 0.2, "high": 0.9, "price_year": 2024}}, "realisation_rate.source"),
        ({"assumptions__care_home_stay_weeks": _p(100, 120, 130)}, "care_home_stay_weeks"),
        ({"costs__week_nursing_care": _p(1200, year=1999)}, "week_nursing_care"),
    ],
)
def test_missing_or_negative_parameter_named(change, name):
    cfg = _config()
    for k, v in change.items():
        section, key = k.split("__")
        if v is None:
            del cfg[section][key]
        else:
            cfg[section][key] = v
    with pytest.raises(ParameterError, match=name):
        BenefitsModel.from_dict(cfg)


def test_shipped_parameters_load_and_run_on_example(example_dir):
    import homekit

    model = BenefitsModel.from_yaml(ROOT / "parameters" / "benefits.yaml")
    data = homekit.load_data_dir(example_dir)
    r = model.site(data, "wiltshire")
    assert r.total > 0 and set(r.streams) == {"social_care", "nhs_admissions", "nhs_bed_days"}
    assert model.site(data, "barnsley") is None  # no case reviews: no benefits


# ----------------------------------------------------------------------------------------------
# Benefits per opportunity (share of a stream, the model's own Monte Carlo draws)
# ----------------------------------------------------------------------------------------------


def _hand_result():
    """A site result with five hand-written draws per stream (so percentiles are by hand)."""
    import numpy as np

    from homekit.benefits import SiteBenefits

    draws = {"social_care": np.array([100.0, 200, 300, 400, 500]), "nhs_admissions": np.array([10.0, 20, 30, 40, 50]),
             "nhs_bed_days": np.array([5.0, 1, 4, 2, 3])}
    draws["total"] = draws["social_care"] + draws["nhs_admissions"] + draws["nhs_bed_days"]
    mc = pd.DataFrame([{"stream": k, "p10": float(np.percentile(v, 10)), "p50": float(np.percentile(v, 50)),
                        "p90": float(np.percentile(v, 90))} for k, v in draws.items()])
    streams = {"social_care": 300.0, "nhs_admissions": 30.0, "nhs_bed_days": 3.0}
    return SiteBenefits("a", None, streams, mc, pd.DataFrame(), "", draws)


def _opps(rows):
    return pd.DataFrame(rows, columns=["site_id", "opportunity_id", "status", "impact", "ease", "alignment", "benefit_stream",
                                       "share_of_stream"])


def test_opportunity_share_of_stream_by_hand():
    from homekit.benefits import opportunity_benefits, short_list_total

    res = _hand_result()
    opps = _opps([("a", "o1", "approved", 5, 5, 5, "social_care", 0.5), ("a", "o2", "long_list", 3, 3, 3, "admission_avoidance", 0.2),
                  ("a", "o3", "short_list", 4, 4, 4, "community_skill_mix", 0.3), ("a", "o4", "rejected", 1, 1, 1, None, None)])
    b = opportunity_benefits(res, opps).set_index("opportunity_id")
    # o1: half of social care. Draws 50..250; P10 by linear interpolation: 50 + 0.4 x 50 = 70.
    assert b.loc["o1", "central"] == 150
    assert (b.loc["o1", "p10"], b.loc["o1", "p50"], b.loc["o1", "p90"]) == pytest.approx((70, 150, 230))
    # o2: admission_avoidance is the model's nhs_admissions stream; 0.2 x (10..50): P10 = 2.8.
    assert b.loc["o2", "model_stream"] == "nhs_admissions" and b.loc["o2", "p10"] == pytest.approx(2.8)
    assert "no stream for community skill mix" in b.loc["o3", "note"] and pd.isna(b.loc["o3", "central"])
    assert b.loc["o4", "note"] == "no benefit stream given"
    tot = short_list_total(res, opportunity_benefits(res, opps))
    assert tot["central"] == 150 and tot["p50"] == pytest.approx(150)


def test_short_list_never_exceeds_the_site_total():
    from homekit.benefits import opportunity_benefits, short_list_total

    res = _hand_result()
    # The short list claims 0.7 + 0.6 = 1.3 of social care and all of the NHS streams.
    opps = _opps([("a", "o1", "approved", 5, 5, 5, "social_care", 0.7), ("a", "o2", "implementing", 5, 5, 5, "discharge_independence", 0.6),
                  ("a", "o3", "short_list", 5, 5, 5, "nhs_admissions", 1.0), ("a", "o4", "short_list", 5, 5, 5, "nhs_bed_days", 1.0),
                  ("a", "o5", "long_list", 5, 5, 5, "social_care", 0.9)])
    b = opportunity_benefits(res, opps).set_index("opportunity_id")
    # Scaled to 0.7/1.3 and 0.6/1.3 of social care: together exactly the stream.
    assert b.loc["o1", "share_used"] == pytest.approx(0.7 / 1.3) and b.loc["o2", "share_used"] == pytest.approx(0.6 / 1.3)
    assert "add to 1.30" in b.loc["o1", "note"]
    assert b.loc["o5", "share_used"] == 0.9  # the long list keeps its own share
    tot = short_list_total(res, opportunity_benefits(res, opps))
    # Every stream wholly claimed: the short list equals the site, draw by draw (never more).
    for q in ("central", "p10", "p50", "p90"):
        assert tot[q] == pytest.approx(tot[f"site_{q}"])
        assert tot[q] <= tot[f"site_{q}"] + 1e-9


def test_opportunities_on_example_sites(example_dir):
    import homekit
    from homekit.benefits import opportunity_benefits, short_list_total

    data = homekit.load_data_dir(example_dir)
    model = BenefitsModel.from_yaml(ROOT / "parameters" / "benefits.yaml")
    opps = data["opportunities"]
    modelled = 0
    for site in opps["site_id"].unique():
        res = model.site(data, site)
        b = opportunity_benefits(res, opps[opps.site_id == site])
        if res is None:
            assert b["central"].isna().all()
            assert b.loc[b["benefit_stream"].notna() & (b["benefit_stream"] != "community_skill_mix"), "note"].str.contains(
                "no case reviews").all()
            continue
        modelled += 1
        tot = short_list_total(res, b)
        for q in ("central", "p10", "p50", "p90"):
            assert 0 < tot[q] <= tot[f"site_{q}"]
        assert (b["p10"].dropna() <= b["p90"].dropna()).all()
    assert modelled == 5  # the five sites with case reviews


def test_discharge_evidence_is_the_published_row_or_left_out():
    # A red-team review read a withheld cell (improvable discharges with the alternative available,
    # withheld because the 3 without it are 1-7 people) off the benefits evidence line, where the
    # same count was printed rounded. The evidence now takes that row as published, or leaves the
    # discharge stream out when the row is withheld.
    import pandas as pd

    from homekit.benefits import Evidence
    from homekit.disclosure import DisclosureRules, disclose_evidence

    ev = Evidence("a", 1000.0, 120.0, 900.0, 4000.0, 40, 15, [], 60, 20, 160, 52)
    rows = pd.DataFrame([
        {"indicator": "case_decision_improvable", "group": "decision_point:discharge", "numerator": 55.0, "denominator": 160.0, "suppressed": False},
        {"indicator": "case_alternative_available", "group": "decision_point:discharge", "numerator": None, "denominator": 55.0, "suppressed": True},
    ])
    out = disclose_evidence(ev, DisclosureRules(), rows)
    assert out.withheld == ("nhs_bed_days",) and out.discharge_improvable == 0 and out.discharge_cases == 0
    rows.loc[1, ["numerator", "suppressed"]] = [45.0, False]
    out = disclose_evidence(ev, DisclosureRules(), rows)
    assert out.withheld == () and (out.discharge_improvable, out.discharge_cases) == (45, 160)
