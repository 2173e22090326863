"""Benefits model: what a site's own evidence implies for spending on social care and the NHS.

For one site, over a year (prices uprated to the model's price year):

* **social care**: permanent care home admissions 65+ in the latest 12 months (flow metrics)
  x the share of reviewed care home placements that were avoidable (case reviews: improvable,
  the better option available locally, and a less intensive ideal pathway) x the realisation
  rate x the mean weekly cost difference between the actual and the ideal pathway x the expected
  length of a care home stay in weeks;
* **NHS admissions**: non-elective admissions 65+ in the latest 12 months x the share of reviewed
  admissions that were avoidable (same definition) x the realisation rate x the cost of a
  non-elective admission;
* **NHS bed days**: delayed days (NHS, social care and joint) in the latest 12 months x the share
  of reviewed discharges that were improvable with the alternative available x the share of their
  delay a better pathway removes x the realisation rate x the cost of an excess bed day.

Uncertainty: Monte Carlo (fixed seed) over every parameter's range (triangular: low, value, high)
and over the site's evidence (Jeffreys Beta for each share), giving P10, P50 and P90; one-way
sensitivity (each parameter at its low and high value) as a tornado chart.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .exceptions import ParameterError
from .instruments import PATHWAYS

__all__ = ["weekly_costs", "BenefitsModel", "SiteBenefits", "site_evidence", "evaluate", "parameter_table",
           "national_estimate", "opportunity_benefits", "short_list_total"]

STREAMS = ("social_care", "nhs_admissions", "nhs_bed_days")
STREAM_NAMES = {"social_care": "Social care", "nhs_admissions": "NHS: avoided admissions", "nhs_bed_days": "NHS: excess bed days"}
_REQUIRED_COSTS = [f"week_{p}" for p in PATHWAYS] + ["non_elective_admission", "excess_bed_day"]
_REQUIRED_ASSUMPTIONS = ["care_home_stay_weeks", "reablement_weeks", "intermediate_care_weeks", "realisation_rate",
                         "avoidable_delay_share_of_improvable"]
_CARE_HOMES = ("residential_care", "nursing_care")


@dataclass(frozen=True)
class Parameter:
    name: str
    value: float
    low: float
    high: float
    price_year: int
    source: str


def _parameter(name: str, spec, source_file: str) -> Parameter:
    if spec is None:
        raise ParameterError(name, "is missing: give value, low, high, price_year and source", source_file)
    if not isinstance(spec, dict):
        raise ParameterError(name, f"must be a mapping with value, low, high, price_year and source, got {spec!r}", source_file)
    for key in ("value", "low", "high", "price_year", "source"):
        if spec.get(key) is None or (isinstance(spec.get(key), str) and not spec[key].strip()):
            raise ParameterError(f"{name}.{key}", "is missing (nothing is defaulted)", source_file)
    try:
        value, low, high = (float(spec[k]) for k in ("value", "low", "high"))
        year = int(spec["price_year"])
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, f"value, low, high must be numbers and price_year a year ({exc})", source_file) from exc
    for key, v in (("value", value), ("low", low), ("high", high)):
        if not math.isfinite(v) or v < 0:
            raise ParameterError(f"{name}.{key}", f"must be a number >= 0, got {spec[key]!r}", source_file)
    if not low <= value <= high:
        raise ParameterError(name, f"needs low <= value <= high, got {low} / {value} / {high}", source_file)
    return Parameter(name, value, low, high, year, str(spec["source"]))


@dataclass
class BenefitsModel:
    """Parameters of the benefits model, validated and uprated to ``price_year``."""

    price_year: int
    parameters: dict[str, Parameter]
    index: dict[int, float]
    index_source: str
    draws: int = 4000
    seed: int = 1
    source_file: str = ""

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> "BenefitsModel":
        path = Path(path)
        try:
            cfg = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise ParameterError("benefits", f"cannot read the benefits parameters: {exc}", str(path)) from exc
        return cls.from_dict(cfg or {}, source_file=str(path))

    @classmethod
    def from_dict(cls, cfg: dict, source_file: str = "") -> "BenefitsModel":
        if cfg.get("price_year") is None:
            raise ParameterError("price_year", "is missing", source_file)
        up = cfg.get("uprating") or {}
        index = {int(k): float(v) for k, v in (up.get("index") or {}).items()}
        if not index:
            raise ParameterError("uprating.index", "is missing: give an index value per price year", source_file)
        if any(v <= 0 for v in index.values()):
            raise ParameterError("uprating.index", "values must be > 0", source_file)
        params = {}
        for section, names in (("costs", _REQUIRED_COSTS), ("assumptions", _REQUIRED_ASSUMPTIONS)):
            given = cfg.get(section) or {}
            for name in names:
                params[name] = _parameter(f"{section}.{name}", given.get(name), source_file)
            for name in set(given) - set(names):
                params[name] = _parameter(f"{section}.{name}", given[name], source_file)
        for name in ("england_population_65plus", "published_social_care_saving", "published_nhs_saving"):
            params[name] = _parameter(name, cfg.get(name), source_file)
        if params["realisation_rate"].high > 1 or params["avoidable_delay_share_of_improvable"].high > 1:
            raise ParameterError("assumptions", "shares (realisation_rate, avoidable_delay_share_of_improvable) must be at most 1", source_file)
        mc = cfg.get("monte_carlo") or {}
        model = cls(int(cfg["price_year"]), {k.split(".")[-1]: v for k, v in params.items()}, index, str(up.get("source", "")),
                    int(mc.get("draws", 4000)), int(mc.get("seed", 1)), source_file)
        for p in model.parameters.values():
            model.uprate(1.0, p.price_year, p.name)  # every price year must be in the index
        return model

    def with_values(self, **values) -> "BenefitsModel":
        """A copy with some central values changed (ranges widened to include them), for what-ifs."""
        import dataclasses

        params = dict(self.parameters)
        for name, v in values.items():
            if name not in params:
                raise ParameterError(name, f"is not a parameter of the model ({', '.join(sorted(params))})", self.source_file)
            v = float(v)
            if not math.isfinite(v) or v < 0:
                raise ParameterError(name, f"must be a number >= 0, got {v!r}", self.source_file)
            p = params[name]
            params[name] = dataclasses.replace(p, value=v, low=min(p.low, v), high=max(p.high, v))
        return dataclasses.replace(self, parameters=params)

    def uprate(self, value, from_year: int, name: str = "") -> float:
        if from_year not in self.index or self.price_year not in self.index:
            raise ParameterError(name or "uprating.index", f"no uprating index for {from_year if from_year not in self.index else self.price_year}",
                                 self.source_file)
        return value * self.index[self.price_year] / self.index[from_year]

    def values(self, which: str = "value") -> dict[str, float]:
        """Parameter values (``value``, ``low`` or ``high``), costs uprated to the price year."""
        out = {}
        for name, p in self.parameters.items():
            v = getattr(p, which)
            out[name] = self.uprate(v, p.price_year, name) if name in _REQUIRED_COSTS or name.startswith("published_") else v
        return out

    def weekly_costs(self) -> dict[str, float]:
        """Weekly cost (GBP, uprated to the price year) of each pathway id, from ``costs.week_<pathway>``."""
        values = self.values()
        return {p: values[f"week_{p}"] for p in PATHWAYS}

    def draw(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        """``n`` Monte Carlo draws of every parameter (triangular over low, value, high)."""
        lo, mid, hi = self.values("low"), self.values("value"), self.values("high")
        out = {}
        for name in self.parameters:
            if hi[name] > lo[name]:
                out[name] = rng.triangular(lo[name], mid[name], hi[name], n)
            else:
                out[name] = np.full(n, mid[name])
        return out

    def site(self, data, site_id: str, *, publish=None) -> "SiteBenefits | None":
        """The benefits of one site (``None`` when it has no case reviews); ``publish`` maps the
        evidence to what may drive a published figure (e.g. :func:`homekit.disclosure.disclose_evidence`)."""
        ev = site_evidence(data, site_id)
        if ev is None:
            return None
        return evaluate(self, publish(ev) if publish is not None else ev)


def weekly_costs(path: str | os.PathLike | None = None) -> dict[str, float]:
    """Weekly cost (GBP) of each pathway from a benefits parameters file (default: the packaged
    ``parameters/benefits.yaml``), validated and uprated as the model uses them.

    Examples
    --------
    >>> costs = weekly_costs()
    >>> costs["intermediate_care_bed"] > costs["residential_care"]
    True
    """
    from .resources import default_parameters

    return BenefitsModel.from_yaml(path or default_parameters() / "benefits.yaml").weekly_costs()


@dataclass
class Evidence:
    """What a site's data says, as counts (so that sampling uncertainty can be drawn)."""

    site_id: str
    population_65plus: float
    care_home_admissions: float | None
    non_elective_admissions: float | None
    delayed_days: float | None
    care_home_cases: int
    care_home_avoidable: int
    #: avoidable care home cases as (actual, ideal, actual weekly cost, ideal weekly cost, count); the
    #: weekly costs are the data's mean where the case reviews carry costs, else None (parameters).
    transitions: list = field(default_factory=list)
    admission_cases: int = 0
    admission_avoidable: int = 0
    discharge_cases: int = 0
    discharge_improvable: int = 0
    #: streams left out because the evidence behind them is withheld where it is published
    #: (set by :func:`homekit.disclosure.disclose_evidence`)
    withheld: tuple = ()


