"""Deterministic synthetic example data, calibrated to the published Home Truths figures.

The 11 named sites of the seeds (wave 1: Barnsley, Croydon, Hertfordshire, Redcar & Cleveland,
Wiltshire, Wolverhampton; wave 2: Birmingham, Havering, Medway, North Ayrshire, Oxfordshire) get
every instrument. Each survey item is drawn site by site around a site-specific share (sites
differ), then the pooled answer counts of each wave are repaired, one respondent at a time, to the
published national distribution, so that pooled shares land on the seed figures while sites keep
their own profile. Answers carry blanks and Don't knows. Nothing here is real data.

The published figures this data is calibrated to (see ``CALIBRATION``) come from the seeds:
Home Truths July 2013 update (GP and older people surveys, wave 1: 154 GP and 225 older people
responses), the LGA/Newton 2017 case review study (about 2,000 cases in five systems; 45%
improvable, over 90% of those with the alternative available; teams judging 70% vs 10% suitable
for reablement, unchanged when their populations were swapped; only 10% of moves from short-term
medical care to long-term residential care agreed; a third of packages reviewed two weeks after
they began reduced; delays 35% social care, 65% health) and the IMPOWER 2019 interface survey
(210 responses; lowest relationships ASC<->GP and hospital discharge->ASC).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from .instruments import (
    BEHAVIOURS,
    CHOICES,
    INSTRUMENTS,
    OBSERVATION_SETTINGS,
    PATHWAYS,
    PROFESSIONS,
    RATED_PROFESSIONS,
    RISK_FRAMINGS,
    SCALES,
    SERVICES,
)

__all__ = ["make_example_data", "write_example_data", "example_data_dir", "CALIBRATION", "SITES"]

SEED = 20130701

#: The 11 named sites (2013 populations, rounded; GP headcounts sum to about 3,400).
SITES = pd.DataFrame(
    [
        ("barnsley", "Barnsley", 1, "England", 233_000, 44_100, 175, "South Yorkshire"),
        ("croydon", "Croydon", 1, "England", 368_000, 47_300, 255, "South West London"),
        ("hertfordshire", "Hertfordshire", 1, "England", 1_130_000, 194_600, 760, "Hertfordshire and West Essex"),
        ("redcar_cleveland", "Redcar & Cleveland", 1, "England", 135_000, 27_900, 90, "North East and North Cumbria"),
        ("wiltshire", "Wiltshire", 1, "England", 476_000, 92_800, 320, "Bath, Swindon and Wiltshire"),
        ("wolverhampton", "Wolverhampton", 1, "England", 250_000, 40_500, 165, "Black Country"),
        ("birmingham", "Birmingham", 2, "England", 1_090_000, 140_100, 720, "Birmingham and Solihull"),
        ("havering", "Havering", 2, "England", 242_000, 44_400, 160, "North East London"),
        ("medway", "Medway", 2, "England", 268_000, 39_600, 170, "Kent and Medway"),
        ("north_ayrshire", "North Ayrshire", 2, "Scotland", 137_000, 27_200, 95, "NHS Ayrshire and Arran"),
        ("oxfordshire", "Oxfordshire", 2, "England", 666_000, 111_800, 490, "Buckinghamshire, Oxfordshire and Berkshire West"),
    ],
    columns=["site_id", "site_name", "wave", "nation", "population", "population_65plus", "gp_count", "icb"],
)

#: GP survey responses per site (wave 1 sums to 154, as published).
GP_RESPONSES = {
    "barnsley": 22, "croydon": 24, "hertfordshire": 42, "redcar_cleveland": 14, "wiltshire": 32,
    "wolverhampton": 20, "birmingham": 38, "havering": 16, "medway": 18, "north_ayrshire": 12, "oxfordshire": 30,
}
#: Older people survey responses (wave 1: 225 in 5 sites, as published).
OP_RESPONSES = {
    "barnsley": 40, "croydon": 45, "hertfordshire": 60, "wiltshire": 45, "wolverhampton": 35,
    "birmingham": 50, "medway": 40, "oxfordshire": 45,
}
#: Interface survey responses (210 in all, as published).
PROF_RESPONSES = {
    "barnsley": 18, "croydon": 20, "hertfordshire": 30, "redcar_cleveland": 14, "wiltshire": 22,
    "wolverhampton": 16, "birmingham": 28, "havering": 16, "medway": 16, "north_ayrshire": 12, "oxfordshire": 18,
}
#: Case reviews in five systems (about 2,000, as published).
CASE_REVIEWS = {"hertfordshire": 420, "wiltshire": 400, "birmingham": 440, "medway": 360, "oxfordshire": 380}
#: Services a site does not provide (all others are provided).
NOT_PROVIDED = {
    "redcar_cleveland": ["extra_care_housing"], "croydon": ["falls_prevention"], "medway": ["day_care"],
    "north_ayrshire": ["extra_care_housing", "day_care"],
}
SURVEY_YEAR = {1: 2013, 2: 2014}

#: Second GP survey round of the wave 1 sites (2019), in the same file as the first.
SECOND_ROUND_YEAR = 2019
GP_RESPONSES_2019 = {
    "barnsley": 26, "croydon": 22, "hertfordshire": 48, "redcar_cleveland": 16, "wiltshire": 36, "wolverhampton": 24,
}
#: Share of GPs trusting adult social care in 2019 where a site changed: two improve markedly and
#: one worsens; the other sites keep their 2013 share, adjusted so that the pooled 2019 share
#: equals the 2013 one (nationally, trust "has not significantly improved").
TRUST_ASC_2019 = {"croydon": 0.97, "wiltshire": 0.94, "hertfordshire": 0.40}

#: Published national figures the example data reproduces (seed documents).
CALIBRATION = {
    "gp_relationship_poor": 0.56,
    "gp_value_closer_links": 0.92,
    "gp_strongly_value_closer_links": 0.56,
    "gp_trust_asc": 0.73,
    "gp_trust_discharge_team": 0.41,
    "gp_social_care_better_assessor": 0.57,
    "gp_gp_better_assessor": 0.41,
    "gp_reablement_rated_poor": 0.46,
    "gp_unaware_telecare": 0.59,
    "gp_motivated_fewer_home_visits": 0.68,
    "gp_motivated_financial_incentive": 0.50,
    "case_decision_improvable": 0.45,
    "case_alternative_available": 0.93,
}

# Distributions over each scale's levels (low to high), chosen to give the published shares.
_GP_ITEMS = {
    "relationship_social_care": [0.20, 0.36, 0.22, 0.18, 0.04],
    "trust_asc": [0.07, 0.20, 0.52, 0.21],
    "trust_discharge_team": [0.22, 0.37, 0.33, 0.08],
    "better_assessor_residential": [0.41, 0.57, 0.02],
    "value_closer_links": [0.02, 0.06, 0.36, 0.56],
    "motivator_fewer_home_visits": [0.32, 0.68],
    "motivator_financial_incentive": [0.50, 0.50],
    "referral_feedback": [0.25, 0.35, 0.25, 0.12, 0.03],
}
_AWARE = {  # share aware (Yes) of each service among GPs
    "reablement": 0.80, "telecare": 0.41, "intermediate_care": 0.75, "home_care": 0.92, "day_care": 0.70,
    "carers_support": 0.55, "extra_care_housing": 0.45, "falls_prevention": 0.60,
}
_QUALITY = {  # quality among the aware
    "reablement": [0.14, 0.32, 0.26, 0.23, 0.05],
    "default": [0.07, 0.21, 0.33, 0.32, 0.07],
}
_GP_COMMENTS = [
    "I don't feel confident that care packages can be relied on at short notice, especially on Friday afternoons.",
    "Social care is perceived as inaccessible and remote.",
    "I can make a referral but often there is no feedback until there is a crisis.",
    "GPs aren't told when home care services start.",
    "I am not aware and up to date with what is available.",
    "'Urgent' seems to mean a different thing to us and to social services.",
    "The big concern for me is that cuts will lead to cost shunting.",
    "Clearly they could have been managed at home with the right support.",
]
_GP_ROLES = ["Partner", "Salaried GP", "Locum", "GP registrar"]

_OP_YESNO = {  # share Yes
    "influence_gp": 0.45, "influence_family": 0.70, "influence_social_worker": 0.35,
    "influence_hospital_staff": 0.30, "influence_friends": 0.20, "influence_self": 0.50,
    "planned_ahead": 0.14, "lives_alone": 0.55,
}
_OP_MOST = [0.24, 0.38, 0.10, 0.08, 0.03, 0.14, 0.03]  # GP, Family, Social worker, Hospital, Friends, Self, Other
_OP_TRUST_GP = [0.03, 0.09, 0.48, 0.40]
_OP_AGE = [0.25, 0.40, 0.35]

_PROF_MIX = [0.34, 0.12, 0.14, 0.18, 0.14, 0.08]  # asc, gp, hospital_discharge, hospital_clinical, community, other
_FACTOR_MEANS = {  # mean frequency (1-5) by profession group: asc, hospital (discharge/clinical), other
    "admission_factor_risk_aversion": (3.4, 3.9, 3.4),
    "admission_factor_alternatives_not_known": (3.9, 3.1, 3.3),
    "admission_factor_alternatives_not_considered": (3.8, 3.0, 3.3),
    "admission_factor_community_capacity": (3.1, 3.5, 3.4),
    "admission_factor_family_pressure": (2.9, 3.2, 3.0),
    "admission_factor_out_of_hours_access": (3.3, 3.4, 3.3),
    "delay_factor_stabilise_in_hospital": (4.0, 2.6, 3.7),
    "delay_factor_awaiting_assessment": (3.1, 3.7, 3.4),
    "delay_factor_awaiting_care_package": (3.2, 3.9, 3.5),
    "delay_factor_risk_aversion": (3.8, 2.8, 3.4),
    "delay_factor_family_choice": (2.9, 3.3, 3.0),
    "wrong_pathway_factor_free_up_beds": (4.0, 3.7, 3.8),
    "wrong_pathway_factor_what_is_available": (3.8, 3.8, 3.8),
    "wrong_pathway_factor_time_pressure": (3.5, 3.7, 3.6),
    "wrong_pathway_factor_incomplete_assessment": (3.5, 3.0, 3.2),
}
# Mean relationship score (1-5), rater -> ratee. Lowest: asc<->gp and hospital_discharge->asc;
# highest: asc->hospital_discharge (IMPOWER 2019, finding 5).
_REL = {
    ("asc", "gp"): 2.2, ("gp", "asc"): 2.3, ("hospital_discharge", "asc"): 2.45, ("asc", "hospital_discharge"): 4.1,
    ("asc", "hospital_clinical"): 2.9, ("asc", "community_health"): 3.5, ("hospital_clinical", "asc"): 2.8,
    ("community_health", "asc"): 3.3, ("gp", "hospital_discharge"): 2.9, ("gp", "hospital_clinical"): 3.1,
    ("gp", "community_health"): 3.6, ("hospital_discharge", "gp"): 3.0, ("hospital_clinical", "gp"): 3.1,
    ("community_health", "gp"): 3.5, ("other", "asc"): 3.0, ("other", "gp"): 3.2,
}
# Share agreeing they trust the ratee (trust gap between hospital and ASC staff, finding 4).
_TRUST = {
    ("asc", "hospital_discharge"): 0.62, ("asc", "hospital_clinical"): 0.44, ("asc", "gp"): 0.50,
    ("hospital_discharge", "asc"): 0.38, ("hospital_clinical", "asc"): 0.36, ("gp", "asc"): 0.52,
    ("community_health", "asc"): 0.66,
}

_DECISION = {"admission": 0.35, "discharge": 0.40, "community": 0.15, "review": 0.10}
_ACTUAL = {  # actual pathway by decision point, over PATHWAYS
    "admission": [0.0, 0.08, 0.02, 0.10, 0.05, 0.0, 0.75],
    "discharge": [0.12, 0.30, 0.15, 0.15, 0.20, 0.08, 0.0],
    "community": [0.0, 0.40, 0.20, 0.10, 0.25, 0.05, 0.0],
    "review": [0.0, 0.60, 0.0, 0.0, 0.25, 0.15, 0.0],
}
#: Birmingham's discharges lean on care homes ("resorting to too many residential care placements").
_ACTUAL_SITE = {("birmingham", "discharge"): [0.06, 0.18, 0.10, 0.10, 0.40, 0.16, 0.0]}
#: Delay reasons of delayed discharges (LGA/Newton 2017): of the delays attributed to a system,
#: 35% lie in social care (care package, care home) and 65% in health (assessment, intermediate
#: care, clinical); family choice and other reasons are attributed to neither.
_DELAY_REASON_MIX = {
    "awaiting_assessment": 0.26, "awaiting_care_package": 0.20, "awaiting_intermediate_care": 0.22,
    "awaiting_care_home": 0.108, "family_choice": 0.08, "clinical": 0.092, "other": 0.04,
}
_REASONS = ["behaviour_culture", "process", "capacity", "clinical", "patient_choice", "other"]
_REASON_IMPROVABLE = [0.38, 0.24, 0.14, 0.06, 0.10, 0.08]
_REASON_OK = [0.05, 0.05, 0.10, 0.45, 0.30, 0.05]
_WEEKLY_COST = dict(zip(PATHWAYS, [0, 260, 420, 1250, 720, 910, 2900]))

_METRIC_RATES = {  # monthly expected value per person aged 65+
    "permanent_admissions_care_homes_65plus": 650 / 1e5 / 12,
    "reablement_discharges_65plus": 0.030 / 12,
    "non_elective_admissions_65plus": 0.24 / 12,
    "delayed_days_total": 0.010,
}
_PERIODS = pd.period_range("2012-04", "2016-03", freq="M")
#: Interventions: (site, id, name, start, metric, direction, relative shift after the start).
_INTERVENTIONS = [
    ("barnsley", "brn01", "GP link social workers", "2014-01", "permanent_admissions_care_homes_65plus", "down", -0.40),
    ("croydon", "cro01", "Referral feedback letters", "2014-01", "permanent_admissions_care_homes_65plus", "down", 0.0),
    ("hertfordshire", "her01", "Reablement first at discharge", "2014-04", "reablement_discharges_65plus", "up", 0.45),
    ("redcar_cleveland", "rcc01", "Service directory for GPs", "2014-01", "non_elective_admissions_65plus", "down", 0.0),
    ("wiltshire", "wil01", "Trusted assessor at the hospital front door", "2014-02", "delayed_days_social_care", "down", -0.45),
    ("wolverhampton", "wol01", "Joint GP and social care huddles", "2014-03", "permanent_admissions_care_homes_65plus", "down", 0.0),
    ("birmingham", "bir01", "Home first discharge", "2014-10", "delayed_days_nhs", "down", -0.40),
    ("havering", "hav01", "Influencing the influencers campaign", "2014-10", "permanent_admissions_care_homes_65plus", "down", 0.0),
    ("medway", "med01", "Care package review at two weeks", "2014-09", "reablement_at_home_91days_65plus", "up", 0.0),
    ("north_ayrshire", "nay01", "Community alternatives training", "2014-10", "non_elective_admissions_65plus", "down", 0.0),
    ("oxfordshire", "oxf01", "Discharge to assess", "2014-08", "delayed_days_joint", "down", -0.50),
]

#: Interventions tracked on a custom proportion metric (flow_metrics with a denominator):
#: (site, id, name, start, metric, direction, share before, share after, opportunity name).
_PROPORTION_INTERVENTIONS = [
    ("birmingham", "bir02", "Home first conversations on wards", "2015-01", "discharges_home_first", "up", 0.55, 0.66,
     "Home first discharge"),
    ("wiltshire", "wil02", "Positive risk-taking training for ward staff", "2015-01", "discharges_home_first", "up", 0.60, 0.60,
     "Positive risk-taking training for ward staff"),
]

_STAKEHOLDERS = ["GP", "Social worker", "Hospital discharge team", "Acute staff", "Older person", "Third sector", "CCG"]
_THEMES = {
    "trust": ["GPs don't trust that a package will actually start when we say it will.", -1],
    "feedback": ["Once we refer we hear nothing back until there is a crisis.", -1],
    "awareness_of_services": ["Most GPs have never heard of our telecare offer.", -1],
    "risk_aversion": ["It always feels safer to keep them in another night.", -1],
    "communication": ["The huddles have made it much easier to pick up the phone.", 1],
    "capacity": ["There simply aren't enough home care hours on a Friday.", -1],
    "referral_process": ["The referral form is long but it works once you know it.", 0],
    "relationships": ["We know each other by name now and that changes everything.", 1],
}


def _rng(*keys) -> np.random.Generator:
    return np.random.default_rng([SEED, *[abs(hash_str(k)) for k in keys]])


def hash_str(text: str) -> int:
    """A stable (process-independent) integer hash of a string."""
    h = 2166136261
    for ch in str(text).encode():
        h = ((h ^ ch) * 16777619) & 0xFFFFFFFF
    return h


def _largest_remainder(p: np.ndarray, n: int) -> np.ndarray:
    raw = np.asarray(p, float) / np.sum(p) * n
    out = np.floor(raw).astype(int)
    rest = n - out.sum()
    if rest > 0:
        out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out


def _shift(p: list[float], top: list[int], delta: float) -> np.ndarray:
    """Move ``delta`` of probability onto the levels ``top``, keeping proportions within groups."""
    p = np.asarray(p, float)
    mask = np.zeros(len(p), bool)
    mask[top] = True
    share = np.clip(p[mask].sum() + delta, 0.03, 0.97)
    out = p.copy()
    out[mask] = p[mask] / p[mask].sum() * share
    if (~mask).any():
        out[~mask] = p[~mask] / max(p[~mask].sum(), 1e-12) * (1 - share)
    return out


def _draw_item(
    rng, levels, probs, groups: pd.Series, answered: np.ndarray, top: list[int], sd: float = 0.08
) -> np.ndarray:
    """Draw answers site by site around site-shifted shares, then repair pooled counts per wave.

    ``groups`` gives each respondent's site; ``answered`` masks who answers. Returns an object
    array of labels ('' where not answered). Pooled counts equal the published distribution
    (largest remainder), so pooled shares match it to within 1/n.
    """
    n = len(groups)
    out = np.full(n, "", dtype=object)
    idx_answered = np.flatnonzero(answered)
    sites = groups.to_numpy()
    site_ids = pd.unique(sites[idx_answered])
    effects = rng.normal(0, sd, len(site_ids))
    weights = np.array([(sites[idx_answered] == s).sum() for s in site_ids], float)
    if weights.sum():
        effects -= np.average(effects, weights=weights)
    for s, eff in zip(site_ids, effects):
        where = idx_answered[sites[idx_answered] == s]
        out[where] = rng.choice(levels, size=len(where), p=_shift(probs, top, eff))
    target = _largest_remainder(np.asarray(probs), len(idx_answered))
    level_idx = {lv: i for i, lv in enumerate(levels)}
    drawn = np.array([level_idx[v] for v in out[idx_answered]], dtype=int) if len(idx_answered) else np.zeros(0, int)
    current = np.bincount(drawn, minlength=len(levels))
    # Repair in one pass: take the excess of each over-filled level at random and hand it to the
    # under-filled levels, so pooled counts equal the target exactly.
    moved = []
    for lv in np.flatnonzero(current > target):
        pool = idx_answered[drawn == lv]
        moved.append(rng.choice(pool, size=int(current[lv] - target[lv]), replace=False))
    if moved:
        moved = np.concatenate(moved)
        rng.shuffle(moved)
        deficits = np.repeat(np.arange(len(levels)), np.maximum(target - current, 0))
        out[moved] = np.asarray(levels, dtype=object)[deficits]
    return out


def _missing(rng, n: int, blank=0.03, dont_know=0.02, not_applicable=0.0) -> np.ndarray:
    """Missing answers as they arrive in exports: '', "Don't know", 'Not applicable' or None (answered)."""
    u = rng.random(n)
    out = np.full(n, None, dtype=object)
    out[u < blank] = ""
    out[(u >= blank) & (u < blank + dont_know)] = "Don't know"
    out[(u >= blank + dont_know) & (u < blank + dont_know + not_applicable)] = "Not applicable"
    return out


def _by_wave(df: pd.DataFrame, sites: pd.DataFrame, fn):
    """Run ``fn(sub_frame_index)`` for each wave so each wave is calibrated on its own."""
    wave = df["site_id"].map(sites.set_index("site_id")["wave"])
    for w in sorted(wave.unique()):
        fn(np.flatnonzero((wave == w).to_numpy()))


def _respondents(counts: dict, sites: pd.DataFrame, prefix: str, scale: int) -> pd.DataFrame:
    rows = []
    waves = sites.set_index("site_id")["wave"]
    for site_id, n in counts.items():
        if site_id not in waves.index:
            continue
        for i in range(n * scale):
            rows.append((f"{prefix}{i + 1:04d}", site_id, SURVEY_YEAR.get(int(waves[site_id]), 2015)))
    return pd.DataFrame(rows, columns=["respondent_id", "site_id", "survey_year"])


def _answer_column(df, sites, rng, name, levels, probs, top, missing_kw=None, eligible=None, sd=0.08):
    """Fill one answer column: missing answers first, then calibrated labels for the rest."""
    n = len(df)
    values = np.full(n, "", dtype=object)
    miss = _missing(rng, n, **(missing_kw or {}))
    eligible = np.ones(n, bool) if eligible is None else eligible
    answered = (miss == None) & eligible  # noqa: E711 - elementwise comparison on object array

    def fill(idx):
        mask = np.zeros(n, bool)
        mask[idx] = True
        drawn = _draw_item(rng, list(levels), probs, df["site_id"], answered & mask, top, sd)
        values[idx] = np.where(answered[idx], drawn[idx], values[idx])

    _by_wave(df, sites, fill)
    values[~answered & eligible] = miss[~answered & eligible]
    df[name] = values


def _gp_survey(sites, scale, plan, key: str = "gp") -> pd.DataFrame:
    rng = _rng(key)
    df = _respondents(plan["gp"], sites, "gp", scale)
    for item, probs in _GP_ITEMS.items():
        col = INSTRUMENTS["gp_survey"].column(item)
        levels = col.choices.levels
        top = {
            "relationship_social_care": [0, 1],
            "trust_asc": [2, 3],
            "trust_discharge_team": [2, 3],
            "better_assessor_residential": [1],
            "value_closer_links": [2, 3],
            "motivator_fewer_home_visits": [1],
            "motivator_financial_incentive": [1],
            "referral_feedback": [3, 4],
        }[item]
        kw = {"dont_know": 0.0} if item == "better_assessor_residential" else None
        _answer_column(df, sites, rng, item, levels, probs, top, kw)
    for s in SERVICES:
        p_aware = _AWARE[s]
        _answer_column(df, sites, rng, f"aware_{s}", ["No", "Yes"], [1 - p_aware, p_aware], [1], sd=0.10)
        aware = (df[f"aware_{s}"] == "Yes").to_numpy()
        q = _QUALITY.get(s, _QUALITY["default"])
        _answer_column(
            df, sites, rng, f"quality_{s}", SCALES["quality5"].levels, q, [0, 1],
            {"blank": 0.04, "dont_know": 0.03, "not_applicable": 0.0}, eligible=aware,
        )
        # Not aware: quality not asked; exports show a blank or "Not applicable".
        na = rng.random(len(df)) < 0.3
        df.loc[~aware, f"quality_{s}"] = np.where(na[~aware], "Not applicable", "")
    df["gp_role"] = rng.choice(_GP_ROLES, size=len(df), p=[0.5, 0.3, 0.15, 0.05])
    comment = np.where(rng.random(len(df)) < 0.15, rng.choice(_GP_COMMENTS, size=len(df)), "")
    df["comment"] = comment
    cols = [c for c in INSTRUMENTS["gp_survey"].names if c in df.columns]
    return df[cols]


def _gp_second_round(sites, scale, plan, first: pd.DataFrame) -> pd.DataFrame:
    """The 2019 GP survey of the wave 1 sites (see ``TRUST_ASC_2019``); empty without them."""
    wave1 = set(sites.loc[sites.wave == 1, "site_id"])
    counts = {k: v for k, v in plan["gp2019"].items() if k in wave1}
    if not counts:
        return first.iloc[0:0]
    df = _gp_survey(sites[sites.site_id.isin(counts)], scale, {**plan, "gp": counts}, key="gp2019")
    df["survey_year"] = SECOND_ROUND_YEAR
    rng = _rng("gp2019-trust")
    agree, disagree = ["Agree", "Strongly agree"], ["Strongly disagree", "Disagree"]
    old = first[first.site_id.isin(counts)]
    old_answered = old.trust_asc.isin(agree + disagree)
    pooled_2013 = old.trust_asc.isin(agree).sum() / old_answered.sum()
    answered = df.trust_asc.isin(agree + disagree).to_numpy()
    n_site = df[answered].groupby("site_id").size()
    share_2013 = old[old_answered].groupby("site_id").trust_asc.apply(lambda v: v.isin(agree).mean())
    target = {s: int(round(TRUST_ASC_2019.get(s, share_2013.get(s, pooled_2013)) * n)) for s, n in n_site.items()}
    # The unchanged sites absorb the difference so that the pooled 2019 share equals 2013's.
    need = int(round(pooled_2013 * answered.sum())) - sum(target.values())
    steady = [s for s in n_site.index if s not in TRUST_ASC_2019]
    moved = True
    while need and moved:
        moved = False
        for s in steady:
            if need > 0 and target[s] < n_site[s]:
                target[s] += 1
                need, moved = need - 1, True
            elif need < 0 and target[s] > 0:
                target[s] -= 1
                need, moved = need + 1, True
    trust = df.trust_asc.to_numpy(dtype=object).copy()
    for s, k in target.items():
        idx = np.flatnonzero(answered & (df.site_id == s).to_numpy())
        rng.shuffle(idx)
        trust[idx[:k]] = rng.choice(agree, size=k, p=[0.52 / 0.73, 0.21 / 0.73])
        trust[idx[k:]] = rng.choice(disagree, size=len(idx) - k, p=[0.07 / 0.27, 0.20 / 0.27])
    df["trust_asc"] = trust
    return df


def _older_people(sites, scale, plan) -> pd.DataFrame:
    rng = _rng("older")
    df = _respondents(plan["op"], sites, "op", scale)
    _answer_column(df, sites, rng, "age_band", CHOICES["age_band"].levels, _OP_AGE, [2], {"blank": 0.01, "dont_know": 0.0})
    for item, p in _OP_YESNO.items():
        _answer_column(df, sites, rng, item, ["No", "Yes"], [1 - p, p], [1], {"blank": 0.03, "dont_know": 0.01})
    _answer_column(df, sites, rng, "most_influential", CHOICES["influencer"].levels, _OP_MOST, [0])
    _answer_column(df, sites, rng, "trust_gp_advice", SCALES["agree4"].levels, _OP_TRUST_GP, [2, 3])
    df["care_status"] = rng.choice(
        ["Living at home", "Home care", "Extra care housing", "Residential care", "Nursing care"],
        size=len(df), p=[0.35, 0.25, 0.05, 0.25, 0.10],
    )
    for s in ("reablement", "telecare", "home_care"):
        p = {"reablement": 0.30, "telecare": 0.35, "home_care": 0.80}[s]
        _answer_column(df, sites, rng, f"aware_{s}", ["No", "Yes"], [1 - p, p], [1])
    df["comment"] = ""
    cols = [c for c in INSTRUMENTS["older_people_survey"].names if c in df.columns]
    return df[cols]


def _discrete(rng, mean, size: int, sd: float = 0.95, lo: int = 1, hi: int = 5) -> np.ndarray:
    return np.clip(np.rint(rng.normal(mean, sd, size)), lo, hi).astype(int)


def _professional(sites, scale, plan) -> pd.DataFrame:
    rng = _rng("prof")
    df = _respondents(plan["prof"], sites, "pr", scale)
    df["survey_year"] = 2019
    n = len(df)
    # Profession mix allocated exactly over the whole survey, then shuffled.
    prof = np.repeat(PROFESSIONS, _largest_remainder(np.array(_PROF_MIX), n))
    rng.shuffle(prof)
    df["profession"] = prof
    group = np.where(prof == "asc", 0, np.where(np.isin(prof, ["hospital_discharge", "hospital_clinical"]), 1, 2))
    freq = SCALES["frequency5"].levels
    for item, means in _FACTOR_MEANS.items():
        mean = np.array(means)[group] + rng.normal(0, 0.15, len(df.site_id.unique()))[pd.factorize(df.site_id)[0]]
        codes = _discrete(rng, mean, n)
        vals = np.array(freq, dtype=object)[codes - 1]
        miss = _missing(rng, n, blank=0.03, dont_know=0.02)
        df[item] = np.where(miss == None, vals, miss)  # noqa: E711
    agree = SCALES["agree4"].levels
    for ratee in RATED_PROFESSIONS:
        p_trust = np.array([_TRUST.get((r, ratee), 0.62) for r in prof])
        agreed = rng.random(n) < p_trust
        strong = rng.random(n) < 0.3
        trust = np.where(agreed, np.where(strong, agree[3], agree[2]), np.where(strong, agree[0], agree[1]))
        miss = _missing(rng, n, blank=0.03, dont_know=0.03)
        trust = np.where(miss == None, trust, miss)  # noqa: E711
        rel_mean = np.array([_REL.get((r, ratee), 3.3) for r in prof])
        rel = np.clip(np.rint(rng.normal(rel_mean, 0.8)), 1, 5).astype(int).astype(object)
        miss = _missing(rng, n, blank=0.03, dont_know=0.02)
        rel = np.where(miss == None, rel.astype(str), miss)  # noqa: E711
        own = prof == ratee
        df[f"trust_{ratee}"] = np.where(own, "", trust)
        df[f"relationship_{ratee}"] = np.where(own, "", rel)
    df["comment"] = ""
    return df[[c for c in INSTRUMENTS["professional_survey"].names if c in df.columns]]


def _case_reviews(sites, scale, plan) -> pd.DataFrame:
    rng = _rng("cases")
    frames = []
    available_sites = [s for s in plan["cases"] if s in set(sites.site_id)]
    site_improvable = dict(zip(available_sites, 0.45 + rng.normal(0, 0.05, len(available_sites))))
    for site_id in available_sites:
        n = plan["cases"][site_id] * scale
        dp = rng.choice(list(_DECISION), size=n, p=list(_DECISION.values()))
        actual = np.array([rng.choice(PATHWAYS, p=_ACTUAL_SITE.get((site_id, d), _ACTUAL[d])) for d in dp], dtype=object)
        df = pd.DataFrame(
            {
                "case_id": [f"{site_id[:3]}-{i + 1:05d}" for i in range(n)],
                "site_id": site_id,
                "review_date": (pd.Timestamp("2016-09-01") + pd.to_timedelta(rng.integers(0, 180, n), unit="D")).strftime("%Y-%m-%d"),
                "decision_point": dp,
                "actual_pathway": actual,
            }
        )
        df["_improvable"] = rng.random(n) < site_improvable[site_id]
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    n = len(df)
    # Birmingham tracked its moves from short-term medical care (hospital) to long-term care: only
    # about 10% should have gone there (the panel agreed with 1 in 10).
    rng17 = _rng("cases-2017")
    imp = df["_improvable"].to_numpy().copy()
    tracked = ((df.site_id == "birmingham") & (df.decision_point == "discharge")
               & df.actual_pathway.isin(["residential_care", "nursing_care"])).to_numpy()
    agreed = np.zeros(n, bool)
    if tracked.any():
        idx = np.flatnonzero(tracked)
        agreed[rng17.choice(idx, size=int(round(0.10 * len(idx))), replace=False)] = True
        imp[idx] = ~agreed[idx]
    # Calibrate the pooled improvable share exactly (45%), keeping site differences (and the
    # tracked moves as set).
    target = int(round(CALIBRATION["case_decision_improvable"] * n))
    while imp.sum() != target:
        if imp.sum() > target:
            imp[rng.choice(np.flatnonzero(imp & ~tracked))] = False
        else:
            imp[rng.choice(np.flatnonzero(~imp & ~tracked))] = True
    order = {p: i for i, p in enumerate(PATHWAYS)}
    ideal = df["actual_pathway"].to_numpy().copy()
    for i in np.flatnonzero(imp):
        a = order[ideal[i]]
        lower = rng.random() < 0.9 and a > 0
        if lower:
            ideal[i] = PATHWAYS[rng.integers(max(0, a - 3), a)]
        else:
            ideal[i] = PATHWAYS[min(a + 1 + int(rng.integers(0, 2)), len(PATHWAYS) - 1)] if a < len(PATHWAYS) - 1 else PATHWAYS[a - 1]
    df["ideal_pathway"] = ideal
    improvable = df["ideal_pathway"] != df["actual_pathway"]
    alt = np.where(rng.random(n) < 0.97, "Yes", "No").astype(object)
    n_imp = int(improvable.sum())
    alt_imp = np.array(["No"] * n_imp, dtype=object)
    alt_imp[: int(round(CALIBRATION["case_alternative_available"] * n_imp))] = "Yes"
    rng.shuffle(alt_imp)
    alt[improvable.to_numpy()] = alt_imp
    df["alternative_available"] = alt
    df["primary_reason"] = np.where(
        improvable,
        rng.choice(_REASONS, size=n, p=_REASON_IMPROVABLE),
        rng.choice(_REASONS, size=n, p=_REASON_OK),
    )
    df["team"] = ""
    df["actual_weekly_cost"] = ""
    df["ideal_weekly_cost"] = ""
    df["reablement_suitable"] = ""
    df["care_hours_start"] = ""
    df["care_hours_after_review"] = ""
    df["prior_setting"] = ""
    df["review_interval_days"] = ""
    df["delay_reason"] = ""
    df["caseload"] = ""
    for site_id, teams in {"hertfordshire": ["East", "West"], "birmingham": ["North", "South", "Central"], "medway": ["Medway"], "oxfordshire": ["City", "County"]}.items():
        m = (df.site_id == site_id).to_numpy()
        df.loc[m, "team"] = rng.choice(teams, size=m.sum())
    # Costs known in two sites (GBP per week, with local variation).
    for site_id in ("hertfordshire", "birmingham"):
        m = (df.site_id == site_id).to_numpy()
        for side in ("actual", "ideal"):
            base = df.loc[m, f"{side}_pathway"].map(_WEEKLY_COST).to_numpy(float)
            df.loc[m, f"{side}_weekly_cost"] = np.round(base * rng.uniform(0.85, 1.15, m.sum()), 0).astype(int).astype(str)
    # Wiltshire: two teams judge reablement suitability very differently (70% vs 10%), and the
    # difference stayed when their populations were swapped (from December each team took the
    # other locality's cases).
    m = (df.site_id == "wiltshire").to_numpy()
    if m.any():
        team = np.where(rng.random(m.sum()) < 0.5, "North locality", "South locality")
        df.loc[m, "team"] = team
        swapped = (df.loc[m, "review_date"] >= "2016-12-01").to_numpy()
        home = np.where(team == "North locality", "North population", "South population")
        away = np.where(team == "North locality", "South population", "North population")
        df.loc[m, "caseload"] = np.where(swapped, away, home)
        caseload = df.loc[m, "caseload"].to_numpy()
        for t, p in (("North locality", 0.70), ("South locality", 0.10)):
            for c in ("North population", "South population"):
                tm = m.copy()
                tm[m] = (team == t) & (caseload == c)
                k = int(tm.sum())
                yes = np.array(["No"] * k, dtype=object)
                yes[: int(round(p * k))] = "Yes"
                rng.shuffle(yes)
                df.loc[tm, "reablement_suitable"] = yes
    # Oxfordshire reviewed most packages within two weeks of their start, and a third of those
    # needed fewer hours; before that practice began, packages were reviewed at 4 to 12 weeks and
    # 12% of them fell.
    m = ((df.site_id == "oxfordshire") & df.decision_point.isin(["review", "community", "discharge"])).to_numpy()
    k = int(m.sum())
    start = rng.integers(4, 30, k).astype(float)
    df.loc[m, "care_hours_start"] = start.astype(int).astype(str)
    later = rng17.random(k) < 0.35
    days = np.where(later, rng17.integers(28, 85, k), rng17.integers(7, 15, k))
    early_fell = np.zeros(int((~later).sum()), bool)
    early_fell[: int(round(len(early_fell) / 3))] = True
    rng17.shuffle(early_fell)
    late_fell = np.zeros(int(later.sum()), bool)
    late_fell[: int(round(0.12 * len(late_fell)))] = True
    rng17.shuffle(late_fell)
    fell = np.zeros(k, bool)
    fell[~later], fell[later] = early_fell, late_fell
    after = np.where(fell, np.round(start * rng17.uniform(0.4, 0.85, k)), start + rng17.integers(0, 3, k))
    df.loc[m, "care_hours_after_review"] = after.astype(int).astype(str)
    df.loc[m, "review_interval_days"] = days.astype(str)
    # Birmingham: where each person was before the decision.
    b = (df.site_id == "birmingham").to_numpy()
    settings = np.where(df.decision_point == "discharge", "short_term_medical", "home").astype(object)
    other = rng17.choice(["reablement", "intermediate_care_bed", "care_home", "other"], size=n)
    settings = np.where((df.decision_point != "discharge") & (rng17.random(n) < 0.25), other, settings)
    df.loc[b, "prior_setting"] = settings[b]
    # Delay reasons of delayed discharges (about 55% of reviewed discharges), near 35% social care
    # and 65% health among the attributed, each site a little different.
    for site_id in df.site_id.unique():
        d = ((df.site_id == site_id) & (df.decision_point == "discharge")).to_numpy() & (rng17.random(n) < 0.55)
        mix = np.array(list(_DELAY_REASON_MIX.values())) * np.exp(rng17.normal(0, 0.08, len(_DELAY_REASON_MIX)))
        reasons = np.repeat(list(_DELAY_REASON_MIX), _largest_remainder(mix, int(d.sum())))
        rng17.shuffle(reasons)
        df.loc[d, "delay_reason"] = reasons
    return df[INSTRUMENTS["case_reviews"].names]


def _flow(sites, plan) -> pd.DataFrame:
    rng = _rng("flow")
    rng_share = _rng("flow-share")  # its own stream, so the contract metrics do not change
    rows = []
    shifts = {(s, m): (start, shift) for s, _i, _n, start, m, _d, shift in plan["interventions"]}
    for site in sites.itertuples():
        pop = site.population_65plus
        level = rng.normal(1.0, 0.12)  # the site's own level
        after = {}
        for (s, m), (start, shift) in shifts.items():
            if s == site.site_id:
                after[m] = (pd.Period(start, "M"), shift)

        def factor(metric, period):
            if metric in after and period >= after[metric][0]:
                return 1 + after[metric][1]
            return 1.0

        for period in _PERIODS:
            season = 1.0  # no seasonality: a shift is the only structure in the series
            adm = rng.poisson(pop * _METRIC_RATES["permanent_admissions_care_homes_65plus"] * level * season * factor("permanent_admissions_care_homes_65plus", period))
            reab = rng.poisson(pop * _METRIC_RATES["reablement_discharges_65plus"] * level * factor("reablement_discharges_65plus", period))
            home91 = rng.binomial(reab, min(0.97, 0.80 * factor("reablement_at_home_91days_65plus", period)))
            nel = rng.poisson(pop * _METRIC_RATES["non_elective_admissions_65plus"] * season * factor("non_elective_admissions_65plus", period))
            delayed = pop * _METRIC_RATES["delayed_days_total"] * level * season
            d_nhs = rng.poisson(delayed * 0.58 * factor("delayed_days_nhs", period))
            d_sc = rng.poisson(delayed * 0.34 * factor("delayed_days_social_care", period))
            d_joint = rng.poisson(delayed * 0.08 * factor("delayed_days_joint", period))
            disch = rng.multinomial(int(nel * 0.9), [0.70, 0.20, 0.07, 0.03])
            values = {
                "permanent_admissions_care_homes_65plus": adm,
                "reablement_discharges_65plus": reab,
                "reablement_at_home_91days_65plus": home91,
                "non_elective_admissions_65plus": nel,
                "delayed_days_nhs": d_nhs,
                "delayed_days_social_care": d_sc,
                "delayed_days_joint": d_joint,
                "discharges_pathway_0": disch[0],
                "discharges_pathway_1": disch[1],
                "discharges_pathway_2": disch[2],
                "discharges_pathway_3": disch[3],
            }
            for metric, value in values.items():
                rows.append((site.site_id, str(period), metric, int(value), ""))
            for s_id, _i, _n, p_start, p_metric, _d, p_before, p_after, _o in plan["proportion_interventions"]:
                if s_id == site.site_id:
                    total = int(disch.sum())
                    share = p_after if period >= pd.Period(p_start, "M") else p_before
                    rows.append((site.site_id, str(period), p_metric, int(rng_share.binomial(total, share)), str(total)))
    flow = pd.DataFrame(rows, columns=["site_id", "period", "metric", "value", "denominator"])
    return _quiet_null_series(flow, sites, plan)


def _quiet_null_series(flow: pd.DataFrame, sites: pd.DataFrame, plan) -> pd.DataFrame:
    """Redraw the series of interventions with no real effect until they show common cause only.

    A stable process signals by chance now and then (7 points on one side of the mean is common
    over two years); the example keeps its no-effect interventions free of such chance signals so
    that the reports show both verdicts clearly. Effects are never added or removed here.
    """
    import warnings

    from . import spc

    rng = _rng("flow-null")
    keep = set(sites.site_id)
    for site_id, _i, _n, start, metric, direction, before, after, _o in plan["proportion_interventions"]:
        if before != after or site_id not in keep:
            continue
        m = (flow.site_id == site_id) & (flow.metric == metric)
        n_before = int(sum(pd.Period(p, "M") < pd.Period(start, "M") for p in flow.loc[m, "period"]))
        trials = flow.loc[m, "denominator"].astype(int).to_numpy()
        for _ in range(200):
            values = rng.binomial(trials, before)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                chart = spc.xmr(values / trials, fix_after_n_points=n_before, improvement=direction)
            if spc.variation(chart, since=n_before) == "common_cause":
                break
        flow.loc[m, "value"] = values.astype(int)
    for site_id, _i, _n, start, metric, direction, shift in plan["interventions"]:
        if shift != 0 or site_id not in keep:
            continue
        m = (flow.site_id == site_id) & (flow.metric == metric)
        periods = flow.loc[m, "period"].to_numpy()
        n_before = int(sum(pd.Period(p, "M") < pd.Period(start, "M") for p in periods))
        if metric == "reablement_at_home_91days_65plus":
            trials = flow.loc[(flow.site_id == site_id) & (flow.metric == "reablement_discharges_65plus"), "value"].to_numpy()
            draw = lambda: rng.binomial(trials, 0.80)  # noqa: E731
        else:
            mu = float(flow.loc[m, "value"].mean())
            draw = lambda: rng.poisson(mu, len(periods))  # noqa: E731
        for _ in range(200):
            values = draw()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                chart = spc.xmr(values, fix_after_n_points=n_before, improvement=direction)
            if spc.variation(chart, since=n_before) == "common_cause":
                break
        flow.loc[m, "value"] = values.astype(int)
    return flow


def _interventions(sites, plan, opportunities: pd.DataFrame) -> pd.DataFrame:
    """Each site's interventions, linked to the opportunity of the same name where there is one."""
    keep = set(sites.site_id)
    opp = {(r.site_id, r.name): r for r in opportunities.itertuples()}
    rows = []
    listed = [(s, i, n, start, m, d, n) for s, i, n, start, m, d, _shift in plan["interventions"]]
    listed += [(s, i, n, start, m, d, o) for s, i, n, start, m, d, _b, _a, o in plan["proportion_interventions"]]
    for s, i, n, start, m, d, opp_name in listed:
        if s not in keep:
            continue
        o = opp.get((s, opp_name))
        link = (o.opportunity_id, o.action_type, o.lever) if o is not None else ("", "", "")
        rows.append((i, s, n, start, m, d, "", *link))
    return pd.DataFrame(rows, columns=INSTRUMENTS["interventions"].names)


