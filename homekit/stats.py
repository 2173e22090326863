"""Intervals, funnels, pooling and change: thin over statsmodels, scipy and pingouin.

Conventions follow PHEindicatormethods (Fingertips technical guidance) so that figures match
what public health analysts already publish:

* proportions: Wilson score interval (statsmodels ``proportion_confint(method="wilson")``);
  Clopper-Pearson on request (``method="exact"``);
* counts and rates: Byar's approximation, exact (chi-square) limits below 10 events;
* means: Student's t interval;
* funnel plots for proportions: control limits from the closed-form inversion of the Wilson
  interval around the baseline (0.975 and 0.999, i.e. about 2 and 3 sigma), with Spiegelhalter's
  (2005) additive (random effects, tau2) or multiplicative (phi) over-dispersion adjustment
  available (:func:`funnel_significance` ``adjust_overdispersion``);
* pooling of site proportions: DerSimonian-Laird random effects (statsmodels
  ``combine_effects``) on the logit scale, with tau2, I2 and Cochran's Q.

Every function takes scalars or arrays; the table-returning ones give tidy DataFrames with the
columns ``estimate, lower, upper, numerator, denominator, method``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats as _st
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, test_proportions_2indep

__all__ = [
    "proportion_ci",
    "rate_ci",
    "mean_ci",
    "proportions",
    "rates",
    "funnel_limits",
    "funnel_points",
    "funnel_significance",
    "overdispersion",
    "pool_proportions",
    "change_in_proportion",
    "newcombe_difference",
    "welch_difference",
    "interval_verdict",
    "trend_test",
    "proportions_differ",
    "stratified_difference",
]

_PROPORTION_METHODS = {"wilson": "wilson", "exact": "beta", "clopper-pearson": "beta"}


def _z(confidence: float) -> float:
    _check_confidence(confidence)
    return float(_st.norm.ppf(0.5 + confidence / 2))


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")


def proportion_ci(numerator, denominator, *, confidence: float = 0.95, method: str = "wilson"):
    """Confidence limits of a proportion ``numerator / denominator``.

    Parameters
    ----------
    numerator, denominator : float or array-like
        Counts; non-integer numerators are allowed (Wilson). A zero denominator gives NaN.
    confidence : float
        Two-sided confidence level, default 0.95.
    method : {"wilson", "exact"}
        Wilson score (default) or Clopper-Pearson exact.

    Returns
    -------
    (lower, upper)
        Floats for scalar input, arrays otherwise; proportions between 0 and 1.

    Examples
    --------
    >>> lo, hi = proportion_ci(65, 100)
    >>> round(lo, 6), round(hi, 6)
    (0.552544, 0.736358)
    """
    if method not in _PROPORTION_METHODS:
        raise ValueError(f"method must be one of {sorted(_PROPORTION_METHODS)}, got {method!r}")
    _check_confidence(confidence)
    scalar = np.ndim(numerator) == 0 and np.ndim(denominator) == 0
    x = np.atleast_1d(np.asarray(numerator, dtype=float))
    n = np.atleast_1d(np.asarray(denominator, dtype=float))
    x, n = np.broadcast_arrays(x, n)
    bad = ~np.isfinite(x) | ~np.isfinite(n) | (n <= 0)
    if np.any((x < 0) & ~bad) or np.any((x > n) & ~bad):
        raise ValueError("numerators must lie between 0 and the denominator")
    lo = np.full(x.shape, np.nan)
    hi = np.full(x.shape, np.nan)
    ok = ~bad
    if ok.any():
        lo[ok], hi[ok] = proportion_confint(x[ok], n[ok], alpha=1 - confidence, method=_PROPORTION_METHODS[method])
    if scalar:
        return float(lo[0]), float(hi[0])
    return lo, hi


def rate_ci(count, *, confidence: float = 0.95, method: str = "auto"):
    """Confidence limits for an observed count of events (Poisson).

    ``method="auto"`` (default): Byar's approximation for 10 events or more, exact limits from
    the chi-square distribution below 10, as PHEindicatormethods' ``phe_rate``. ``"byars"`` or
    ``"exact"`` force one method (a negative Byar lower limit is returned as NaN). Divide by the
    denominator (and multiply) for a rate.

    Examples
    --------
    >>> [round(v, 4) for v in rate_ci(65)]
    [50.1632, 82.8491]
    >>> [round(v, 4) for v in rate_ci(5)]
    [1.6235, 11.6683]
    """
    z = _z(confidence)
    scalar = np.ndim(count) == 0
    x = np.atleast_1d(np.asarray(count, dtype=float))
    if np.any(x < 0):
        raise ValueError("counts must be >= 0")
    if method not in ("auto", "byars", "exact"):
        raise ValueError(f"method must be 'auto', 'byars' or 'exact', got {method!r}")
    alpha = 1 - confidence
    lo = np.full(x.shape, np.nan)
    hi = np.full(x.shape, np.nan)
    small = {"auto": x < 10, "byars": np.zeros(x.shape, bool), "exact": np.ones(x.shape, bool)}[method]
    xs = x[small]
    with np.errstate(divide="ignore", invalid="ignore"):
        lo[small] = np.where(xs == 0, 0.0, _st.chi2.ppf(alpha / 2, 2 * xs) / 2)
        hi[small] = _st.chi2.ppf(1 - alpha / 2, 2 * xs + 2) / 2
        xb = x[~small]
        byar_lo = xb * (1 - 1 / (9 * xb) - z / (3 * np.sqrt(xb))) ** 3
        lo[~small] = np.where(byar_lo < 0, np.nan, byar_lo)
        hi[~small] = (xb + 1) * (1 - 1 / (9 * (xb + 1)) + z / (3 * np.sqrt(xb + 1))) ** 3
    if scalar:
        return float(lo[0]), float(hi[0])
    return lo, hi


def mean_ci(values, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` (missing dropped) with a Student's t interval: (mean, lower, upper).

    Examples
    --------
    >>> m, lo, hi = mean_ci([1, 2, 3, 4, 5])
    >>> m, round(lo, 4), round(hi, 4)
    (3.0, 1.0367, 4.9633)
    """
    _check_confidence(confidence)
    v = pd.to_numeric(pd.Series(values, dtype="Float64"), errors="coerce").dropna().to_numpy(float)
    n = len(v)
    if n == 0:
        return np.nan, np.nan, np.nan
    m = float(v.mean())
    if n < 2:
        return m, np.nan, np.nan
    half = _st.t.ppf(0.5 + confidence / 2, n - 1) * v.std(ddof=1) / np.sqrt(n)
    return m, m - half, m + half