def site_evidence(data, site_id: str) -> Evidence | None:
    """Counts from a site's case reviews and flow metrics that drive its benefits."""
    from .indicators.flow import latest_year

    cases = data.get("case_reviews")
    if cases is None:
        return None
    cases = cases[cases["site_id"] == site_id]
    if cases.empty:
        return None
    sites = data["sites"].set_index("site_id")
    order = {p: i for i, p in enumerate(PATHWAYS)}
    actual = cases["actual_pathway"].astype(str)
    ideal = cases["ideal_pathway"].astype(str)
    less = ideal.map(order) < actual.map(order)
    alt = cases["alternative_available"].astype(str) == "Yes"
    avoidable = (actual != ideal) & alt & less
    ch = actual.isin(_CARE_HOMES)
    sel = ch & avoidable
    costs = pd.DataFrame({"a": actual[sel], "i": ideal[sel]})
    if {"actual_weekly_cost", "ideal_weekly_cost"} <= set(cases.columns):
        costs["aw"] = cases.loc[sel, "actual_weekly_cost"].astype(float)
        costs["iw"] = cases.loc[sel, "ideal_weekly_cost"].astype(float)
        costs.loc[costs["aw"].isna() | costs["iw"].isna(), ["aw", "iw"]] = np.nan
    else:
        costs["aw"] = costs["iw"] = np.nan
    costs["known"] = costs["aw"].notna()
    trans = []
    for (a, i, known), g in costs.groupby(["a", "i", "known"]):
        trans.append((a, i, float(g["aw"].mean()) if known else None, float(g["iw"].mean()) if known else None, len(g)))
    adm = cases["decision_point"].astype(str) == "admission"
    adm &= actual == "acute_admission"
    dis = cases["decision_point"].astype(str) == "discharge"

    flow = data.get("flow_metrics")
    totals = {}
    if flow is not None:
        f = flow[flow["site_id"] == site_id]
        if len(f):
            recent = latest_year(f)
            months = recent["period"].nunique()
            totals = (recent.groupby("metric", observed=True)["value"].sum() * 12 / months).to_dict()

    def total(*metrics):
        vals = [totals[m] for m in metrics if m in totals]
        return float(sum(vals)) if vals else None

    return Evidence(
        site_id=site_id,
        population_65plus=float(sites.loc[site_id, "population_65plus"]),
        care_home_admissions=total("permanent_admissions_care_homes_65plus"),
        non_elective_admissions=total("non_elective_admissions_65plus"),
        delayed_days=total("delayed_days_nhs", "delayed_days_social_care", "delayed_days_joint"),
        care_home_cases=int(ch.sum()),
        care_home_avoidable=int((ch & avoidable).sum()),
        transitions=trans,
        admission_cases=int(adm.sum()),
        admission_avoidable=int((adm & avoidable).sum()),
        discharge_cases=int(dis.sum()),
        discharge_improvable=int((dis & (actual != ideal) & alt).sum()),
    )