def _interviews(sites) -> pd.DataFrame:
    rng = _rng("interviews")
    rows = []
    themes = list(_THEMES)
    for site in sites.itertuples():
        for i in range(int(rng.integers(10, 18))):
            group = rng.choice(_STAKEHOLDERS)
            for theme in rng.choice(themes, size=int(rng.integers(1, 4)), replace=False):
                quote, sentiment = _THEMES[theme]
                sentiment = int(np.clip(sentiment + rng.choice([-1, 0, 0, 0, 1]), -1, 1))
                has_quote = rng.random() < 0.35
                approved = ("Yes" if rng.random() < 0.6 else "No") if has_quote else ""
                rows.append((f"{site.site_id[:3]}-int{i + 1:02d}", site.site_id, group, theme, str(sentiment), quote if has_quote else "", approved))
    return pd.DataFrame(rows, columns=INSTRUMENTS["interviews"].names)


# --------------------------------------------------------------------------------------------
# Stage 2 behavioural diagnostic (2019 method) and the opportunity register (2013 process)
# --------------------------------------------------------------------------------------------

#: Sites that ran a Stage 2 behavioural diagnostic in the example (year 2019), with survey sizes
#: (senior stakeholders, frontline staff), observations and comms items.
STAGE2 = {
    "barnsley": (22, 56, 64, 24), "croydon": (20, 60, 60, 22), "wiltshire": (24, 66, 72, 30),
    "birmingham": (26, 72, 76, 32), "medway": (20, 50, 56, 20), "oxfordshire": (22, 58, 66, 26),
}
STAGE2_YEAR = 2019
#: Agreement that each behaviour happens: (senior, frontline). Senior staff rate the culture
#: better than frontline staff (seed 2019: leaders see a culture their frontline does not).
_CULTURE_AGREE = {
    "home_first": (0.78, 0.46), "alternatives_considered": (0.70, 0.38), "risk_shared": (0.66, 0.30),
    "right_not_available": (0.62, 0.28), "stabilise_at_home": (0.60, 0.34), "feedback_given": (0.55, 0.32),
    "trust_partners": (0.64, 0.40), "time_for_conversations": (0.58, 0.36),
}
#: Professions that see a behaviour least (the 2019 interface finding: hospital staff cite risk,
#: ASC staff cite alternatives not considered): agreement falls by this much for them.
_CULTURE_DIP = {
    ("risk_shared", "hospital_clinical"): 0.22, ("risk_shared", "hospital_discharge"): 0.18,
    ("stabilise_at_home", "hospital_clinical"): 0.15, ("alternatives_considered", "asc"): 0.22,
    ("right_not_available", "asc"): 0.12,
}
_CULTURE_PROFESSIONS = {"senior": [0.30, 0.10, 0.15, 0.20, 0.15, 0.10], "frontline": [0.30, 0.08, 0.20, 0.25, 0.12, 0.05]}
_CULTURE_ORGS = {"asc": "council", "gp": "gp_practice", "hospital_discharge": "acute_trust", "hospital_clinical": "acute_trust",
                 "community_health": "community_trust", "other": "voluntary"}
