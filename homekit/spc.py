"""Statistical process control: XmR charts with NHS "Making Data Count" rules.

Follows NHSRplotthedots (``ptd_spc``), which reproduces the NHS England Making Data Count Excel
tool:

* centre line: the mean; moving range MR_i = |y_i - y_(i-1)| within a segment; limits
  mean +/- 2.66 x mean MR. With ``screen_outliers=True`` moving ranges >= 3.267 x mean MR are
  dropped before the mean MR is recomputed (NHSRplotthedots' default; ``False`` is the Excel tool);
* special-cause rules: a point outside the limits; a run of 7 points rising or falling (ties
  break the run); 7 points on one side of the mean (a point on the mean breaks the run); 2 of 3
  points in the outer third of the limits with all 3 on the same side of the mean;
  precedence for the label of a point: outside limits, trend, two-in-three, one side of mean;
* improvement or concern from the direction of the signal against the desired direction: for a
  point outside the limits, in a two-in-three or a one-side-of-the-mean run, its side of the
  mean; for a point of a 7-point trend, the direction of the trend (NHSRplotthedots 0.2.2
  ``ptd_special_cause_type``: seven rising points below the mean are "increasing", hence
  improvement when up is better); a point where a rising and a falling trend meet takes the
  direction on its right, as upstream;
* with ``screen_outliers=True`` and every moving range 0 (a flat basis) every moving range is
  screened out, so there are no limits (NaN) and no point is outside or close to them, as
  upstream (``mean(NA, na.rm = TRUE)`` is NaN); the run rules (trend, one side of the mean)
  still apply to points that differ from a fixed flat basis. Without screening the limits of a
  flat basis equal the mean;
* rebasing (a new segment with its own limits) and limits fixed after the first n points;
  segments of fewer than 12 points carry trial limits and a warning;
* assurance against a target from the last segment's limits.

Other tools call :func:`xmr` by name; its signature and the columns ``mean``, ``lpl``, ``upl``
and ``rule`` are stable.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["xmr", "trend_direction", "assurance", "variation", "track_interventions", "SPCWarning", "MIN_POINTS"]

#: Fewer points than this in a segment gives trial limits (Making Data Count).
MIN_POINTS = 12
LIMIT_FACTOR = 2.66
SCREEN_FACTOR = 3.267

RULES = ("outside_limits", "trend", "two_in_three", "one_side_of_mean")


class SPCWarning(UserWarning):
    """Limits computed from too few points (trial limits)."""


def seven_point_trend(y) -> np.ndarray:
    """+1 (-1) on a point ending 7 strictly rising (falling) points, else 0."""
    y = np.asarray(y, float)
    out = np.zeros(len(y))
    for i in range(6, len(y)):
        d = np.sign(np.diff(y[i - 6 : i + 1]))
        if np.all(d == 1):
            out[i] = 1
        elif np.all(d == -1):
            out[i] = -1
    return out


def trend_direction(y, part_of_trend) -> np.ndarray:
    """+1 (rising) or -1 (falling) for each point of a 7-point trend, 0 elsewhere.

    As NHSRplotthedots 0.2.2 (``ptd_special_cause_type``): a trend point takes the sign of its
    step to the next point when that point is also part of a trend, else the sign of its step
    from the previous point. A tie there (possible only where two trends meet) reads as falling,
    as upstream's ``ifelse(sdy == 1, "In", "De")``.
    """
    y = np.asarray(y, float)
    part = np.asarray(part_of_trend, float) != 0
    n = len(y)
    if n < 2:
        return np.zeros(n)
    step = np.sign(np.diff(y))
    right = np.concatenate([step, step[-1:]])
    left = np.concatenate([[0.0], step])
    next_part = np.concatenate([part[1:], [False]])
    d = np.where(next_part, right, left)
    return np.where(part, np.where(d == 1, 1.0, -1.0), 0.0)


def part_of_run(flags) -> np.ndarray:
    """1 on every point of a 7-point run ending at a flagged point (the flag and the 6 before)."""
    f = np.asarray(flags, float) != 0
    out = np.zeros(len(f))
    for i in np.flatnonzero(f):
        out[max(0, i - 6) : i + 1] = 1
    return out


def seven_point_one_side_mean(relative_to_mean) -> np.ndarray:
    """1 from the 7th consecutive point on the same side of the mean (0 breaks a run)."""
    r = np.asarray(relative_to_mean, float)
    out = np.zeros(len(r))
    for i in range(6, len(r)):
        window = r[i - 6 : i + 1]
        if r[i] != 0 and np.all(window == r[i]):
            out[i] = 1
    return out


def two_in_three(close_to_limits, relative_to_mean) -> np.ndarray:
    """1 on every point of a window of 3 with >= 2 close to the limits, all 3 on one side."""
    c = np.concatenate([[0, 0], np.asarray(close_to_limits, float), [0, 0]])
    r = np.concatenate([[0, 0], np.asarray(relative_to_mean, float), [0, 0]])
    n = len(c) - 4
    out = np.zeros(n)
    for i in range(n):
        for s in (0, 1, 2):
            w = slice(i + s, i + s + 3)
            if c[w].sum() >= 2 and abs(r[w].sum()) == 3:
                out[i] = 1
                break
    return out


def part_of_two_in_three(two_in_three_flags, close_to_limits) -> np.ndarray:
    """Only the close points of a two-in-three window."""
    return ((np.asarray(two_in_three_flags) == 1) & (np.abs(np.asarray(close_to_limits, float)) == 1)).astype(float)


def _limits(y: np.ndarray, screen: bool) -> tuple[float, float]:
    mean = float(np.mean(y))
    mr = np.abs(np.diff(y))
    if len(mr) == 0:
        return mean, np.nan
    amr = float(np.mean(mr))
    if screen:
        kept = mr[mr < SCREEN_FACTOR * amr]
        # Every moving range screened out (all 0): no limits, as NHSRplotthedots.
        amr = float(np.mean(kept)) if len(kept) else np.nan
    return mean, amr


def xmr(
    values=None,
    *,
    x: str | None = None,
    y: str | None = None,
    data: pd.DataFrame | None = None,
    screen_outliers: bool = False,
    rebase=None,
    fix_after_n_points: int | None = None,
    improvement: str | None = None,
    index=None,
    baseline_limits: bool = False,
) -> pd.DataFrame:
    """An XmR chart: limits, special-cause rules and point types, one row per point.

    Parameters
    ----------
    values : array-like or DataFrame
        The series, in time order; or a long-form table with ``y`` (and ``x``) columns, as
        ``xmr(data, x="period", y="value")`` (``data=`` works too).
    x, y : str, optional
        With a table: the column of point labels (periods) and the column of values.
    screen_outliers : bool
        Drop moving ranges >= 3.267 x mean MR before computing the limits (default False, as
        the Making Data Count Excel tool).
    rebase : list of int, optional
        Positions (0-based) where a new segment with its own limits starts.
    fix_after_n_points : int, optional
        Compute each segment's limits from its first n points and extend them.
    improvement : {"up", "down", None}
        Desired direction; gives ``point_type`` improvement or concern (None: neutral).
    index : array-like, optional
        Labels of the points (e.g. periods), kept as the frame's ``x`` column.
    baseline_limits : bool
        With ``rebase``: every later segment is judged against the first segment's mean and limits
        (the baseline's, extended), while the run rules start afresh in each segment, as
        NHSRplotthedots evaluates each rebased segment on its own. This is how an intervention is
        judged: a run that starts before the split is not a signal of the change, and no point
        before the split is flagged by points after it.

    Returns
    -------
    DataFrame
        ``x, y, segment, mean, mr, amr, lpl, upl, outside_limits, relative_to_mean,
        close_to_limits, trend, rule, special_cause, point_type, trial_limits``. ``rule`` is the
        first rule that flags the point (precedence: outside_limits, trend, two_in_three,
        one_side_of_mean), blank when none.

    Examples
    --------
    >>> r = xmr([1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1])
    >>> round(r["mean"][0], 2), round(r["lpl"][0], 2), round(r["upl"][0], 2)
    (1.94, -3.06, 6.95)
    >>> r["rule"][4]
    'outside_limits'
    >>> months = pd.DataFrame({"period": range(18), "value": [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]})
    >>> xmr(months, x="period", y="value")["rule"][4]
    'outside_limits'
    """
    table = data if data is not None else values
    if isinstance(table, pd.DataFrame):
        if y is None or y not in table.columns:
            raise ValueError(f"xmr: with a table, y must name its column of values (columns: {', '.join(map(str, table.columns))})")
        if x is not None and x not in table.columns:
            raise ValueError(f"xmr: x={x!r} is not a column of the table")
        values, index = table[y].to_numpy(), (table[x].tolist() if x is not None else index)
    elif x is not None or y is not None:
        raise ValueError("xmr: x and y name columns of a table given as data")
    y = np.asarray(values, dtype=float)
    if np.isnan(y).any():
        raise ValueError("xmr: values must not be missing")
    if improvement not in ("up", "down", None):
        raise ValueError("improvement must be 'up', 'down' or None")
    n = len(y)
    starts = sorted({0, *[int(p) for p in (rebase or []) if 0 < int(p) < n]})
    segment = np.zeros(n, dtype=int)
    for k, s in enumerate(starts):
        segment[s:] = k
    out = pd.DataFrame({"x": np.arange(n) if index is None else list(index), "y": y, "segment": segment})
    mean = np.empty(n)
    amr = np.empty(n)
    mr = np.full(n, np.nan)
    trial = np.zeros(n, bool)
    short = []
    for k in range(len(starts)):
        idx = np.flatnonzero(segment == k)
        seg = y[idx]
        mr[idx[1:]] = np.abs(np.diff(seg))
        if baseline_limits and k > 0:  # the baseline's limits, extended (trial if the baseline was short)
            basis = y[segment == 0]
            basis = basis[:fix_after_n_points] if fix_after_n_points else basis
        else:
            basis = seg[:fix_after_n_points] if fix_after_n_points else seg
        m, a = _limits(basis, screen_outliers)
        mean[idx], amr[idx] = m, a
        if len(basis) < MIN_POINTS:
            trial[idx] = True
            short.append(len(basis))
    if short:
        warnings.warn(
            f"limits computed from {min(short)} points; fewer than {MIN_POINTS} give trial limits only",
            SPCWarning,
            stacklevel=2,
        )
    lpl = mean - LIMIT_FACTOR * amr
    upl = mean + LIMIT_FACTOR * amr
    outside = (y > upl) | (y < lpl)
    rel = np.sign(y - mean)
    near_upper = mean + (2 / 3) * LIMIT_FACTOR * amr
    near_lower = mean - (2 / 3) * LIMIT_FACTOR * amr
    close = ~outside & ((y > near_upper) | (y < near_lower))
    flags = {r: np.zeros(n, bool) for r in RULES}
    trend_sign = np.zeros(n)
    trend_dir = np.zeros(n)
    for k in range(len(starts)):
        idx = np.flatnonzero(segment == k)
        t = seven_point_trend(y[idx])
        trend_sign[idx] = t
        flags["trend"][idx] = part_of_run(t) == 1
        trend_dir[idx] = trend_direction(y[idx], flags["trend"][idx])
        flags["one_side_of_mean"][idx] = part_of_run(seven_point_one_side_mean(rel[idx])) == 1
        flags["two_in_three"][idx] = part_of_two_in_three(two_in_three(close[idx], rel[idx]), close[idx]) == 1
    flags["outside_limits"] = outside
    rule = np.full(n, "", dtype=object)
    for r in reversed(RULES):  # so that the first rule in precedence wins
        rule[flags[r]] = r
    special = rule != ""
    # The direction of each signal: a trend's direction for trend points, else the side of the mean.
    direction = np.where(rule == "trend", trend_dir, rel)
    if improvement is None:
        ptype = np.where(special, np.where(direction > 0, "special_cause_neutral_high", "special_cause_neutral_low"), "common_cause")
    else:
        want = 1 if improvement == "up" else -1
        ptype = np.where(special, np.where(direction == want, "special_cause_improvement", "special_cause_concern"), "common_cause")
    out["mean"], out["mr"], out["amr"], out["lpl"], out["upl"] = mean, mr, amr, lpl, upl
    out["outside_limits"] = outside
    out["relative_to_mean"] = rel.astype(int)
    out["close_to_limits"] = close
    out["trend"] = trend_sign.astype(int)
    out["rule"] = rule
    out["special_cause"] = special
    out["point_type"] = ptype
    out["trial_limits"] = trial
    return out


def assurance(chart: pd.DataFrame, target: float | None, improvement: str | None) -> str | None:
    """Whether the process will meet ``target``: consistent_pass, consistent_fail or inconsistent.

    Read from the last segment's limits (as NHSRplotthedots); None without a target or direction.
    """
    if target is None or improvement is None or pd.isna(target):
        return None
    last = chart.iloc[-1]
    up = improvement == "up"
    if target > last["upl"]:
        return "consistent_fail" if up else "consistent_pass"
    if target < last["lpl"]:
        return "consistent_pass" if up else "consistent_fail"
    return "inconsistent"


def variation(chart: pd.DataFrame, since: int = 0) -> str:
    """The variation of points from position ``since``: special_cause_improvement,
    special_cause_concern, special_cause_neutral or common_cause (the latest special cause wins
    when both improvement and concern occur)."""
    pts = chart.iloc[since:]
    special = pts.loc[pts["special_cause"]]
    if special.empty:
        return "common_cause"
    last = special["point_type"].iloc[-1]
    return "special_cause_neutral" if last.startswith("special_cause_neutral") else last


VERDICT_TEXT = {
    "special_cause_improvement": "special cause improvement",
    "special_cause_concern": "special cause concern",
    "special_cause_neutral": "special cause variation (no direction set)",
    "common_cause": "common cause variation only",
}


@dataclass
class Tracked:
    """One tracked intervention: its chart (baseline limits extended, for the verdict), the
    rebased chart (for display) and the verdict."""

    intervention: dict
    chart: pd.DataFrame
    rebased: pd.DataFrame
    verdict: str
    text: str


def track_interventions(flow: pd.DataFrame, interventions: pd.DataFrame, *, screen_outliers: bool = False) -> tuple[pd.DataFrame, list[Tracked]]:
    """Judge every intervention against its metric's baseline.

    For each intervention the metric's monthly series is split at ``start_period``. Limits are
    computed from the months before the start and extended, and the rules are applied to the
    months from the start on their own (``baseline_limits``: a run of points that began before the
    start is not a signal of the intervention, and no month before the start is flagged by months
    after it): a special cause there in the desired direction
    is "special cause improvement", against it "special cause concern", none "common cause
    variation only". The display chart is rebased at the start (limits recomputed on each side).

    The metric may be any metric of ``flow`` (custom ones included). Where its rows carry a
    ``denominator`` the metric is a proportion and the chart is an **XmR chart of the monthly
    proportion** value / denominator (the Making Data Count approach for percentages; not a
    p-chart: limits do not vary with each month's denominator), ``measure`` reads
    ``proportion`` and a target is read as a proportion.

    Returns
    -------
    (table, tracked)
        ``table``: intervention_id, site_id, name, metric, measure, desired_direction,
        start_period, opportunity_id, action_type, lever, n_before, n_after, mean_before,
        mean_after, verdict, verdict_text, assurance, note. ``tracked``: a :class:`Tracked` per
        intervention, for charts.
    """
    rows, tracked = [], []
    for iv in interventions.to_dict("records"):
        series = flow.loc[(flow["site_id"] == iv["site_id"]) & (flow["metric"] == iv["metric"])].sort_values("period")
        start = pd.Period(str(iv["start_period"]), "M")
        periods = series["period"].to_numpy()
        values = series["value"].to_numpy(float)
        proportion = "denominator" in series.columns and series["denominator"].notna().any()
        if proportion:
            den = pd.to_numeric(series["denominator"], errors="coerce").to_numpy(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                values = values / den
        keep = np.isfinite(values)  # a month with no value (e.g. withheld where published) is left out
        periods, values = periods[keep], values[keep]
        n_before = int(sum(p < start for p in periods))
        n_after = len(values) - n_before
        base = {k: iv[k] for k in ("intervention_id", "site_id", "name", "metric")}
        base["measure"] = "proportion" if proportion else "value"
        base["desired_direction"] = iv["desired_direction"]
        base["start_period"] = str(start)
        for k in ("opportunity_id", "action_type", "lever"):
            v = iv.get(k)
            base[k] = None if v is None or pd.isna(v) else str(v)
        note = []
        if n_before < 2 or n_after < 1:
            rows.append({**base, "n_before": n_before, "n_after": n_after, "mean_before": np.nan, "mean_after": np.nan,
                         "verdict": "not_assessable", "verdict_text": "not enough data before and after the start",
                         "assurance": None, "note": ""})
            continue
        if n_before < MIN_POINTS:
            note.append(f"baseline of {n_before} months (<{MIN_POINTS}): trial limits")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SPCWarning)
            chart = xmr(values, screen_outliers=screen_outliers, rebase=[n_before], baseline_limits=True,
                        improvement=iv["desired_direction"], index=[str(p) for p in periods])
            rebased = xmr(values, screen_outliers=screen_outliers, rebase=[n_before],
                          improvement=iv["desired_direction"], index=[str(p) for p in periods])
        verdict = variation(chart, since=n_before)
        target = iv.get("target")
        target = None if target is None or pd.isna(target) else float(target)
        rows.append({**base, "n_before": n_before, "n_after": n_after, "mean_before": float(values[:n_before].mean()),
                     "mean_after": float(values[n_before:].mean()), "verdict": verdict,
                     "verdict_text": VERDICT_TEXT[verdict], "assurance": assurance(rebased, target, iv["desired_direction"]),
                     "note": "; ".join(note)})
        tracked.append(Tracked(iv, chart, rebased, verdict, VERDICT_TEXT[verdict]))
    return pd.DataFrame(rows), tracked


#: Making Data Count colours.