def _streams(ev: Evidence, p: dict, shares: dict) -> dict[str, np.ndarray]:
    """The three annual streams for parameter values ``p`` and evidence shares (arrays or scalars)."""
    horizon = p["care_home_stay_weeks"]
    episode = {"reablement": p["reablement_weeks"], "intermediate_care_bed": p["intermediate_care_weeks"]}

    def over_horizon(pathway, weekly):
        # Short-term pathways last an episode, then people live at home with support.
        if pathway in episode:
            return weekly * episode[pathway] + p["week_home_with_support"] * (horizon - episode[pathway])
        return weekly * horizon

    n_tr = sum(t[4] for t in ev.transitions)
    saving_per_placement = 0.0
    for a, i, aw, iw, k in ev.transitions:
        aw = p[f"week_{a}"] if aw is None else aw
        iw = p[f"week_{i}"] if iw is None else iw
        saving_per_placement = saving_per_placement + k * (over_horizon(a, aw) - over_horizon(i, iw))
    if n_tr:
        saving_per_placement = saving_per_placement / n_tr
    r = p["realisation_rate"]
    out = {}
    out["social_care"] = (ev.care_home_admissions or 0) * shares["care_home"] * r * saving_per_placement
    out["nhs_admissions"] = (ev.non_elective_admissions or 0) * shares["admission"] * r * p["non_elective_admission"]
    out["nhs_bed_days"] = (ev.delayed_days or 0) * shares["discharge"] * p["avoidable_delay_share_of_improvable"] * r * p["excess_bed_day"]
    return out


