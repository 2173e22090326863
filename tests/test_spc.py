"""XmR limits and Making Data Count rules against NHSRplotthedots v0.2.2 (../shared/oracles/spc),
with the key figures as literals, and the interventions of the example data."""


import numpy as np
import pandas as pd
import pytest

import homekit
from homekit import spc

# R: set.seed(123); rnorm(20) (tests/testthat/_snaps/ptd_spc_standard.md)
RNORM123 = [-0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621, -1.26506123,
            -0.68685285, -0.44566197, 1.2240818, 0.35981383, 0.40077145, 0.11068272, -0.55584113, 1.78691314,
            0.49785048, -1.96661716, 0.7013559, -0.47279141]
DEVIATIONS = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


@pytest.mark.parametrize(
    "series, screen, mean, lpl, upl, tol",
    [
        (RNORM123, True, 0.1416238, -3.01138, 3.294627, 1e-6),  # snapshot r1
        ("y15", True, 0.6694159, -2.383666, 3.722497, 1e-6),  # snapshot r2
        ("y15", False, 0.6694159, -4.596625, 5.935457, 1e-6),  # snapshot r3
        (DEVIATIONS, True, 1.94, -0.72, 4.6, 0.005),  # vignettes/deviations.Rmd
        (DEVIATIONS, False, 1.94, -3.06, 6.95, 0.005),  # = MDC Excel output
    ],
)
def test_xmr_limits_literals(series, screen, mean, lpl, upl, tol):
    if series == "y15":
        series = list(RNORM123)
        series[14] = 10
    c = spc.xmr(series, screen_outliers=screen)
    assert c["mean"].iloc[0] == pytest.approx(mean, abs=tol)
    assert c["lpl"].iloc[0] == pytest.approx(lpl, abs=tol)
    assert c["upl"].iloc[0] == pytest.approx(upl, abs=tol)


def test_rnorm123_is_common_cause():
    # ptd_spc snapshot: 20 common cause, 0 special cause
    c = spc.xmr(RNORM123, screen_outliers=True, improvement="up")
    assert (c["point_type"] == "common_cause").all()


def test_xmr_matches_oracle_files(shared_dir):
    s = pd.read_csv(shared_dir / "oracles" / "spc" / "xmr_series.csv")
    e = pd.read_csv(shared_dir / "oracles" / "spc" / "xmr_expected.csv")
    for r in e.itertuples():
        y = s.loc[s.series_id == r.series_id].sort_values("i")["y"]
        c = spc.xmr(y, screen_outliers=bool(r.screen_outliers))
        for col, val in (("mean", r.mean), ("lpl", r.lpl), ("upl", r.upl)):
            assert c[col].iloc[0] == pytest.approx(val, abs=r.abs_tol), (r.series_id, col)


# tests/testthat/test-ptd_calculate_point_type.R, as rule_cases.csv
RULE_CASES = [
    ("seven_point_trend", "1 2 3 4 5 6 7", None, "0 0 0 0 0 0 1"),
    ("seven_point_trend", "1 2 3 3 4 5 6", None, "0 0 0 0 0 0 0"),
    ("seven_point_trend", "2 7 6 5 4 3 2 1 3", None, "0 0 0 0 0 0 0 -1 0"),
    ("part_of_seven_trend", "0 0 0 0 0 0 0 1 0", None, "0 1 1 1 1 1 1 1 0"),
    ("seven_point_one_side_mean", "1 1 1 1 1 1 1 1 -1", None, "0 0 0 0 0 0 1 1 0"),
    ("seven_point_one_side_mean", "1 1 1 1 1 1 -1", None, "0 0 0 0 0 0 0"),
    ("two_in_three", "0 0 1 1 0 0 0", "1 1 1 1 1 1 1", "0 1 1 1 1 0 0"),
    ("two_in_three", "1 0 1", "1 -1 1", "0 0 0"),
    ("part_of_two_in_three", "1 0 0 1 1", "1 1 1 1 1", "0 0 0 1 1"),
]


