"""Statistics against PHEindicatormethods test data (literals copied from ../shared/oracles/phe,
PHEindicatormethods v2.1.0 tests/testthat, GPL-3 data used as fixtures only) and hand calculations."""

import math

import numpy as np
import pandas as pd
import pytest

from homekit import stats

# testdata_Byars_Wilson.xlsx, sheet testdata_B_W: (x, n, lower, upper, confidence, method)
BYARS_WILSON = [
    (65, None, 50.163187710459454, 82.84913854593984, 0.95, "Byars"),
    (1045, None, 982.5932018073325, 1110.33121298565, 0.95, "Byars"),
    (1, None, 0.01307213290150435, 5.5637555824752605, 0.95, "Byars"),
    (65, None, 42.8802614714802, 94.00029084431802, 0.998, "Byars"),
    (1045, None, 947.9407035610374, 1148.806160988033, 0.998, "Byars"),
    (10, None, 2.916318374695686, 24.193724927880535, 0.998, "Byars"),
    (65, 100, 0.5525444329688797, 0.7363575175690247, 0.95, "Wilson"),
    (1045, 5000, 0.19795549880013297, 0.22049130373189027, 0.95, "Wilson"),
    (0.445, 1, 0.04381744772058822, 0.9334621276979156, 0.95, "Wilson"),
    (65, 100, 0.4954946574070431, 0.7783540614089697, 0.998, "Wilson"),
    (1045, 5000, 0.19179381799015244, 0.22731562902525818, 0.998, "Wilson"),
    (0.445, 1, 0.019347006132900975, 0.9702259947019541, 0.998, "Wilson"),
    (1, None, None, 9.362180217908362, 0.998, "Byars"),
]


@pytest.mark.parametrize("x, n, lower, upper, confidence, method", BYARS_WILSON)
def test_byars_and_wilson_match_phe(x, n, lower, upper, confidence, method):
    if method == "Wilson":
        lo, hi = stats.proportion_ci(x, n, confidence=confidence)
    else:
        lo, hi = stats.rate_ci(x, confidence=confidence, method="byars")
    assert hi == pytest.approx(upper, abs=1e-6)
    if lower is None:
        assert math.isnan(lo)
    else:
        assert lo == pytest.approx(lower, abs=1e-6)


# testdata_Rate.xlsx, sheet testdata_Rate (multiplier 100): numerator, denominator, lower95, upper95, method
RATES = [
    (1, 100, 0.0010005003335835344, 9.233413476451585, "Exact"),
    (5, 100, 0.739371731917839, 16.454745203680105, "Exact"),
    (20, 100, 8.922802365144193, 38.08503562504191, "Byars"),
    (65, 100, 42.8802614714802, 94.00029084431802, "Byars"),
    (9856, 12345, 77.37590543271052, 82.3544727709543, "Byars"),
    (222, 3215, 5.560737695259854, 8.46104668173341, "Byars"),
]


@pytest.mark.parametrize("count, pop, lower, upper, method", RATES)
def test_rates_match_phe_rate(count, pop, lower, upper, method):
    # The sheet caches only its 99.8% limits (lower99_8cl, upper99_8cl); 95% limits are tested below.
    r = stats.rates(count=[count], population=[pop], multiplier=100, confidence=0.998)
    assert r.loc[0, "lower"] == pytest.approx(lower, rel=1e-9)
    assert r.loc[0, "upper"] == pytest.approx(upper, rel=1e-9)
    assert r.loc[0, "method"] == method


# testdata_Rate.xlsx, sheet testdata_Rate_g (95%, per 100,000): numerator, denominator, value, lower, upper
RATES_G = [
    (2, 200, 1000, 121.10463927198258, 3612.3438338619794, "Exact"),
    (10, 200, 5000, 2393.7249569837822, 9195.729302878237, "Byars"),
    (250, 220, 113636.36363636365, 99984.94738532876, 128631.14487455782, "Byars"),
]


