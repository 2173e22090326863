"""Site and national reports: the sections the notebooks call, one call and one figure each.

A section is a :class:`Block`: a title, a one-line reading of what it shows, a figure and/or a
table, rendered as HTML in a notebook. Every number a block shows has passed through
:mod:`homekit.disclosure` first (site level), and free text only through :mod:`homekit.redact`.
A site without data for an instrument simply gets no block for it.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import textwrap
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import __version__, disclosure, plots, spc, stats
from .disclosure import DisclosureRules, disclose_counts, disclose_indicators, publish_count
from .indicators import (
    HEADLINES,
    compute_indicators,
    factor_shares,
    factor_tests,
    headline_table,
    likert_distribution,
    team_variation,
    theme_counts,
    transition_table,
)
from .instruments import INSTRUMENTS, PROFESSION_NAMES, SERVICE_NAMES
from .loaders import Dataset, load_data_dir
from .redact import approved_quotes

__all__ = ["Block", "SiteReport", "NationalReport", "example_data_dir", "write_indicators", "write_summary_xlsx"]

ROOT = Path(__file__).resolve().parents[1]


def example_data_dir() -> Path:
    """The bundled example data, written once into a cache folder (for interactive defaults)."""
    from .example_data import write_example_data

    cache = Path(os.environ.get("HOMEKIT_CACHE", Path.home() / ".cache" / "homekit")) / f"example_data-{__version__}"
    if not (cache / "sites.csv").exists():
        tmp = cache.with_name(cache.name + f".{os.getpid()}")
        write_example_data(tmp, overwrite=True)
        try:
            os.replace(tmp, cache)
        except OSError:  # another process won the race
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return cache


def _pct(x, digits=0) -> str:
    if x is None or pd.isna(x):
        return "[c]"
    return f"{100 * x:.{digits}f}%"


def _fig_png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


@dataclass
class Block:
    """One report section: title, one-line reading, optional figure, table and notes."""

    title: str
    reading: str = ""
    figure: object = None
    table: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    level: int = 2
    _png: str | None = None

    def png(self) -> str | None:
        if self._png is None and self.figure is not None:
            self._png = _fig_png(self.figure)
            self.figure = None
        return self._png

    def _repr_html_(self) -> str:
        parts = [f"<h{self.level}>{html.escape(self.title)}</h{self.level}>"]
        if self.reading:
            parts.append(f'<p class="reading"><strong>Reading:</strong> {html.escape(self.reading)}</p>')
        png = self.png()
        if png:
            parts.append(f'<img alt="{html.escape(self.reading or self.title)}" src="data:image/png;base64,{png}" style="max-width:100%"/>')
        if self.table is not None and len(self.table):
            parts.append(self.table.to_html(index=False, escape=True, na_rep="", border=0, classes="hk-table"))
        for n in self.notes:
            parts.append(f'<p class="note"><em>{html.escape(n)}</em></p>')
        return "\n".join(parts)

    def __repr__(self) -> str:
        text = [self.title, self.reading]
        if self.table is not None:
            text.append(self.table.to_string(index=False))
        return "\n".join(t for t in text if t)


# ---------------------------------------------------------------------------------------------
# Helpers shared by site and national reports
# ---------------------------------------------------------------------------------------------

_LIKERT_GROUPS = {
    "quality5": (["Very poor", "Poor"], ["Neither good nor poor"], ["Good", "Very good"], ("Poor or very poor", "Neither", "Good or very good")),
    "agree4": (["Strongly disagree", "Disagree"], [], ["Agree", "Strongly agree"], ("Disagree", None, "Agree")),
    "value4": (["Would not value at all", "Would not value"], [], ["Would value", "Would strongly value"], ("Would not value", None, "Would value")),
    "frequency5": (["Never", "Infrequently"], ["Sometimes"], ["Frequently", "Very frequently"], ("Never or infrequently", "Sometimes", "Frequently or more")),
}


def collapsed_likert(dist: pd.DataFrame, scale: str) -> tuple[pd.DataFrame, list[str]]:
    """A Likert distribution collapsed to negative / middle / positive (for disclosure at site level)."""
    neg, mid, pos, names = _LIKERT_GROUPS[scale]
    mapping = {**{lv: names[0] for lv in neg}, **{lv: names[1] for lv in mid}, **{lv: names[2] for lv in pos}}
    d = dist.copy()
    d["level"] = [mapping.get(lv, lv) for lv in d["level"].astype(str)]
    keys = [c for c in d.columns if c not in ("level", "code", "count", "share")]
    out = d.groupby(keys + ["level"], sort=False, observed=True)["count"].sum().reset_index()
    return out, [n for n in names if n is not None]


def disclose_distribution(dist: pd.DataFrame, rules: DisclosureRules, by: str = "item") -> pd.DataFrame:
    """Drop every bar (``by`` value) that has a suppressed answer level. Counts stay exact so that
    the drawn shares are exact; the counts written on the chart go through ``publish_count``."""
    if not rules.apply:
        return dist
    answers = ~dist["level"].isin(["blank", "dont_know", "not_applicable"])
    bad = set(dist.loc[answers & rules.small(dist["count"]), by])
    return dist.loc[~dist[by].isin(bad)].copy()


def _indicator_label(ind: str, group: str = "") -> str:
    from .indicators.headline import INDICATOR_LABELS

    text = INDICATOR_LABELS.get(ind, ind.replace("_", " "))
    return f"{text}: {group.replace('_', ' ')}" if group else text


def _points(x: float) -> str:
    """A difference of proportions in percentage points, signed, without a negative zero."""
    v = round(100 * x) + 0
    return f"{v:+d}"


def _estimate_text(row) -> str:
    if row is None or bool(row.get("suppressed", False)) or pd.isna(row.get("estimate")):
        return "[c]"
    if row.get("method") == "Student's t":
        return f"{row['estimate']:.2f} ({row['lower']:.2f} to {row['upper']:.2f})" if pd.notna(row["lower"]) else f"{row['estimate']:.2f}"
    return f"{_pct(row['estimate'])} ({_pct(row['lower'])} to {_pct(row['upper'])})"


# ---------------------------------------------------------------------------------------------
# Site report
# ---------------------------------------------------------------------------------------------


def _matrix_figure(indicators: pd.DataFrame):
    """Relationship and trust heatmaps (rater x ratee) side by side."""
    import matplotlib.pyplot as plt

    rel = indicators[indicators.indicator == "prof_relationship_score"]
    tr = indicators[indicators.indicator == "prof_trust"].assign(estimate=lambda d: d["estimate"] * 100)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    plots.matrix_heatmap(rel, ax=axes[0], vmin=1, vmax=5, labels=PROFESSION_NAMES)
    axes[0].set_title("Relationship score (1 poor - 5 strong)")
    plots.matrix_heatmap(tr, ax=axes[1], vmin=0, vmax=100, fmt=".0f", labels=PROFESSION_NAMES)
    axes[1].set_title("% trusting the other profession")
    fig.tight_layout()
    return fig


class _Report:
    """What site and national reports share: their sections in order, and their written outputs."""

    SECTIONS: tuple[str, ...] = ()
    title_text = "Home Truths indicators"

    def sections(self) -> list[Block]:
        """Every section that has data, in report order."""
        blocks = (getattr(self, name)() for name in self.SECTIONS)
        return [b for b in blocks if b is not None]

    def _published(self) -> pd.DataFrame:
        raise NotImplementedError

    def write_outputs(self, output_dir: str) -> list[Path]:
        """Write ``indicators.csv`` and ``summary.xlsx`` (both disclosure-controlled) to ``output_dir``."""
        if not output_dir:
            return []
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        published = self._published()
        return [write_indicators(published, out / "indicators.csv"),
                write_summary_xlsx(published, out / "summary.xlsx", title=self.title_text, national=getattr(self, "national", None),
                                   marker=self.site_rules.marker)]


class SiteReport(_Report):
    """Everything the site notebook shows and writes for one site.

    Build it with :meth:`open`; call the section methods in order; :meth:`write_outputs` writes
    ``indicators.csv`` and the xlsx summary (both disclosure-controlled).
    """

    SECTIONS = ("title", "provenance", "response_profile", "gp_relationships", "perception_gap", "motivators", "older_people",
                "interface_factors", "matrices", "case_reviews", "flow", "tracking", "benefits", "versus_national", "interviews")

    def __init__(self, site_id: str, data: Dataset, *, national: pd.DataFrame | None = None,
                 rules: DisclosureRules | None = None, parameters: dict | None = None,
                 benefits_file: str | None = None, redact_names=None, sources=None):
        self.site_id = site_id
        self.data = data
        self.params = dict(parameters or {})
        self.rules = rules or DisclosureRules()
        self.benefits_file = benefits_file
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
        self.tables = {k: v for k, v in data.tables.items() if (not wanted or k in wanted or k in ("sites", "services"))}
        self.raw_indicators = compute_indicators(Dataset(data.data_dir, self.tables, data.sources))
        self.indicators = disclose_indicators(self.raw_indicators, self.rules)
        self.national = national

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def open(cls, site_id: str, *, data_dir: str = "", data_slice: str = "", national_file: str = "",
             disclosure_file: str = "", benefits_file: str = "", parameters: dict | None = None, redact_names=None):
        """Load a site: from ``data_slice`` (a pickled, validated slice written by ``homekit run``),
        else from ``data_dir`` (validated now), else from the bundled example data."""
        sources = None
        if data_slice:
            with open(data_slice, "rb") as fh:
                payload = pd.read_pickle(fh)
            data = payload["data"]
            sources = payload.get("sources")
            full = None
        else:
            full = load_data_dir(data_dir or example_data_dir())
            data = full.site(site_id)
            sources = full.sources
        national = None
        if national_file:
            national = pd.read_csv(national_file, keep_default_na=False, na_values=[""])
            national["group"] = national["group"].fillna("")
        elif full is not None:
            national = compute_indicators(full, level="national")
        rules = disclosure.load_rules(disclosure_file or None, "site")
        return cls(site_id, data, national=national, rules=rules, parameters=parameters,
                   benefits_file=benefits_file or None, redact_names=redact_names, sources=sources)

    # -- helpers ---------------------------------------------------------------------------
    def _has(self, instrument: str) -> bool:
        df = self.tables.get(instrument)
        return df is not None and len(df) > 0

    def _ind(self, indicator: str, group: str = "") -> dict | None:
        m = self.indicators[(self.indicators.indicator == indicator) & (self.indicators.group == group)]
        return None if m.empty else m.iloc[0].to_dict()

    def _count(self, n) -> str:
        return publish_count(n, self.rules)

    # -- sections --------------------------------------------------------------------------
    def title(self) -> Block:
        notes = [self.params["notes"]] if self.params.get("notes") else []
        wave = self.site["wave"]
        return Block(f"Home Truths site report: {self.name}", f"Wave {wave} site, {self.site['nation']}; population 65+ "
                     f"{int(self.site['population_65plus']):,}. Figures for counts under 8 are shown as [c] and other counts rounded to 5.",
                     notes=notes, level=1)

    def provenance(self) -> Block:
        rows = []
        for s in self.sources:
            df = self.tables.get(s.instrument)
            rows.append({"instrument": s.instrument, "file": Path(s.path).name, "sha256": s.sha256[:16] + "…",
                         "rows in file": f"{s.rows:,}", "rows for this site": self._count(0 if df is None else len(df))})
        table = pd.DataFrame(rows)
        params = {k: v for k, v in self.params.items() if k not in ("notes",)}
        return Block("Provenance", f"Inputs validated by homekit {__version__} (Python {platform.python_version()}); "
                     f"disclosure: counts {self.rules.suppress_counts_from}-{self.rules.suppress_counts_to} suppressed, "
                     f"others rounded to {self.rules.rounding_base}, no percentage on a base under {self.rules.min_base_for_percentage}.",
                     table=table, notes=[f"Parameters: {json.dumps(params, default=str)}"] if params else [])

    def response_profile(self) -> Block | None:
        import matplotlib.pyplot as plt

        rows = []
        for inst, label in (("gp_survey", "GP survey responses"), ("older_people_survey", "Older people survey responses"),
                            ("professional_survey", "Interface survey responses"), ("case_reviews", "Case reviews"),
                            ("interviews", "Coded interview excerpts")):
            if self._has(inst):
                rows.append({"evidence": label, "n": self._count(len(self.tables[inst]))})
        if not rows:
            return None
        rr = self._ind("gp_response_rate")
        reading = "No GP survey for this site."
        fig = None
        if rr is not None:
            reading = (f"{self._count(rr['numerator']) if not rr['suppressed'] else '[c]'} of {int(self.site['gp_count']):,} GPs responded: "
                       f"response rate {_estimate_text(rr)}.")
            if not rr["suppressed"]:
                fig, ax = plt.subplots(figsize=(6, 1.6))
                ax.barh([0], [rr["estimate"] * 100], color="#08519c")
                ax.errorbar([rr["estimate"] * 100], [0], xerr=plots.interval_errors([rr["estimate"]], [rr["lower"]], [rr["upper"]], 100),
                            color="black", capsize=4)
                ax.set_xlim(0, max(30, rr["upper"] * 100 + 5))
                ax.set_yticks([])
                ax.set_xlabel("% of GPs (headcount) who responded")
                ax.set_title("GP survey response rate")
                fig.tight_layout()
        prof = self.tables.get("professional_survey")
        if prof is not None and len(prof):
            counts = prof["profession"].value_counts().reindex(list(PROFESSION_NAMES)).fillna(0)
            for p, n in counts.items():
                rows.append({"evidence": f"  interface survey: {PROFESSION_NAMES[p]}", "n": self._count(n)})
        return Block("Response profile", reading, figure=fig, table=pd.DataFrame(rows))

    def _likert_figure(self, df, instrument, items, title, by="item", labels=None):
        import matplotlib.pyplot as plt

        by_scale: dict[str, list[str]] = {}
        for it in items:
            by_scale.setdefault(INSTRUMENTS[instrument].column(it).choices.name, []).append(it)
        panels = []
        for scale, its in by_scale.items():
            dist = likert_distribution(df, its, by=[])
            coll, levels = collapsed_likert(dist, scale)
            shown = disclose_distribution(coll, self.rules)
            panels.append((scale, its, shown, levels))
        heights = [max(1.2, 0.55 * len([i for i in p[1] if i in set(p[2]["item"])]) + 0.9) if set(p[1]) & set(p[2]["item"]) else 0.5
                   for p in panels]
        fig, axes = plt.subplots(len(panels), 1, figsize=(9, sum(heights) + 0.6), gridspec_kw={"height_ratios": heights}, squeeze=False)
        hidden = []
        for ax, (scale, its, shown, levels) in zip(axes[:, 0], panels):
            drawn = [i for i in its if i in set(shown["item"])]
            hidden += [i for i in its if i not in drawn]
            if drawn:
                plots.likert_bars(shown, level_order=levels, order=drawn, labels=labels, ax=ax, count_format=self._count)
            else:
                ax.axis("off")
                ax.text(0.5, 0.5, "[c] too few answers to show", ha="center", va="center", transform=ax.transAxes)
        axes[0, 0].set_title(title)
        fig.tight_layout()
        notes = [f"Not drawn ([c]: fewer than 8 answers in a level): {', '.join(hidden)}."] if hidden else []
        return fig, notes

    def gp_relationships(self) -> Block | None:
        if not self._has("gp_survey"):
            return None
        gp = self.tables["gp_survey"]
        items = ["relationship_social_care", "trust_asc", "trust_discharge_team", "value_closer_links"]
        labels = {"relationship_social_care": "Relationship with social care", "trust_asc": "Trust adult social care",
                  "trust_discharge_team": "Trust hospital discharge team", "value_closer_links": "Value closer links"}
        fig, notes = self._likert_figure(gp, "gp_survey", items, "GP relationships and trust with social care", labels=labels)
        ids = ["gp_relationship_poor", "gp_trust_asc", "gp_trust_discharge_team", "gp_value_closer_links",
               "gp_strongly_value_closer_links", "gp_social_care_better_assessor", "gp_gp_better_assessor"]
        table = self._headline_rows(ids)
        r = self._ind("gp_relationship_poor")
        t = self._ind("gp_trust_asc")
        reading = f"{_estimate_text(r)} of GPs rate their relationship with social care poor; {_estimate_text(t)} trust adult social care."
        return Block("GP relationships and trust", reading, figure=fig, table=table, notes=notes)

    def _headline_rows(self, ids, groups=None) -> pd.DataFrame:
        rows = []
        for ind in ids:
            for g in groups or [""]:
                r = self._ind(ind, g)
                if r is None:
                    continue
                nat = None
                if self.national is not None:
                    m = self.national[(self.national.indicator == ind) & (self.national.group == g)]
                    nat = None if m.empty else m.iloc[0]
                national = ""
                if nat is not None:
                    national = f"{nat['estimate']:.2f}" if nat["method"] == "Student's t" else _pct(nat["estimate"])
                rows.append({"indicator": _indicator_label(ind, g), "this site (95% CI)": _estimate_text(r),
                             "base": self._count(r["denominator"]) if pd.notna(r["denominator"]) else "[c]",
                             "national": national})
        return pd.DataFrame(rows)

    def perception_gap(self) -> Block | None:
        import matplotlib.pyplot as plt

        if not self._has("gp_survey"):
            return None
        ind = self.indicators
        un = ind[ind.indicator == "gp_unaware_service"].set_index("group")
        poor = ind[ind.indicator == "gp_service_rated_poor"].set_index("group")
        services = [s for s in SERVICE_NAMES if s in un.index]
        if not services:
            return None
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
        for ax, (frame, title) in zip(axes, ((un, "% of GPs unaware (services the site provides)"), (poor, "% of aware GPs rating it poor"))):
            d = frame.reindex(services).reset_index().rename(columns={"index": "group"})
            d["label"] = [SERVICE_NAMES[s] for s in services]
            plots.forest_plot(d, y="label", ax=ax)
            for i, (lab, sup) in enumerate(zip(d["label"], d["suppressed"].fillna(True))):
                if sup or pd.isna(d.loc[i, "estimate"]):
                    ax.text(2, len(d) - 1 - i, "[c]", va="center", fontsize=8, color="#444444")
            ax.set_yticks(range(len(d))[::-1])
            ax.set_yticklabels(d["label"])
            ax.set_xlim(0, 100)
            ax.set_title(title, fontsize=10)
        fig.suptitle("Perception gap: awareness and rated quality of services")
        fig.tight_layout()
        tele = self._ind("gp_unaware_service", "telecare")
        reading = f"{_estimate_text(tele)} of GPs are unaware of telecare where it is provided; it does not matter how good services are if GPs do not know them."
        table = pd.DataFrame([{"service": SERVICE_NAMES[s], "unaware (95% CI)": _estimate_text(self._ind("gp_unaware_service", s)),
                               "rated poor by the aware": _estimate_text(self._ind("gp_service_rated_poor", s))} for s in services])
        return Block("Perception gap", reading, figure=fig, table=table)

    def motivators(self) -> Block | None:
        import matplotlib.pyplot as plt

        ids = ["gp_motivated_fewer_home_visits", "gp_motivated_financial_incentive"]
        rows = [self._ind(i) for i in ids]
        if all(r is None for r in rows):
            return None
        d = pd.DataFrame([{**r, "label": lab} for r, lab in zip(rows, ["Fewer home visits", "Financial incentive"]) if r is not None])
        fig, ax = plt.subplots(figsize=(7, 2.2))
        nat = [self.national[(self.national.indicator == i) & (self.national.group == "")]["estimate"] for i in ids] if self.national is not None else []
        plots.forest_plot(d, y="label", ax=ax, reference=float(nat[0].iloc[0]) if len(nat) and len(nat[0]) else None,
                          reference_label="national: fewer home visits")
        ax.set_xlim(0, 100)
        ax.set_title("What would motivate GPs' advice on residential care")
        fig.tight_layout()
        reading = f"{_estimate_text(rows[0])} say fewer home visits would motivate their advice; {_estimate_text(rows[1])} a financial incentive."
        return Block("Motivators", reading, figure=fig, table=self._headline_rows(ids))

    def older_people(self) -> Block | None:
        import matplotlib.pyplot as plt

        if not self._has("older_people_survey"):
            return None
        ind = self.indicators
        infl = ind[ind.indicator == "op_influenced_by"].copy()
        infl["label"] = infl["group"].map({"gp": "GP", "family": "Family", "social_worker": "Social worker",
                                           "hospital_staff": "Hospital staff", "friends": "Friends", "self": "Themselves"})
        fig, ax = plt.subplots(figsize=(7, 3))
        plots.forest_plot(infl, y="label", ax=ax)
        ax.set_xlim(0, 100)
        ax.set_title("Who influenced older people's decisions about care (% yes)")
        fig.tight_layout()
        p = self._ind("op_planned_ahead")
        g = self._ind("op_influenced_by_gp")
        reading = f"Only {_estimate_text(p)} planned their move into care before a crisis; GPs influenced {_estimate_text(g)}."
        groups = list(INSTRUMENTS["older_people_survey"].column("most_influential").choices.levels)
        table = self._headline_rows(["op_planned_ahead", "op_influenced_by_gp", "op_trust_gp_advice"])
        most = self._headline_rows(["op_most_influential"], groups)
        return Block("Older people", reading, figure=fig, table=pd.concat([table, most], ignore_index=True))

    def interface_factors(self) -> Block | None:
        import matplotlib.pyplot as plt

        if not self._has("professional_survey"):
            return None
        prof = self.tables["professional_survey"]
        domains = [("prof_admission_factor_frequent", "Unnecessary admissions"), ("prof_delay_factor_frequent", "Delayed discharges"),
                   ("prof_wrong_pathway_factor_frequent", "Wrong-pathway discharges")]
        fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
        for ax, (ind, title) in zip(axes, domains):
            d = self.indicators[self.indicators.indicator == ind].copy()
            d["label"] = d["group"].str.replace("_", " ")
            d = d.sort_values("estimate", ascending=True, na_position="first")
            plots.forest_plot(d, y="label", ax=ax)
            hidden = d.loc[d.suppressed | d.estimate.isna(), "label"].tolist()
            ax.set_xlim(0, 100)
            ax.set_title(title + (f" ([c]: {len(hidden)} hidden)" if hidden else ""), fontsize=10)
            ax.set_xlabel("% frequently or very frequently")
        fig.suptitle("What drives poorer outcomes at the interface: factors cited frequently")
        fig.tight_layout()
        site_f = self.indicators[self.indicators.indicator.str.endswith("_factor_frequent") & ~self.indicators.suppressed]
        top = site_f.sort_values("estimate", ascending=False).head(1)
        reading = ("Most often cited: " + top["group"].iloc[0].replace("_", " ") + f" ({_pct(top['estimate'].iloc[0])} frequently or very frequently)."
                   if len(top) else "[c] too few answers to rank the factors.")
        omnibus, _ = factor_tests(prof)
        notes = ["Breakdowns by profession are in the national report, where enough professionals answered."]
        if len(omnibus):
            sig = omnibus[omnibus.p_val < 0.05]
            notes.append(f"Kruskal-Wallis across professions at this site: {len(sig)} of {len(omnibus)} factors differ at p < 0.05.")
        return Block("Interface survey: what drives admissions, delays and wrong pathways", reading, figure=fig, notes=notes)

    def matrices(self) -> Block | None:
        if not self._has("professional_survey"):
            return None
        ind = self.indicators
        rel = ind[ind.indicator == "prof_relationship_score"]
        tr = ind[ind.indicator == "prof_trust"].assign(estimate=lambda d: d["estimate"] * 100)
        if (rel.suppressed | rel.estimate.isna()).all() and (tr.suppressed | tr.estimate.isna()).all():
            return Block("Trust and relationship matrices", "[c]: too few raters in each profession at this site to show any cell; "
                         "see the national report for the matrices.")
        fig = _matrix_figure(ind)
        vis = rel[~rel.suppressed & rel.estimate.notna()]
        reading = ("Lowest relationship: " + vis.sort_values("estimate").iloc[0]["group"].replace("->", " rating ") +
                   f" ({vis.sort_values('estimate').iloc[0]['estimate']:.1f})." if len(vis) else "[c] too few ratings to show.")
        return Block("Trust and relationship matrices", reading, figure=fig,
                     notes=["Rows rate columns; respondents do not rate their own profession; [c] marks too few raters."])

    def case_reviews(self) -> Block | None:
        import matplotlib.pyplot as plt
        import seaborn as sns

        if not self._has("case_reviews"):
            return None
        cases = self.tables["case_reviews"]
        t = transition_table(cases)
        shown = disclose_counts(t.reset_index(), self.rules, columns=list(t.columns)).set_index("actual_pathway")
        numeric = t.where(shown != self.rules.marker).astype(float)
        fig, ax = plt.subplots(figsize=(8, 6))
        sns.heatmap(numeric, annot=shown.to_numpy(), fmt="", cmap="Blues", ax=ax, linewidths=0.5, cbar_kws={"label": "cases"})
        for (i, j) in zip(*np.nonzero((shown == self.rules.marker).to_numpy())):
            ax.text(j + 0.5, i + 0.5, self.rules.marker, ha="center", va="center", fontsize=9, color="#444444")
        ax.set_xticklabels([c.replace("_", " ") for c in t.columns], rotation=35, ha="right")
        ax.set_yticklabels([c.replace("_", " ") for c in t.index], rotation=0)
        ax.set_xlabel("ideal pathway (panel)")
        ax.set_ylabel("actual pathway")
        ax.set_title("Actual and ideal pathways of reviewed cases")
        fig.tight_layout()
        imp = self._ind("case_decision_improvable")
        alt = self._ind("case_alternative_available")
        reading = f"{_estimate_text(imp)} of pathway decisions could have been improved; the better option was available in {_estimate_text(alt)} of those."
        ids = ["case_decision_improvable", "case_alternative_available", "case_ideal_less_intensive", "case_weekly_cost_difference",
               "case_care_hours_fell", "case_reablement_suitable"]
        table = self._headline_rows(ids)
        by_dp = disclose_indicators(compute_indicators_by(cases, "decision_point", self.site_id), self.rules)
        rows = [{"indicator": f"improvable at {r['decision_point']}", "this site (95% CI)": _estimate_text(r),
                 "base": self._count(r["denominator"]), "national": ""} for r in by_dp[by_dp.indicator == "case_decision_improvable"].to_dict("records")]
        notes = []
        if "team" in cases.columns and "reablement_suitable" in cases.columns and cases["reablement_suitable"].notna().any():
            tv = team_variation(cases)
            teams = tv["teams"]
            if len(teams) >= 2:
                parts = []
                for r in teams.to_dict("records"):
                    sup = self.rules.apply and (self.rules.small(r["numerator"]) or r["denominator"] < self.rules.min_base_for_percentage)
                    parts.append(f"{r['team']}: {'[c]' if sup else _pct(r['estimate'])} ({r['significance']})")
                notes.append("Reablement suitability by team: " + "; ".join(parts) +
                             f". Chi-square across teams p = {tv['chi2']['p_val']:.3g}.")
        return Block("Case reviews", reading, figure=fig, table=pd.concat([table, pd.DataFrame(rows)], ignore_index=True), notes=notes)

    def flow(self) -> Block | None:
        import matplotlib.pyplot as plt

        if not self._has("flow_metrics"):
            return None
        fm = self.tables["flow_metrics"]
        adm = fm[fm.metric == "permanent_admissions_care_homes_65plus"].sort_values("period")
        fig, ax = plt.subplots(figsize=(9, 3))
        if len(adm):
            vals = adm["value"].to_numpy(float)
            shown = np.where(self.rules.apply & self.rules.small(vals), np.nan, vals)
            ax.plot(adm["period"].astype(str), shown, marker="o", markersize=3, color="#08519c")
            step = max(1, len(adm) // 8)
            ax.set_xticks(range(0, len(adm), step))
            ax.set_xticklabels(adm["period"].astype(str).iloc[::step], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("admissions per month")
        ax.set_title("Permanent admissions of people 65+ to care homes")
        fig.tight_layout()
        r = self._ind("flow_care_home_admissions_rate")
        reading = (f"{r['estimate']:.0f} permanent care home admissions per 100,000 people 65+ in the latest 12 months "
                   f"(95% CI {r['lower']:.0f} to {r['upper']:.0f})." if r is not None and not r["suppressed"] else "Admissions rate: [c].")
        rows = []
        for ind, groups in (("flow_care_home_admissions_rate", [""]), ("flow_reablement_at_home_91days", [""]),
                            ("flow_delayed_days_share", ["nhs", "social_care", "joint"]),
                            ("flow_discharge_pathway_share", [f"pathway_{i}" for i in range(4)])):
            for g in groups:
                x = self._ind(ind, g)
                if x is None:
                    continue
                est = (f"{x['estimate']:.0f} per 100,000 ({x['lower']:.0f} to {x['upper']:.0f})" if ind.endswith("rate") and not x["suppressed"]
                       else _estimate_text(x))
                rows.append({"indicator": _indicator_label(ind, g), "latest 12 months (95% CI)": est})
        return Block("Flow metrics", reading, figure=fig, table=pd.DataFrame(rows))

    def tracking(self) -> Block | None:
        import matplotlib.pyplot as plt

        if not (self._has("interventions") and self._has("flow_metrics")):
            return None
        table, tracked = spc.track_interventions(self.tables["flow_metrics"], self.tables["interventions"])
        if not tracked:
            return Block("Tracking interventions", "Not enough monthly data to judge the interventions.", table=table)
        fig, axes = plt.subplots(len(tracked), 1, figsize=(10, 3.2 * len(tracked)), squeeze=False)
        for ax, t in zip(axes[:, 0], tracked):
            chart = t.rebased.assign(point_type=t.chart["point_type"].to_numpy())
            if self.rules.apply:
                chart = chart.assign(y=np.where(self.rules.small(chart["y"]), np.nan, chart["y"]))
            spc.spc_chart(chart, start=t.intervention["start_period"], verdict=t.verdict,
                          title=f"{t.intervention['name']}: {t.intervention['metric'].replace('_', ' ')} (improvement is {t.intervention['desired_direction']})",
                          ax=ax)
        fig.tight_layout()
        reading = "; ".join(f"{r['name']}: {r['verdict_text']}" for r in table.to_dict("records")) + "."
        shown = table.assign(assurance=table["assurance"].fillna("no target set"))[
            ["name", "metric", "start_period", "n_before", "n_after", "verdict_text", "assurance", "note"]].rename(
            columns={"verdict_text": "verdict", "n_before": "months before", "n_after": "months after"})
        return Block("Tracking interventions (statistical process control)", reading, figure=fig, table=shown,
                     notes=["XmR charts (Making Data Count): limits from the months before the start are extended to judge the months after; "
                            "the chart shows limits rebased at the start. Blue points: special cause improvement; orange: concern; grey: common cause."])

    def benefits(self) -> Block | None:
        if not self.benefits_file or not self._has("case_reviews"):
            return None
        from . import benefits as bn

        model = bn.BenefitsModel.from_yaml(self.benefits_file)
        res = model.site(self.data, self.site_id)
        if res is None:
            return None
        return bn.benefits_block(model, res, self.name, count_format=self._count)

    def versus_national(self) -> Block | None:
        import matplotlib.pyplot as plt

        if self.national is None:
            return None
        rows, plot_rows = [], []
        for ind, (_, desc, published, published_text) in HEADLINES.items():
            if ind in ("prof_relationship_score", "prof_trust"):
                continue
            r = self._ind(ind)
            m = self.national[(self.national.indicator == ind) & (self.national.group == "")]
            if r is None or m.empty:
                continue
            nat = m.iloc[0]
            raw = self.raw_indicators[(self.raw_indicators.indicator == ind) & (self.raw_indicators.group == "")].iloc[0]
            flag = ""
            if not r["suppressed"] and raw["denominator"] > 0:
                sig = stats.funnel_significance(numerator=[raw["numerator"]], denominator=[raw["denominator"]], baseline=float(nat["estimate"]))
                flag = sig["significance"].iloc[0]
            rows.append({"indicator": desc, "this site (95% CI)": _estimate_text(r), "national": _pct(nat["estimate"]),
                         "published": published_text, "against national": flag or "[c]"})
            if not r["suppressed"]:
                plot_rows.append({"label": textwrap.fill(desc, 45), "estimate": r["estimate"], "lower": r["lower"], "upper": r["upper"],
                                  "national": nat["estimate"], "outside": flag not in ("Not significant", "")})
        if not rows:
            return None
        fig = None
        if plot_rows:
            d = pd.DataFrame(plot_rows)
            fig, ax = plt.subplots(figsize=(10, 0.6 * len(d) + 1.6))
            y = np.arange(len(d))[::-1]
            ax.errorbar(d["estimate"] * 100, y, xerr=plots.interval_errors(d["estimate"], d["lower"], d["upper"], 100),
                        fmt="o", color="#08519c", ecolor="#6baed6", capsize=3, label="this site (95% CI)")
            ax.scatter(d["national"] * 100, y, marker="|", s=200, color="#d94801", label="national", zorder=3)
            for yi, out in zip(y, d["outside"]):
                if out:
                    ax.text(101, yi, "outside funnel", va="center", fontsize=7, color="#d7301f")
            ax.set_yticks(y)
            ax.set_yticklabels(d["label"], fontsize=8)
            ax.set_xlim(0, 115)
            ax.set_xlabel("%")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
            ax.set_title("This site against the national figure")
            fig.tight_layout()
        n_out = sum(1 for r in rows if r["against national"] not in ("Not significant", "[c]"))
        reading = f"{n_out} of {len(rows)} headline indicators lie outside the funnel limits around the national figure."
        return Block("This site against the national figures", reading, figure=fig, table=pd.DataFrame(rows),
                     notes=["Funnel limits: Wilson score inversion around the national proportion at this site's base (95% and 99.8%)."])

    def interviews(self) -> Block | None:
        if not self._has("interviews"):
            return None
        iv = self.tables["interviews"]
        tc = theme_counts(iv, by=[])
        wide = tc.groupby("theme", observed=True)[["negative", "neutral", "positive", "mentions"]].sum().reset_index()
        shown = disclose_counts(wide, self.rules, columns=["negative", "neutral", "positive", "mentions"])
        shown["theme"] = shown["theme"].str.replace("_", " ")
        quotes = approved_quotes(iv, self.redact_names)
        notes = [f"\u201c{q}\u201d ({g}, {t.replace('_', ' ')})" for q, g, t in zip(quotes["quote"], quotes["stakeholder_group"], quotes["theme"])]
        top = wide.sort_values("mentions", ascending=False).iloc[0]["theme"].replace("_", " ") if len(wide) else ""
        reading = f"The theme raised most often was {top}; only quotes approved for publication are shown, with personal details removed."
        return Block("Coded interview themes", reading, table=shown, notes=notes)

    @property
    def site_rules(self) -> DisclosureRules:
        return self.rules

    @property
    def title_text(self) -> str:
        return f"{self.name}: Home Truths indicators"

    def _published(self) -> pd.DataFrame:
        return self.indicators


def compute_indicators_by(cases: pd.DataFrame, column: str, site_id: str) -> pd.DataFrame:
    from .indicators import case_indicators

    out = case_indicators(cases, by=[column])
    out.insert(0, "site_id", site_id)
    out["suppressed"] = False
    return out


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


def write_indicators(indicators: pd.DataFrame, path) -> Path:
    """``indicators.csv`` exactly as the contract: fixed columns, blank for missing, true/false."""
    from .indicators import OUTPUT_COLUMNS

    df = indicators[OUTPUT_COLUMNS].copy()
    df["suppressed"] = np.where(df["suppressed"].astype(bool), "true", "false")
    for c in ("numerator", "denominator", "estimate", "lower", "upper"):
        df[c] = [("" if pd.isna(v) else format(float(v), ".10g")) for v in df[c]]
    path = Path(path)
    df.to_csv(path, index=False, lineterminator="\n")
    return path


def write_summary_xlsx(indicators: pd.DataFrame, path, *, title: str, national: pd.DataFrame | None = None, marker: str = "[c]") -> Path:
    """An xlsx summary for council staff: read-me, headline indicators, every indicator.

    Suppressed values read ``[c]``; no cell is ever written as a formula.
    """
    import openpyxl

    from .io import safe_cell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("read_me")
    for line in (title, "", "Estimates are proportions (0-1) or means as the indicator says, with 95% intervals.",
                 f"{marker}: withheld by disclosure control (counts of 1-7, or bases under 10). Other counts are rounded to 5 at site level.",
                 "Source: homekit " + __version__):
        ws.append([safe_cell(ws, line)])
    hs = wb.create_sheet("headlines")
    header = ["indicator", "description", "estimate", "lower", "upper", "base", "national", "published"]
    hs.append([safe_cell(hs, h) for h in header])
    ht = headline_table().set_index("indicator")
    for r in indicators[(indicators.group == "") & indicators.indicator.isin(HEADLINES)].to_dict("records"):
        nat = ""
        if national is not None:
            m = national[(national.indicator == r["indicator"]) & (national.group == "")]
            nat = float(m["estimate"].iloc[0]) if len(m) and pd.notna(m["estimate"].iloc[0]) else ""
        sup = bool(r["suppressed"])
        vals = [r["indicator"], ht.loc[r["indicator"], "description"],
                marker if sup else r["estimate"], marker if sup else r["lower"], marker if sup else r["upper"],
                "" if pd.isna(r["denominator"]) else r["denominator"], nat, ht.loc[r["indicator"], "published_text"]]
        hs.append([safe_cell(hs, None if (isinstance(v, float) and np.isnan(v)) else v) for v in vals])
    al = wb.create_sheet("all_indicators")
    cols = list(indicators.columns)
    al.append([safe_cell(al, c) for c in cols])
    for r in indicators.itertuples(index=False):
        row = []
        for c, v in zip(cols, r):
            if c in ("numerator", "estimate", "lower", "upper") and bool(r.suppressed):
                v = marker
            if isinstance(v, float) and np.isnan(v):
                v = None
            if isinstance(v, (bool, np.bool_)):
                v = "true" if v else "false"
            row.append(safe_cell(al, v))
        al.append(row)
    path = Path(path)
    wb.save(path)
    return path


# ---------------------------------------------------------------------------------------------
# National synthesis
# ---------------------------------------------------------------------------------------------


class NationalReport(_Report):
    """The national synthesis over the sites that succeeded."""

    SECTIONS = ("title", "coverage", "headlines", "forest_plots", "funnel_plots", "waves", "change", "matrices", "factors",
                "case_reviews", "ranking", "interventions", "benefits")
    title_text = "Home Truths national indicators"

    def __init__(self, data: Dataset, site_indicators: pd.DataFrame, *, parameters: dict | None = None,
                 site_rules: DisclosureRules | None = None, benefits_file: str | None = None):
        self.data = data
        self.params = dict(parameters or {})
        self.site_rules = site_rules or DisclosureRules()
        self.site_indicators = site_indicators
        self.indicators = compute_indicators(data, level="national")
        self.published = disclose_indicators(self.indicators, disclosure.load_rules(None, "national"))
        self.benefits_file = benefits_file or None

    @classmethod
    def open(cls, *, data_dir: str = "", data_file: str = "", sites: list | None = None, site_dirs: str = "",
             disclosure_file: str = "", benefits_file: str = "", parameters: dict | None = None):
        """Load the national data: a pickled dataset from ``homekit run`` or a data folder (default:
        the example data), restricted to ``sites``; per-site indicators are read from
        ``site_dirs/<site_id>/indicators.csv`` when given, else computed (with disclosure)."""
        if data_file:
            with open(data_file, "rb") as fh:
                data = pd.read_pickle(fh)["data"]
        else:
            data = load_data_dir(data_dir or example_data_dir())
        site_ids = list(sites) if sites else data.site_ids
        tables = {k: (v[v["site_id"].isin(site_ids)].reset_index(drop=True)) for k, v in data.tables.items()}
        data = Dataset(data.data_dir, tables, data.sources)
        rules = disclosure.load_rules(disclosure_file or None, "site")
        if site_dirs:
            frames = []
            for s in site_ids:
                p = Path(site_dirs) / s / "indicators.csv"
                if p.exists():
                    f = pd.read_csv(p, keep_default_na=False, na_values=[""])
                    frames.append(f)
            site_ind = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
            if len(site_ind):
                site_ind["group"] = site_ind["group"].fillna("").astype(str)
                site_ind["suppressed"] = site_ind["suppressed"].astype(str).str.lower() == "true"
        else:
            site_ind = disclose_indicators(compute_indicators(data), rules)
        return cls(data, site_ind, parameters=parameters, site_rules=rules, benefits_file=benefits_file)

    def _nat(self, ind, group=""):
        m = self.indicators[(self.indicators.indicator == ind) & (self.indicators.group == group)]
        return None if m.empty else m.iloc[0].to_dict()

    def title(self) -> Block:
        return Block(self.params.get("title", "Home Truths: national synthesis"),
                     f"Pooled over every respondent of the {len(self.data.site_ids)} sites included; site-level figures follow site disclosure rules.",
                     level=1)

    def coverage(self) -> Block:
        s = self.data.sites
        rows = []
        for w, grp in s.groupby("wave"):
            ids = set(grp.site_id)
            row = {"wave": int(w), "sites": len(grp), "population": f"{int(grp.population.sum()):,}",
                   "population 65+": f"{int(grp.population_65plus.sum()):,}", "GPs": f"{int(grp.gp_count.sum()):,}"}
            for inst, lab in (("gp_survey", "GP responses"), ("older_people_survey", "older people"), ("professional_survey", "professionals"),
                              ("case_reviews", "case reviews")):
                df = self.data.get(inst)
                row[lab] = 0 if df is None else int(df["site_id"].isin(ids).sum())
            rows.append(row)
        t = pd.DataFrame(rows)
        tot = {"wave": "all", "sites": len(s), "population": f"{int(s.population.sum()):,}",
               "population 65+": f"{int(s.population_65plus.sum()):,}", "GPs": f"{int(s.gp_count.sum()):,}"}
        for lab in ("GP responses", "older people", "professionals", "case reviews"):
            tot[lab] = int(t[lab].sum())
        t = pd.concat([t, pd.DataFrame([tot])], ignore_index=True)
        return Block("Coverage", f"{len(s)} sites in {s.wave.nunique()} waves, {int(s.population.sum()):,} people and {int(s.gp_count.sum()):,} GPs; "
                     f"{tot['GP responses']:,} GP survey responses.", table=t)

    def headlines(self) -> Block:
        rows = []
        for ind, (inst, desc, published, published_text) in HEADLINES.items():
            if ind in ("prof_relationship_score", "prof_trust"):
                continue
            r = self._nat(ind)
            if r is None:
                continue
            site = self._site_counts(ind)
            re_ = stats.pool_proportions(site["numerator"], site["denominator"]).iloc[0] if len(site) >= 2 else None
            rows.append({"indicator": desc, "pooled (95% CI)": _estimate_text(r), "base": f"{int(r['denominator']):,}",
                         "random effects (95% CI)": "" if re_ is None else f"{_pct(re_['estimate'])} ({_pct(re_['lower'])} to {_pct(re_['upper'])})",
                         "I2": "" if re_ is None else f"{100 * re_['i2']:.0f}%", "sites": len(site), "published": published_text})
        t = pd.DataFrame(rows)
        r = self._nat("gp_relationship_poor")
        reading = f"Pooled over respondents, {_estimate_text(r)} of GPs rate the relationship with social care poor (published: 56%)."
        return Block("Headline indicators", reading, table=t,
                     notes=["Pooled: all respondents together (Wilson interval). Random effects: DerSimonian-Laird on the logit scale; "
                            "I2 is the share of variation between sites beyond chance."])

    def _site_counts(self, ind, group=""):
        """Exact per-site counts (from the data, not the rounded published ones), for pooling."""
        if getattr(self, "_per_site", None) is None:
            self._per_site = compute_indicators(self.data)
        per_site = self._per_site
        d = per_site[(per_site.indicator == ind) & (per_site.group == group) & (per_site.denominator > 0)]
        return d

    def forest_plots(self) -> Block:
        import matplotlib.pyplot as plt

        ids = self.params.get("forest_indicators") or ["gp_relationship_poor", "gp_trust_asc", "gp_trust_discharge_team",
                                                       "gp_value_closer_links", "gp_unaware_telecare", "case_decision_improvable"]
        ids = [i for i in ids if self._nat(i) is not None]
        ncol = 2
        nrow = int(np.ceil(len(ids) / ncol))
        per_row = max(4.2, 0.16 * len(self.data.site_ids) + 1.5)  # room for every site's label
        fig, axes = plt.subplots(nrow, ncol, figsize=(12, per_row * nrow), squeeze=False)
        names = self.data.sites.set_index("site_id")["site_name"].to_dict()
        for ax, ind in zip(axes.flat, ids):
            d = self.site_indicators[(self.site_indicators.indicator == ind) & (self.site_indicators.group == "")].copy()
            d["label"] = d["site_id"].map(names)
            counts = self._site_counts(ind)
            re_ = stats.pool_proportions(counts["numerator"], counts["denominator"]).iloc[0]
            published = HEADLINES[ind][2]
            plots.forest_plot(d, y="label", ax=ax, reference=published, reference_label="published seed figure" if published else "",
                              pooled={"estimate": re_["estimate"], "lower": re_["lower"], "upper": re_["upper"], "label": "random effects"})
            ax.set_xlim(0, 100)
            ax.set_title(HEADLINES[ind][1][:70], fontsize=9)
        for ax in list(axes.flat)[len(ids):]:
            ax.axis("off")
        fig.tight_layout()
        return Block("Sites compared: forest plots", "Each site's estimate with its 95% interval; the diamond is the random-effects pooled estimate "
                     "and the dashed line the published seed figure. Suppressed sites are not drawn.", figure=fig)

    def funnel_plots(self) -> Block:
        import matplotlib.pyplot as plt

        names = self.data.sites.set_index("site_id")["site_name"].to_dict()
        panels, hidden = [], []
        for ind in [i for i in (self.params.get("forest_indicators") or ["gp_relationship_poor"]) if self._nat(i) is not None]:
            d = self._site_counts(ind).copy()
            pub = self.site_indicators[(self.site_indicators.indicator == ind) & (self.site_indicators.group == "")]
            d = d[d.site_id.isin(set(pub.loc[~pub.suppressed, "site_id"]))]
            if len(d) >= 3:
                panels.append((ind, d.assign(site_id=d["site_id"].map(names))))
            else:
                hidden.append(HEADLINES[ind][1])
            if len(panels) == 4:
                break
        ncol = 2
        nrow = max(1, int(np.ceil(len(panels) / ncol)))
        fig, axes = plt.subplots(nrow, ncol, figsize=(12, 5 * nrow), squeeze=False)
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        for ax, (ind, d) in zip(axes.flat, panels):
            plots.funnel_plot(d, ax=ax, baseline=self._nat(ind)["estimate"])
            ax.set_ylim(0, 102)
            ax.set_title(HEADLINES[ind][1][:55], fontsize=9)
        fig.tight_layout()
        notes = ["Limits are drawn around the national pooled figure; sites whose figure is withheld at site level are not drawn."]
        if hidden:
            notes.append(f"Not drawn (fewer than three sites published after disclosure control): {'; '.join(hidden)}.")
        return Block("Funnel plots", "Sites outside the dotted 99.8% limits differ from the average by more than chance would explain; "
                     "most sit inside them.", figure=fig, notes=notes)

    def waves(self) -> Block | None:
        gp = self.data.get("gp_survey")
        if gp is None or gp.empty:
            return None
        from .indicators import gp_headlines

        w = gp.merge(self.data.sites[["site_id", "wave"]], on="site_id")
        h = gp_headlines(w, by=["wave"])
        rows = []
        for ind in [i for i in HEADLINES if i.startswith("gp_")]:
            row = {"indicator": HEADLINES[ind][1]}
            for r in h[h.indicator == ind].to_dict("records"):
                row[f"wave {r['wave']}"] = _estimate_text(r)
            rows.append(row)
        return Block("Waves compared", "Headline shares by programme wave, pooled over each wave's respondents.", table=pd.DataFrame(rows))

    def change(self) -> Block | None:
        gp = self.data.get("gp_survey")
        if gp is None or gp["survey_year"].nunique() < 2:
            return Block("Change between survey years", "Only one survey year in the data: no change can be estimated yet.")
        years = sorted(gp["survey_year"].dropna().unique())
        from .indicators import gp_headlines

        h = gp_headlines(gp, by=["survey_year"])
        rows = []
        for ind in [i for i in HEADLINES if i.startswith("gp_")]:
            a = h[(h.indicator == ind) & (h.survey_year == years[0])]
            b = h[(h.indicator == ind) & (h.survey_year == years[-1])]
            if a.empty or b.empty or a.denominator.iloc[0] == 0 or b.denominator.iloc[0] == 0:
                continue
            c = stats.change_in_proportion(a.numerator.iloc[0], a.denominator.iloc[0], b.numerator.iloc[0], b.denominator.iloc[0]).iloc[0]
            rows.append({"indicator": HEADLINES[ind][1], f"{years[0]}": _pct(c["estimate_1"]), f"{years[-1]}": _pct(c["estimate_2"]),
                         "change (95% CI)": f"{_points(c['estimate'])} points ({_points(c['lower'])} to {_points(c['upper'])})",
                         "p": f"{c['p_val']:.3f}"})
        return Block("Change between survey years", f"Between {years[0]} and {years[-1]} (different sites may have surveyed in each year).",
                     table=pd.DataFrame(rows),
                     notes=["Newcombe hybrid score interval and score test for independent samples."])

    def matrices(self) -> Block | None:
        ind = self.indicators
        rel = ind[ind.indicator == "prof_relationship_score"]
        if rel.empty:
            return None
        fig = _matrix_figure(ind)
        low = rel.sort_values("estimate").head(3)
        reading = "Lowest relationships: " + "; ".join(f"{g.replace('->', ' rating ')} {e:.1f}" for g, e in zip(low.group, low.estimate)) + "."
        from .indicators import asymmetry

        asy = asymmetry(self.data["professional_survey"])
        asy = asy[asy.measure == "relationship"].assign(
            pair=lambda d: d.a + " vs " + d.b,
            difference=lambda d: d.difference.round(2), lower=lambda d: d.lower.round(2), upper=lambda d: d.upper.round(2))
        return Block("Trust and relationship matrices", reading, figure=fig,
                     table=asy[["pair", "a_rates_b", "b_rates_a", "difference", "lower", "upper", "p_val"]].round(3),
                     notes=["Asymmetry: mean score A gives B minus B gives A, Welch 95% interval."])

    def factors(self) -> Block | None:
        prof = self.data.get("professional_survey")
        if prof is None or prof.empty:
            return None
        omnibus, pairwise = factor_tests(prof)
        fs = factor_shares(prof, by=[])
        top = fs.sort_values("estimate", ascending=False).head(5)
        reading = "Most frequently cited overall: " + "; ".join(f"{g.replace('_', ' ')} ({_pct(e)})" for g, e in zip(top.group, top.estimate)) + "."
        sig = pairwise[pairwise.p_holm < 0.05]
        table = omnibus.assign(h=omnibus.h.round(2), p_val=omnibus.p_val.map(lambda p: f"{p:.3g}"))
        notes = [f"{len(sig)} pairwise differences between professions remain after Holm correction."]
        return Block("Interface survey factors", reading, table=table, notes=notes)

    def case_reviews(self) -> Block | None:
        import matplotlib.pyplot as plt

        cases = self.data.get("case_reviews")
        if cases is None or cases.empty:
            return None
        t = transition_table(cases)
        fig, ax = plt.subplots(figsize=(8, 6))
        plots.transition_heatmap(t, ax=ax)
        ax.set_title("Actual and ideal pathways, all reviewed cases")
        fig.tight_layout()
        imp, alt = self._nat("case_decision_improvable"), self._nat("case_alternative_available")
        reading = f"{_estimate_text(imp)} of decisions could be improved (published 45%); the alternative was available in {_estimate_text(alt)} (published: over 90%)."
        from .indicators import case_indicators

        by = pd.concat([case_indicators(cases, by=["decision_point"]).rename(columns={"decision_point": "breakdown"}),
                        case_indicators(cases, by=["primary_reason"]).rename(columns={"primary_reason": "breakdown"})])
        by = by[by.indicator.isin(["case_decision_improvable", "case_alternative_available"])]
        table = pd.DataFrame([{"breakdown": r["breakdown"], "indicator": HEADLINES[r["indicator"]][1], "estimate (95% CI)": _estimate_text(r),
                               "base": int(r["denominator"])} for r in by.to_dict("records")])
        return Block("Case reviews, pooled", reading, figure=fig, table=table)

    def ranking(self) -> Block:
        import matplotlib.pyplot as plt

        ind = self.params.get("rank_indicator", "gp_relationship_poor")
        d = self.site_indicators[(self.site_indicators.indicator == ind) & (self.site_indicators.group == "") & ~self.site_indicators.suppressed]
        d = d.sort_values("estimate", ascending=False).copy()
        d["label"] = d["site_id"].map(self.data.sites.set_index("site_id")["site_name"])
        fig, ax = plt.subplots(figsize=(8, 0.4 * len(d) + 1.5))
        nat = self._nat(ind)
        plots.forest_plot(d, y="label", ax=ax, reference=nat["estimate"] if nat else None, reference_label="national")
        ax.set_xlim(0, 100)
        ax.set_title(f"Sites ranked: {HEADLINES.get(ind, (None, ind))[1]}")
        fig.tight_layout()
        return Block("Sites ranked, with their intervals", "Overlapping intervals mean most ranks are uncertain: rank positions alone should not be read as a league table.",
                     figure=fig)

    def interventions(self) -> Block | None:
        fm, iv = self.data.get("flow_metrics"), self.data.get("interventions")
        if fm is None or iv is None or iv.empty:
            return None
        table, _ = spc.track_interventions(fm, iv)
        names = self.data.sites.set_index("site_id")["site_name"]
        shown = table.assign(site=table.site_id.map(names))[["site", "name", "metric", "start_period", "verdict_text", "note"]].rename(
            columns={"verdict_text": "verdict"})
        n_imp = int((table.verdict == "special_cause_improvement").sum())
        return Block("Interventions tracked", f"{n_imp} of {len(table)} interventions show special cause improvement in their target metric.", table=shown)

    def benefits(self) -> Block | None:
        if not self.benefits_file:
            return None
        from . import benefits as bn

        model = bn.BenefitsModel.from_yaml(self.benefits_file)
        return bn.national_block(model, self.data)

    def _published(self) -> pd.DataFrame:
        return self.published


def load_parameters(path: str) -> dict:
    """A parameters YAML as a dict (empty when no path)."""
    if not path:
        return {}
    return yaml.safe_load(Path(path).read_text()) or {}