def _apply(rule, a, b):
    return {
        "seven_point_trend": lambda: spc.seven_point_trend(a),
        "part_of_seven_trend": lambda: spc.part_of_run(a),
        "seven_point_one_side_mean": lambda: spc.seven_point_one_side_mean(a),
        "two_in_three": lambda: spc.two_in_three(a, b),
        "part_of_two_in_three": lambda: spc.part_of_two_in_three(spc.two_in_three(a, b), a),
    }[rule]()


def _vec(s):
    return [float(v) for v in s.split()]


@pytest.mark.parametrize("rule, inp, rtm, expected", RULE_CASES)
def test_rule_literals(rule, inp, rtm, expected):
    assert list(_apply(rule, _vec(inp), None if rtm is None else _vec(rtm))) == _vec(expected)


def test_rule_cases_file(shared_dir):
    rc = pd.read_csv(shared_dir / "oracles" / "spc" / "rule_cases.csv")
    for r in rc.itertuples():
        b = _vec(r.relative_to_mean) if isinstance(r.relative_to_mean, str) else None
        assert list(_apply(r.rule, _vec(r.input), b)) == _vec(r.expected), (r.rule, r.input)


def test_precedence_and_direction():
    # Baseline 8, 12 alternating: mean 10, mean MR 4, limits 10 -/+ 10.64 (by hand).
    y = [8, 12] * 6 + [10.5, 11, 11.5, 12, 12.5, 13, 13.5] + [40]
    c = spc.xmr(y, improvement="down", fix_after_n_points=12)
    assert c["upl"].iloc[0] == pytest.approx(20.64)
    assert c["rule"].iloc[-1] == "outside_limits"
    assert c["point_type"].iloc[-1] == "special_cause_concern"  # up is bad when improvement is down
    # 7 rising points, all above the mean: both the trend and one-side rules hold; trend wins.
    assert list(c["rule"].iloc[12:19]) == ["trend"] * 7
    # The last baseline point (12) is above the mean too, so it starts the 8-point run on one side.
    assert c["rule"].iloc[11] == "one_side_of_mean"
    assert (c["rule"].iloc[:11] == "").all()


def test_trend_takes_direction_from_the_trend_not_the_side_of_the_mean():
    # Baseline 20, 30 alternating: mean 25, mean MR 10, limits 25 -/+ 26.6 (by hand). Then seven
    # strictly rising points all below the mean (10..16): NHSRplotthedots 0.2.2 labels them
    # "7 Point Trend (Increasing)", hence improvement when up is better, concern when down is.
    y = [20, 30] * 6 + [10, 11, 12, 13, 14, 15, 16]
    up = spc.xmr(y, improvement="up", fix_after_n_points=12)
    assert up["upl"].iloc[0] == pytest.approx(51.6)
    assert (up["relative_to_mean"].iloc[12:] == -1).all()
    assert list(up["rule"].iloc[12:]) == ["trend"] * 7
    assert list(up["point_type"].iloc[12:]) == ["special_cause_improvement"] * 7
    down = spc.xmr(y, improvement="down", fix_after_n_points=12)
    assert list(down["point_type"].iloc[12:]) == ["special_cause_concern"] * 7
    neutral = spc.xmr(y, fix_after_n_points=12)
    assert list(neutral["point_type"].iloc[12:]) == ["special_cause_neutral_high"] * 7
    # ... and the verdict of an intervention flips with it.
    assert spc.variation(up, since=12) == "special_cause_improvement"


def test_trend_direction_where_two_trends_meet():
    # Upstream test-ptd_calculate_point_type.R style by hand: 1..7 rising then 6..0 falling. The
    # peak (7) is part of both trends; its next point is part of a trend, so it takes the step on
    # its right (falling), as ptd_special_cause_type.
    y = [1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]
    part = spc.part_of_run(spc.seven_point_trend(y))
    assert part.tolist() == [1.0] * 13
    assert spc.trend_direction(y, part).tolist() == [1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1]