#: Share of observations where the behaviour was seen as desired, by setting (mixed and
#: undesired share the rest); wards and the front door are the most risk averse.
_OBS_DESIRED = {"ward": 0.30, "front_door": 0.28, "discharge_meeting": 0.45, "community_team": 0.58,
                "strategic_meeting": 0.62, "other": 0.45}
_OBS_SETTINGS = [0.36, 0.10, 0.30, 0.18, 0.04, 0.02]
#: The behaviours a site's observers watch for (those its hypotheses test by observation).
_OBS_BEHAVIOURS = ("home_first", "alternatives_considered", "risk_shared", "time_for_conversations")
#: Sites whose panel disproved the home-first barrier although their own surveys support it: the
#: register flags the evidence pointing the other way.
_DISPUTED = {"croydon": ("home_first", "disproved"), "medway": ("home_first", "disproved")}
_OBS_BEHAVIOUR_SHIFT = {"home_first": 0.05, "risk_shared": -0.10, "time_for_conversations": -0.12, "feedback_given": -0.05}
_OBS_NOTES = ["Discussion at the board round turned quickly to a care home bed.", "Family asked about going home; no plan discussed.",
              "Social worker and ward nurse agreed a trial at home with daily calls.", ""]
#: Comms items: (audience, channel) mix and shares (promotes home first, plain language, sets
#: expectations) and risk framing (enabling, neutral, averse).
_COMMS_MIX = [("person", "leaflet", 0.30), ("family", "leaflet", 0.15), ("family", "letter", 0.15), ("person", "poster", 0.15),
              ("person", "web", 0.10), ("staff", "script", 0.10), ("staff", "poster", 0.05)]