@pytest.mark.parametrize("count, pop, value, lower, upper, method", RATES_G)
def test_rates_95_match_phe_rate(count, pop, value, lower, upper, method):
    r = stats.rates(count=[count], population=[pop], multiplier=100_000)
    assert r.loc[0, "estimate"] == pytest.approx(value, rel=1e-12)
    assert r.loc[0, "lower"] == pytest.approx(lower, rel=1e-9)
    assert r.loc[0, "upper"] == pytest.approx(upper, rel=1e-9)
    assert r.loc[0, "method"] == method


def test_mean_ci_matches_phe_mean():
    # testdata_Mean.xlsx: Area1 values and testdata_Mean_results row Area1
    values = [33.09375, 48.38596, 64.83495, 67.98475, 22.93556, 71.23587, 38.78465, 82.37927]
    m, lo, hi = stats.mean_ci(values)
    assert m == pytest.approx(53.70434500000001, abs=1e-9)
    assert lo == pytest.approx(36.168325241336504, abs=1e-6)
    assert hi == pytest.approx(71.24036475866352, abs=1e-6)
    m, lo, hi = stats.mean_ci(values, confidence=0.998)
    assert (lo, hi) == pytest.approx((18.216705294788838, 89.19198470521118), abs=1e-6)


# testdata_funnel_prop_outputs.csv, selected rows (population, lower2s, upper2s, lower3s, upper3s); baseline 80.642448
FUNNEL_ROWS = {
    1: (1, 3.204264, 100, 0, 100),
    3: (3, 35.933491, 100, 10.150815, 100),
}


def test_funnel_limits_literals():
    # With the baseline 0.80642448 fixed, limits depend only on the population: hand-check row 3
    # and row 1 of the PHE output through the Wilson inversion at the axis point.
    out = stats.funnel_limits([80642448], [100000000], population=[1, 3], multiplier=100)
    for i, (pop, lo2, up2, lo3, up3) in enumerate(FUNNEL_ROWS.values()):
        assert out.loc[i, "population"] == pop
        assert out.loc[i, "lower_2s"] == pytest.approx(lo2, abs=1e-6)
        assert out.loc[i, "upper_2s"] == pytest.approx(up2, abs=1e-6)
        assert out.loc[i, "lower_3s"] == pytest.approx(lo3, abs=1e-6)
        assert out.loc[i, "upper_3s"] == pytest.approx(up3, abs=1e-6)


def test_funnel_limits_equal_phe_files(shared_dir):
    phe = shared_dir / "oracles" / "phe"
    inp = pd.read_csv(phe / "testdata_funnel_prop_inputs.csv", encoding="utf-8-sig")
    for name, data in (("testdata_funnel_prop_outputs.csv", inp),
                       ("testdata_funnel_prop_outputs_with_axis_variation.csv", inp[inp.denominator < 31000])):
        exp = pd.read_csv(phe / name, encoding="utf-8-sig")
        got = stats.funnel_limits(data.numerator, data.denominator, multiplier=100)
        np.testing.assert_array_equal(got["population"], exp["Population"])
        for ours, theirs in [("lower_2s", "Lower2s0025limit"), ("upper_2s", "Upper2s0025limit"),
                             ("lower_3s", "Lower3s0001limit"), ("upper_3s", "Upper3s0001limit"), ("baseline", "Baseline")]:
            np.testing.assert_allclose(got[ours], exp[theirs], atol=1e-6, rtol=0)
    sig = stats.funnel_significance(inp, numerator="numerator", denominator="denominator")
    assert (sig["significance"] == inp["significance"]).all()


def test_proportion_ci_arrays_and_exact():
    lo, hi = stats.proportion_ci(np.array([0, 5]), np.array([10, 10]), method="exact")
    # Clopper-Pearson for 0/10: upper = 1 - 0.025**(1/10) (hand calculation)
    assert hi[0] == pytest.approx(1 - 0.025 ** 0.1, abs=1e-9)
    assert lo[0] == 0
    lo, hi = stats.proportion_ci(3, 0)
    assert math.isnan(lo) and math.isnan(hi)
    with pytest.raises(ValueError):
        stats.proportion_ci(11, 10)