def _counts_frame(data, numerator, denominator) -> pd.DataFrame:
    """``data`` with float ``numerator`` and ``denominator`` columns (or a new frame from arrays)."""
    if data is None:
        return pd.DataFrame({"numerator": np.asarray(numerator, float), "denominator": np.asarray(denominator, float)})
    out = data.copy()
    out["numerator"] = pd.to_numeric(data[numerator]).astype(float)
    out["denominator"] = pd.to_numeric(data[denominator]).astype(float)
    return out


def proportions(
    data: pd.DataFrame | None = None,
    *,
    numerator="numerator",
    denominator="denominator",
    confidence: float = 0.95,
    method: str = "wilson",
) -> pd.DataFrame:
    """Add ``estimate, lower, upper, method`` to a table of numerators and denominators.

    Parameters
    ----------
    data : DataFrame, optional
        Long-form data; ``numerator`` and ``denominator`` name its columns. Without ``data``,
        they are arrays.

    Returns
    -------
    DataFrame
        The input columns plus ``numerator, denominator, estimate, lower, upper, method``.

    Examples
    --------
    >>> df = pd.DataFrame({"site": ["a", "b"], "x": [65, 1045], "n": [100, 5000]})
    >>> proportions(df, numerator="x", denominator="n")[["estimate", "lower"]].round(4).values.tolist()
    [[0.65, 0.5525], [0.209, 0.198]]
    """
    out = _counts_frame(data, numerator, denominator)
    x = out["numerator"].to_numpy(float)
    n = out["denominator"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["estimate"] = np.where(n > 0, x / n, np.nan)
    out["lower"], out["upper"] = proportion_ci(x, n, confidence=confidence, method=method)
    out["method"] = "Wilson" if method == "wilson" else "Clopper-Pearson"
    return out


def rates(
    data: pd.DataFrame | None = None,
    *,
    count="count",
    population="population",
    multiplier: float = 100_000,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Crude rates per ``multiplier`` with Byar (exact below 10) limits, as ``phe_rate``.

    Examples
    --------
    >>> rates(count=[65], population=[100], multiplier=100)[["estimate", "lower", "upper"]].round(4).values.tolist()
    [[65.0, 50.1632, 82.8491]]
    """
    out = _counts_frame(data, count, population)
    x = out["numerator"].to_numpy(float)
    n = out["denominator"].to_numpy(float)
    lo, hi = rate_ci(x, confidence=confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["estimate"] = x / n * multiplier
        out["lower"] = lo / n * multiplier
        out["upper"] = hi / n * multiplier
    out["method"] = np.where(x < 10, "Exact", "Byars")
    return out


# ---------------------------------------------------------------------------------------------
# Funnel plots
# ---------------------------------------------------------------------------------------------


def _wilson_inverse(p: float, population, baseline: float, side: str):
    """Proportion at which the Wilson interval of ``population`` trials just reaches ``baseline``.

    Closed-form solution of the Wilson score equation for the observed proportion (as
    PHEindicatormethods' ``sigma_adjustment``); ``p`` is the one-sided probability (0.975, 0.999).
    """
    z2 = _st.norm.ppf(p) ** 2
    n = np.asarray(population, float)
    first = baseline * (n / z2 + 1)
    disc = (-8 * baseline * (n / z2 + 1)) ** 2 - 64 * (1 / z2 + 1 / n) * baseline * (
        n * (baseline * (n / z2 + 2) - 1) + z2 * (baseline - 1)
    )
    root = np.sqrt(np.maximum(disc, 0))
    last = 1 / z2 + 1 / n
    sign = -1 if side == "low" else 1
    return (first + sign * root / 8) / last / n


def funnel_points(denominator) -> np.ndarray:
    """The 100 axis points PHEindicatormethods draws funnel limits at, from the denominators."""
    d = np.asarray(denominator, float)
    lo, hi = np.nanmin(d), np.nanmax(d)

    def floor_sig(x, down=0.95):
        digits = len(str(int(np.floor(x * down)))) - 1
        return np.floor(x * down / 10**digits) * 10**digits if x else 0.0

    def ceil_sig(x, up=1.05):
        digits = len(str(int(np.ceil(x * up)))) - 2
        return np.ceil(x * up / 10**digits) * 10**digits if x else 0.0

    axis_min = 0.0 if hi > 2 * lo else floor_sig(lo)
    axis_max = ceil_sig(hi)
    pts = np.empty(100)
    pts[0] = max(1.0, axis_min)
    for j in range(1, 100):
        # R's round() is half-to-even, as numpy's.
        pts[j] = max(np.round((axis_max / pts[j - 1]) ** (1 / (100 - j)) * pts[j - 1]), pts[j - 1] + 1)
    return pts


def funnel_limits(numerator, denominator, *, population=None, multiplier: float = 1.0, baseline: float | None = None) -> pd.DataFrame:
    """Funnel plot control limits for proportions (2 and 3 sigma), as PHEindicatormethods.

    Parameters
    ----------
    numerator, denominator : array-like
        The units' counts; they set the baseline (sum of numerators / sum of denominators) and,
        unless ``population`` is given, the axis points.
    population : array-like, optional
        Denominators at which to compute the limits.
    multiplier : float
        1 for proportions (default), 100 for percentages.
    baseline : float, optional
        The proportion the limits are drawn around (default: sum of numerators / sum of
        denominators), e.g. a national figure that includes units not drawn.

    Returns
    -------
    DataFrame
        ``population, lower_2s, upper_2s, lower_3s, upper_3s, baseline``; limits clamped to
        [0, multiplier].
    """
    x = np.asarray(numerator, float)
    n = np.asarray(denominator, float)
    baseline = x.sum() / n.sum() if baseline is None else float(baseline)
    pop = funnel_points(n) if population is None else np.asarray(population, float)
    out = pd.DataFrame({"population": pop})
    for name, p in (("2s", 0.975), ("3s", 0.999)):
        out[f"lower_{name}"] = np.maximum(0, _wilson_inverse(p, pop, baseline, "low")) * multiplier
        out[f"upper_{name}"] = np.minimum(1, _wilson_inverse(p, pop, baseline, "high")) * multiplier
    out["baseline"] = baseline * multiplier
    return out


def overdispersion(numerator, denominator, *, baseline: float | None = None, winsor: float = 0.10) -> dict:
    """Spiegelhalter (2005) over-dispersion of proportions around a baseline.

    z-scores are winsorised at ``winsor`` in each tail; phi is their mean square and tau2 the
    additive random-effects variance (0 when phi <= (k-1)/k, i.e. no over-dispersion).

    Returns
    -------
    dict with ``phi``, ``tau2``, ``k``, ``baseline``.
    """
    x = np.asarray(numerator, float)
    n = np.asarray(denominator, float)
    keep = n > 0
    x, n = x[keep], n[keep]
    p0 = x.sum() / n.sum() if baseline is None else baseline
    se = np.sqrt(p0 * (1 - p0) / n)
    z = (x / n - p0) / se
    k = len(z)
    if k == 0:
        return {"phi": np.nan, "tau2": np.nan, "k": 0, "baseline": p0}
    lo_q, hi_q = np.quantile(z, [winsor, 1 - winsor])
    zw = np.clip(z, lo_q, hi_q)
    phi = float(np.mean(zw**2))
    w = 1 / se**2
    if k * phi > k - 1:
        tau2 = float((k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    else:
        tau2 = 0.0
    return {"phi": phi, "tau2": tau2, "k": k, "baseline": float(p0)}


def funnel_significance(
    data: pd.DataFrame | None = None,
    *,
    numerator="numerator",
    denominator="denominator",
    baseline: float | None = None,
    adjust_overdispersion: bool | str = False,
) -> pd.DataFrame:
    """Flag each unit against the funnel: High/Low (0.001), High/Low (0.025) or Not significant.

    Parameters
    ----------
    adjust_overdispersion : {False, "additive", "multiplicative"} or True
        ``False`` (default): the limits are the Wilson inversions of :func:`funnel_limits` (as
        ``assign_funnel_significance``). ``"additive"`` (or ``True``): random-effects limits
        ``p0 +/- z * sqrt(p0 (1 - p0) / n + tau2)``. ``"multiplicative"``: the normal limits
        inflated by the over-dispersion factor, ``p0 +/- z * sqrt(phi * p0 (1 - p0) / n)``, where
        ``phi`` (winsorised mean square z-score) is used only when it exceeds 1 (no inflation
        otherwise). Both from Spiegelhalter (2005), "Handling over-dispersion of performance
        indicators", Qual Saf Health Care 14:347-351; ``phi`` and ``tau2`` from
        :func:`overdispersion`.

    Returns
    -------
    DataFrame
        The input plus ``estimate, baseline, lower_2s, upper_2s, lower_3s, upper_3s,
        significance, tau2, phi`` (``phi`` is 1 unless the multiplicative adjustment inflated the
        limits).

    Examples
    --------
    >>> r = funnel_significance(numerator=[10, 30, 30, 30, 50], denominator=[100] * 5,
    ...                         adjust_overdispersion="multiplicative")
    >>> round(float(r["phi"].iloc[0]), 4), r["significance"].tolist()[::4]
    (2.7429, ['Low (0.025)', 'High (0.025)'])
    """
    mode = {False: "none", None: "none", True: "additive"}.get(adjust_overdispersion, adjust_overdispersion)
    if mode not in ("none", "additive", "multiplicative"):
        raise ValueError(f"adjust_overdispersion must be False, 'additive' or 'multiplicative', got {adjust_overdispersion!r}")
    out = _counts_frame(data, numerator, denominator)
    x = out["numerator"].to_numpy(float)
    n = out["denominator"].to_numpy(float)
    p0 = x.sum() / n.sum() if baseline is None else float(baseline)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = x / n
    tau2, phi = 0.0, 1.0
    if mode == "none":
        lim = {(s, p): _wilson_inverse(p, n, p0, s) for s in ("low", "high") for p in (0.975, 0.999)}
    else:
        od = overdispersion(x, n, baseline=p0)
        if mode == "additive":
            tau2 = od["tau2"]
            sd = np.sqrt(p0 * (1 - p0) / n + tau2)
        else:
            phi = max(1.0, od["phi"])
            sd = np.sqrt(phi * p0 * (1 - p0) / n)
        lim = {(s, p): p0 + (1 if s == "high" else -1) * _st.norm.ppf(p) * sd for s in ("low", "high") for p in (0.975, 0.999)}
    flag = np.select(
        [value < lim[("low", 0.999)], value < lim[("low", 0.975)], value > lim[("high", 0.999)], value > lim[("high", 0.975)]],
        ["Low (0.001)", "Low (0.025)", "High (0.001)", "High (0.025)"],
        default="Not significant",
    )
    out["estimate"] = value
    out["baseline"] = p0
    out["lower_2s"], out["upper_2s"] = lim[("low", 0.975)], lim[("high", 0.975)]
    out["lower_3s"], out["upper_3s"] = lim[("low", 0.999)], lim[("high", 0.999)]
    out["significance"] = np.where(n > 0, flag, "Not applicable")
    out["tau2"] = tau2
    out["phi"] = phi
    return out


# ---------------------------------------------------------------------------------------------
# Pooling and change
# ---------------------------------------------------------------------------------------------


def pool_proportions(numerator, denominator, *, confidence: float = 0.95) -> pd.DataFrame:
    """Random-effects (DerSimonian-Laird) pooled proportion of several sites.

    Site proportions are pooled on the logit scale (0.5 added to every cell of a site with 0 or
    all events) with statsmodels ``combine_effects``; the estimate and limits are transformed
    back. A negative moment estimate of tau2 is truncated at 0 (then the random-effects estimate
    equals the fixed-effect one), as in DerSimonian and Laird (1986).

    Returns
    -------
    DataFrame (one row)
        ``estimate, lower, upper, numerator, denominator, k, tau2, i2, q, p_heterogeneity,
        fixed_estimate, method``; ``numerator``/``denominator`` are the sums.
    """
    _check_confidence(confidence)
    x = np.asarray(numerator, float)
    n = np.asarray(denominator, float)
    keep = n > 0
    x, n = x[keep], n[keep]
    k = len(x)
    base = {"numerator": x.sum(), "denominator": n.sum(), "k": k, "method": "DerSimonian-Laird (logit)"}
    if k == 0:
        return pd.DataFrame([{**base, "estimate": np.nan, "lower": np.nan, "upper": np.nan, "tau2": np.nan, "i2": np.nan,
                              "q": np.nan, "p_heterogeneity": np.nan, "fixed_estimate": np.nan}])
    cc = np.where((x == 0) | (x == n), 0.5, 0.0)
    xa, na = x + cc, n + 2 * cc
    eff = np.log(xa / (na - xa))
    var = 1 / xa + 1 / (na - xa)
    z = _st.norm.ppf(0.5 + confidence / 2)
    expit = _st.logistic.cdf
    if k == 1:
        est, se = eff[0], np.sqrt(var[0])
        row = {**base, "estimate": expit(est), "lower": expit(est - z * se), "upper": expit(est + z * se), "tau2": 0.0,
               "i2": 0.0, "q": 0.0, "p_heterogeneity": np.nan, "fixed_estimate": expit(est)}
        return pd.DataFrame([row])
    with warnings.catch_warnings():
        # statsmodels also computes a WLS-scaled random-effects variance (not used here), whose
        # square root warns when Q < k - 1 (no heterogeneity beyond chance).
        warnings.simplefilter("ignore", RuntimeWarning)
        res = combine_effects(eff, var, method_re="dl", alpha=1 - confidence)
    q = float(res.q)
    tau2 = max(0.0, float(res.tau2))
    w = 1 / (var + tau2)
    est = float(np.sum(w * eff) / w.sum())
    se = float(np.sqrt(1 / w.sum()))
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    row = {
        **base,
        "estimate": expit(est),
        "lower": expit(est - z * se),
        "upper": expit(est + z * se),
        "tau2": tau2,
        "i2": i2,
        "q": q,
        "p_heterogeneity": float(res.test_homogeneity().pvalue),
        "fixed_estimate": expit(float(res.mean_effect_fe)),
    }
    return pd.DataFrame([row])


def change_in_proportion(numerator1, denominator1, numerator2, denominator2, *, confidence: float = 0.95) -> pd.DataFrame:
    """Change between two independent proportions (second minus first).

    Newcombe's hybrid score interval for the difference and a two-sided score test
    (statsmodels ``confint_proportions_2indep`` and ``test_proportions_2indep``).

    Examples
    --------
    >>> r = change_in_proportion(56, 100, 40, 100)
    >>> round(r.loc[0, "estimate"], 2)
    -0.16
    """
    _check_confidence(confidence)
    lo, hi = confint_proportions_2indep(
        numerator2, denominator2, numerator1, denominator1, method="newcomb", compare="diff", alpha=1 - confidence
    )
    test = test_proportions_2indep(numerator2, denominator2, numerator1, denominator1, compare="diff", method="score")
    return pd.DataFrame(
        [
            {
                "estimate": numerator2 / denominator2 - numerator1 / denominator1,
                "lower": float(lo),
                "upper": float(hi),
                "p_val": float(test.pvalue),
                "estimate_1": numerator1 / denominator1,
                "estimate_2": numerator2 / denominator2,
                "method": "Newcombe hybrid score; score test",
            }
        ]
    )


def _wilson_limits(x, n, z):
    """Wilson score limits of x/n at normal deviate z (arrays; n > 0)."""
    p = x / n
    centre = (x + z**2 / 2) / (n + z**2)
    half = z * np.sqrt(n * p * (1 - p) + z**2 / 4) / (n + z**2)
    return centre - half, centre + half


def _newcombe_limits(x1, n1, x2, n2, z):
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = _wilson_limits(x1, n1, z)
    l2, u2 = _wilson_limits(x2, n2, z)
    d = p2 - p1
    lower = d - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    upper = d + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return lower, upper


def newcombe_difference(numerator1, denominator1, numerator2, denominator2, *, confidence: float = 0.95) -> pd.DataFrame:
    """Difference of two independent proportions (second minus first), Newcombe's method 10.

    The interval is Newcombe's (1998) hybrid score interval without continuity correction
    (method 10), built from the Wilson limits of each proportion. The p-value is the one that
    inverts this same interval: the smallest two-sided level at which the interval still excludes
    zero, so that ``p_value < 1 - confidence`` exactly when the interval excludes 0.

    Parameters
    ----------
    numerator1, denominator1, numerator2, denominator2 : float or array-like
        Counts of the first (earlier, or comparator) and second proportion. A zero denominator
        gives NaN.

    Returns
    -------
    DataFrame
        ``estimate_1, estimate_2, difference, lower, upper, p_value, method``, one row per input.

    Examples
    --------
    Newcombe (1998), Table II, example (a): 56/70 against 48/80.

    >>> r = newcombe_difference(48, 80, 56, 70)
    >>> [round(float(v), 4) for v in r.loc[0, ["difference", "lower", "upper"]]]
    [0.2, 0.0524, 0.3339]
    """
    _check_confidence(confidence)
    x1, n1, x2, n2 = (np.atleast_1d(np.asarray(v, float)) for v in (numerator1, denominator1, numerator2, denominator2))
    x1, n1, x2, n2 = np.broadcast_arrays(x1, n1, x2, n2)
    ok = (n1 > 0) & (n2 > 0) & np.isfinite(x1) & np.isfinite(x2)
    nan = np.full(x1.shape, np.nan)
    p1, p2, diff, lo, hi, pv = (nan.copy() for _ in range(6))
    if ok.any():
        a, m, b, k = x1[ok], n1[ok], x2[ok], n2[ok]
        p1[ok], p2[ok] = a / m, b / k
        d = b / k - a / m
        diff[ok] = d
        lo[ok], hi[ok] = _newcombe_limits(a, m, b, k, _z(confidence))
        # Invert the interval: the z at which the limit nearer 0 touches 0 (bisection; limits
        # move monotonically away from the estimate as z grows).
        z_lo, z_hi = np.zeros(d.shape), np.full(d.shape, 40.0)
        for _ in range(80):
            z_mid = (z_lo + z_hi) / 2
            low_mid, up_mid = _newcombe_limits(a, m, b, k, z_mid)
            excludes = np.where(d > 0, low_mid > 0, up_mid < 0)
            z_lo = np.where(excludes, z_mid, z_lo)
            z_hi = np.where(excludes, z_hi, z_mid)
        pv[ok] = np.where(d == 0, 1.0, 2 * _st.norm.sf((z_lo + z_hi) / 2))
    return pd.DataFrame({"estimate_1": p1, "estimate_2": p2, "difference": diff, "lower": lo, "upper": hi, "p_value": pv,
                         "method": "Newcombe hybrid score (method 10); p-value inverts the interval"})


def welch_difference(mean1, sd1, n1, mean2, sd2, n2, *, confidence: float = 0.95) -> pd.DataFrame:
    """Difference of two independent means (second minus first), Welch's unequal-variance t.

    The interval and the two-sided p-value come from the same Welch t statistic and
    Welch-Satterthwaite degrees of freedom (scipy ``ttest_ind_from_stats(equal_var=False)``).

    Examples
    --------
    >>> r = welch_difference(3.0, 1.0, 30, 3.6, 1.2, 40)
    >>> round(float(r.loc[0, "difference"]), 2), bool(r.loc[0, "p_value"] < 0.05)
    (0.6, True)
    """
    _check_confidence(confidence)
    m1, s1, k1, m2, s2, k2 = (np.atleast_1d(np.asarray(v, float)) for v in (mean1, sd1, n1, mean2, sd2, n2))
    m1, s1, k1, m2, s2, k2 = np.broadcast_arrays(m1, s1, k1, m2, s2, k2)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1, v2 = s1**2 / k1, s2**2 / k2
        se = np.sqrt(v1 + v2)
        df = (v1 + v2) ** 2 / (v1**2 / (k1 - 1) + v2**2 / (k2 - 1))
        ok = (k1 > 1) & (k2 > 1) & np.isfinite(se) & (se > 0)
        diff = m2 - m1
        half = np.where(ok, _st.t.ppf(0.5 + confidence / 2, df) * se, np.nan)
        test = _st.ttest_ind_from_stats(m2, s2, k2, m1, s1, k1, equal_var=False)
    pv = np.where(ok, np.asarray(test.pvalue, float), np.nan)
    return pd.DataFrame({"estimate_1": m1, "estimate_2": m2, "difference": np.where(ok, diff, np.nan),
                         "lower": np.where(ok, diff - half, np.nan), "upper": np.where(ok, diff + half, np.nan),
                         "p_value": pv, "method": "Welch t (unequal variances)"})


def interval_verdict(lower, upper, polarity, *, words=("better", "worse", "similar", "higher", "lower")):
    """Words for a difference interval (this minus that) read with an indicator's polarity.

    ``words`` gives (better, worse, no difference, higher, lower); e.g. ("improved", "worsened",
    "no significant change", "increased", "decreased") for change over time. An interval that
    is missing gives NaN (the caller says "not compared").

    Examples
    --------
    >>> interval_verdict([0.05, -0.2, -0.1], [0.3, -0.01, 0.1], ["higher_is_better", "higher_is_better", "lower_is_better"]).tolist()
    ['better', 'worse', 'similar']
    """
    lo = np.atleast_1d(np.asarray(lower, float))
    hi = np.atleast_1d(np.asarray(upper, float))
    pol = np.broadcast_to(np.asarray(polarity, dtype=object), lo.shape)
    better, worse, same, higher, lower_word = words
    up = lo > 0
    down = hi < 0
    out = np.where(up, higher, np.where(down, lower_word, same)).astype(object)
    out = np.where((pol == "higher_is_better") & up, better, out)
    out = np.where((pol == "higher_is_better") & down, worse, out)
    out = np.where((pol == "lower_is_better") & up, worse, out)
    out = np.where((pol == "lower_is_better") & down, better, out)
    out = np.where(np.isnan(lo) | np.isnan(hi), np.nan, out)
    return pd.Series(out, dtype=object)


def trend_test(numerator, denominator, scores=None) -> dict:
    """Chi-square test for linear trend in proportions (Armitage), as Fingertips' recent trend.

    ``chi2 = [sum x_i (s_i - s_bar)]^2 / (p (1 - p) sum n_i (s_i - s_bar)^2)`` on 1 degree of freedom,
    where ``s_bar = sum n_i s_i / N`` and ``p`` the pooled proportion; ``scores`` default to
    0, 1, 2, ... (equally spaced rounds). Needs three or more points with a base.

    Returns
    -------
    dict
        ``chi2, p_value, direction`` (``increasing``, ``decreasing`` or ``no significant change`` at
        5%), ``points`` and ``method``; ``direction`` is ``not tested`` with fewer than three points.

    Examples
    --------
    >>> r = trend_test([10, 20, 30], [100, 100, 100])
    >>> round(r["chi2"], 3), r["direction"]
    (12.5, 'increasing')
    """
    x = np.asarray(numerator, float)
    n = np.asarray(denominator, float)
    s = np.arange(len(x), dtype=float) if scores is None else np.asarray(scores, float)
    keep = np.isfinite(x) & np.isfinite(n) & (n > 0) & np.isfinite(s)
    x, n, s = x[keep], n[keep], s[keep]
    out = {"chi2": np.nan, "p_value": np.nan, "direction": "not tested", "points": int(len(x)),
           "method": "chi-square test for linear trend in proportions (Armitage), 1 df"}
    if len(x) < 3:
        return out
    big_n = n.sum()
    p = x.sum() / big_n
    s_bar = (n * s).sum() / big_n
    denom = p * (1 - p) * (n * (s - s_bar) ** 2).sum()
    if denom <= 0:
        out.update(chi2=0.0, p_value=1.0, direction="no significant change")
        return out
    num = (x * (s - s_bar)).sum()
    chi2 = float(num**2 / denom)
    pv = float(_st.chi2.sf(chi2, 1))
    out.update(chi2=chi2, p_value=pv, direction="no significant change" if pv >= 0.05 else ("increasing" if num > 0 else "decreasing"))
    return out


def proportions_differ(numerator, denominator, *, min_expected: float = 5.0, seed: int = 20170101) -> dict:
    """Do k proportions differ? A test of homogeneity of the k x 2 table (yes, no) per unit.

    Pearson's chi-square without continuity correction (scipy ``chi2_contingency``) when every
    expected count is at least ``min_expected``; otherwise Fisher's exact test (exact for two
    units, a Monte Carlo estimate over 9,999 tables with fixed marginals and a fixed seed for more).
    Units with a zero base are left out.

    Returns
    -------
    dict
        ``test`` (name), ``statistic`` (chi-square, or the odds ratio / table probability for
        Fisher), ``dof``, ``p_val``, ``cramer`` (Cramer's V), ``units`` and ``n``; and Pearson's
        ``chi2`` with its ``chi2_p`` whichever test was chosen.

    Examples
    --------
    >>> r = proportions_differ([70, 10], [100, 100])
    >>> r["test"], r["dof"], round(r["statistic"], 1)
    ('Pearson chi-square', 1, 75.0)
    """
    num = np.asarray(numerator, float)
    den = np.asarray(denominator, float)
    keep = den > 0
    table = np.column_stack([num[keep], den[keep] - num[keep]]).astype(np.int64)
    out = {"test": "not tested", "statistic": np.nan, "dof": 0, "p_val": np.nan, "cramer": np.nan,
           "units": int(keep.sum()), "n": int(table.sum()), "chi2": np.nan, "chi2_p": np.nan}
    if table.shape[0] < 2 or (table.sum(axis=0) == 0).any():
        return out
    chi2, p, dof, expected = _st.chi2_contingency(table, correction=False)
    out.update(dof=int(dof), cramer=float(np.sqrt(chi2 / table.sum())), chi2=float(chi2), chi2_p=float(p))  # min(k, 2) - 1 = 1
    if (expected >= min_expected).all():
        out.update(test="Pearson chi-square", statistic=float(chi2), p_val=float(p))
    elif table.shape[0] == 2:
        res = _st.fisher_exact(table)
        out.update(test="Fisher's exact test", statistic=float(res.statistic), p_val=float(res.pvalue))
    else:
        res = _st.fisher_exact(table, method=_st.MonteCarloMethod(n_resamples=9999, rng=np.random.default_rng(seed)))
        out.update(test="Fisher's exact test (Monte Carlo)", statistic=float(res.statistic), p_val=float(res.pvalue))
    return out


def stratified_difference(tables) -> dict:
    """Cochran-Mantel-Haenszel test that two groups differ, stratified by a third variable.

    ``tables`` is a sequence of 2 x 2 tables ``[[a_yes, a_no], [b_yes, b_no]]``, one per stratum
    (statsmodels ``StratifiedTable``; strata with an empty row are left out).

    Returns
    -------
    dict
        ``statistic`` (CMH chi-square, with continuity correction), ``p_val``, ``odds_ratio``
        (Mantel-Haenszel pooled), ``strata``.

    Examples
    --------
    >>> r = stratified_difference([[[35, 15], [5, 45]], [[36, 14], [6, 44]]])
    >>> r["p_val"] < 0.001, r["strata"]
    (True, 2)
    """
    from statsmodels.stats.contingency_tables import StratifiedTable

    kept = [np.asarray(t, float) for t in tables]
    kept = [t for t in kept if t.shape == (2, 2) and (t.sum(axis=1) > 0).all()]
    out = {"statistic": np.nan, "p_val": np.nan, "odds_ratio": np.nan, "strata": len(kept)}
    if not kept:
        return out
    st = StratifiedTable([t for t in kept])
    res = st.test_null_odds(correction=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out.update(statistic=float(res.statistic), p_val=float(res.pvalue), odds_ratio=float(st.oddsratio_pooled))
    return out