_COMMS_SHARES = {"promotes_home_first": 0.35, "plain_language": 0.60, "sets_expectations": 0.40}
_RISK_FRAMING = [0.20, 0.40, 0.40]
#: Hypotheses a site tests: (behaviour, barrier, evidence, status).
_HYPOTHESES = [
    ("home_first", "Staff see a hospital or care home bed as the safe option",
     "culture_behaviour_agree;obs_behaviour_desired;comms_promotes_home_first", "verified"),
    ("risk_shared", "Hospital staff feel they carry the risk of a discharge alone",
     "culture_behaviour_agree;culture_level_gap;prof_admission_factor_frequent", "verified"),
    ("alternatives_considered", "Staff do not know which community alternatives exist",
     "culture_behaviour_agree;obs_behaviour_desired;gp_unaware_telecare", "verified"),
    ("feedback_given", "Referrers hear nothing back after a referral", "culture_behaviour_agree;gp_relationship_poor", "open"),
    ("trust_partners", "Professions do not trust each other's assessments", "culture_behaviour_agree;gp_trust_asc;prof_trust", "open"),
    ("time_for_conversations", "Wards are too busy for conversations with families",
     "obs_behaviour_desired;comms_sets_expectations", "disproved"),
]
#: Opportunity templates: (name, pathway stage, action type, lever, impact, ease, alignment,
#: benefit stream, share of stream, behaviour of the hypothesis it answers).
_OPPORTUNITIES = [
    ("GP link social workers", "early_intervention", "joint_working", "process", 4, 4, 4, "social_care", 0.10, "trust_partners"),
    ("Referral feedback letters", "early_intervention", "referral_communication", "process", 3, 5, 4, "social_care", 0.05, "feedback_given"),
    ("Reablement first at discharge", "post_crisis", "joint_working", "process", 5, 3, 4, "social_care", 0.15, "home_first"),
    ("Service directory for GPs", "prevention", "information_access", "process", 3, 5, 3, "admission_avoidance", 0.05, "alternatives_considered"),
    ("Trusted assessor at the hospital front door", "crisis_response", "joint_working", "process", 5, 3, 5, "nhs_admissions", 0.20, "risk_shared"),
    ("Joint GP and social care huddles", "early_intervention", "joint_working", "behaviour_culture", 4, 3, 5, "social_care", 0.10, "trust_partners"),
    ("Home first discharge", "post_crisis", "other", "process", 5, 2, 5, "nhs_bed_days", 0.30, "home_first"),
    ("Influencing the influencers campaign", "prevention", "influence_influencers", "behaviour_culture", 3, 3, 3, "social_care", 0.05, "home_first"),
    ("Care package review at two weeks", "post_crisis", "other", "process", 3, 4, 3, "social_care", 0.08, ""),
    ("Community alternatives training", "crisis_response", "training", "behaviour_culture", 4, 3, 4, "nhs_admissions", 0.10, "alternatives_considered"),
    ("Discharge to assess", "post_crisis", "other", "process", 5, 2, 4, "nhs_bed_days", 0.25, "home_first"),
    ("Positive risk-taking training for ward staff", "crisis_response", "training", "behaviour_culture", 4, 3, 4, "discharge_independence", 0.10, "risk_shared"),
    ("Weekend reablement capacity", "post_crisis", "other", "capacity", 4, 2, 3, "nhs_bed_days", 0.10, ""),
    ("Plain-language leaflets that set expectations", "crisis_response", "information_access", "process", 2, 5, 3, "community_skill_mix", 0.05, "time_for_conversations"),
]
_CULTURE_COMMENTS = ["Leaders talk about home first but the wards are not set up for it.",
                     "We never hear what happened after we refer.", "Risk always lands on the person who signs the discharge."]