def _point_shares(ev: Evidence) -> dict[str, float]:
    def ratio(k, n):
        return k / n if n else 0.0

    return {"care_home": ratio(ev.care_home_avoidable, ev.care_home_cases),
            "admission": ratio(ev.admission_avoidable, ev.admission_cases),
            "discharge": ratio(ev.discharge_improvable, ev.discharge_cases)}


#: Reader-facing names of the model's parameters (``parameters/benefits.yaml``); a weekly cost
#: ``week_<pathway>`` is named from the pathway.
PARAMETER_NAMES = {
    "non_elective_admission": "Cost of a non-elective admission",
    "excess_bed_day": "Cost of an excess bed day",
    "care_home_stay_weeks": "Length of a care home stay (weeks)",
    "reablement_weeks": "Length of reablement (weeks)",
    "intermediate_care_weeks": "Length of intermediate care (weeks)",
    "realisation_rate": "Realisation rate (share of improvable decisions changed)",
    "avoidable_delay_share_of_improvable": "Share of delayed days avoidable when the decision is improved",
}


def parameter_label(name: str) -> str:
    """A benefits parameter as a reader reads it.

    >>> parameter_label("week_home_with_support"), parameter_label("realisation_rate")
    ('Weekly cost of home with support', 'Realisation rate (share of improvable decisions changed)')
    """
    from .instruments import PATHWAY_NAMES

    if name.startswith("week_") and name[5:] in PATHWAY_NAMES:
        return f"Weekly cost of {PATHWAY_NAMES[name[5:]].lower()}"
    return PARAMETER_NAMES.get(name, name.replace("_", " ").capitalize())


@dataclass
class SiteBenefits:
    site_id: str
    evidence: Evidence
    streams: dict[str, float]
    monte_carlo: pd.DataFrame
    tornado: pd.DataFrame
    drivers: str
    #: The Monte Carlo draws of each stream and the total (same draws as ``monte_carlo``).
    draws: dict = field(default_factory=dict, repr=False)

    @property
    def total(self) -> float:
        return float(sum(self.streams.values()))


def evaluate(model: BenefitsModel, ev: Evidence) -> SiteBenefits:
    """Deterministic streams, Monte Carlo percentiles and one-way sensitivity for one site."""
    base = model.values("value")
    shares = _point_shares(ev)
    streams = {k: float(v) for k, v in _streams(ev, base, shares).items()}
    rng = np.random.default_rng([model.seed, _stable_hash(ev.site_id)])
    n = model.draws
    p = model.draw(rng, n)

    def beta(k, total):
        return rng.beta(k + 0.5, total - k + 0.5, n) if total else np.zeros(n)

    sh = {"care_home": beta(ev.care_home_avoidable, ev.care_home_cases), "admission": beta(ev.admission_avoidable, ev.admission_cases),
          "discharge": beta(ev.discharge_improvable, ev.discharge_cases)}
    sims = _streams(ev, p, sh)
    sims = {k: np.broadcast_to(np.asarray(v, float), (n,)) for k, v in sims.items()}
    sims["total"] = sum(sims[k] for k in STREAMS)
    mc = pd.DataFrame([{"stream": k, "p10": float(np.percentile(v, 10)), "p50": float(np.percentile(v, 50)),
                        "p90": float(np.percentile(v, 90))} for k, v in sims.items()])
    rows = []
    total0 = sum(streams.values())
    lo_v, hi_v = model.values("low"), model.values("high")
    for name in model.parameters:
        if name.startswith(("published_", "england_")) or lo_v[name] == hi_v[name]:
            continue
        lo_total = sum(_streams(ev, {**base, name: lo_v[name]}, shares).values())
        hi_total = sum(_streams(ev, {**base, name: hi_v[name]}, shares).values())
        rows.append({"parameter": name, "low_total": float(lo_total), "high_total": float(hi_total),
                     "swing": float(abs(hi_total - lo_total)), "base_total": float(total0)})
    tornado = pd.DataFrame(rows).sort_values("swing", ascending=False).reset_index(drop=True)
    top = [parameter_label(p).lower() for p in tornado[tornado.swing > 0].head(3)["parameter"]]
    drivers = ("The result depends most on " + ", then ".join(top) + ".") if top else "No parameter moves the result."
    return SiteBenefits(ev.site_id, ev, streams, mc, tornado, drivers, {k: np.asarray(v, float) for k, v in sims.items()})