def test_pool_proportions_dersimonian_laird_by_hand():
    x = np.array([10, 20, 30])
    n = np.array([50, 60, 70])
    # Hand calculation on the logit scale.
    y = np.log(x / (n - x))
    v = 1 / x + 1 / (n - x)
    w = 1 / v
    fixed = np.sum(w * y) / w.sum()
    q = np.sum(w * (y - fixed) ** 2)
    tau2 = max(0, (q - 2) / (w.sum() - np.sum(w**2) / w.sum()))
    wr = 1 / (v + tau2)
    re = np.sum(wr * y) / wr.sum()
    se = np.sqrt(1 / wr.sum())
    expit = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    r = stats.pool_proportions(x, n).iloc[0]
    assert r["q"] == pytest.approx(q)
    assert r["tau2"] == pytest.approx(tau2)
    assert r["i2"] == pytest.approx((q - 2) / q)
    assert r["estimate"] == pytest.approx(expit(re))
    assert r["lower"] == pytest.approx(expit(re - 1.959963984540054 * se))
    assert r["fixed_estimate"] == pytest.approx(expit(fixed))


def test_pool_truncates_negative_tau2():
    r = stats.pool_proportions([50, 51, 49], [100, 100, 100]).iloc[0]
    assert r["tau2"] == 0 and r["i2"] == 0
    assert r["estimate"] == pytest.approx(r["fixed_estimate"])


def test_change_in_proportion_newcombe():
    # Newcombe (1998) example via Wilson limits of each proportion (method 10), by hand:
    # p1 = 56/70, p2 = 48/80; difference p2 - p1.
    r = stats.change_in_proportion(56, 70, 48, 80).iloc[0]
    l1, u1 = stats.proportion_ci(56, 70)
    l2, u2 = stats.proportion_ci(48, 80)
    p1, p2 = 0.8, 0.6
    lower = (p2 - p1) - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    upper = (p2 - p1) + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    assert r["estimate"] == pytest.approx(-0.2)
    assert r["lower"] == pytest.approx(lower, abs=1e-9)
    assert r["upper"] == pytest.approx(upper, abs=1e-9)
    assert 0 < r["p_val"] < 0.05


def test_multiplicative_overdispersion_by_hand():
    # Spiegelhalter (2005), multiplicative: five units of 100, 10/30/30/30/50 events. p0 = 0.3,
    # se = sqrt(0.21 / 100); z = -/+0.2 / se (z^2 = 0.04 / 0.0021 = 19.0476) and 0 three times.
    # Winsorised at 10%: the 10th centile of the sorted z is -z1 + 0.4 z1 = -0.6 z1, so the two
    # extreme z become -/+0.6 z1 and phi = 2 x 0.36 x 19.0476 / 5 = 2.742857.
    # Limits: 0.3 -/+ z_p sqrt(phi x 0.21 / 100) = 0.3 -/+ z_p x sqrt(0.00576) = 0.3 -/+ z_p x 0.0758947.
    r = stats.funnel_significance(numerator=[10, 30, 30, 30, 50], denominator=[100] * 5, adjust_overdispersion="multiplicative")
    assert r["phi"].iloc[0] == pytest.approx(2.742857, abs=1e-6)
    half2, half3 = 1.959964 * 0.0758947, 3.090232 * 0.0758947
    assert r["lower_2s"].iloc[0] == pytest.approx(0.3 - half2, abs=1e-6)
    assert r["upper_3s"].iloc[0] == pytest.approx(0.3 + half3, abs=1e-6)
    assert r["significance"].tolist() == ["Low (0.025)"] + ["Not significant"] * 3 + ["High (0.025)"]
    # Unadjusted (Wilson inversion at n = 100 around 0.3: 3-sigma limits about 0.17 and 0.45),
    # both extremes are beyond the 0.001 limits.
    plain = stats.funnel_significance(numerator=[10, 30, 30, 30, 50], denominator=[100] * 5)
    assert plain["significance"].tolist()[::4] == ["Low (0.001)", "High (0.001)"]
    assert (plain["phi"] == 1).all()
    # phi below 1 never narrows the limits: 20/30/30/30/40 gives phi = 0.6857, limits unchanged.
    r = stats.funnel_significance(numerator=[20, 30, 30, 30, 40], denominator=[100] * 5, adjust_overdispersion="multiplicative")
    assert r["phi"].iloc[0] == 1.0
    assert r["upper_2s"].iloc[0] == pytest.approx(0.3 + 1.959964 * np.sqrt(0.0021), abs=1e-6)
    with pytest.raises(ValueError, match="adjust_overdispersion"):
        stats.funnel_significance(numerator=[1], denominator=[2], adjust_overdispersion="both")