def _in_stage2(sites) -> list[str]:
    return [s for s in sites.site_id if s in STAGE2]


def _culture(sites, scale) -> pd.DataFrame:
    rng = _rng("culture")
    agree_levels = ["Agree", "Strongly agree"]
    disagree_levels = ["Disagree", "Strongly disagree"]
    rows = []
    for site_id in _in_stage2(sites):
        n_senior, n_front = (n * scale for n in STAGE2[site_id][:2])
        effect = rng.normal(0, 0.05)
        for i, level in enumerate(["senior"] * n_senior + ["frontline"] * n_front):
            prof = PROFESSIONS[rng.choice(len(PROFESSIONS), p=_CULTURE_PROFESSIONS[level])]
            org = "icb" if level == "senior" and prof == "other" else _CULTURE_ORGS[prof]
            row = {"respondent_id": f"cs{i + 1:04d}", "site_id": site_id, "survey_year": str(STAGE2_YEAR), "survey_round": "",
                   "staff_level": level, "profession": prof, "organisation": org}
            for b in BEHAVIOURS:
                u = rng.random()
                if u < 0.03:
                    row[f"behaviour_{b}"] = ""
                elif u < 0.07:
                    row[f"behaviour_{b}"] = "Don't know"
                else:
                    p = _CULTURE_AGREE[b][0 if level == "senior" else 1] - _CULTURE_DIP.get((b, prof), 0.0) + effect
                    yes = rng.random() < min(max(p, 0.02), 0.98)
                    pool = agree_levels if yes else disagree_levels
                    row[f"behaviour_{b}"] = pool[int(rng.random() < 0.3)]
            row["comment"] = _CULTURE_COMMENTS[int(rng.integers(len(_CULTURE_COMMENTS)))] if rng.random() < 0.15 else ""
            rows.append(row)
    return pd.DataFrame(rows, columns=INSTRUMENTS["culture_survey"].names)


