"""Case review indicators: improvable decisions, alternatives, transitions, costs, team variation,
and the practice findings of the LGA/Newton 2017 study (contract, second release)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import stats
from ..instruments import DELAY_REASON_ATTRIBUTION, DELAY_REASONS, PATHWAYS
from ._core import (
    Groups,
    answered,
    check_data,
    codes_of,
    concat,
    level_mask,
    mean_table,
    normalise_by,
    observed,
    proportion_table,
)

__all__ = ["case_indicators", "pathway_transitions", "case_breakdowns", "BREAKDOWN_COLUMNS", "transition_table", "team_variation", "team_indicators", "swapped_populations",
           "case_weekly_costs", "EARLY_REVIEW_DAYS"]

#: A package reviewed within this many days of its start counts as an early review (the 2017
#: study's "review two weeks after the care package began").
EARLY_REVIEW_DAYS = 14
_LONG_TERM = ("residential_care", "nursing_care")


def _improvable(data: pd.DataFrame) -> np.ndarray:
    return (codes_of(data["actual_pathway"]) != codes_of(data["ideal_pathway"]))


def case_indicators(data: pd.DataFrame, *, by=("site_id",), weekly_costs: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Case review indicators.

    * ``case_decision_improvable``: ideal pathway differs from the actual / all cases;
    * ``case_alternative_available``: alternative available Yes / improvable cases that answered;
    * ``case_ideal_less_intensive``: ideal lower on the pathway ladder / improvable cases;
    * ``case_weekly_cost_difference``: mean actual minus ideal weekly cost (GBP) among improvable
      cases with both costs known (Student's t);
    * ``case_care_hours_fell``: packages whose weekly hours fell after review / packages with both
      hours recorded; with ``review_interval_days`` also by group ``review_within_14_days``
      (reviewed at most 14 days after the package began) and ``review_later``;
    * ``case_residential_should_have``: among people who moved from ``short_term_medical`` care
      (``prior_setting``) to residential or nursing care (``actual_pathway``), the share whose
      ideal pathway was the same as the actual one;
    * ``case_ideal_cheaper``: among improvable cases whose weekly costs are known, the share whose
      ideal pathway costs less a week than the actual one (see :func:`case_weekly_costs`; never
      the order of the pathway list, on which an intermediate care bed ranks below residential
      care though it costs more);
    * ``case_delay_reason`` (group = reason): share of delayed cases (``delay_reason`` given) by
      reason, the groups partitioning the base;
    * ``case_delay_attribution`` (group ``social_care``, ``health``): share of the delays with an
      attributable reason that lie in each system
      (:data:`homekit.instruments.DELAY_REASON_ATTRIBUTION`), to set beside the published 35% / 65%.

    Parameters
    ----------
    data : DataFrame
        The case reviews as loaded.
    by : list of str
        Grouping columns; ``["site_id", "decision_point"]`` or ``["site_id", "primary_reason"]``
        give breakdowns.
    weekly_costs : mapping, optional
        Weekly cost (GBP) of each pathway id, used for cases that do not give both their own
        costs (e.g. ``BenefitsModel.weekly_costs()`` from ``parameters/benefits.yaml``). Without
        it only cases with both costs enter ``case_ideal_cheaper``.
    """
    by = normalise_by(by)
    check_data(data, by + ["actual_pathway", "ideal_pathway", "alternative_available"], "case_indicators")
    g = Groups(data, by)
    imp = _improvable(data)
    everyone = np.ones(len(data), bool)
    alt = data["alternative_available"]
    parts = [
        proportion_table(g, imp, everyone, "case_decision_improvable"),
        proportion_table(g, level_mask(alt, ("Yes",)), imp & answered(alt), "case_alternative_available"),
        proportion_table(g, codes_of(data["ideal_pathway"]) < codes_of(data["actual_pathway"]), imp, "case_ideal_less_intensive"),
    ]
    if {"actual_weekly_cost", "ideal_weekly_cost"} <= set(data.columns):
        a = data["actual_weekly_cost"].to_numpy(float)
        i = data["ideal_weekly_cost"].to_numpy(float)
        known = imp & ~np.isnan(a) & ~np.isnan(i)
        parts.append(mean_table(g, np.nan_to_num(a - i), known, "case_weekly_cost_difference", magnitude=True))
    if {"care_hours_start", "care_hours_after_review"} <= set(data.columns):
        s = data["care_hours_start"].to_numpy(float)
        r = data["care_hours_after_review"].to_numpy(float)
        both = ~np.isnan(s) & ~np.isnan(r)
        with np.errstate(invalid="ignore"):
            parts.append(proportion_table(g, both & (r < s), both, "case_care_hours_fell"))
        if "review_interval_days" in data.columns:
            days = data["review_interval_days"].to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                early, later = days <= EARLY_REVIEW_DAYS, days > EARLY_REVIEW_DAYS
                for name, when in (("review_within_14_days", early), ("review_later", later)):
                    if (both & when).any():
                        parts.append(observed(proportion_table(g, both & when & (r < s), both & when, "case_care_hours_fell", name)))
    if "reablement_suitable" in data.columns:
        rs = data["reablement_suitable"]
        if answered(rs).any():
            parts.append(observed(proportion_table(g, level_mask(rs, ("Yes",)), answered(rs), "case_reablement_suitable")))
    if "prior_setting" in data.columns:
        from_medical = (data["prior_setting"].astype(object) == "short_term_medical").to_numpy()
        moved = from_medical & level_mask(data["actual_pathway"], _LONG_TERM)
        if moved.any():
            parts.append(observed(proportion_table(g, ~imp, moved, "case_residential_should_have")))
    actual_cost, ideal_cost = case_weekly_costs(data, weekly_costs)
    known = imp & ~np.isnan(actual_cost) & ~np.isnan(ideal_cost)
    if known.any():
        with np.errstate(invalid="ignore"):
            parts.append(proportion_table(g, ideal_cost < actual_cost, known, "case_ideal_cheaper"))
    if "delay_reason" in data.columns:
        reason = data["delay_reason"].astype(object).to_numpy()
        delayed = answered(data["delay_reason"])
        if delayed.any():
            for r_id in DELAY_REASONS:
                parts.append(proportion_table(g, reason == r_id, delayed, "case_delay_reason", r_id))
            system = np.array([DELAY_REASON_ATTRIBUTION.get(x, "") if isinstance(x, str) else "" for x in reason], dtype=object)
            attributed = system != ""
            for name in ("social_care", "health"):
                parts.append(proportion_table(g, system == name, attributed, "case_delay_attribution", name))
    return concat(parts, by)