def test_screening_a_flat_basis_gives_no_limits_and_no_flags():
    # Every moving range 0: screening drops them all (MR < 3.267 x 0 is never true), so the mean
    # moving range is mean(NA, na.rm = TRUE) = NaN upstream: no limits, no flags.
    c = spc.xmr([5.0] * 15, screen_outliers=True, improvement="up")
    assert c["mean"].iloc[0] == 5
    assert c[["lpl", "upl"]].isna().all().all()
    assert not c["outside_limits"].any() and not c["close_to_limits"].any()
    assert not c["special_cause"].any()
    assert spc.variation(c) == "common_cause"
    # A fixed flat basis followed by a single different point: no limits, so not "outside".
    c = spc.xmr([5.0] * 12 + [9.0], screen_outliers=True, fix_after_n_points=12, improvement="up")
    assert np.isnan(c["upl"].iloc[-1]) and not c["special_cause"].any()
    # Without screening the limits of a flat basis collapse on the mean, so 9 is outside them.
    c = spc.xmr([5.0] * 12 + [9.0], screen_outliers=False, fix_after_n_points=12, improvement="up")
    assert c["upl"].iloc[-1] == 5 and c["rule"].iloc[-1] == "outside_limits"


def test_trial_limits_warning_and_rebase():
    with pytest.warns(spc.SPCWarning, match="fewer than 12"):
        c = spc.xmr([1, 2, 3, 2, 1, 2, 3, 2], rebase=[4])
    assert c["trial_limits"].all()
    assert c["mean"].iloc[0] == 2 and c["mean"].iloc[-1] == 2
    assert np.isnan(c["mr"].iloc[4])  # the moving range restarts at a rebase


def test_assurance():
    c = spc.xmr(DEVIATIONS)  # limits -3.06 .. 6.95
    assert spc.assurance(c, 8, "up") == "consistent_fail"
    assert spc.assurance(c, -4, "up") == "consistent_pass"
    assert spc.assurance(c, 8, "down") == "consistent_pass"
    assert spc.assurance(c, 2, "up") == "inconsistent"
    assert spc.assurance(c, None, "up") is None


def test_example_interventions_called_correctly(example_dir):
    from homekit.example_data import _INTERVENTIONS, _PROPORTION_INTERVENTIONS

    data = homekit.load_data_dir(example_dir)
    table, tracked = spc.track_interventions(data["flow_metrics"], data["interventions"])
    truth = {iid: shift for _s, iid, _n, _st, _m, _d, shift in _INTERVENTIONS}
    truth.update({iid: after - before for _s, iid, _n, _st, _m, _d, before, after, _o in _PROPORTION_INTERVENTIONS})
    assert set(table.loc[table["intervention_id"].isin(["bir02", "wil02"]), "measure"]) == {"proportion"}
    for r in table.itertuples():
        expected = "special_cause_improvement" if truth[r.intervention_id] != 0 else "common_cause"
        assert r.verdict == expected, (r.site_id, r.verdict)
    assert len(tracked) == len(table)


def test_xmr_long_form_matches_the_series_form():
    # The same RNORM123 series as a table of periods, shuffled: xmr(data, x=, y=) takes the table in
    # the order given, so sort first as a user would; limits as the NHSRplotthedots snapshot above.
    table = pd.DataFrame({"period": pd.period_range("2020-01", periods=20, freq="M").astype(str), "value": RNORM123})
    long = spc.xmr(table, x="period", y="value")
    plain = spc.xmr(RNORM123)
    pd.testing.assert_series_equal(long["upl"], plain["upl"])
    assert long["x"].tolist() == table["period"].tolist()
    assert spc.xmr(data=table, y="value")["mean"].iloc[0] == pytest.approx(np.mean(RNORM123))
    with pytest.raises(ValueError, match="y must name its column"):
        spc.xmr(table, x="period")
    with pytest.raises(ValueError, match="x and y name columns"):
        spc.xmr(RNORM123, y="value")