def _observations(sites, scale) -> pd.DataFrame:
    rng = _rng("observations")
    rows = []
    dates = pd.date_range("2019-05-01", "2019-07-31", freq="D")
    for site_id in _in_stage2(sites):
        for k in range(STAGE2[site_id][2] * scale):
            setting = OBSERVATION_SETTINGS[rng.choice(len(OBSERVATION_SETTINGS), p=_OBS_SETTINGS)]
            date = dates[int(rng.integers(len(dates)))].strftime("%Y-%m-%d")
            for b in rng.choice(_OBS_BEHAVIOURS, size=int(rng.integers(3, 5)), replace=False):
                p = _OBS_DESIRED[setting] + _OBS_BEHAVIOUR_SHIFT.get(str(b), 0.0)
                u = rng.random()
                seen = "desired" if u < p else ("mixed" if u < p + (1 - p) * 0.35 else "undesired")
                note = _OBS_NOTES[int(rng.integers(len(_OBS_NOTES)))] if rng.random() < 0.2 else ""
                rows.append((f"ob{k + 1:03d}", site_id, date, setting, str(b), seen, note))
    return pd.DataFrame(rows, columns=INSTRUMENTS["observations"].names)


def _comms(sites, scale) -> pd.DataFrame:
    rng = _rng("comms")
    rows = []
    mix = np.array([m[2] for m in _COMMS_MIX])
    for site_id in _in_stage2(sites):
        for k in range(STAGE2[site_id][3] * scale):
            audience, channel, _w = _COMMS_MIX[rng.choice(len(_COMMS_MIX), p=mix / mix.sum())]
            # Hospital-style leaflets and letters to families are the most risk averse.
            averse_shift = 0.15 if channel in ("leaflet", "letter") and audience != "staff" else -0.10
            frame = np.array(_RISK_FRAMING) + np.array([-averse_shift / 2, -averse_shift / 2, averse_shift])
            framing = RISK_FRAMINGS[rng.choice(3, p=np.clip(frame, 0.02, None) / np.clip(frame, 0.02, None).sum())]
            yn = {c: ("Yes" if rng.random() < p + (0.15 if framing == "enabling" else 0.0) else "No") for c, p in _COMMS_SHARES.items()}
            if rng.random() < 0.05:
                yn["sets_expectations"] = ""
            rows.append((f"cm{k + 1:03d}", site_id, audience, channel, yn["promotes_home_first"], yn["plain_language"],
                         yn["sets_expectations"], framing))
    return pd.DataFrame(rows, columns=INSTRUMENTS["comms_review"].names)