def opportunity_benefits(result: "SiteBenefits | None", opportunities: pd.DataFrame) -> pd.DataFrame:
    """The saving each opportunity acts on: its share of a benefits stream, with P10/P50/P90.

    An opportunity names a ``benefit_stream`` and the ``share_of_stream`` (0-1) of that stream's
    saving it acts on; :data:`homekit.instruments.BENEFIT_STREAMS` maps the stream to one of the
    model's streams (``social_care``, ``nhs_admissions``, ``nhs_bed_days``). Its central saving
    is the share of the stream's central estimate, and its P10/P50/P90 the percentiles of the
    share of the stream's Monte Carlo draws (the model's fixed seed), so they come from the same
    draws as the site's own range.

    On the short list (status ``short_list``, ``approved`` or ``implementing``) the shares of
    one stream may add to more than 1 (opportunities overlap); they are then scaled down in
    proportion so that together they act on at most the whole stream (``share_used``, with a
    ``note``). The short list therefore never claims more than the site's total, draw by draw
    (:func:`short_list_total`). Long-list and rejected opportunities keep their own share.

    Parameters
    ----------
    result : SiteBenefits or None
        The site's benefits (:meth:`BenefitsModel.site`); ``None`` when the site has no case
        reviews, and then no opportunity is modelled.
    opportunities : DataFrame
        The site's rows of a loaded ``opportunities`` table.

    Returns
    -------
    DataFrame
        The opportunities scored (:func:`homekit.indicators.opportunity_scores`) plus
        ``model_stream, share_used, central, p10, p50, p90, note``; savings in GBP a year at the
        model's price year, blank where not modelled (``note`` says why).
    """
    from .indicators.opportunities import SHORT_LIST, opportunity_scores
    from .instruments import BENEFIT_STREAMS

    by = ["site_id"] if "site_id" in opportunities.columns else []
    out = opportunity_scores(opportunities, by=by)
    stream_col = out["benefit_stream"] if "benefit_stream" in out.columns else pd.Series(pd.NA, index=out.index)
    share_col = out["share_of_stream"] if "share_of_stream" in out.columns else pd.Series(np.nan, index=out.index)
    model_stream = np.array([BENEFIT_STREAMS.get(str(v)) if not pd.isna(v) else None for v in stream_col] or [], dtype=object)
    share = pd.to_numeric(share_col, errors="coerce").astype(float).to_numpy()
    used = share.copy()
    notes = [""] * len(out)
    short = out["status"].astype(str).isin(SHORT_LIST).to_numpy()
    for stream in sorted({m for m in model_stream if isinstance(m, str)}):
        on = short & (model_stream == stream) & ~np.isnan(share)
        total = share[on].sum()
        if total > 1:
            used[on] = share[on] / total
            for i in np.flatnonzero(on):
                notes[i] = (f"the short list's shares of {stream.replace('_', ' ')} add to {total:.2f}; scaled to add to 1 "
                            "so that no saving is counted twice")
    central = np.full(len(out), np.nan)
    pct = {q: np.full(len(out), np.nan) for q in ("p10", "p50", "p90")}
    withheld = getattr(getattr(result, "evidence", None), "withheld", ())  # streams left out for withheld evidence
    for i in range(len(out)):
        if pd.isna(stream_col.iloc[i]):
            notes[i] = notes[i] or "no benefit stream given"
            continue
        if model_stream[i] is None:
            notes[i] = f"not modelled: the benefits model has no stream for {str(stream_col.iloc[i]).replace('_', ' ')}"
            continue
        if result is None:
            notes[i] = "not modelled: the site has no case reviews to drive the benefits model"
            continue
        if model_stream[i] in withheld:  # the stream is left out, never a saving of 0
            notes[i] = (f"{NOT_ESTIMATED}: the evidence behind {str(stream_col.iloc[i]).replace('_', ' ')} is withheld by disclosure "
                        "control, and a money figure would give it back")
            continue
        central[i] = used[i] * result.streams[model_stream[i]]
        draws = used[i] * result.draws[model_stream[i]]
        for q in pct:
            pct[q][i] = float(np.percentile(draws, int(q[1:])))
    out["model_stream"] = pd.Series(model_stream, index=out.index, dtype=object)
    out["share_used"] = np.where(np.isnan(share), np.nan, used)
    out["central"] = central
    for q, v in pct.items():
        out[q] = v
    out["note"] = notes
    return out