def test_proportion_metric_tracked_as_xmr_of_the_proportion():
    # A custom metric with a denominator: the chart is of value / denominator. Baseline 12 months
    # at 5/10 and 6/10 alternating (mean 0.55, mean MR 0.1, limits 0.55 -/+ 0.266), then 4 months
    # at 9/10 = 0.9 > 0.816: outside the limits, improvement when up is better.
    periods = [str(p) for p in pd.period_range("2019-01", periods=16, freq="M")]
    value = [5, 6] * 6 + [9] * 4
    flow = pd.DataFrame({"site_id": "a", "period": pd.PeriodIndex(periods, freq="M"), "metric": "home_first_share",
                         "value": [float(v) for v in value], "denominator": 10.0})
    ivs = pd.DataFrame([{"intervention_id": "i1", "site_id": "a", "name": "Home first", "start_period": "2020-01",
                         "metric": "home_first_share", "desired_direction": "up", "opportunity_id": "o1",
                         "action_type": "training", "lever": "behaviour_culture"}])
    table, tracked = spc.track_interventions(flow, ivs)
    row = table.iloc[0]
    assert row["measure"] == "proportion" and row["n_before"] == 12
    assert row["mean_before"] == pytest.approx(0.55) and row["mean_after"] == pytest.approx(0.9)
    assert tracked[0].chart["upl"].iloc[-1] == pytest.approx(0.55 + 2.66 * 0.1)
    assert row["verdict"] == "special_cause_improvement"
    assert (row["opportunity_id"], row["action_type"], row["lever"]) == ("o1", "training", "behaviour_culture")
    # The same counts without the denominator are tracked as values (mean 5.5).
    table, _ = spc.track_interventions(flow.drop(columns="denominator"), ivs)
    assert table.iloc[0]["measure"] == "value" and table.iloc[0]["mean_before"] == pytest.approx(5.5)


def test_a_run_that_starts_before_the_intervention_is_not_its_signal():
    # Baseline (12 months): 12, 10 alternating for 9 months, then 10.6 three times. Mean 131.8 / 12
    # = 10.983; mean moving range (8 x 2 + 1.4 + 0 + 0) / 11 = 1.582; limits 10.983 -/+ 4.208, the
    # outer third beyond -/+ 2.805. After the start: four months at 10.5, below the mean but well
    # inside the limits. Months 10-12 and 13-16 make 7 in a row below the mean, but only 4 of them
    # follow the start: not a signal of the intervention, and no baseline month is flagged.
    y = [12, 10, 12, 10, 12, 10, 12, 10, 12, 10.6, 10.6, 10.6, 10.5, 10.5, 10.5, 10.5]
    periods = [str(p) for p in pd.period_range("2019-01", periods=len(y), freq="M")]
    flow = pd.DataFrame({"site_id": "a", "period": pd.PeriodIndex(periods, freq="M"), "metric": "delayed_days_nhs", "value": y})
    ivs = pd.DataFrame([{"intervention_id": "i1", "site_id": "a", "name": "x", "start_period": "2020-01", "metric": "delayed_days_nhs",
                         "desired_direction": "down"}])
    table, tracked = spc.track_interventions(flow, ivs)
    chart = tracked[0].chart
    assert chart["mean"].iloc[-1] == pytest.approx(131.8 / 12) and chart["upl"].iloc[-1] == pytest.approx(131.8 / 12 + 2.66 * 17.4 / 11)
    assert not chart["special_cause"].any()
    assert table.iloc[0]["verdict"] == "common_cause"
    # Seven months after the start below the baseline mean are a signal (improvement, lower is better).
    flow2 = pd.concat([flow, pd.DataFrame({"site_id": "a", "period": pd.period_range("2020-05", periods=3, freq="M"),
                                           "metric": "delayed_days_nhs", "value": [10.5] * 3})], ignore_index=True)
    table, tracked = spc.track_interventions(flow2, ivs)
    assert table.iloc[0]["verdict"] == "special_cause_improvement"
    assert not tracked[0].chart["special_cause"].iloc[:12].any()  # the baseline months stay unflagged