def case_weekly_costs(data: pd.DataFrame, weekly_costs: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weekly cost (GBP) of each case's actual and ideal pathway.

    A case that gives both ``actual_weekly_cost`` and ``ideal_weekly_cost`` keeps its own; any
    other case takes both from ``weekly_costs`` (pathway id -> GBP a week, e.g. the uprated
    ``costs.week_<pathway>`` of ``parameters/benefits.yaml``), so the two sides of a case are
    always priced the same way. NaN where neither is known.

    Examples
    --------
    >>> import pandas as pd
    >>> from homekit.instruments import CHOICES
    >>> pw = CHOICES["pathway"].dtype()
    >>> d = pd.DataFrame({"actual_pathway": pd.Categorical(["residential_care"], dtype=pw),
    ...                   "ideal_pathway": pd.Categorical(["intermediate_care_bed"], dtype=pw)})
    >>> a, i = case_weekly_costs(d, {"residential_care": 1150, "intermediate_care_bed": 1450})
    >>> float(a[0]), float(i[0])
    (1150.0, 1450.0)
    """
    n = len(data)
    own_a = data["actual_weekly_cost"].to_numpy(dtype=float, na_value=np.nan) if "actual_weekly_cost" in data.columns else np.full(n, np.nan)
    own_i = data["ideal_weekly_cost"].to_numpy(dtype=float, na_value=np.nan) if "ideal_weekly_cost" in data.columns else np.full(n, np.nan)
    own = ~np.isnan(own_a) & ~np.isnan(own_i)
    if weekly_costs is None:
        return np.where(own, own_a, np.nan), np.where(own, own_i, np.nan)
    table = np.array([float(weekly_costs[p]) if p in weekly_costs else np.nan for p in PATHWAYS] + [np.nan])
    par_a = table[codes_of(data["actual_pathway"])]  # code -1 (missing) picks the trailing NaN
    par_i = table[codes_of(data["ideal_pathway"])]
    return np.where(own, own_a, par_a), np.where(own, own_i, par_i)


def pathway_transitions(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """``case_pathway_transition`` (group ``<actual>-><ideal>``): reviewed cases whose actual
    pathway was the first and the panel's ideal the second / cases with both pathways recorded.

    The cells of :func:`transition_table` as published rows (every pair of pathways, least
    intensive first, zeros included), so that the heatmap a report draws is read from rows that
    passed the gate: the cells partition the cases, the cells off the diagonal add up to
    ``case_decision_improvable`` and those below it to ``case_ideal_less_intensive`` (linked tables
    of :mod:`homekit.disclosure`).

    Examples
    --------
    >>> import pandas as pd
    >>> from homekit.instruments import CHOICES
    >>> pw = CHOICES["pathway"].dtype()
    >>> cases = pd.DataFrame({"site_id": ["a"] * 3,
    ...                       "actual_pathway": pd.Categorical(["residential_care"] * 2 + ["reablement"], dtype=pw),
    ...                       "ideal_pathway": pd.Categorical(["reablement", "residential_care", "reablement"], dtype=pw)})
    >>> t = pathway_transitions(cases)
    >>> cell = t.set_index("group")
    >>> [(g, int(cell.loc[g, "numerator"]), int(cell.loc[g, "denominator"])) for g in ("residential_care->reablement", "reablement->reablement")]
    [('residential_care->reablement', 1, 3), ('reablement->reablement', 1, 3)]
    >>> len(t), int(t.numerator.sum())  # every pair of the seven pathways; the cells add up to the cases
    (49, 3)
    """
    by = normalise_by(by)
    check_data(data, by + ["actual_pathway", "ideal_pathway"], "pathway_transitions")
    g = Groups(data, by)
    a = codes_of(data["actual_pathway"])
    i = codes_of(data["ideal_pathway"])
    both = (a >= 0) & (i >= 0)
    parts = [proportion_table(g, (a == ka) & (i == ki), both, "case_pathway_transition", f"{pa}->{pi}")
             for ka, pa in enumerate(PATHWAYS) for ki, pi in enumerate(PATHWAYS)]
    return concat(parts, by)


#: Case-review columns the decision figures are broken down by (group ``<column>:<value>``).
BREAKDOWN_COLUMNS = ("decision_point", "primary_reason")
_BROKEN_DOWN = ("case_decision_improvable", "case_alternative_available")


def case_breakdowns(data: pd.DataFrame, *, by=("site_id",), weekly_costs: Mapping[str, float] | None = None) -> pd.DataFrame:
    """``case_decision_improvable`` and ``case_alternative_available`` by decision point and by
    primary reason (group ``decision_point:<value>`` / ``primary_reason:<value>``): sub-groups of
    the cases that add up to the figure itself (the gate's "breakdowns" linked table).

    Examples
    --------
    >>> import pandas as pd
    >>> from homekit.instruments import CHOICES, SCALES
    >>> pw, yn = CHOICES["pathway"].dtype(), SCALES["yesno"].dtype()
    >>> cases = pd.DataFrame({"site_id": ["a"] * 4, "decision_point": ["admission", "admission", "discharge", "discharge"],
    ...                       "primary_reason": ["falls"] * 4,
    ...                       "actual_pathway": pd.Categorical(["residential_care"] * 4, dtype=pw),
    ...                       "ideal_pathway": pd.Categorical(["reablement", "residential_care", "reablement", "reablement"], dtype=pw),
    ...                       "alternative_available": pd.Categorical(["Yes", None, "Yes", "No"], dtype=yn)})
    >>> b = case_breakdowns(cases)
    >>> [(r.group, int(r.numerator), int(r.denominator)) for r in b[b.indicator == "case_decision_improvable"].itertuples()]
    [('decision_point:admission', 1, 2), ('decision_point:discharge', 2, 2), ('primary_reason:falls', 3, 4)]
    """
    by = normalise_by(by)
    parts = []
    for column in BREAKDOWN_COLUMNS:
        if column not in data.columns or not answered(data[column]).any():
            continue
        rows = case_indicators(data, by=by + [column], weekly_costs=weekly_costs)
        rows = rows[rows["indicator"].isin(_BROKEN_DOWN)].copy()
        rows["group"] = column + ":" + rows[column].astype(str)
        parts.append(rows.drop(columns=column))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def transition_table(data: pd.DataFrame, *, normalize: bool = False) -> pd.DataFrame:
    """Cases by actual (rows) and ideal (columns) pathway, every pathway shown, least intensive first.

    With ``normalize=True`` each row is divided by its total (share of the actual pathway's cases).
    """
    check_data(data, ["actual_pathway", "ideal_pathway"], "transition_table")
    k = len(PATHWAYS)
    a = codes_of(data["actual_pathway"])
    i = codes_of(data["ideal_pathway"])
    ok = (a >= 0) & (i >= 0)
    m = np.bincount(a[ok] * k + i[ok], minlength=k * k).reshape(k, k)
    out = pd.DataFrame(m, index=pd.Index(PATHWAYS, name="actual_pathway"), columns=pd.Index(PATHWAYS, name="ideal_pathway"))
    if normalize:
        tot = out.sum(axis=1).replace(0, np.nan)
        out = out.div(tot, axis=0)
    return out


def _team_frame(data: pd.DataFrame, team: str, outcome: str, extra=()) -> pd.DataFrame:
    cols = [team, outcome, *extra]
    check_data(data, cols, "team_variation")
    keep = answered(data[outcome]) & data[team].notna().to_numpy()
    for c in extra:
        keep &= data[c].notna().to_numpy()
    d = data.loc[keep, list(cols)].copy()
    d[team] = d[team].astype(str)
    d["yes"] = level_mask(data[outcome], ("Yes",))[keep].astype(int)
    return d


def team_variation(data: pd.DataFrame, *, team: str = "team", outcome: str = "reablement_suitable") -> dict:
    """Variation between teams in a yes/no judgement (e.g. suitability for reablement).

    Returns
    -------
    dict
        ``teams``: per team numerator, denominator, estimate, Wilson interval and funnel
        significance against the pooled share; ``test``: the test of variation between teams
        from :func:`homekit.stats.proportions_differ` (Pearson chi-square, or Fisher's exact test
        when an expected count is under 5): test, statistic, dof, p_val, cramer; ``chi2``: the
        Pearson chi-square whatever the expected counts (chi2, dof, p_val, cramer).

    Examples
    --------
    >>> import pandas as pd
    >>> from homekit.instruments import SCALES
    >>> yn = SCALES["yesno"].dtype()
    >>> d = pd.DataFrame({"team": ["A"] * 10 + ["B"] * 10,
    ...                   "reablement_suitable": pd.Categorical(["Yes"] * 7 + ["No"] * 3 + ["Yes"] + ["No"] * 9, dtype=yn)})
    >>> tv = team_variation(d)
    >>> tv["test"]["test"]
    "Fisher's exact test"
    """
    d = _team_frame(data, team, outcome)
    counts = d.groupby(team, observed=True)["yes"].agg(["sum", "size"]).reset_index()
    counts.columns = [team, "numerator", "denominator"]
    teams = stats.proportions(counts, numerator="numerator", denominator="denominator")
    if len(teams):
        teams["significance"] = stats.funnel_significance(teams, numerator="numerator", denominator="denominator")["significance"]
    test = stats.proportions_differ(counts["numerator"], counts["denominator"])
    chi = {"chi2": test["chi2"], "dof": test["dof"], "p_val": test["chi2_p"], "cramer": test["cramer"]}
    return {"teams": teams, "test": test, "chi2": chi}


def team_indicators(data: pd.DataFrame, *, by=("site_id",), team: str = "team", outcome: str = "reablement_suitable",
                    population: str = "caseload") -> pd.DataFrame:
    """``case_team_reablement_suitable``: each team's own judgement of reablement suitability.

    ``group`` is the team. Where the data hold ``caseload`` (the population a case came from) and
    two teams both judged cases from at least two of the same caseloads (the populations were
    swapped between them), each team's share within each caseload follows as
    ``<team>|caseload:<caseload>``; the test of whether the difference follows the team or the
    population is :func:`swapped_populations`, and the test of variation between teams is
    :func:`team_variation` (within one site: teams belong to a site).
    """
    by = normalise_by(by)
    if team not in data.columns or outcome not in data.columns:
        return concat([], by)
    d = data.loc[data[team].notna().to_numpy()]
    if not answered(d[outcome]).any():
        return concat([], by)
    parts = [_team_rows(d, by, [team], outcome, lambda k: str(k[0]))]
    if population in d.columns:
        crossed = swapped_populations(d, by=by, team=team, outcome=outcome, population=population)
        if len(crossed):
            pairs = set()
            for r in crossed.to_dict("records"):
                key = tuple(r[b] for b in by)
                for t in (r["team_a"], r["team_b"]):
                    for c in r["caseloads"].split("|"):
                        pairs.add((*key, t, c))
            dd = d.loc[d[population].notna().to_numpy()]
            keys = list(zip(*[dd[b].astype(str) for b in by], dd[team].astype(str), dd[population].astype(str)))
            dd = dd.loc[[k in pairs for k in keys]]
            if len(dd):
                parts.append(_team_rows(dd, by, [team, population], outcome, lambda k: f"{k[0]}|caseload:{k[1]}"))
    return concat(parts, by)


def _team_rows(d, by, cols, outcome, name) -> pd.DataFrame:
    g = Groups(d, by + cols)
    t = proportion_table(g, level_mask(d[outcome], ("Yes",)), answered(d[outcome]), "case_team_reablement_suitable")
    t = t[t["denominator"] > 0].copy()
    t["group"] = [name(k) for k in zip(*[t[c] for c in cols])]
    return t.drop(columns=cols)


def swapped_populations(data: pd.DataFrame, *, by=("site_id",), team: str = "team", outcome: str = "reablement_suitable",
                        population: str = "caseload") -> pd.DataFrame:
    """Did a difference between two teams follow the team or the population it served?

    For every pair of teams (within a ``by`` group) that both judged cases from at least two of
    the same caseloads, the Cochran-Mantel-Haenszel test of the team difference stratified by
    caseload (:func:`homekit.stats.stratified_difference`), and the same test of the caseload
    difference stratified by team. ``verdict``: ``team`` when the teams differ within the
    caseloads (p < 0.05) in the same direction in every caseload; ``population`` when they do
    not but the caseloads differ; ``unclear`` otherwise.

    Returns
    -------
    DataFrame
        ``by`` columns, ``team_a, team_b, caseloads`` (ids joined by ``|``), ``share_a, share_b``
        (overall), ``team_p``, ``caseload_p``, ``same_direction``, ``verdict``.
    """
    by = normalise_by(by)
    if population not in data.columns:
        return pd.DataFrame(columns=by + ["team_a", "team_b", "caseloads", "share_a", "share_b", "team_p", "caseload_p",
                                          "same_direction", "verdict"])
    d = _team_frame(data, team, outcome, extra=[population, *by])
    d[population] = d[population].astype(str)
    rows = []
    for key, site in (d.groupby(by, observed=True, sort=True) if by else [((), d)]):
        key = key if isinstance(key, tuple) else (key,)
        cells = site.groupby([team, population], observed=True)["yes"].agg(["sum", "size"])
        teams = sorted(site[team].unique())
        for i, a in enumerate(teams):
            for b in teams[i + 1:]:
                shared = sorted(set(cells.loc[a].index) & set(cells.loc[b].index))
                if len(shared) < 2:
                    continue
                tables = [[[cells.loc[(t, c), "sum"], cells.loc[(t, c), "size"] - cells.loc[(t, c), "sum"]] for t in (a, b)] for c in shared]
                by_caseload = stats.stratified_difference(tables)
                diffs = [cells.loc[(a, c), "sum"] / cells.loc[(a, c), "size"] - cells.loc[(b, c), "sum"] / cells.loc[(b, c), "size"]
                         for c in shared]
                same = bool(all(x > 0 for x in diffs) or all(x < 0 for x in diffs))
                # the caseload difference within each team: caseloads as the two rows (first two shared)
                by_team = stats.stratified_difference(
                    [[[cells.loc[(t, c), "sum"], cells.loc[(t, c), "size"] - cells.loc[(t, c), "sum"]] for c in shared[:2]] for t in (a, b)])
                if by_caseload["p_val"] < 0.05 and same:
                    verdict = "team"
                elif by_team["p_val"] < 0.05:
                    verdict = "population"
                else:
                    verdict = "unclear"
                sa, sb = site.loc[site[team] == a, "yes"], site.loc[site[team] == b, "yes"]
                rows.append({**dict(zip(by, key)), "team_a": a, "team_b": b, "caseloads": "|".join(shared),
                             "share_a": float(sa.mean()), "share_b": float(sb.mean()), "team_p": by_caseload["p_val"],
                             "caseload_p": by_team["p_val"], "same_direction": same, "verdict": verdict})
    return pd.DataFrame(rows, columns=by + ["team_a", "team_b", "caseloads", "share_a", "share_b", "team_p", "caseload_p",
                                            "same_direction", "verdict"])
