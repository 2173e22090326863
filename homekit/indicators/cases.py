"""Case review indicators: improvable decisions, alternatives, transitions, costs, team variation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg

from .. import stats
from ..instruments import PATHWAYS
from ._core import Groups, answered, check_data, codes_of, concat, level_mask, mean_table, normalise_by, proportion_table

__all__ = ["case_indicators", "transition_table", "team_variation"]


def _improvable(data: pd.DataFrame) -> np.ndarray:
    return (codes_of(data["actual_pathway"]) != codes_of(data["ideal_pathway"]))


def case_indicators(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """Case review indicators.

    * ``case_decision_improvable``: ideal pathway differs from the actual / all cases;
    * ``case_alternative_available``: alternative available Yes / improvable cases that answered;
    * ``case_ideal_less_intensive``: ideal lower on the pathway ladder / improvable cases;
    * ``case_weekly_cost_difference``: mean actual minus ideal weekly cost (GBP) among improvable
      cases with both costs known (Student's t);
    * ``case_care_hours_fell``: packages whose weekly hours fell after review / packages with both
      hours recorded.

    Use ``by=["site_id", "decision_point"]`` or ``["site_id", "primary_reason"]`` for breakdowns.
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
    if "reablement_suitable" in data.columns:
        rs = data["reablement_suitable"]
        if answered(rs).any():
            parts.append(proportion_table(g, level_mask(rs, ("Yes",)), answered(rs), "case_reablement_suitable"))
    return concat(parts, by)


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


def team_variation(data: pd.DataFrame, *, team: str = "team", outcome: str = "reablement_suitable") -> dict:
    """Variation between teams in a yes/no judgement (e.g. suitability for reablement).

    Returns
    -------
    dict
        ``teams``: per team numerator, denominator, estimate, Wilson interval and funnel
        significance against the pooled share; ``chi2``: Pearson chi-square test of independence
        across teams (pingouin ``chi2_independence``): chi2, dof, p_val, cramer.
    """
    check_data(data, [team, outcome], "team_variation")
    d = data.loc[answered(data[outcome]) & data[team].notna().to_numpy(), [team, outcome]].copy()
    d["yes"] = (d[outcome].astype(str) == "Yes").astype(int)
    counts = d.groupby(team, observed=True)["yes"].agg(["sum", "size"]).reset_index()
    counts.columns = [team, "numerator", "denominator"]
    teams = stats.proportions(counts, numerator="numerator", denominator="denominator")
    if len(teams):
        teams["significance"] = stats.funnel_significance(teams, numerator="numerator", denominator="denominator")["significance"]
    chi = {"chi2": np.nan, "dof": 0, "p_val": np.nan, "cramer": np.nan}
    if d[team].nunique() >= 2 and d["yes"].nunique() == 2:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            # pingouin also runs power-divergence variants that warn on empty cells; we use Pearson's.
            warnings.simplefilter("ignore", RuntimeWarning)
            # pingouin warns when expected counts are low; the test is then approximate, which the
            # report says in words instead of a warning printed into a published file.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Low count on", category=UserWarning)
                _, _, st = pg.chi2_independence(d.assign(**{team: d[team].astype(str)}), x=team, y="yes", correction=False)
        row = st.loc[st["test"] == "pearson"].iloc[0]
        chi = {"chi2": float(row["chi2"]), "dof": int(row["dof"]), "p_val": float(row["pval"]), "cramer": float(row["cramer"])}
    return {"teams": teams, "chi2": chi}
