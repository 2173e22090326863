"""The site report: one site's sections in order, and the indicators it publishes."""

from __future__ import annotations

import pandas as pd

from .. import disclosure
from ..benefits import weekly_costs as pathway_weekly_costs
from ..disclosure import DisclosureRules, disclose_change, disclose_indicators, publish_count
from ..indicators import compute_indicators, indicator_history, load_benchmarks
from ..indicators.compare import spread_of_sites
from ..instruments import INSTRUMENTS
from ..loaders import Dataset, load_data_dir
from . import benefits, cases, change, comparison, diagnostic, flow, gp, interface, interviews, older_people, overview, tracking
from ._base import Report, example_data_dir
from ._format import NO_DATA, direction_text, estimate_text, label_for, value_text

__all__ = ["SiteReport"]


class SiteReport(Report):
    """Everything the site notebook shows and writes for one site.

    Build it with :meth:`open`; call the section methods in order (each is a function of
    ``SECTIONS``, see :mod:`homekit.report`); :meth:`write_outputs` writes ``indicators.csv`` and the
    xlsx summary (both disclosure-controlled).
    """

    SECTIONS = (
        overview.title,
        change.summary,
        change.what_changed,
        overview.provenance,
        overview.response_profile,
        gp.gp_relationships,
        gp.perception_gap,
        gp.motivators,
        older_people.older_people,
        interface.interface_factors,
        interface.factors_by_group,
        interface.trust_levels,
        interface.matrices,
        cases.case_reviews,
        cases.practice_findings,
        flow.flow,
        diagnostic.culture,
        diagnostic.culture_by_group,
        diagnostic.observations,
        diagnostic.comms,
        diagnostic.hypotheses,
        diagnostic.opportunities,
        tracking.tracking,
        diagnostic.interventions,
        benefits.benefits,
        comparison.versus_national,
        interviews.interviews,
    )

    def __init__(self, site_id: str, data: Dataset, *, national: pd.DataFrame | None = None,
                 rules: DisclosureRules | None = None, parameters: dict | None = None,
                 benefits_file: str | None = None, redact_names=None, sources=None, spread: pd.DataFrame | None = None,
                 national_rules: DisclosureRules | None = None, benchmarks: pd.DataFrame | None = None,
                 national_counts: pd.DataFrame | None = None, national_is_published: bool = False,
                 prepared: dict | None = None):
        self.site_id = site_id
        self.national_rules = national_rules or disclosure.load_rules(None, "national")
        self.benchmarks = load_benchmarks() if benchmarks is None else benchmarks
        self.data = data
        self.params = dict(parameters or {})
        self.rules = rules or DisclosureRules()
        self.benefits_file = benefits_file
        #: Weekly cost of each pathway (``case_ideal_cheaper`` for cases without costs of their own):
        #: the run's ``benefits.yaml``, else the packaged one.
        self.weekly_costs = pathway_weekly_costs(benefits_file or None)
        self.redact_names = list(redact_names or [])
        self.sources = sources if sources is not None else data.sources
        site_row = data.sites.loc[data.sites.site_id == site_id]
        if site_row.empty:
            raise KeyError(f"site {site_id!r} is not in sites.csv")
        self.site = site_row.iloc[0]
        self.name = self.params.get("site_name") or str(self.site["site_name"])
        wanted = self.params.get("instruments") or []
        if not isinstance(wanted, (list, tuple)) or any(w not in INSTRUMENTS for w in wanted):
            raise ValueError(f"site parameter 'instruments' must be a list of instrument names ({', '.join(INSTRUMENTS)}); got {wanted!r}")
        #: Every survey round of the site (history and change); the sections describe the latest.
        self.all_tables = {k: v for k, v in data.tables.items() if (not wanted or k in wanted or k in ("sites", "services"))}
        self.tables = Dataset(data.data_dir, self.all_tables, data.sources).latest().tables
        self.national = national
        # Compared with the other sites (national minus this site) and with England values.
        counts = national if national_counts is None else national_counts
        if prepared is not None and not wanted:
            # ``homekit run``'s preparation computed and gated this site's rows with every site of the
            # run, with the same national counts, costs and rules (a site's rows do not depend on the
            # other sites): those are the rows published here, not computed and gated a second time
            self.raw_indicators, self.indicators = prepared["raw_sites"], prepared["published_sites"]
            self.published_history = prepared["published_history"]
        else:
            self.raw_indicators = compute_indicators(Dataset(data.data_dir, self.all_tables, data.sources), national=counts,
                                                     benchmarks=self.benchmarks, weekly_costs=self.weekly_costs)
            self.indicators = disclose_indicators(self.raw_indicators, self.rules)
            # Every survey round, through the gate; change is computed from the published rounds only.
            history = indicator_history(Dataset(data.data_dir, self.all_tables, data.sources))
            self.published_history = disclose_indicators(history, self.rules)
        self.changes = disclose_change(self.published_history)
        # (read from ``homekit run``'s national file it has been through the gate already)
        self.national_published = (None if national is None else national if national_is_published
                                   else disclose_indicators(national, self.national_rules))
        #: The range of the sites' published figures (spine chart); None when not known.
        self.spread = spread

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def open(cls, site_id: str, *, data_dir: str = "", data_slice: str = "", national_file: str = "",
             disclosure_file: str = "", benefits_file: str = "", parameters: dict | None = None, redact_names=None,
             spread_file: str = "", counts_file: str = ""):
        """Load a site: from ``data_slice`` (a pickled, validated slice written by ``homekit run``),
        else from ``data_dir`` (validated now), else from the bundled example data.

        ``counts_file`` holds the national rows with exact counts (private: this site's comparison
        with the other sites is national minus site; ``national_file`` when not given);
        ``spread_file`` the range of every site's published figures (both written by ``homekit run``;
        computed here from a whole data folder)."""
        sources = None
        prepared = None
        costs = pathway_weekly_costs(benefits_file or None)
        if data_slice:
            with open(data_slice, "rb") as fh:
                payload = pd.read_pickle(fh)
            data = payload["data"]
            sources = payload.get("sources")
            prepared = payload.get("prepared")  # this site's rows as the run's preparation gated them
            full = None
        else:
            full = load_data_dir(data_dir or example_data_dir())
            data = full.site(site_id)
            sources = full.sources
        national = None
        if national_file:  # written by ``homekit run`` after the gate (national rules)
            national = pd.read_csv(national_file, keep_default_na=False, na_values=[""], dtype={"group": str, "period": str})
            national["group"] = national["group"].fillna("")
        elif full is not None:
            national = compute_indicators(full, level="national", weekly_costs=costs)
        counts = national
        if counts_file:
            counts = pd.read_csv(counts_file, keep_default_na=False, na_values=[""])
            counts["group"] = counts["group"].fillna("").astype(str)
        rules = disclosure.load_rules(disclosure_file or None, "site")
        spread = None
        if spread_file:
            spread = pd.read_csv(spread_file, keep_default_na=False, na_values=[""])
            spread["group"] = spread["group"].fillna("").astype(str)
        elif full is not None:
            spread = spread_of_sites(disclose_indicators(compute_indicators(full, national=counts, weekly_costs=costs), rules))
        return cls(site_id, data, national=national, national_is_published=bool(national_file), rules=rules, parameters=parameters,
                   benefits_file=benefits_file or None, redact_names=redact_names, sources=sources, spread=spread,
                   national_rules=disclosure.load_rules(disclosure_file or None, "national"), national_counts=counts,
                   prepared=prepared)

    # -- what sections read ------------------------------------------------------------------
    def has(self, instrument: str) -> bool:
        """Whether this site has any rows of ``instrument``."""
        df = self.tables.get(instrument)
        return df is not None and len(df) > 0

    def ind(self, indicator: str, group: str = "") -> dict | None:
        """The published (disclosed) row of ``indicator`` and ``group`` as a dict, or None."""
        m = self.indicators[(self.indicators.indicator == indicator) & (self.indicators.group == group)]
        return None if m.empty else m.iloc[0].to_dict()

    def count(self, n, subjects: str = "people") -> str:
        """A count as published at site level (rounded, or the marker when small); ``subjects`` is
        ``people``, ``professional`` (a group of respondents) or an indicator id or instrument."""
        return publish_count(n, self.rules, subjects)

    def national_estimate(self, indicator: str, group: str = "") -> float:
        """The national estimate of ``indicator`` and ``group`` (NaN when there is none)."""
        if self.national_published is None:  # the national table as published (after the gate)
            return float("nan")
        m = self.national_published[(self.national_published.indicator == indicator) & (self.national_published.group == group)]
        return float(m["estimate"].iloc[0]) if len(m) and pd.notna(m["estimate"].iloc[0]) else float("nan")

    def headline_rows(self, ids, groups=None) -> pd.DataFrame:
        """Table rows for indicators ``ids`` (and ``groups``): this site with its interval, base, the
        national figure and which way is better, every label from the data dictionary."""
        rows = []
        for ind in ids:
            for g in groups or [""]:
                r = self.ind(ind, g)
                if r is None:
                    continue
                row = {"indicator": label_for(ind, g), "this site (95% CI)": estimate_text(r, self.rules.marker),
                       "base": self.count(r["denominator"], ind) if pd.notna(r["denominator"])
                       else (self.rules.marker if bool(r.get("suppressed")) else NO_DATA)}
                if self.national_published is not None:
                    row["national"] = value_text(ind, self.national_estimate(ind, g))
                row["which way is better"] = direction_text(ind, g)
                rows.append(row)
        return pd.DataFrame(rows)

    @property
    def site_rules(self) -> DisclosureRules:
        return self.rules

    @property
    def title_text(self) -> str:
        return f"{self.name}: Home Truths indicators"

    def _published(self) -> pd.DataFrame:
        return self.indicators