def test_overdispersion_spiegelhalter_by_hand():
    x = np.array([10, 30, 50, 20, 60, 40, 15, 45, 35, 25])
    n = np.full(10, 100)
    r = stats.overdispersion(x, n, winsor=0.0)
    p0 = x.sum() / n.sum()
    z = (x / n - p0) / np.sqrt(p0 * (1 - p0) / n)
    phi = np.mean(z**2)
    w = n / (p0 * (1 - p0))
    tau2 = (10 * phi - 9) / (w.sum() - (w**2).sum() / w.sum())
    assert r["phi"] == pytest.approx(phi)
    assert r["tau2"] == pytest.approx(tau2)


def test_trend_test_by_hand_and_against_statsmodels():
    from statsmodels.stats.contingency_tables import Table

    from homekit.stats import trend_test

    # 10/100, 20/100, 30/100 at scores 0, 1, 2: s_bar = 1, p = 0.2, sum x(s - s_bar) = -10 + 0 + 30 = 20,
    # sum n(s - s_bar)^2 = 200, so chi2 = 20^2 / (0.2 * 0.8 * 200) = 400 / 32 = 12.5.
    r = trend_test([10, 20, 30], [100, 100, 100])
    assert r["chi2"] == pytest.approx(12.5) and r["direction"] == "increasing"
    # statsmodels' linear-by-linear statistic is (N - 1) / N times Armitage's.
    lbl = Table(np.array([[10, 90], [20, 80], [30, 70]])).test_ordinal_association(row_scores=np.arange(3), col_scores=np.array([1, 0]))
    assert lbl.zscore**2 == pytest.approx(12.5 * 299 / 300)
    assert trend_test([5, 5], [10, 10])["direction"] == "not tested"
    assert trend_test([30, 30, 31], [100, 100, 100])["direction"] == "no significant change"


def test_proportions_differ_fisher_for_three_small_units_matches_enumeration():
    from itertools import product
    from math import comb

    from homekit.stats import proportions_differ

    # Yes of n per unit: 2 of 3, 0 of 3, 1 of 2: expected counts under 5, so Fisher's test; with
    # three units scipy estimates it by Monte Carlo. The exact p by enumeration: every table with
    # the same margins (3 Yes among 8), probability C(3,a) C(3,b) C(2,c) / C(8,3), summed over the
    # tables no more likely than the observed one.
    yes, n = [2, 0, 1], [3, 3, 2]
    total = comb(8, 3)
    probs = {t: comb(3, t[0]) * comb(3, t[1]) * comb(2, t[2]) / total
             for t in product(range(4), range(4), range(3)) if sum(t) == 3}
    observed = probs[(2, 0, 1)]
    exact = sum(p for p in probs.values() if p <= observed * (1 + 1e-7))
    r = proportions_differ(yes, n)
    assert r["test"] == "Fisher's exact test (Monte Carlo)"
    assert r["p_val"] == pytest.approx(exact, abs=0.02)
    assert proportions_differ(yes, n)["p_val"] == r["p_val"]  # fixed seed: reproducible
    # one unit, or nobody Yes: nothing to test
    assert proportions_differ([2], [3])["test"] == "not tested"
    assert proportions_differ([0, 0], [3, 4])["test"] == "not tested"
