"""The national synthesis report: the sites pooled, compared and ranked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import disclosure
from ..benefits import weekly_costs as pathway_weekly_costs
from ..disclosure import DisclosureRules, disclose_indicators
from ..indicators import indicator_history
from ..indicators.change import national_change
from ..loaders import Dataset, load_data_dir
from ..preparation import gate_national, prepare_national
from . import cases, change, diagnostic, interface, synthesis
from ._base import Report, example_data_dir

__all__ = ["NationalReport"]


def _read_published(site_dirs, site_ids, name: str) -> pd.DataFrame:
    """The sites' published CSVs of one kind (``indicators.csv``, ``history.csv``), stacked."""
    frames = []
    for s in site_ids:
        p = Path(site_dirs) / s / name
        if p.exists():
            frames.append(pd.read_csv(p, keep_default_na=False, na_values=[""], dtype={"group": str, "period": str}))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(out):
        out["group"] = out["group"].fillna("").astype(str)
        out["suppressed"] = out["suppressed"].astype(str).str.lower() == "true"
        if "period" in out.columns:
            out["period"] = out["period"].fillna("").astype(str)
    return out


class NationalReport(Report):
    """The national synthesis over the sites that succeeded (sections in :mod:`homekit.report.synthesis`)."""

    SECTIONS = (
        synthesis.title,
        synthesis.coverage,
        synthesis.headlines,
        synthesis.forest_plots,
        synthesis.funnel_plots,
        synthesis.waves,
        synthesis.change,
        change.headlines_over_rounds,
        synthesis.matrices,
        change.gp_trust_two_instruments,
        synthesis.factors,
        interface.factors_by_group,
        interface.factors_by_profession,
        interface.trust_levels,
        synthesis.case_reviews,
        cases.practice_findings,
        synthesis.ranking,
        diagnostic.national_culture,
        diagnostic.culture_by_group,
        diagnostic.national_hypotheses,
        diagnostic.national_opportunities,
        synthesis.interventions,
        diagnostic.national_interventions,
        synthesis.benefits,
    )
    title_text = "Home Truths national indicators"

    def __init__(self, data: Dataset, site_indicators: pd.DataFrame, *, parameters: dict | None = None,
                 site_rules: DisclosureRules | None = None, benefits_file: str | None = None,
                 national_rules: DisclosureRules | None = None, site_history: pd.DataFrame | None = None,
                 prepared: dict | None = None):
        #: Every survey round (change over rounds); the sections describe each site's latest round.
        self.all_data = data
        self.data = data.latest()
        self.params = dict(parameters or {})
        self.site_rules = site_rules or DisclosureRules()
        self.rules = national_rules = national_rules or disclosure.load_rules(None, "national")
        self.site_indicators = site_indicators  # as the sites published them
        #: Weekly cost of each pathway (``case_ideal_cheaper``): the run's ``benefits.yaml``, else the packaged one.
        self.weekly_costs = pathway_weekly_costs(benefits_file or None)
        if prepared is None or prepared.get("sites") != sorted(data.site_ids):
            # (computed and gated as ``homekit run`` prepares them for the site reports, e.g. in a
            # re-run of the national synthesis alone)
            prepared = prepare_national(data, self.site_rules, self.weekly_costs, national_rules)
        # ``homekit run`` computed these for the site reports: the national figures published here
        # are then exactly those the site reports compare with
        self.indicators, self._raw_sites = prepared["indicators"], prepared["raw_sites"]  # before the gate: never shown
        # the national figures checked against the sites' rows as the sites published them (gated
        # here when the preparation was made without the national rules)
        self.published = prepared.get("published_national")
        if self.published is None:
            self.published = gate_national(prepared, self.rules)
        self.benefits_file = benefits_file or None
        # Survey rounds: pooled per round through the gate; the sites' published histories; the
        # change at the same sites between consecutive rounds, from gated pooled counts.
        # (every site's rounds, computed and gated by the preparation: the rows the site reports publish)
        raw_sites = prepared["raw_history"]
        pooled = indicator_history(data, level="national")
        self.site_history = site_history if site_history is not None else prepared["published_history"]
        self.published_history = pd.concat(
            [disclose_indicators(pooled[pooled.period == p], national_rules, sites=raw_sites[raw_sites.period == p],
                                 published_sites=self.site_history)
             for p in pooled["period"].unique()], ignore_index=True) if len(pooled) else pooled
        self.changes = national_change(data, publish=lambda h, s: disclose_indicators(h, national_rules, sites=s))

    @classmethod
    def open(cls, *, data_dir: str = "", data_file: str = "", sites: list | None = None, site_dirs: str = "",
             disclosure_file: str = "", benefits_file: str = "", parameters: dict | None = None):
        """Load the national data: a pickled dataset from ``homekit run`` or a data folder (default:
        the example data), restricted to ``sites``; per-site indicators are read from
        ``site_dirs/<site_id>/indicators.csv`` when given, else computed (with disclosure)."""
        prepared = None
        if data_file:
            with open(data_file, "rb") as fh:
                payload = pd.read_pickle(fh)
            data, prepared = payload["data"], payload.get("prepared")
        else:
            data = load_data_dir(data_dir or example_data_dir())
        site_ids = list(sites) if sites else data.site_ids
        data = data.only_sites(site_ids)
        rules = disclosure.load_rules(disclosure_file or None, "site")
        national_rules = disclosure.load_rules(disclosure_file or None, "national")
        site_hist = None
        if site_dirs:
            site_ind = _read_published(site_dirs, site_ids, "indicators.csv")
            site_hist = _read_published(site_dirs, site_ids, "history.csv")
        elif prepared is not None and prepared.get("sites") == sorted(site_ids):
            # ``homekit run``'s preparation of these sites: their rows through the gate, the rows the
            # site reports publish (a site's rows do not depend on the other sites computed with it)
            site_ind = prepared["published_sites"]
        else:  # computed here as ``homekit run`` prepares them for its site reports
            prepared = prepare_national(data, rules, pathway_weekly_costs(benefits_file or None), national_rules)
            site_ind = prepared["published_sites"]
        return cls(data, site_ind, parameters=parameters, site_rules=rules, benefits_file=benefits_file,
                   national_rules=national_rules, site_history=site_hist, prepared=prepared)

    def count(self, n) -> str:
        """A count as published at national level."""
        return disclosure.publish_count(n, disclosure.load_rules(None, "national"))

    def nat(self, ind, group=""):
        """The national (pooled) row of ``ind`` and ``group`` as published (after the gate), or None."""
        m = self.published[(self.published.indicator == ind) & (self.published.group == group)]
        return None if m.empty else m.iloc[0].to_dict()

    def site_counts(self, ind, group=""):
        """Per-site counts as the sites published them (withheld sites left out), for pooling."""
        s = self.site_indicators
        if s is None or s.empty:
            return pd.DataFrame(columns=["site_id", "numerator", "denominator"])
        return s[(s.indicator == ind) & (s.group == group) & ~s.suppressed.astype(bool) & (s.denominator > 0) & s.numerator.notna()]

    def gate(self, rows: pd.DataFrame, column: str, by: str | None = None) -> pd.DataFrame:
        """National breakdown rows (``column``: wave, survey_year, decision point...) through the gate,
        together with the national rows they add up to (a linked table); the breakdown comes back
        with ``group = <by>:<value>`` (``by`` defaults to ``column``)."""
        rows = rows.copy()
        rows["group"] = f"{by or column}:" + rows[column].astype(str)
        rows = rows.drop(columns=column).assign(site_id="national")
        base = self.indicators[self.indicators.indicator.isin(set(rows.indicator)) & (self.indicators.group == "")]
        gated = disclose_indicators(pd.concat([base, rows], ignore_index=True), self.rules)
        return gated.iloc[len(base):].reset_index(drop=True)

    def rules_text(self) -> str:
        """The national rules, and the sites' only where they differ (said once, not twice)."""
        nat, site = self.rules.describe(), self.site_rules.describe()
        return nat if nat.endswith(site) else f"{nat} Site figures: {site}"

    def _published(self) -> pd.DataFrame:
        return self.published