def _hypotheses(sites) -> pd.DataFrame:
    rows = []
    for site_id in _in_stage2(sites):
        for k, (b, barrier, evidence, status) in enumerate(_HYPOTHESES):
            if _DISPUTED.get(site_id, ("", ""))[0] == b:
                status = _DISPUTED[site_id][1]
            rows.append((f"h{k + 1}", site_id, b, barrier, evidence, status))
    return pd.DataFrame(rows, columns=INSTRUMENTS["hypotheses"].names)


def _opportunities(sites, plan) -> pd.DataFrame:
    """Every site's long list (2013 process): its intervention's opportunity (implementing), then
    others from the templates with statuses by score (the top short-listed, some rejected)."""
    rng = _rng("opportunities")
    names = {t[0]: t for t in _OPPORTUNITIES}
    rows = []
    for site_id in sites.site_id:
        own = [iv[2] for iv in plan["interventions"] if iv[0] == site_id and iv[2] in names]
        own += [iv[8] for iv in plan["proportion_interventions"] if iv[0] == site_id and iv[8] in names and iv[8] not in own]
        others = [t[0] for t in _OPPORTUNITIES if t[0] not in own]
        chosen = own + list(rng.choice(others, size=min(len(others), int(rng.integers(5, 8))), replace=False))
        stage2 = site_id in STAGE2
        for k, name in enumerate(chosen):
            _n, stage, action, lever, impact, ease, align, stream, share, behaviour = names[name]
            impact = int(np.clip(impact + rng.choice([-1, 0, 0, 1]), 1, 5))
            score = impact * ease * align
            if name in own:
                status = "implementing"
            elif score >= 60:
                status = ["short_list", "approved"][int(rng.integers(2))]
            elif score <= 30:
                status = ["rejected", "long_list"][int(rng.integers(2))]
            else:
                status = "long_list"
            hyp = ""
            if stage2 and behaviour:
                hyp = next((f"h{j + 1}" for j, h in enumerate(_HYPOTHESES) if h[0] == behaviour), "")
            rows.append((f"op{k + 1:02d}", site_id, name, stage, action, lever, status, str(impact), str(ease), str(align),
                         stream, f"{share:.2f}", hyp))
    return pd.DataFrame(rows, columns=INSTRUMENTS["opportunities"].names)