#: What a saving reads where the stream's evidence is withheld (``SiteEvidence.withheld``).
NOT_ESTIMATED = "not estimated"


def short_list_total(result: "SiteBenefits", benefits: pd.DataFrame) -> dict:
    """The short list's saving together (central and P10/P50/P90 of the summed draws) beside
    the site's total: ``{"central", "p10", "p50", "p90", "site_central", "site_p10", "site_p50",
    "site_p90"}``. Draw by draw the short list acts on at most each whole stream, so each of its
    figures is at most the site's."""
    from .indicators.opportunities import SHORT_LIST

    short = benefits[benefits["status"].astype(str).isin(SHORT_LIST) & benefits["central"].notna()]
    n = len(result.draws["total"])
    summed = np.zeros(n)
    for stream, share in zip(short["model_stream"], short["share_used"]):
        summed = summed + share * result.draws[stream]
    mc = result.monte_carlo.set_index("stream")
    out = {"central": float(short["central"].sum()), "site_central": result.total}
    for q in ("p10", "p50", "p90"):
        out[q] = float(np.percentile(summed, int(q[1:])))
        out[f"site_{q}"] = float(mc.loc["total", q])
    return out


def _stable_hash(text: str) -> int:
    h = 2166136261
    for ch in text.encode():
        h = ((h ^ ch) * 16777619) & 0xFFFFFFFF
    return h


def _money(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if abs(v) >= 1e9:
        return f"£{v / 1e9:.2f}bn"
    if abs(v) >= 1e6:
        return f"£{v / 1e6:.1f}m"
    return f"£{v / 1e3:,.0f}k"


def parameter_table(model: BenefitsModel) -> pd.DataFrame:
    """Every parameter with its central value and range (costs uprated), price year and source."""
    v, lo, hi = model.values("value"), model.values("low"), model.values("high")
    return pd.DataFrame([{"parameter": n, "value": v[n], "low": lo[n], "high": hi[n], "price year": p.price_year, "source": p.source}
                         for n, p in model.parameters.items()])


def national_estimate(model: BenefitsModel, data, *, publish=None) -> dict:
    """Site results and the extrapolation to England by population 65+ (``publish``: as in :meth:`BenefitsModel.site`)."""
    results = [r for r in (model.site(data, s, publish=publish) for s in data.site_ids) if r is not None]
    if not results:
        return {"results": [], "table": pd.DataFrame()}
    pop = sum(r.evidence.population_65plus for r in results)
    eng = model.values("value")["england_population_65plus"]
    scale = eng / pop
    social = sum(r.streams["social_care"] for r in results) * scale
    nhs = sum(r.streams["nhs_admissions"] + r.streams["nhs_bed_days"] for r in results) * scale
    # Percentiles of the extrapolation: sum of site P10/P90 would overstate the spread; report the
    # range from the scaled site draws' percentiles as a conservative band.
    p10 = sum(r.monte_carlo.set_index("stream").loc["total", "p10"] for r in results) * scale
    p90 = sum(r.monte_carlo.set_index("stream").loc["total", "p90"] for r in results) * scale
    vals = model.values("value")
    return {"results": results, "social_care": social, "nhs": nhs, "p10": p10, "p90": p90, "scale": scale,
            "population_65plus": pop, "published_social": vals["published_social_care_saving"],
            "published_nhs": vals["published_nhs_saving"]}