def _services(sites, plan) -> pd.DataFrame:
    rows = []
    for site_id in sites.site_id:
        for s in SERVICES:
            rows.append((site_id, s, "No" if s in plan["not_provided"].get(site_id, []) else "Yes"))
    return pd.DataFrame(rows, columns=INSTRUMENTS["services"].names)


def _plan(n_sites: int | None):
    """Sites and per-site sample sizes: the 11 named sites, then synthetic ones for larger batches."""
    plan = {"gp": dict(GP_RESPONSES), "gp2019": dict(GP_RESPONSES_2019), "op": dict(OP_RESPONSES), "prof": dict(PROF_RESPONSES),
            "cases": dict(CASE_REVIEWS), "interventions": list(_INTERVENTIONS),
            "proportion_interventions": list(_PROPORTION_INTERVENTIONS), "not_provided": dict(NOT_PROVIDED)}
    n = len(SITES) if n_sites is None else int(n_sites)
    if n < 1:
        raise ValueError("n_sites must be at least 1")
    sites = SITES.head(n).copy()
    if n > len(SITES):
        rng = _rng("more-sites")
        extra = []
        metrics = ["permanent_admissions_care_homes_65plus", "non_elective_admissions_65plus", "delayed_days_social_care"]
        for i in range(len(SITES), n):
            sid = f"site_{i + 1:03d}"
            pop = int(rng.integers(120, 1200)) * 1000
            wave = 3 + (i - len(SITES)) // 50
            extra.append((sid, f"Site {i + 1}", wave, "England", pop, int(pop * rng.uniform(0.15, 0.22)) // 100 * 100,
                          max(30, pop // 1500), ""))
            plan["gp"][sid] = int(rng.integers(12, 40))
            plan["prof"][sid] = int(rng.integers(10, 30))
            if i % 2 == 0:
                plan["op"][sid] = int(rng.integers(25, 60))
            if i % 3 == 0:
                plan["cases"][sid] = int(rng.integers(200, 450))
            shift = float(rng.choice([0.0, -0.35]))
            plan["interventions"].append((sid, f"{sid}_01", "Local test and learn", "2014-10", metrics[i % 3], "down", shift))
        sites = pd.concat([sites, pd.DataFrame(extra, columns=SITES.columns)], ignore_index=True)
    return sites, plan


def _with_second_round(first: pd.DataFrame, sites, scale, plan) -> pd.DataFrame:
    return pd.concat([first, _gp_second_round(sites, scale, plan, first)], ignore_index=True)


def make_example_data(scale: int = 1, n_sites: int | None = None) -> dict[str, pd.DataFrame]:
    """The example data set as raw text tables (as they would arrive in CSV exports).

    Parameters
    ----------
    scale : int
        Multiply every survey and case review count (for benchmarks); 1 reproduces the
        published sample sizes.
    n_sites : int, optional
        Number of sites: up to 11 takes the named sites in order; more adds synthetic sites
        (``site_012``...) for national-scale benchmarks. Default: the 11 named sites.

    Returns
    -------
    dict of str to DataFrame
        One table per instrument, every cell as text as it would be exported.

    Examples
    --------
    >>> tables = make_example_data()
    >>> gp = tables["gp_survey"]
    >>> len(gp.query("survey_year == '2013'")), len(gp.query("survey_year == '2019'"))
    (154, 172)
    """
    if int(scale) < 1:
        raise ValueError("scale must be a whole number >= 1")
    sites, plan = _plan(n_sites)
    tables = {
        "sites": sites.astype(str),
        "services": _services(sites, plan),
        "gp_survey": _with_second_round(_gp_survey(sites, scale, plan), sites, scale, plan),
        "older_people_survey": _older_people(sites, scale, plan),
        "professional_survey": _professional(sites, scale, plan),
        "case_reviews": _case_reviews(sites, scale, plan),
        "flow_metrics": _flow(sites, plan),
        "culture_survey": _culture(sites, scale),
        "observations": _observations(sites, scale),
        "comms_review": _comms(sites, scale),
        "hypotheses": _hypotheses(sites),
    }
    tables["opportunities"] = _opportunities(sites, plan)
    tables["interventions"] = _interventions(sites, plan, tables["opportunities"])
    tables["interviews"] = _interviews(sites)
    return {k: v.astype(str).reset_index(drop=True) for k, v in tables.items() if len(v)}


def write_example_data(
    directory: str | os.PathLike, *, fmt: str = "csv", scale: int = 1, n_sites: int | None = None, overwrite: bool = False
) -> list[Path]:
    """Write the example data set into ``directory`` (one file per instrument).

    Parameters
    ----------
    directory : path-like
        Created if needed. An existing non-empty folder is refused unless ``overwrite``.
    fmt : {"csv", "xlsx", "sav"}
        File type to write.
    scale, n_sites : int
        See :func:`make_example_data`.
    overwrite : bool
        Replace the instrument files of an existing folder.

    Returns
    -------
    list of Path
        The files written.
    """
    from .io import write_table

    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()) and not overwrite:
        raise FileExistsError(f"{directory} is not empty; pass overwrite=True (--overwrite) to replace its files")
    tables = make_example_data(scale, n_sites)
    tmp = directory.with_name(directory.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    written = []
    for name, df in tables.items():
        written.append(write_table(df, tmp / f"{name}.{fmt}", name))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in (directory / f"{n}.{s}" for n in tables for s in ("csv", "xlsx", "sav")):
        if stale.exists():
            stale.unlink()
    final = []
    for path in written:
        target = directory / path.name
        os.replace(path, target)
        final.append(target)
    shutil.rmtree(tmp)
    return final


def example_data_dir() -> Path:
    """The bundled example data, written once into a cache folder (for interactive defaults).

    The folder is keyed on homekit's version and on the code that writes the data, so a changed
    generator (or a development checkout) is never served data written by older code.
    """
    import hashlib

    from . import __version__
    from .io import cache_dir

    here = Path(__file__).resolve().parent
    code = hashlib.sha256(b"".join((here / f).read_bytes() for f in ("example_data.py", "instruments.py"))).hexdigest()[:12]
    cache = cache_dir() / f"example_data-{__version__}-{code}"
    if not (cache / "sites.csv").exists():
        tmp = cache.with_name(cache.name + f".{os.getpid()}")
        write_example_data(tmp, overwrite=True)
        try:
            os.replace(tmp, cache)
        except OSError:  # another process won the race
            shutil.rmtree(tmp, ignore_errors=True)
    return cache
