"""Disclosure control: the only gate between estimates and anything published.

Every published number (``indicators.csv`` and every other CSV, HTML tables and text, figure
labels and drawn bars, ``summary.xlsx``, executed notebooks) is taken from the output of
:func:`disclose_indicators` (or, for a table of counts, :func:`disclose_counts` and
:func:`publish_count`). The settings live in ``parameters/disclosure.yaml``.

Two rules, by whose data a row holds (``homekit.instruments.INDICATORS[id].subjects``):

``people`` (older people survey, case reviews, flow metrics, interviews): the NHS Digital rule.
    Counts of 1 to 7 are suppressed, and so is a count whose complement (base minus count) is 1
    to 7; no percentage from a base under 10; other counts are rounded to the nearest 5 (half
    up); a base of 1 to 7 is blanked.
``professional`` (GP survey, interface survey, culture surveys): the NHS Staff Survey rule. A
    group is reported only when it has at least ``min_group_size`` (11) answers; within a
    reported group counts are not suppressed (an opinion held by 3 of 20 GPs is published, as
    the staff survey does). Counts are exact unless ``rounding_base`` says otherwise.

Whatever is published is derived only from published figures: a proportion's estimate is the
published (rounded) numerator over the published (rounded) denominator, and its interval is
computed again from those same counts (Wilson, or Clopper-Pearson where the row used it; Byar /
exact Poisson for rates), so ``estimate x base`` gives back only the published count. Estimates
are written at a fixed precision (``precision`` in the yaml: proportions to 4 decimals, rates to
1, means to 2, money to whole units). Means (scores, costs, hours) are published only on
``min_n_for_mean`` (10) answers or more, rounded, with the count rounded and the sum (the
numerator) never published; under the people rule a mean of answer codes is withheld when any
answer level behind it holds 1 to 7 people. Magnitude cells (costs, hours: ``unit`` set in the
data dictionary) also pass the dominance rules ACRO applies (n-k with n=2, k=90%; p-ratio with
p=10%), so one or two cases never make up most of a total.

National figures follow the same rules (rounded, suppressed) unless ``national.exact: true``,
meant for programmes of many sites where national minus the other sites pins nothing down.

Secondary suppression works over every **linked table** in :data:`LINKED_TABLES` (cells that add
up), repeats until no suppressed cell can be recovered from any of them, and picks a zero cell
only where nothing else can protect (a total of 0 over withheld groups). A Likert net score is withheld when either of its parts is.

How to declare a linked table
-----------------------------
Add ONE :class:`Linked` entry to :data:`LINKED_TABLES`. Rows are matched by the text
``"<indicator>|<group>"`` (``group`` blank where none: ``"gp_trust_asc|"``) against the regular
expression ``parts`` (a full match); the named groups of the expression split matching rows into
separate tables (and rows of different sites or periods are never in one table). Then say where
the total is:

* ``total=None``: the parts' numerators add up to their shared denominator (a partition of a
  base, e.g. the most influential person);
* ``total="<template>"``: the total is the row whose ``indicator|group`` is the template filled
  with the named groups (``"prof_{domain}_factor_frequent|{factor}"``);

``field="numerator"`` when the parts' numerators add up (answers of one base), ``"group"`` when
the parts are sub-groups of people whose numerators *and* denominators add up (professions and
their roll-ups, roles within a site). ``remainder=True`` when the parts do not cover the total
and the rest is not published (it can be worked out by subtraction, so it is protected as well).
Cells published in other tables anyway (an item's base) are never chosen for suppression.

Example (a new partition of older people by who they live with)::

    Linked("living arrangement", r"op_lives_with\\|.*"),

A suppressed cell reads ``[c]`` in reports and has ``suppressed = true`` in CSV, with numerator,
estimate and interval blank.

Other published tables: :func:`disclose_counts` (a crosstab), :func:`publish_count` (one count in
text), :func:`disclose_change` (change between survey rounds, from the published rounds only),
:func:`disclose_evidence` (what drives the benefits model's money figures).
"""

from __future__ import annotations

import math
import os
import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .exceptions import ParameterError
from .instruments import PATHWAYS, PROFESSION_GROUPS

__all__ = [
    "Rule",
    "DisclosureRules",
    "Linked",
    "LINKED_TABLES",
    "PARTITIONS",
    "disclose_indicators",
    "disclose_change",
    "publish_count",
    "subjects_of",
    "disclose_counts",
    "disclose_evidence",
    "load_rules",
    "dominated",
    "PUBLISHED_COLUMNS",
]

#: Columns every gated table keeps (the contract's indicators.csv; extra public columns such as
#: ``period`` or ``polarity`` are kept too, private ones starting with ``_`` never are).
PUBLISHED_COLUMNS = ["site_id", "indicator", "group", "numerator", "denominator", "estimate", "lower", "upper", "method", "suppressed"]

SUBJECTS = ("people", "professional")

#: Files whose rows are not about people (a count of their rows is published as it is).
NOT_PERSONAL = ("sites", "services", "interventions", "flow_metrics", "hypotheses", "opportunities", "comms_review")


@dataclass(frozen=True)
class Rule:
    """The rule for one kind of data (``people`` or ``professional``)."""

    suppress_counts_from: int = 1
    suppress_counts_to: int = 7
    suppress_small_complement: bool = True
    rounding_base: int = 5
    min_base_for_percentage: int = 10
    min_group_size: int = 0
    min_n_for_mean: int = 10

    def small(self, n) -> np.ndarray:
        """Counts that are themselves disclosive (1 to 7 under the people rule; none otherwise)."""
        n = np.asarray(n, float)
        if self.suppress_counts_to < self.suppress_counts_from or self.suppress_counts_to <= 0:
            return np.zeros(n.shape, bool)
        return (n >= self.suppress_counts_from) & (n <= self.suppress_counts_to)

    def round(self, n) -> np.ndarray:
        """Published value of a count: rounded half up to ``rounding_base``."""
        n = np.asarray(n, float)
        if self.rounding_base <= 1:
            return n
        return np.floor(n / self.rounding_base + 0.5) * self.rounding_base

    @property
    def min_base(self) -> int:
        """Smallest base (group) a percentage is shown on."""
        return max(self.min_base_for_percentage, self.min_group_size)

    def small_group(self, den) -> np.ndarray:
        den = np.asarray(den, float)
        return (den > 0) & (den < self.min_base)


PEOPLE = Rule()
PROFESSIONAL = Rule(suppress_counts_from=0, suppress_counts_to=0, suppress_small_complement=False, rounding_base=1,
                    min_base_for_percentage=0, min_group_size=11)


@dataclass(frozen=True)
class DisclosureRules:
    """Every disclosure setting (``parameters/disclosure.yaml``)."""

    apply: bool = True
    people: Rule = PEOPLE
    professional: Rule = PROFESSIONAL
    secondary_suppression: bool = True
    #: national figures exact (unrestricted) rather than following the site rules
    national_exact: bool = False
    #: dominance of magnitude cells (ACRO's defaults): n-k rule and p-ratio rule
    nk_n: int = 2
    nk_k: float = 0.9
    p_ratio: float = 0.10
    #: decimals of published estimates
    precision: dict = field(default_factory=lambda: {"proportion": 4, "rate": 1, "mean": 2, "money": 0, "people_answer_mean": 1})
    marker: str = "[c]"
    level: str = "site"

    def __hash__(self):  # precision is a dict
        return hash((self.apply, self.people, self.professional, self.national_exact, self.level))

    def rule(self, subjects: str) -> Rule:
        return self.professional if subjects == "professional" else self.people

    # The people rule's methods, for callers that publish counts about people.
    def small(self, n) -> np.ndarray:
        return self.people.small(n)

    def round(self, n) -> np.ndarray:
        return self.people.round(n)

    @property
    def suppress_counts_from(self) -> int:
        return self.people.suppress_counts_from

    @property
    def suppress_counts_to(self) -> int:
        return self.people.suppress_counts_to

    @property
    def rounding_base(self) -> int:
        return self.people.rounding_base

    @property
    def min_base_for_percentage(self) -> int:
        return self.people.min_base_for_percentage

    @property
    def min_group_size(self) -> int:
        return self.professional.min_group_size

    def describe(self) -> str:
        """One sentence for a report's method note."""
        if not self.apply:
            return "National figures are exact (national.exact is set): no rounding or suppression."
        p, q = self.people, self.professional
        where = "National figures follow the site rules (rounded and suppressed), so national minus sites pins nothing down. " if self.level == "national" else ""
        return (f"{where}Data about people: counts {p.suppress_counts_from}-{p.suppress_counts_to} and their complements "
                f"suppressed ({self.marker}), other counts rounded to {p.rounding_base}, no percentage on a base under "
                f"{p.min_base_for_percentage}. Opinions of professionals: a group is shown only with at least "
                f"{q.min_group_size} answers. Estimates are computed from the published counts and written to "
                f"{self.precision['proportion']} decimals (means to {self.precision['mean']}).")


UNRESTRICTED = DisclosureRules(apply=False, level="national")


@dataclass(frozen=True)
class Linked:
    """One linked table: published cells that add up (see the module docstring)."""

    name: str
    parts: str
    total: str | None = None
    field: str = "numerator"
    remainder: bool = False

    def __post_init__(self):
        if self.field not in ("numerator", "group"):
            raise ValueError(f"linked table {self.name}: field must be 'numerator' or 'group'")
        object.__setattr__(self, "_re", re.compile(self.parts))

    def named(self, key: str) -> tuple[tuple[str, str], ...] | None:
        r"""The named parts of a row's ``indicator|group`` key in this table, sorted (which
        instance of the table the row is in: its item, its site's factor...), or None when the
        row is not in this table.

        >>> Linked("t", r"(?P<p>\w+)_likert_(top2|bottom2)\|(?P<item>.+)").named("gp_likert_top2|trust_asc")
        (('item', 'trust_asc'), ('p', 'gp'))
        """
        m = self._re.fullmatch(key)
        return None if m is None else tuple(sorted(m.groupdict().items()))



#: Every linked table homekit publishes. ONE entry per table; see "How to declare a linked table".
LINKED_TABLES: tuple[Linked, ...] = (
    # Partitions of one base (the parts' numerators add up to the shared denominator).
    Linked("most influential person", r"op_most_influential\|.*"),
    Linked("delayed days by attribution", r"flow_delayed_days_share\|.*"),
    Linked("discharges by pathway", r"flow_discharge_pathway_share\|.*"),
    # Who assesses better: GP + Social care + Don't know (not published) = answered.
    Linked("better assessor", r"gp_(social_care|gp)_better_assessor\|", remainder=True),
    # Likert items: top two + bottom two + the middle (not published) = answered.
    Linked("Likert top / bottom two", r"(?P<p>\w+)_likert_(top2|bottom2)\|(?P<item>.+)", remainder=True),
    # Likert answer levels of an item (when published) add up to its base.
    Linked("Likert answer levels", r"(?P<p>\w+)_likert_level\|(?P<item>[^|]+)\|.+"),
    # Answered + missing = responses (``*_likert_missing`` against the item's base) is not a
    # table suppression can protect: both bases are published on many rows. Under the people rule
    # the two bases are rounded to 5, so the difference is known only within +-4; under the
    # professional rule a missing answer is not an opinion group and is published.
    # A breakdown of a figure (group ``<by>:<value>``: GP role, programme wave, survey year, case
    # decision point or reason) adds up to the figure itself (group blank); one table per ``by``.
    Linked("breakdowns", r"(?P<ind>[a-z0-9_]+)\|(?P<by>role|wave|year|decision_point|primary_reason):.+", total="{ind}|", field="group"),
    # Trust in another profession: the four levels of a rater->ratee pair add up to its base.
    Linked("trust levels", r"prof_trust_level\|(?P<pair>[^|]+)\|.+"),
    # Agree + Strongly agree is the pair's prof_trust row (% trusting).
    Linked("trust levels: agree", r"prof_trust_level\|(?P<pair>[^|]+)\|(agree|strongly_agree)", total="prof_trust|{pair}"),
    # Professions add up to their three-group roll-ups, and the groups to all professions.
    *(Linked(f"professions in group {g}", rf"prof_factor_frequent\|(?P<f>[^|]+)\|({'|'.join(p)})",
             total=f"prof_factor_frequent|{{f}}|group:{g}", field="group") for g, p in PROFESSION_GROUPS.items()),
    Linked("respondent groups in all professions", r"prof_factor_frequent\|(?P<d>\w+?):(?P<f>[^|]+)\|group:.+",
           total="prof_{d}_factor_frequent|{f}", field="group"),
    # The five frequency levels of a factor in a respondent group add up to its base, and
    # Frequently + Very frequently is that group's prof_factor_frequent row.
    Linked("factor levels", r"prof_factor_level\|(?P<k>[^|]+\|group:[^|]+)\|.+"),
    Linked("factor levels: frequently or more", r"prof_factor_level\|(?P<k>[^|]+\|group:[^|]+)\|(frequently|very_frequently)",
           total="prof_factor_frequent|{k}"),
    # Case reviews (second release). Teams of a site are sub-groups of the cases judged (cases
    # without a team are the unpublished rest); a team's caseloads add up to the team.
    Linked("teams", r"case_team_reablement_suitable\|[^|]+", total="case_reablement_suitable|", field="group", remainder=True),
    Linked("a team's caseloads", r"case_team_reablement_suitable\|(?P<t>[^|]+)\|caseload:.+",
           total="case_team_reablement_suitable|{t}", field="group"),
    # Cases by actual and ideal pathway (the heatmap): the cells partition the reviewed cases; the
    # cells off the diagonal are the improvable decisions, and those where the ideal pathway is
    # less intensive than the actual one (below the diagonal) the improvable ones with a less
    # intensive ideal.
    Linked("pathway transitions", r"case_pathway_transition\|.+"),
    Linked("pathway transitions off the diagonal", r"case_pathway_transition\|([a-z_]+)->(?!\1$)[a-z_]+",
           total="case_decision_improvable|", remainder=False),
    Linked("pathway transitions to a less intensive ideal",
           r"case_pathway_transition\|(" + "|".join(f"{a}->{i}" for ka, a in enumerate(PATHWAYS) for i in PATHWAYS[:ka]) + ")",
           total="case_ideal_less_intensive|"),
    # Coded interviews: the tones of a theme's mentions partition its mentions.
    Linked("tone of a theme's mentions", r"interview_theme_tone\|(?P<theme>[^|]+)\|.+"),
    # Care packages by review interval (packages with no interval recorded are the rest).
    Linked("care hours by review interval", r"case_care_hours_fell\|review_.+", total="case_care_hours_fell|", field="group",
           remainder=True),
    # Delay reasons partition the delayed cases; social care and health partition the attributed
    # ones, each the sum of its reasons (family choice and other are neither).
    Linked("delay reasons", r"case_delay_reason\|.+"),
    Linked("delays by system", r"case_delay_attribution\|.+"),
    Linked("social care delay reasons", r"case_delay_reason\|(awaiting_care_package|awaiting_care_home)",
           total="case_delay_attribution|social_care"),
    Linked("health delay reasons", r"case_delay_reason\|(awaiting_assessment|awaiting_intermediate_care|clinical)",
           total="case_delay_attribution|health"),
    # National GP response rate: the waves add up to the sites that ran the survey.
    Linked("GP response by wave", r"gp_response_rate\|wave:.+", total="gp_response_rate|", field="group"),
    # Rounds and their change: a change row is derived from the two published rounds only (see
    # ``disclose_change``); history rows of different periods are separate tables by design, and a
    # pooled national round is gated with the sites' rows of that round behind it.
    # Stage 2 diagnostic (second release). Observations of a behaviour in each setting add up to
    # the behaviour's observations; comms items by audience and by channel add up to all items.
    Linked("observations by setting", r"obs_behaviour_desired\|(?P<b>[^|]+)\|.+", total="obs_behaviour_desired|{b}",
           field="group"),
    Linked("comms items by audience", r"(?P<ind>comms_\w+)\|audience:.+", total="{ind}|", field="group"),
    Linked("comms items by channel", r"(?P<ind>comms_\w+)\|channel:.+", total="{ind}|", field="group"),
    # Risk framing: enabling + neutral + averse (the comms_risk_averse row) = items with a framing.
    Linked("comms risk framing", r"comms_risk_framing\|(enabling|neutral)|comms_risk_averse\|"),
    # Culture surveys: staff levels, professions and organisations each add up to all staff who
    # answered the behaviour (culture_behaviour_agree|<behaviour>); the senior-minus-frontline gap
    # is a difference held to the group size on the smaller of its two bases, withheld with
    # either level (_WITH_PARTS).
    *(Linked(f"culture agreement by {by}", rf"culture_behaviour_agree\|(?P<b>[^|]+)\|{parts}", total="culture_behaviour_agree|{b}",
             field="group") for by, parts in (("staff level", "(senior|frontline)"), ("profession", "profession:.+"),
                                              ("organisation", "organisation:.+"))),
)

#: Rows derived from other published rows, withheld whenever one of those is: ``indicator ending
#: -> (the parts' keys from the row's ``(stem, group)``, whether a missing part withholds too)``.
#: A net score is computed from its parts (none without both); an item's mean with its interval
#: and the top two gives the answer levels, hence a withheld part; a gap plus one share gives the
#: other share back.
_WITH_PARTS = {
    "likert_net": (lambda stem, g: [f"{stem}likert_top2|{g}", f"{stem}likert_bottom2|{g}"], True),
    "likert_mean": (lambda stem, g: [f"{stem}likert_top2|{g}", f"{stem}likert_bottom2|{g}"], False),
    "culture_level_gap": (lambda stem, g: [f"culture_behaviour_agree|{g}|senior", f"culture_behaviour_agree|{g}|frontline"], True),
}

#: Rows whose base is the numerator (or a part of it) of another row of the same group:
#: ``dependent -> source``. Where the source's count is withheld, so is the dependent row, with its
#: base (:func:`_based_on_withheld`): the improvable decisions are the base of the figures about them.
BASED_ON = {"case_alternative_available": "case_decision_improvable", "case_ideal_less_intensive": "case_decision_improvable",
            "case_ideal_cheaper": "case_decision_improvable", "case_weekly_cost_difference": "case_decision_improvable"}

#: Added to the ``method`` of a national row whose counts are the sums of the sites' published counts.
SITE_SUM_METHOD = "; counts are the sums of the sites' published counts"

#: ``method`` of a published mean of answer codes about people (no interval, and why).
ANSWER_MEAN_METHOD = "mean of answer codes (1 decimal; no interval, which would give back the answers)"

#: Indicators whose numerator is itself a group of respondents (held to ``min_group_size``).
GROUP_NUMERATORS = ("gp_response_rate",)

#: Indicators whose groups partition the same base (kept for callers of the first release).
PARTITIONS = ("op_most_influential", "flow_delayed_days_share", "flow_discharge_pathway_share")

#: A derived row and the rows it is computed from: published only when both are.
_NET_SUFFIX = "likert_net"


# ------------------------------------------------------------------------------------------------
# Settings
# ------------------------------------------------------------------------------------------------


def _rule_from(section: dict, default: Rule, where: str, path) -> Rule:
    known = {f.name for f in fields(Rule)}
    unknown = set(section) - known
    if unknown:
        raise ParameterError(f"{where}.{sorted(unknown)[0]}", f"unknown setting; expected one of {sorted(known)}", str(path))
    rule = replace(default, **section)
    for f in fields(Rule):
        v = getattr(rule, f.name)
        if f.type in ("int", int) and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            raise ParameterError(f"{where}.{f.name}", f"must be a whole number >= 0, got {v!r}", str(path))
    return rule


def load_rules(path: str | os.PathLike | None = None, level: str = "site") -> DisclosureRules:
    """Rules for ``level`` ("site" or "national") from a YAML file (default: built-in settings,
    the same as ``parameters/disclosure.yaml``).

    The first release's keys (``site:`` with the people rule, ``national: apply:``) are still read.
    """
    if level not in ("site", "national"):
        raise ValueError("level must be 'site' or 'national'")
    if path is None:
        return DisclosureRules(level=level)
    path = Path(path)
    try:
        cfg = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ParameterError("disclosure", f"cannot read the disclosure settings: {exc}", str(path)) from exc
    if not isinstance(cfg, dict):
        raise ParameterError("disclosure", "expected a mapping of settings", str(path))
    cfg = dict(cfg)
    if "site" in cfg:  # first-release layout
        site = dict(cfg.pop("site") or {})
        secondary = site.pop("secondary_suppression", True)
        apply = site.pop("apply", True)
        cfg.setdefault("people", site)
        cfg.setdefault("secondary_suppression", secondary)
        if not apply:
            cfg["apply"] = False
        nat = cfg.get("national") or {}
        if "apply" in nat:
            cfg["national"] = {"exact": not nat["apply"]}
    known = {"people", "professional", "national", "magnitude", "precision", "secondary_suppression", "suppressed_marker", "apply"}
    unknown = set(cfg) - known
    if unknown:
        raise ParameterError(sorted(unknown)[0], f"unknown setting; expected one of {sorted(known)}", str(path))
    people = _rule_from(cfg.get("people") or {}, PEOPLE, "people", path)
    prof = _rule_from(cfg.get("professional") or {}, PROFESSIONAL, "professional", path)
    nat = cfg.get("national") or {}
    if set(nat) - {"exact"}:
        raise ParameterError(f"national.{sorted(set(nat) - {'exact'})[0]}", "unknown setting; expected exact", str(path))
    mag = cfg.get("magnitude") or {}
    if set(mag) - {"nk_n", "nk_k", "p_ratio"}:
        raise ParameterError(f"magnitude.{sorted(set(mag) - {'nk_n', 'nk_k', 'p_ratio'})[0]}", "unknown setting; expected nk_n, nk_k, p_ratio", str(path))
    precision = {**DisclosureRules().precision, **(cfg.get("precision") or {})}
    for k, v in precision.items():
        if not isinstance(v, int) or v < 0 or v > 10:
            raise ParameterError(f"precision.{k}", f"must be a whole number of decimals from 0 to 10, got {v!r}", str(path))
    exact = bool(nat.get("exact", False))
    rules = DisclosureRules(
        apply=bool(cfg.get("apply", True)) and not (level == "national" and exact),
        people=people,
        professional=prof,
        secondary_suppression=bool(cfg.get("secondary_suppression", True)),
        national_exact=exact,
        nk_n=int(mag.get("nk_n", 2)),
        nk_k=float(mag.get("nk_k", 0.9)),
        p_ratio=float(mag.get("p_ratio", 0.10)),
        precision=precision,
        marker=str(cfg.get("suppressed_marker", "[c]")),
        level=level,
    )
    return rules


# ------------------------------------------------------------------------------------------------
# Dominance (magnitude cells)
# ------------------------------------------------------------------------------------------------


def dominated(total_abs, top1, top2, rules: DisclosureRules | None = None) -> np.ndarray:
    """Magnitude cells failing a dominance rule, as ACRO applies them.

    n-k rule: the ``nk_n`` (2) largest contributions make up ``nk_k`` (90%) or more of the total.
    p-ratio rule: the total less the two largest is under ``p_ratio`` (10%) of the largest, so
    the second largest contributor could estimate the largest within 10%.

    Written by hand rather than with ``acro`` (which implements the same two tests in
    ``acro.sdcchecks``): acro 1.0 pins ``pandas<=2.3.3`` and works on micro-data tables of its own
    session, while homekit runs on pandas 3 and checks cells computed by its indicator modules
    (which pass the total and the two largest absolute contributions of each cell).

    Examples
    --------
    >>> dominated([100, 100, 100], [50, 80, 30], [10, 15, 30]).tolist()
    [False, True, False]
    """
    rules = rules or DisclosureRules()
    total = np.asarray(total_abs, float)
    t1 = np.asarray(top1, float)
    t2 = np.asarray(top2, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        top_n = t1 + (t2 if rules.nk_n >= 2 else 0)
        nk = np.where(total > 0, top_n / total >= rules.nk_k, False)
        pr = np.where(t1 > 0, (total - t1 - t2) / t1 < rules.p_ratio, False)
    return nk | pr


# ------------------------------------------------------------------------------------------------
# The gate
# ------------------------------------------------------------------------------------------------


def _indicator_info(ids: np.ndarray):
    """subjects, kind and unit of every row's indicator id (unknown ids: the stricter people rule)."""
    from .instruments import INDICATORS

    subjects, kind, unit = {}, {}, {}
    for i in pd.unique(ids):
        info = INDICATORS.get(i)
        subjects[i] = info.subjects if info is not None else "people"
        kind[i] = info.kind if info is not None else ("mean" if str(i).endswith("_mean") else "proportion")
        unit[i] = info.unit if info is not None else ""
    return (np.array([subjects[i] for i in ids], dtype=object), np.array([kind[i] for i in ids], dtype=object),
            np.array([unit[i] for i in ids], dtype=object))


def disclose_indicators(data: pd.DataFrame, rules: DisclosureRules, *, sites: pd.DataFrame | None = None,
                        published_sites: pd.DataFrame | None = None,
                        gated: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Apply disclosure control to a table in the ``indicators.csv`` shape; returns a new table.

    Parameters
    ----------
    data : DataFrame
        ``site_id, indicator, group, numerator, denominator, estimate, lower, upper, method``
        (extra public columns such as ``period`` are kept; private columns starting with ``_``,
        e.g. the largest contributions behind a cost, are read and dropped).
    rules : DisclosureRules
        From :func:`load_rules`.
    sites : DataFrame, optional
        For a national table: the sites' rows before the gate. National = sum of sites is a
        linked table: where national counts are exact (the professional rule), a national row is
        withheld when the sites suppressed for it add up to a group under ``min_group_size``, so
        national minus the published sites cannot give a small group back.
    published_sites : DataFrame, optional
        The same sites' rows as they were published (this gate's output for ``sites``, e.g. read
        back from the sites' ``indicators.csv``), matched on ``site_id, indicator, group`` (and
        ``period``): saves gating the sites again. Where a row of ``sites`` has no published
        match, the sites are gated here as without it.
    gated : (DataFrame, DataFrame), optional
        Rows this gate has already published with the same ``rules``: ``(before, after)``, the
        rows given to it and what it returned (e.g. every site's latest round, when ``data`` is
        every round). No linked table spans two scopes (a site and a period) and each scope is
        protected on its own, so a scope of ``data`` whose rows are exactly those of the same
        scope of ``before`` (the same indicators and groups, with the same value in every column of
        ``data``, private ones included) is published as it was in ``after``, not gated again. Site level
        tables only (not with ``sites``).

    Returns
    -------
    DataFrame
        The same rows, with ``suppressed`` set; suppressed rows have blank numerator, estimate and
        interval; published counts are rounded as the rule says and every estimate and interval
        is recomputed from the published counts at the stated precision.

    Examples
    --------
    >>> df = pd.DataFrame({"site_id": "a", "indicator": "op_planned_ahead", "group": "",
    ...                    "numerator": [13.0], "denominator": [42.0], "estimate": [13 / 42],
    ...                    "lower": [0.0], "upper": [1.0], "method": "Wilson"})
    >>> out = disclose_indicators(df, DisclosureRules())
    >>> out[["numerator", "denominator", "estimate"]].values.tolist()
    [[15.0, 40.0, 0.375]]
    """
    if gated is not None and len(data) and rules.apply:
        if sites is not None:
            raise TypeError("disclose_indicators: 'gated' is for site level tables, not with 'sites'")
        raw, published = gated
        same = _scopes_gated_alike(data, raw)
        public = [c for c in data.columns if not str(c).startswith("_")] + ([] if "suppressed" in data.columns else ["suppressed"])
        if same.any() and set(public) <= set(published.columns):
            taken = _rows_of(published, data.loc[same], public)
            # (the columns the gate leaves as they were keep the dtypes they have in ``data``)
            kept = [c for c in public if c not in ("group", "suppressed", "numerator", "denominator", "estimate", "lower", "upper")]
            taken = taken.astype({**{c: data[c].dtype for c in kept}, "suppressed": bool})
            rest = disclose_indicators(data.loc[~same], rules) if (~same).any() else taken.iloc[:0]
            return pd.concat([rest, taken]).reindex(data.index)
    out = data.copy()
    private = [c for c in out.columns if str(c).startswith("_")]
    # a table that has been through the gate once keeps what it withheld (gating is idempotent)
    already = (out["suppressed"].astype(str).str.lower() == "true").to_numpy() if "suppressed" in out.columns else np.zeros(len(out), bool)
    out["suppressed"] = False
    if out.empty or not rules.apply:
        return out.drop(columns=private)
    for c in ("numerator", "denominator", "estimate", "lower", "upper"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["group"] = out["group"].fillna("").astype(str)
    ids = out["indicator"].astype(str).to_numpy()
    subjects, kind, unit = _indicator_info(ids)
    num = out["numerator"].to_numpy(float)
    den = out["denominator"].to_numpy(float)
    method = out["method"].astype(str).to_numpy()
    is_mean = (kind == "mean") | (method == "Student's t") | (method == ANSWER_MEAN_METHOD)
    is_rate = kind == "rate"
    is_net = np.char.endswith(ids.astype(str), _NET_SUFFIX)
    is_diff = (kind == "difference") & ~is_net  # a difference of two published shares (own interval)
    is_prop = ~is_mean & ~is_rate & ~is_net & ~is_diff
    prof = subjects == "professional"
    P, Q = rules.people, rules.professional

    # -- primary suppression ---------------------------------------------------------------
    primary = np.zeros(len(out), bool)
    # proportions: people rule (count, complement, base) / professional rule (group size)
    primary |= is_prop & ~prof & (P.small(num) | (den < P.min_base_for_percentage))
    if P.suppress_small_complement:
        primary |= is_prop & ~prof & P.small(den - num)
    # (how many professionals left an item unanswered is not an opinion: published like a base)
    non_answer = prof & np.char.endswith(ids.astype(str), "likert_missing")
    primary |= is_prop & prof & ~non_answer & ((den < Q.min_base) | Q.small(num))
    # a response rate's numerator is the group of respondents itself
    primary |= prof & np.isin(ids, GROUP_NUMERATORS) & Q.small_group(num)
    # differences with their own interval: professional groups of min_group_size or more; about
    # people only when derived from published figures (as the net score is), so withheld here
    primary |= is_diff & (~prof | (den < Q.min_base))
    # rates: the count of events is about people; the population is public
    primary |= is_rate & P.small(num)
    # means: n, and the answer levels behind a mean of answer codes, and dominance of magnitudes
    n_min = np.where(prof, max(Q.min_n_for_mean, Q.min_group_size), P.min_n_for_mean)
    primary |= is_mean & (den < n_min)
    if "_min_count" in out.columns:
        primary |= is_mean & ~prof & P.small(out["_min_count"].to_numpy(float))
    else:
        primary |= is_mean & ~prof & (unit == "")  # answer codes with no level counts: withheld
    magnitude = is_mean & (unit != "")
    if magnitude.any():
        if {"_abs_total", "_top1", "_top2"} <= set(out.columns):
            dom = dominated(out["_abs_total"], out["_top1"].fillna(0), out["_top2"].fillna(0), rules)
            primary |= magnitude & dom
        else:
            primary |= magnitude  # no contributions to check: withheld
    # a zero or missing base shows nothing
    primary |= is_prop & ~(den > 0) & ~np.isnan(num)
    # rows with nothing to publish are not "suppressed"
    primary &= ~(np.isnan(den) & np.isnan(num))
    primary &= ~(is_mean & ~(den > 0))  # a mean of no values at all is "no data", not withheld
    primary |= already
    # national = sum of the sites: a national row that would give back what the sites withhold
    # is withheld itself, before secondary suppression protects it in its own linked tables; a
    # national proportion whose every site is published is the sum of the published site figures
    # (controlled rounding: nothing beyond what the sites publish), never withheld
    fixed = np.zeros(len(out), bool)
    if sites is not None and len(sites):
        gated_sites = _published_or_gated(sites, published_sites, replace(rules, level="site"))
        primary |= _national_minus_sites(out, primary, sites, gated_sites, rules, prof)
        fixed, sum_num, sum_den = _sum_of_published_sites(out, sites, gated_sites)
        fixed &= is_prop & ~already
        primary &= ~fixed

    suppressed = primary.copy()
    again = None  # the scopes (site and period) to protect again: every one at first
    found = linked_tables(out) if rules.secondary_suppression else []
    for _ in range(20):
        if rules.secondary_suppression:
            suppressed = secondary_suppression(out, suppressed, rules, subjects=subjects, fixed=fixed, scopes=again, found=found)
        # derived rows (net scores, item means, level gaps) go with the rows they come from
        suppressed |= _withheld_with_parts(out, suppressed)
        # and a row whose base is a withheld count goes with it (then its own tables are protected
        # again: only those scopes, the others have settled)
        on_withheld = _based_on_withheld(out, suppressed)
        if not (on_withheld & ~suppressed).any():
            break
        again = set(_scope(out)[on_withheld & ~suppressed].tolist())
        suppressed |= on_withheld

    # -- publish: round counts, derive estimates from them -------------------------------------
    base = np.where(prof, Q.rounding_base, P.rounding_base)
    pub_num = _round_to(num, base)
    pub_den = np.where(is_rate, den, _round_to(den, base))  # a rate's population is public
    if fixed.any():
        pub_num = np.where(fixed, sum_num, pub_num)
        pub_den = np.where(fixed, sum_den, pub_den)
        # said in the method, so that a reader (and the audit) knows these counts are not rounded
        # national counts but sums of figures the sites publish
        fixed_out = fixed & ~suppressed
        out.loc[fixed_out, "method"] = out.loc[fixed_out, "method"].astype(str) + SITE_SUM_METHOD
    dp = rules.precision
    est = np.full(len(out), np.nan)
    lo = np.full(len(out), np.nan)
    hi = np.full(len(out), np.nan)

    from . import stats

    ok = is_prop & ~suppressed & (pub_den > 0) & ~np.isnan(pub_num)
    if ok.any():
        exact = np.char.startswith(method.astype(str), "Clopper-Pearson")
        for m, sel in (("wilson", ok & ~exact), ("exact", ok & exact)):
            if sel.any():
                x = np.clip(pub_num[sel], 0, pub_den[sel])
                a, b = stats.proportion_ci(x, pub_den[sel], method=m)
                est[sel], lo[sel], hi[sel] = x / pub_den[sel], a, b
        # a row computed without an interval (a share of events, not of people) gets none here
        no_ci = ok & np.isnan(out["lower"].to_numpy(float)) & np.isnan(out["upper"].to_numpy(float))
        lo[no_ci] = np.nan
        hi[no_ci] = np.nan
    ok = is_rate & ~suppressed & ~np.isnan(pub_num) & (den > 0)
    if ok.any():
        raw = out["estimate"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            per = np.where(num > 0, raw / num, np.nan)  # multiplier x annualisation / population: public
            per = np.where(np.isnan(per), 100_000 / den, per)
        a, b = stats.rate_ci(pub_num[ok])
        est[ok], lo[ok], hi[ok] = pub_num[ok] * per[ok], a * per[ok], b * per[ok]
        out.loc[ok, "method"] = np.where(pub_num[ok] < 10, "Exact", "Byars")
    ok = is_mean & ~suppressed
    # A mean of answer codes about people (1-4, 1-5) is written to one decimal without its
    # interval: a t interval with the mean and n gives back the sum of squares, and with the
    # rounded top-two and bottom-two counts every answer level (see the audit).
    answer_mean = ok & ~prof & (unit == "")
    if ok.any():
        raw_est = out["estimate"].to_numpy(float)
        dec = np.where(np.char.find(unit.astype(str), "GBP") >= 0, dp["money"], dp["mean"])
        dec = np.where(answer_mean, dp["people_answer_mean"], dec)
        for d in np.unique(dec[ok]):
            sel = ok & (dec == d)
            est[sel] = np.round(raw_est[sel], int(d))
            lo[sel] = np.round(out["lower"].to_numpy(float)[sel], int(d))
            hi[sel] = np.round(out["upper"].to_numpy(float)[sel], int(d))
        lo[answer_mean] = np.nan
        hi[answer_mean] = np.nan
        out.loc[answer_mean, "method"] = ANSWER_MEAN_METHOD
    if is_diff.any():
        est[is_diff & ~suppressed] = out["estimate"].to_numpy(float)[is_diff & ~suppressed]
        lo[is_diff & ~suppressed] = out["lower"].to_numpy(float)[is_diff & ~suppressed]
        hi[is_diff & ~suppressed] = out["upper"].to_numpy(float)[is_diff & ~suppressed]
    if is_net.any():
        est_n, num_n = _net_published(out, suppressed, is_net, pub_num, pub_den)
        est[is_net] = est_n[is_net]
        pub_num = np.where(is_net, num_n, pub_num)
    # fixed precision
    prop_like = is_prop | is_net | is_diff
    est = np.where(prop_like, np.round(est, dp["proportion"]), est)
    lo = np.where(prop_like, np.round(lo, dp["proportion"]), lo)
    hi = np.where(prop_like, np.round(hi, dp["proportion"]), hi)
    est = np.where(is_rate, np.round(est, dp["rate"]), est)
    lo = np.where(is_rate, np.round(lo, dp["rate"]), lo)
    hi = np.where(is_rate, np.round(hi, dp["rate"]), hi)

    out["suppressed"] = suppressed
    out["estimate"], out["lower"], out["upper"] = est, lo, hi
    # means: the sum is never published (mean x n would give it back exactly)
    out["numerator"] = np.where(suppressed | is_mean, np.nan, pub_num)
    # a base of 1-7 people, or a group of professionals under the threshold, is not shown either
    # (a group under the threshold is not reported at all; its size alone, worked out from other
    # figures, is not an opinion and the audit does not count it)
    blank_den = np.where(prof, Q.small_group(den), P.small(den)) & ~is_rate
    blank_den |= on_withheld  # its base would give the withheld count back (the loop above ends with it current)
    out["denominator"] = np.where(blank_den, np.nan, pub_den)
    out.loc[suppressed, ["estimate", "lower", "upper"]] = np.nan
    if "comparison" in out.columns:  # a withheld figure is not compared either (its verdict would hint at it)
        out.loc[suppressed, "comparison"] = "not compared"
        out.loc[suppressed, [c for c in ("benchmark", "comparison_method") if c in out.columns]] = ""
    return out.drop(columns=private)


def disclose_change(published_history: pd.DataFrame, *, by=("site_id",), rules: DisclosureRules | None = None) -> pd.DataFrame:
    """Rounds and their change, a linked pair: the change between consecutive *published* rounds.

    ``change.csv`` is derived only from rows that already passed :func:`disclose_indicators`
    (published counts, or a mean with its published interval and base), so "change minus rounds"
    gives back nothing the rounds do not already publish; a change is withheld (``suppressed``,
    verdict ``not compared``) where either round is.

    Parameters
    ----------
    published_history : DataFrame
        The gated history (``history.csv`` rows, with ``suppressed``).
    rules : DisclosureRules, optional
        When given, estimates and limits are written at its stated precision.

    Examples
    --------
    >>> raw = pd.DataFrame({"site_id": "a", "indicator": "op_planned_ahead", "group": "", "period": ["2013", "2019"],
    ...                     "numerator": [11.0, 27.0], "denominator": [42.0, 44.0], "estimate": [11 / 42, 27 / 44],
    ...                     "lower": 0.0, "upper": 1.0, "method": "Wilson"})
    >>> r = DisclosureRules()
    >>> c = disclose_change(disclose_indicators(raw, r), rules=r)
    >>> c[["from_estimate", "to_estimate", "difference", "verdict"]].values.tolist()
    [[0.25, 0.5556, 0.3056, 'improved']]
    """
    from .indicators.change import change_table

    if "suppressed" not in published_history.columns:
        raise ValueError("disclose_change takes the published history (after disclose_indicators), with its suppressed column")
    out = change_table(published_history, by=by)
    if rules is not None:  # written at the stated precision
        for c in ("from_estimate", "to_estimate", "difference", "lower", "upper", "p_value"):
            out[c] = out[c].astype(float).round(rules.precision["proportion"])
    return out


def _published_or_gated(sites: pd.DataFrame, published: pd.DataFrame | None, rules: DisclosureRules) -> pd.DataFrame:
    """The sites' rows as published: taken from ``published`` where every row of a site has its
    published match, else that site's rows through the gate here (gating is separable by site:
    no linked table spans two sites, see :func:`_scope`)."""
    found = _matched(sites, published) if published is not None else None
    if found is None:
        return disclose_indicators(sites, rules)
    # (a row with nothing in it is published as nothing, not withheld: the gate's own reading)
    empty = ~(pd.to_numeric(sites["denominator"], errors="coerce") > 0).to_numpy()
    found.loc[found["suppressed"].isna().to_numpy() & empty, "suppressed"] = False
    missing = found["suppressed"].isna().to_numpy()
    if not missing.any():
        return found.astype({"suppressed": bool})
    redo = sites["site_id"].isin(set(sites.loc[missing, "site_id"])).to_numpy()
    gated = disclose_indicators(sites[redo], rules)
    found = found.astype({"suppressed": object})
    found.loc[redo, ["suppressed", "numerator", "denominator"]] = gated[["suppressed", "numerator", "denominator"]].to_numpy()
    return found.astype({"suppressed": bool})


def _matched(sites: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame | None:
    """``published``'s ``suppressed, numerator, denominator`` row for row with ``sites`` (matched on
    site, indicator, group and period; ``suppressed`` is missing where a row has no match), or
    None when the keys do not serve."""
    keys = [k for k in _ROW_KEY if k in sites.columns and k in published.columns]
    if keys[:3] != _ROW_KEY[:3] or "suppressed" not in published.columns:
        return None

    def norm(df):
        return pd.DataFrame({k: _key_text(df[k]) for k in keys})

    pub = norm(published).assign(suppressed=published["suppressed"].astype(str).str.lower().eq("true").to_numpy(),
                                 numerator=pd.to_numeric(published["numerator"], errors="coerce").to_numpy(float),
                                 denominator=pd.to_numeric(published["denominator"], errors="coerce").to_numpy(float))
    if pub.duplicated(keys).any():
        return None
    got = norm(sites).merge(pub, on=keys, how="left", validate="many_to_one", indicator=True)
    if len(got) != len(sites):
        return None
    got["suppressed"] = got["suppressed"].astype(object).where(got["_merge"] == "both", None)
    return got[["indicator", "group", "suppressed", "numerator", "denominator"]].set_axis(sites.index)


def _sum_of_published_sites(nat: pd.DataFrame, sites: pd.DataFrame, gated: pd.DataFrame):
    """National rows that are exactly the sum of their sites' rows, every one of them published:
    ``(mask, numerator, denominator)`` with the sums of the *published* site counts."""
    keys = pd.MultiIndex.from_arrays([nat["indicator"].astype(str), nat["group"].astype(str)], names=["indicator", "group"])
    g = gated.assign(group=gated["group"].astype(str), raw_num=sites["numerator"].to_numpy(float),
                     raw_den=sites["denominator"].to_numpy(float))
    g["shown"] = ~g["suppressed"].astype(bool) & g["numerator"].notna() & (g["denominator"] > 0)
    agg = g.groupby(["indicator", "group"], sort=False).agg(shown=("shown", "all"), num=("numerator", "sum"), den=("denominator", "sum"),
                                                            raw_num=("raw_num", "sum"), raw_den=("raw_den", "sum")).reindex(keys)
    same = (np.isclose(agg["raw_num"].to_numpy(float), nat["numerator"].to_numpy(float))
            & np.isclose(agg["raw_den"].to_numpy(float), nat["denominator"].to_numpy(float)))
    mask = agg["shown"].fillna(False).to_numpy(bool) & same
    return mask, agg["num"].to_numpy(float), agg["den"].to_numpy(float)


#: Means of professionals' answer codes 1 to 5 with no top two and bottom two rows (scores).
_SCORES = ("prof_relationship_score",)


def score_levels_pinned(n: int, mean: float, lower: float, upper: float, decimals: int = 2) -> bool:
    """Whether a published score (a mean of answers 1 to 5 with its 95% Student's t interval,
    written to ``decimals``, on ``n`` answers) tells an attacker that some answer level holds none,
    or all, of the answers: true when, among every count of answers at levels 1 to 5 that gives
    the published mean and interval, a level is 0 in all of them (or n in all of them), or when
    none gives them. Exact at any n: for each sum of the answers the rounded mean allows, the
    interval bounds the sum of their squares, and integer programs find a reading with each level
    above none (scipy's HiGHS; written here because it is the attacker's arithmetic).

    Examples
    --------
    >>> score_levels_pinned(27, 2.48, 2.23, 2.74)  # 27 answers: a 5 fits none of the readings
    True
    >>> score_levels_pinned(28, 2.86, 2.39, 3.33)
    False
    """
    from scipy import stats
    from scipy.optimize import Bounds, LinearConstraint, milp

    if n < 2:
        return True  # (no interval to read levels from, and a group of one: withheld)
    codes = np.arange(1, 6, dtype=float)
    tol = 0.5 * 10.0**-decimals + 1e-9
    t = stats.t.ppf(0.975, max(n - 1, 1))
    # each level must be shown to hold more than none in some reading (a level holding all the
    # answers in every reading holds the others at none: the same test finds it)
    need = set(range(5))
    rows = np.vstack([np.hstack([np.ones(5), np.zeros(5)]), np.hstack([codes, np.zeros(5)]),
                      np.hstack([codes**2, np.zeros(5)]), np.hstack([-np.eye(5), np.eye(5)])])
    bounds = Bounds(0, np.hstack([np.full(5, n), np.ones(5)]))
    for total in range(math.ceil(n * (mean - tol)), math.floor(n * (mean + tol)) + 1):
        m = total / n
        # the interval's half-width the rounded limits allow, then the sum of squares it gives
        h_lo, h_hi = max(m - lower - tol, upper - m - tol, 0.0), min(m - lower + tol, upper - m + tol)
        if h_hi < h_lo:
            continue
        q_lo, q_hi = ((n - 1) * n * (h / t) ** 2 + total * total / n for h in (h_lo, h_hi))
        cons = LinearConstraint(rows, [n, total, math.ceil(q_lo - 1e-6), *[-np.inf] * 5],
                                [n, total, math.floor(q_hi + 1e-6), *[0] * 5])
        # the reading with the most of the levels still to show above none (x: the counts at
        # levels 1 to 5; y_k = 1 only where x_k >= 1), again while it shows more of them
        while need:
            c = np.hstack([np.zeros(5), -np.isin(np.arange(5), sorted(need)).astype(float)])
            res = milp(c, constraints=cons, integrality=np.ones(10), bounds=bounds)
            shown = {k for k in need if res.status == 0 and round(res.x[k]) >= 1}
            if not shown:
                break
            need -= shown
        if not need:
            return False
    return True  # a level at none in every reading, or nothing fits: withheld


def _national_minus_sites(nat: pd.DataFrame, suppressed, sites: pd.DataFrame, gated: pd.DataFrame, rules: DisclosureRules,
                          prof) -> np.ndarray:
    """National rows that would give back (exactly, or within 1-7) what the sites withhold.

    The withheld sites are judged together and, where the national row pools sites' different
    survey rounds (``period`` "2014; 2019"), also round by round: the pooled national history of
    the other rounds is published too, so the national row minus it gives back the sites of one
    round, and minus their published sites, the withheld ones of that round alone."""
    hidden = sites.loc[gated["suppressed"].to_numpy()]
    if hidden.empty:
        return np.zeros(len(nat), bool)
    keys = pd.MultiIndex.from_tuples(list(zip(nat["indicator"].astype(str), nat["group"].astype(str))), names=["indicator", "group"])
    parts = [(hidden, np.ones(len(nat), bool))]
    if "period" in hidden.columns and hidden["period"].astype(str).nunique() > 1:
        # (round by round where counts are exact, the professional rule: with rounded counts the
        # two more subtractions leave each withheld count a range wider than the rule's)
        parts += [(h, np.asarray(prof, bool)) for _, h in hidden.groupby(hidden["period"].astype(str), sort=True)]
    out = np.zeros(len(nat), bool)
    code_mean = np.asarray(prof, bool) & nat["indicator"].astype(str).str.endswith("likert_mean").to_numpy()
    score = np.asarray(prof, bool) & nat["indicator"].astype(str).isin(_SCORES).to_numpy()
    for part, judged in parts:
        found = part.groupby(["indicator", "group"], sort=False)[["numerator", "denominator"]].sum().reindex(keys)
        un = found["numerator"].to_numpy(float)
        ud = found["denominator"].to_numpy(float)
        # one site withheld alone, with exact counts: national minus the published sites is that
        # site's cell exactly, whatever its size, and a cell a site withheld to protect smaller
        # ones would protect nothing (a red-team review: Croydon's 11 observations of discharge
        # meetings, 2 desired, then gave "none" for two settings of 7 observations)
        alone = part.groupby(["indicator", "group"], sort=False)["site_id"].nunique().reindex(keys).to_numpy(float) == 1
        out |= alone & judged & np.asarray(prof, bool) & ~suppressed & ~np.isnan(ud)
        # a mean of professionals' answer codes, with its interval and the top two and bottom two,
        # gives every answer level (five levels, five facts), nationally as at each published
        # site: national minus the published sites would then give the withheld sites' answers
        # level by level, not only their top two and bottom two, which the test below protects (a
        # red-team review: none of the GPs of three withheld sites rated telecare "very good").
        # The national mean is withheld wherever a site with answers withholds its own
        out |= code_mean & judged & ~suppressed & (np.nan_to_num(ud) > 0)
        # a score (a mean of answer codes with no top and bottom two: relationship scores) gives
        # fewer facts, but its mean and interval alone can still leave a level that no answer can
        # have taken (a red-team review: nobody of the withheld sites' 27 hospital discharge staff
        # gave adult social care a 5). Where the national row is the withheld sites together (no
        # published site has answers), it is withheld when an attacker's readings of it leave a
        # level at none (or all) in every one (score_levels_pinned); where published sites would
        # be subtracted first, whenever a site with answers withholds its own.
        d = rules.precision["mean"]
        for i in np.flatnonzero(score & judged & ~suppressed & ~out & (np.nan_to_num(ud) > 0)):
            n = float(nat["denominator"].iloc[i])
            if n != ud[i]:
                out[i] = True
                continue
            shown = [float(np.round(float(nat[c].iloc[i]), d)) for c in ("estimate", "lower", "upper")]
            out[i] = score_levels_pinned(int(n), *shown, decimals=d)
        # where counts are rounded, national minus the published sites still narrows the withheld
        # sites' sum to a few values (with answered + missing = responses, to within 1-7): the same
        # test applies to exact and rounded counts
        for i in np.flatnonzero(~np.isnan(ud) & ~suppressed & ~out & judged):
            rule = rules.rule("professional" if prof[i] else "people")
            if _unsafe(rule, "group", un[i], ud[i]):
                out[i] = True
            # none (or all) of the withheld groups together: each of them said none (or all) too
            elif prof[i] and ud[i] > 0 and (un[i] == 0 or un[i] == ud[i]):
                out[i] = True
    return out


def _round_to(values: np.ndarray, base: np.ndarray) -> np.ndarray:
    base = np.maximum(np.asarray(base, float), 1)
    return np.where(base > 1, np.floor(values / base + 0.5) * base, values)


def _row_keys(df: pd.DataFrame) -> np.ndarray:
    return (df["indicator"].astype(str) + "|" + df["group"].fillna("").astype(str)).to_numpy()


#: What identifies a published row: its site, indicator, group and survey period.
_ROW_KEY = ["site_id", "indicator", "group", "period"]
_ROW_COUNTS = ["numerator", "denominator", "estimate", "lower", "upper"]


def _key_text(col: pd.Series) -> pd.Series:
    """A key column as text, missing as "" (a period read back from CSV as 2019.0 is "2019")."""
    if pd.api.types.is_numeric_dtype(col):
        return col.map(lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)))
    return col.astype(object).where(col.notna(), "").astype(str)


def _keyed(df: pd.DataFrame, values: list) -> pd.DataFrame:
    k = df[_ROW_KEY + values].copy()
    for c in _ROW_KEY[1:]:
        k[c] = _key_text(k[c])
    for c in values:
        if c in _ROW_COUNTS:
            k[c] = pd.to_numeric(k[c], errors="coerce").astype(float)
        elif k[c].dtype == object or str(k[c].dtype).startswith("string"):
            k[c] = _key_text(k[c])
    k["_scope"] = _scope(k)
    return k


def _scopes_gated_alike(data: pd.DataFrame, raw: pd.DataFrame) -> np.ndarray:
    """Rows of ``data`` in a scope whose rows are exactly those of the same scope of ``raw``: the
    same indicators and groups, with the same value in every column of ``data`` (counts,
    estimates, intervals, method, comparisons, ...: a row taken from ``gated`` must be the row
    this gate would publish now), the private ones the gate decides on included (the smallest
    answer level behind a mean, the largest contributions to a total: a mean's public figures
    can stay the same while they change); see ``gated`` in :func:`disclose_indicators`."""
    values = [c for c in data.columns if c not in _ROW_KEY and c != "suppressed"]
    if not (set(_ROW_KEY + values + _ROW_COUNTS + ["method"]) <= set(data.columns) and set(_ROW_KEY + values) <= set(raw.columns)) or (
            "suppressed" in data.columns and data["suppressed"].astype(str).str.lower().eq("true").any()):
        return np.zeros(len(data), bool)
    a = _keyed(data, values)
    b = _keyed(raw.loc[raw["site_id"].isin(data["site_id"].unique())], values)
    both = a.merge(b, on=_ROW_KEY + ["_scope"], how="left", suffixes=("", "_was"), indicator=True)
    alike = both["_merge"].eq("both").to_numpy().copy()
    for c in values:
        x, y = both[c].to_numpy(), both[c + "_was"].to_numpy()
        alike &= (x == y) | (pd.isna(x) & pd.isna(y))
    ok = pd.Series(alike).groupby(both["_scope"].to_numpy()).all()
    sizes_a, sizes_b = a.groupby("_scope").size(), b.groupby("_scope").size()
    ok &= sizes_a.reindex(ok.index).eq(sizes_b.reindex(ok.index))  # and no row of the scope is missing here
    return a["_scope"].map(ok).fillna(False).to_numpy(bool)


def _rows_of(published: pd.DataFrame, rows: pd.DataFrame, columns: list) -> pd.DataFrame:
    """The rows of ``published`` with the keys of ``rows``, in their order and with their index."""
    keys = rows[_ROW_KEY].copy()
    g = published[[c for c in columns if c in published.columns]].copy()
    for df in (keys, g):
        for c in ("group", "period"):
            df[c] = _key_text(df[c])
    out = keys.merge(g, on=_ROW_KEY, how="left", validate="one_to_one")
    out.index = rows.index
    return out[columns]


def _scope(df: pd.DataFrame) -> np.ndarray:
    """Rows of different sites (or survey periods) never share a linked table."""
    s = df["site_id"].astype(str) if "site_id" in df.columns else pd.Series("", index=df.index)
    if "period" in df.columns:
        s = s + "\x1f" + df["period"].astype(str)
    return s.to_numpy()


def _based_on_withheld(df, suppressed) -> np.ndarray:
    """Rows whose base is (a part of) the numerator of another row of the same scope and group
    (:data:`BASED_ON`) where that numerator is withheld: withheld too, base included (a red-team
    review read a withheld count of improvable decisions, to within 2, off the base of the
    "alternative available" row)."""
    ind = df["indicator"].astype(str).to_numpy()
    out = np.zeros(len(df), bool)
    dependent = np.isin(ind, list(BASED_ON))
    if not dependent.any():
        return out
    keys = _scope(df).astype(object) + "\x00" + df["group"].astype(str).to_numpy().astype(object)
    withheld = {(i, k) for i, k, s in zip(ind, keys, suppressed) if s}
    for j in np.flatnonzero(dependent):
        out[j] = (BASED_ON[ind[j]], keys[j]) in withheld
    return out


def _withheld_with_parts(df, suppressed) -> np.ndarray:
    """Rows of :data:`_WITH_PARTS` to withhold because a row they are derived from is withheld."""
    ids = df["indicator"].astype(str).to_numpy()
    out = np.zeros(len(df), bool)
    found = [(np.char.endswith(ids.astype(str), end), end, rule) for end, rule in _WITH_PARTS.items()]
    if not any(m.any() for m, _, _ in found):
        return out
    keys = _row_keys(df)
    scope = _scope(df)
    index = {(scope[i], keys[i]): i for i in range(len(df))}
    for mask, end, (parts_of, missing_withholds) in found:
        for i in np.flatnonzero(mask):
            prefix, item = keys[i].split("|", 1)
            parts = [index.get((scope[i], k)) for k in parts_of(prefix[: -len(end)], item)]
            if any(suppressed[p] if p is not None else missing_withholds for p in parts):
                out[i] = True
    return out


def _net_published(df, suppressed, is_net, pub_num, pub_den):
    """A net score from its published parts: (top two - bottom two) / base, all as published."""
    keys = _row_keys(df)
    scope = _scope(df)
    index = {(scope[i], keys[i]): i for i in range(len(df))}
    est = np.full(len(df), np.nan)
    num = np.full(len(df), np.nan)
    for i in np.flatnonzero(is_net & ~suppressed):
        prefix, item = keys[i].split("|", 1)
        stem = prefix[: -len(_NET_SUFFIX)]
        t = index[(scope[i], f"{stem}likert_top2|{item}")]
        b = index[(scope[i], f"{stem}likert_bottom2|{item}")]
        if pub_den[t] > 0:
            num[i] = pub_num[t] - pub_num[b]
            est[i] = num[i] / pub_den[t]
    return est, num


# ------------------------------------------------------------------------------------------------
# Linked tables and secondary suppression
# ------------------------------------------------------------------------------------------------


@dataclass
class _Table:
    name: str
    parts: list[int]
    total: int | None  # row index of the total row (None: the parts' shared denominator)
    field: str
    remainder: bool

    @property
    def cells(self) -> list[int]:
        """Row positions of the parts and of the total (when there is one)."""
        return list(self.parts) + ([self.total] if self.total is not None else [])


def linked_tables(df: pd.DataFrame, tables: tuple[Linked, ...] = LINKED_TABLES) -> list[_Table]:
    """Instances of every declared linked table in ``df`` (row positions)."""
    keys = _row_keys(df)
    scope = _scope(df)
    index = {(scope[i], keys[i]): i for i in range(len(df))}
    # the same indicator and group recur at every site and round: each declared table is matched
    # against each distinct key once, then its rows are taken in their order
    rows_of: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        rows_of.setdefault(k, []).append(i)
    found = []
    for link in tables:
        groups: dict[tuple, list[int]] = {}
        matched = {k: named for k in rows_of if (named := link.named(k)) is not None}
        for i in sorted(i for k in matched for i in rows_of[k]):
            groups.setdefault((scope[i], matched[keys[i]]), []).append(i)
        for key, rows in groups.items():
            total = None
            if link.total is not None:
                total = index.get((key[0], link.total.format(**dict(key[1]))))
                if total is None:
                    continue
                rows = [r for r in rows if r != total]
            if len(rows) + (total is not None) < 2 and not link.remainder:
                continue
            found.append(_Table(link.name, rows, total, link.field, link.remainder))
    # A group that is the sum of other groups in this data (``_sum_of``, written by the indicator
    # that knows it, e.g. an organisation whose staff are exactly some professions' staff; see
    # ``homekit.indicators.culture.breakdown_identities``): one more linked table per such group.
    if "_sum_of" in df.columns:
        ind = df["indicator"].astype(str).to_numpy()
        for i, parts in enumerate(df["_sum_of"].fillna("").astype(str).to_numpy()):
            if parts:
                rows = [index.get((scope[i], f"{ind[i]}|{g}")) for g in parts.split(";")]
                rows = [r for r in rows if r is not None]  # a group with no answers here adds nothing
                if rows:
                    found.append(_Table("a group that is the sum of others in the data", rows, i, "group", False))
    return found


def secondary_suppression(df: pd.DataFrame, suppressed: np.ndarray, rules: DisclosureRules, *, subjects=None,
                          tables: tuple[Linked, ...] = LINKED_TABLES, fixed=None, scopes: set | None = None,
                          found: list | None = None) -> np.ndarray:
    """Suppress more cells until no suppressed cell (nor an unsafe unpublished remainder) can be
    recovered from any linked table. Picks a zero cell only where no published non-zero cell
    can protect a withheld one (a total of 0 over withheld groups); cells that are the base of other
    published rows (the total of a partition) are never picked.

    Works on exact values (as if every published count were exact): safe also where counts are
    rounded. ``scopes``: protect only the tables of these scopes (:func:`_scope` values).
    ``found``: ``linked_tables(df, tables)`` when the caller has it already.
    """
    suppressed = np.asarray(suppressed, bool).copy()
    # cells published anyway (a national sum of published site figures) are never picked
    fixed = np.zeros(len(suppressed), bool) if fixed is None else np.asarray(fixed, bool)
    if subjects is None:
        subjects = _indicator_info(df["indicator"].astype(str).to_numpy())[0]
    num = df["numerator"].to_numpy(float)
    den = df["denominator"].to_numpy(float)
    exact = np.array([rules.rule(s).rounding_base <= 1 for s in subjects])
    # a withheld count of 0 discloses only what a group of professionals under the threshold said
    # (that none of them said it); a count of no people may be published
    with np.errstate(invalid="ignore"):
        zero_matters = (np.asarray(subjects) == "professional") & rules.professional.small_group(den) & (den >= 1)
    # no linked table spans two sites or periods: each scope is protected on its own (the same
    # steps as all at once, without revisiting the scopes that have settled)
    scope = _scope(df)
    by_scope: dict[str, list[_Table]] = {}
    for t in linked_tables(df, tables) if found is None else found:
        by_scope.setdefault(scope[(t.parts or [t.total])[0]], []).append(t)
    for key, inst in by_scope.items():
        if scopes is not None and key not in scopes:
            continue  # (settled: protected already, nothing withheld there since)
        solved: dict = {}  # systems of linked tables already solved (same withheld cells, same totals)
        for _ in range(200):
            changed = False
            for t in inst:
                changed |= _protect(t, suppressed, num, den, rules.rule(subjects[t.parts[0]] if t.parts else "people"), fixed)
            if not changed:
                # one table at a time misses what two tables give together (the levels of a factor
                # add up to its base, and two of them to its "frequent" row): solve them all at once
                changed = _protect_jointly(inst, suppressed, num, den, exact, fixed, cache=solved, zero_matters=zero_matters)
            if not changed:
                # and, once nothing else moves, with counts never negative (linear programs)
                changed = _protect_jointly(inst, suppressed, num, den, exact, fixed, bounds=True, cache=solved, zero_matters=zero_matters)
            if not changed:
                break
    return suppressed


def _protect_jointly(inst: list[_Table], suppressed, num, den, exact, fixed, bounds: bool = False, cache: dict | None = None,
                     zero_matters=None) -> bool:
    """Suppress one more cell in each system of linked tables where a withheld exact count follows
    from all of them together.

    Every linked table is a linear equation in the withheld numerators (published counts are
    constants, denominators are taken as known, an unpublished remainder is a free unknown). A
    withheld count is recovered exactly when its unit vector lies in the row space of those
    equations (checked with a singular value decomposition) or, with ``bounds``, when counts
    never being negative force it to 0 or to its base (:func:`_pinned_at_bounds`). Written by hand: the disclosure
    libraries (sdcMicro, tau-Argus, acro) audit one table at a time, not a set of linked tables.
    Applies to exact counts (the professional rule); rounded counts leave a range that the
    per-table rules and the audit judge.
    """
    cache = {} if cache is None else cache
    if "_tables" not in cache:  # once per set of tables: (table, finite parts, all cells), and every cell they hold
        cache["_tables"] = [(t, [p for p in t.parts if np.isfinite(num[p])], np.array(t.cells))
                            for t in inst if t.total is None or np.isfinite(num[t.total])]
        cache["_cells"] = np.unique(np.concatenate([c for _, _, c in cache["_tables"]])).astype(int) if cache["_tables"] else np.zeros(0, int)
    held = cache["_cells"]
    hidden = held[suppressed[held] & np.isfinite(num[held])].tolist()
    if not hidden:
        return False
    col = {i: j for j, i in enumerate(hidden)}
    eqs, owner, rhs = [], [], []
    n_var = len(hidden)
    for t, rows, table_cells in cache["_tables"]:
        if not suppressed[table_cells].any():
            continue  # no withheld cell: at most it fixes its own remainder, which nothing else holds
        coef = {}
        for p in rows:
            if p in col:
                coef[col[p]] = coef.get(col[p], 0.0) + 1.0
        if t.total is not None and t.total in col:
            coef[col[t.total]] = coef.get(col[t.total], 0.0) - 1.0
        if t.remainder:
            coef[n_var] = 1.0
            n_var += 1
        if coef:
            total = (num[t.total] if t.total not in col else 0.0) if t.total is not None else (den[rows[0]] if rows else np.nan)
            eqs.append(coef)
            owner.append(t)
            rhs.append(total - sum(num[p] for p in rows if p not in col))
    if not eqs:
        return False
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    r_idx = np.array([r for r, coef in enumerate(eqs) for _ in coef], dtype=int)
    c_idx = np.array([j for coef in eqs for j in coef], dtype=int)
    vals = np.array([v for coef in eqs for v in coef.values()])
    # equations and unknowns fall apart into small independent systems (one factor of one site)
    graph = coo_matrix((np.ones(len(r_idx)), (r_idx, len(eqs) + c_idx)), shape=(len(eqs) + n_var,) * 2)
    _, label = connected_components(graph, directed=False)
    eq_label, var_label = label[: len(eqs)], label[len(eqs):]
    rows_of = _positions_by(eq_label)
    cols_of = _positions_by(var_label)
    entries_of = _positions_by(eq_label[r_idx]) if len(r_idx) else {}
    determined = np.zeros(len(hidden), bool)
    deferred = []
    comp_of = {}
    for comp in np.unique(var_label[: len(hidden)]):
        rows, cols = rows_of.get(comp, []), cols_of[comp]
        if not rows:
            continue
        cells = tuple(hidden[c] for c in cols if c < len(hidden))
        for c in cols:
            if c < len(hidden):
                comp_of[hidden[c]] = comp
        b = np.array([rhs[r] for r in rows])
        key = (cells, tuple(np.round(b, 6)), len(cols), bounds)
        if key not in cache:
            a = np.zeros((len(rows), len(cols)))
            pos_r = {r: k for k, r in enumerate(rows)}
            pos_c = {c: k for k, c in enumerate(cols)}
            e = entries_of[comp]
            a[[pos_r[r] for r in r_idx[e]], [pos_c[c] for c in c_idx[e]]] = vals[e]
            _, sv, vt = np.linalg.svd(a, full_matrices=False)
            basis = vt[sv > 1e-9 * max(sv.max(), 1.0)]
            known = (basis**2).sum(axis=0) > 1 - 1e-9
            # counts are never negative: withheld cells that must add up to nothing are each
            # nothing (levels of a factor against its "frequent" row); linear programs find what
            # the row space misses, where the whole system is exact
            # (only a cell that truly is 0, or all of its base, can be forced there)
            at_bound = any(num[i] == 0 or num[i] == den[i] for i in cells)
            ub = [den[hidden[c]] if c < len(hidden) else np.inf for c in cols]
            # (one table alone is judged by the per-table rules, except where its withheld cells
            # must add up to nothing, or to all of their bases: a total of 0 over withheld groups)
            if (bounds and at_bound and (len(rows) > 1 or b[0] == 0 or b[0] == sum(ub)) and not known.all()
                    and all(exact[i] for i in cells) and np.isfinite(b).all()):
                truth = [num[hidden[c]] if c < len(hidden) else np.nan for c in cols]
                deferred.append((key, cols, known, a, b, ub, truth))  # solved together below
                continue
            cache[key] = [c for k, c in enumerate(cols) if known[k] and c < len(hidden)]
        for c in cache[key]:
            determined[c] = True
    if deferred:
        # every system at once, block-diagonal: one linear program per step for all of them
        from scipy.sparse import block_diag

        pinned = _pinned_at_bounds(block_diag([d[3] for d in deferred], format="csr"), np.concatenate([d[4] for d in deferred]),
                                   [u for d in deferred for u in d[5]], [t for d in deferred for t in d[6]])
        start = 0
        for key, cols, known, _, _, _, _ in deferred:
            known = known | pinned[start:start + len(cols)]
            start += len(cols)
            cache[key] = [c for k, c in enumerate(cols) if known[k] and c < len(hidden)]
            for c in cache[key]:
                determined[c] = True
    picked, touched = False, set()
    tables_of: dict[int, list[int]] = {}
    for k, t in enumerate(owner):
        for c in t.cells:
            tables_of.setdefault(c, []).append(k)
    for j in np.flatnonzero(determined):
        i = hidden[j]
        if not exact[i] or fixed[i] or comp_of.get(i) in touched:
            continue  # (a withheld zero worked out is a disclosure too: "none of them")
        # the nearest published cell: in a table holding this count, else in a table holding a
        # withheld count of those tables, and so on (one pick per system in a round)
        # A published zero is picked only when no published non-zero cell is in reach and the
        # withheld count is what a group of professionals under the threshold said: a total of 0
        # over groups that are all withheld (0 of 12, in groups of 5 and 7) says each group's 0,
        # and only withholding the total protects them.
        reach, seen, zeros = {i}, set(), set()
        while reach:
            cand, nxt = set(), set()
            for k in sorted({k for c in reach for k in tables_of.get(c, [])} - seen):
                t = owner[k]
                cells = t.cells
                seen.add(k)
                cand.update(c for c in cells if not suppressed[c] and not fixed[c] and num[c] > 0)
                if not zeros:
                    zeros.update(c for c in cells if not suppressed[c] and not fixed[c] and num[c] == 0)
                nxt.update(c for c in cells if suppressed[c])
            if cand:
                suppressed[min(cand, key=lambda c: (num[c], c))] = True
                picked = True
                touched.add(comp_of.get(i))
                break
            reach = nxt - reach
        else:
            if zeros and zero_matters is not None and zero_matters[i]:
                # the largest base: the total (its groups are the withheld ones)
                suppressed[max(zeros, key=lambda c: (den[c], -c))] = True
                picked = True
                touched.add(comp_of.get(i))
    return picked


def _positions_by(labels: np.ndarray) -> dict:
    """``{label: [positions holding it, in order]}`` (a groupby of positions, without pandas'
    per-group overhead: thousands of tiny systems per gate)."""
    labels = np.asarray(labels)
    order = np.argsort(labels, kind="stable")
    keys, starts = np.unique(labels[order], return_index=True)
    return {k: part.tolist() for k, part in zip(keys.tolist(), np.split(order, starts[1:]))}


def _pinned_at_bounds(a, b: np.ndarray, ub: list, truth: list) -> np.ndarray:
    """Unknowns of ``a x = b, 0 <= x <= ub`` forced to 0 or to their upper bound.

    Only unknowns whose true value (``truth``) is 0 (or their bound) can be forced there, so only
    they are tried, all in one linear program (HiGHS) over the cone of the system, scaled by
    ``t >= 1``: ``a x = t b, 0 <= x <= t ub``, maximising ``sum y`` with ``0 <= y_i <= 1`` and
    ``y_i <= x_i`` (tried at 0) or ``y_i <= t ub_i - x_i`` (tried at the bound). An unknown that
    some solution moves off its value is moved by the average of those solutions, scaled up until
    each moved unknown is at least 1 away, so at the optimum ``y_i = 1`` for it and ``y_i = 0``
    (forced) otherwise. Written by hand (the standard homogenisation of the "implicit equalities"
    problem): one program per system instead of a round of programs per unknown moved.
    """
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    ub = np.asarray(ub, float)
    n = len(ub)
    if not n:
        return np.zeros(0, bool)
    truth = np.asarray(truth, float)
    finite = np.isfinite(ub)
    zero = np.flatnonzero(truth == 0)
    top = np.flatnonzero(finite & (truth == ub) & (truth != 0))
    tried = np.concatenate([zero, top])
    if not len(tried):
        return np.zeros(n, bool)
    a = sparse.coo_array(a)
    m, k = a.shape[0], len(tried)
    capped = np.flatnonzero(finite)
    nz, nt, nc = len(zero), len(top), len(capped)
    t, y = n, n + 1 + np.arange(k)  # columns: x (n), t, y (k)
    r1, r2, r3 = m, m + nc, m + nc + nz  # first rows of the three kinds of inequality
    rows = np.concatenate([a.row, np.arange(m),                                          # a x - t b = 0
                           r1 + np.arange(nc), r1 + np.arange(nc),                        # x - t ub <= 0
                           r2 + np.arange(nz), r2 + np.arange(nz),                        # y - x <= 0
                           r3 + np.arange(nt), r3 + np.arange(nt), r3 + np.arange(nt)])   # y + x - t ub <= 0
    cols = np.concatenate([a.col, np.full(m, t), capped, np.full(nc, t), zero, y[:nz], top, np.full(nt, t), y[nz:]])
    vals = np.concatenate([a.data, -np.asarray(b, float), np.ones(nc), -ub[capped], -np.ones(nz), np.ones(nz), np.ones(nt),
                           -ub[top], np.ones(nt)])
    A = sparse.csr_array((vals, (rows, cols)), shape=(r3 + nt, n + 1 + k))
    lo = np.concatenate([np.zeros(m), np.full(A.shape[0] - m, -np.inf)])
    hi = np.zeros(A.shape[0])
    # (t costs a little, so that the solver keeps the scaling no larger than it needs: at a cap of
    # 1e6 it scaled counts of 10^5 past what it solves reliably)
    obj = np.concatenate([np.zeros(n), [1e-9], -np.ones(k)])
    bounds = Bounds(np.concatenate([np.zeros(n), [1.0], np.zeros(k)]), np.concatenate([np.full(n, np.inf), [1e4], np.ones(k)]))
    # (milp with no integer variable is HiGHS's LP solver with less input checking than linprog)
    res = milp(obj, integrality=np.zeros(n + 1 + k), bounds=bounds, constraints=[LinearConstraint(A, lo, hi)])
    out = np.zeros(n, bool)
    if res.status != 0 or res.x is None:
        out[tried] = True  # not solved: every unknown tried is taken as forced (more is withheld, never less)
        return out
    out[tried] = res.x[n + 1:] < 1e-6
    return out


def _unsafe(rule: Rule, field: str, n: float, d: float) -> bool:
    """Would publishing this (recovered) cell disclose something under ``rule``?"""
    if rule.small_group(d) and field == "group":
        return True
    if rule.small(n):
        return True
    if rule.suppress_small_complement and np.isfinite(d) and rule.small(d - n):
        return True
    return False


def _protect(t: _Table, suppressed, num, den, rule: Rule, fixed) -> bool:
    parts = [p for p in t.parts if not (np.isnan(num[p]) and np.isnan(den[p]))]
    if not parts:
        return False
    if t.total is None:
        total_num = den[parts[0]]  # the shared base
        total_den = den[parts[0]]
        total_hidden = False
    else:
        total_num, total_den = num[t.total], den[t.total]
        total_hidden = bool(suppressed[t.total])
    if t.field == "numerator" and t.total is None:
        part_vals = [(num[p], den[p]) for p in parts]
    elif t.field == "numerator":
        part_vals = [(num[p], total_den) for p in parts]
    else:
        part_vals = [(num[p], den[p]) for p in parts]
    hidden = [i for i, p in enumerate(parts) if suppressed[p]]
    rem_n = total_num - np.nansum([v[0] for v in part_vals]) if t.remainder else 0.0
    rem_d = total_den - np.nansum([v[1] for v in part_vals]) if (t.remainder and t.field == "group") else (total_den if t.remainder else 0.0)
    rem_unknown = t.remainder and (rem_n != 0 or (t.field == "group" and rem_d != 0))

    def pick() -> bool:
        value = num if t.field == "numerator" else den
        cand = [p for i, p in enumerate(parts) if i not in hidden and not fixed[p] and value[p] > 0]
        if cand:
            suppressed[min(cand, key=lambda p: (value[p], p))] = True
            return True
        if t.total is not None and not total_hidden and not fixed[t.total] and total_num > 0:
            suppressed[t.total] = True
            return True
        return False

    if total_hidden:
        # The total is recovered as the sum of the parts unless some part (or a remainder) is hidden.
        if not hidden and not rem_unknown:
            return pick()
        return False
    unknowns = len(hidden) + (1 if rem_unknown else 0)
    if unknowns == 0:
        return False
    if len(hidden) == 1 and not rem_unknown:
        return pick()  # exactly one suppressed cell: recovered exactly
    # The hidden cells (and remainder) together are recovered as total minus the published parts.
    un = sum(part_vals[i][0] for i in hidden) + (rem_n if t.remainder else 0)
    if t.field == "group":
        ud = sum(part_vals[i][1] for i in hidden) + (rem_d if t.remainder else 0)
    else:
        ud = total_den
    if _unsafe(rule, t.field, un, ud):
        return pick()
    # withheld cells that add up to nothing (or, for groups, to all of their members) are each
    # known: none of them (all of them) said so
    if hidden and (un == 0 or (t.field == "group" and ud > 0 and un == ud)):
        return pick()
    return False


# ------------------------------------------------------------------------------------------------
# Counts shown outside indicators.csv
# ------------------------------------------------------------------------------------------------


def disclose_evidence(evidence, rules: DisclosureRules, published: pd.DataFrame | None = None):
    """A site's benefits evidence (:class:`homekit.benefits.Evidence`) as it may drive published
    money figures: every count about people rounded as the people rule says (so a benefit in
    pounds gives back no exact count), and the mean weekly costs of a transition kept only when
    at least ``min_n_for_mean`` cases stand behind them, rounded to whole pounds (else the model's
    unit costs are used).

    Examples
    --------
    >>> from homekit.benefits import Evidence
    >>> ev = Evidence("a", 1000.0, 123.0, None, 4567.0, 42, 13, [("nursing_care", "home_with_support", 910.4, 210.0, 6)])
    >>> pub = disclose_evidence(ev, DisclosureRules())
    >>> pub.care_home_cases, pub.care_home_avoidable, pub.care_home_admissions, pub.delayed_days, pub.transitions
    (40, 15, 125.0, 4565.0, [('nursing_care', 'home_with_support', None, None, 5)])

    ``published`` (the site's rows after :func:`disclose_indicators`): the improvable discharges
    with the alternative available are that table's row (``case_alternative_available``, group
    ``decision_point:discharge``: its count, and the discharges behind it), so the money figures
    and the evidence line agree with the CSV; where the row is withheld the discharge stream is
    left out (``withheld``), since a money figure would give the count back (a red-team review read
    a withheld cell off the evidence line).
    """
    if not rules.apply:
        return evidence
    P = rules.people

    def count(v):
        return None if v is None else float(P.round(v)) if isinstance(v, float) else int(P.round(v))

    trans = []
    for a, i, aw, iw, k in evidence.transitions:
        keep = aw is not None and k >= P.min_n_for_mean
        trans.append((a, i, round(aw) if keep else None, round(iw) if keep else None, int(P.round(k))))
    out = replace(evidence, care_home_admissions=count(evidence.care_home_admissions),
                  non_elective_admissions=count(evidence.non_elective_admissions), delayed_days=count(evidence.delayed_days),
                  care_home_cases=count(evidence.care_home_cases), care_home_avoidable=count(evidence.care_home_avoidable),
                  admission_cases=count(evidence.admission_cases), admission_avoidable=count(evidence.admission_avoidable),
                  discharge_cases=count(evidence.discharge_cases), discharge_improvable=count(evidence.discharge_improvable),
                  transitions=trans)
    if published is not None and evidence.discharge_cases:
        pub = published[published["group"] == "decision_point:discharge"]
        alt = pub[pub["indicator"] == "case_alternative_available"]
        base = pub[pub["indicator"] == "case_decision_improvable"]
        if (len(alt) and len(base) and not bool(alt["suppressed"].iloc[0]) and pd.notna(alt["numerator"].iloc[0])
                and pd.notna(base["denominator"].iloc[0])):
            out = replace(out, discharge_improvable=int(alt["numerator"].iloc[0]), discharge_cases=int(base["denominator"].iloc[0]))
        else:
            out = replace(out, discharge_improvable=0, discharge_cases=0, withheld=(*out.withheld, "nhs_bed_days"))
    return out


def subjects_of(indicator_or_instrument: str) -> str:
    """``people`` or ``professional`` for an indicator id or an instrument name (unknown: people)."""
    from .instruments import INDICATORS, INSTRUMENTS

    if indicator_or_instrument in INSTRUMENTS:
        return INSTRUMENTS[indicator_or_instrument].subjects
    info = INDICATORS.get(indicator_or_instrument)
    return info.subjects if info is not None else "people"


def publish_count(n, rules: DisclosureRules, subjects: str = "people") -> str:
    """One count as it may be published: the marker when suppressed, else rounded, as text.

    ``subjects`` is ``people`` (a count of 1-7 is suppressed, others rounded) or ``professional``
    (the count is a group of respondents: under ``min_group_size`` it reads "fewer than 11", the
    staff-survey wording; a group's size is not one of its opinions and can be worked out from
    the published bases, so the marker, which says "1 to 7 withheld", would mislead), or an
    indicator id or instrument name.

    Examples
    --------
    >>> r = DisclosureRules()
    >>> publish_count(12, r), publish_count(6, r), publish_count(12, r, "gp_survey"), publish_count(6, r, "gp_survey")
    ('10', '[c]', '12', 'fewer than 11')
    """
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return ""
    if not rules.apply:
        return f"{int(n):,}"
    if subjects in NOT_PERSONAL:
        return f"{int(n):,}"
    if subjects not in SUBJECTS:
        subjects = subjects_of(subjects)
    rule = rules.rule(subjects)
    if rule.small(n):
        return rules.marker
    if rule.min_group_size and rule.small_group(n):
        return f"fewer than {rule.min_base}"
    return f"{int(rule.round(n)):,}"


def disclose_counts(table: pd.DataFrame, rules: DisclosureRules, columns=None, subjects: str = "people") -> pd.DataFrame:
    """A table of counts (e.g. a crosstab) as it may be published: small cells suppressed, the rest
    rounded; secondary suppression along every row (each row's cells add up to its total, which
    may be published elsewhere), never on a zero cell, until the suppressed cells of a row
    together are not small either."""
    columns = list(table.columns) if columns is None else list(columns)
    out = table.copy().astype(object)
    if not rules.apply:
        return out
    rule = rules.rule(subjects)
    values = table[columns].to_numpy(float)
    sup = rule.small(values)
    if rules.secondary_suppression:
        for r in range(values.shape[0]):
            while sup[r].any():
                hidden = values[r, sup[r]]
                if sup[r].sum() >= 2 and not rule.small(np.nansum(hidden)):
                    break
                cand = np.flatnonzero(~sup[r] & (values[r] > 0))
                if not len(cand):
                    break
                sup[r, cand[np.argmin(values[r, cand])]] = True
    shown = np.where(sup, rules.marker, rule.round(np.nan_to_num(values)).astype(int).astype(str))
    for j, c in enumerate(columns):
        out[c] = shown[:, j]
    return out


# -- timing for the benchmarks -----------------------------------------------------------------
#: Set to a folder, every process of a run (the site and national notebooks included) appends the
#: seconds it spends inside the gate there (``benchmarks/bench_gate.py`` sums them). Off by default.
TIMING_ENV = "HOMEKIT_GATE_TIMING"
_depth = [0]  # gate calls under way in this process (one gate function may call another)


def _timed(fn):
    import functools
    import time

    depth = _depth

    @functools.wraps(fn)
    def gate(*args, **kwargs):
        depth[0] += 1
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:  # the outermost call only (the national gate calls the site gate)
                folder = os.environ.get(TIMING_ENV, "")
                if folder:
                    caller = sys._getframe(1)  # who called the gate: where the time is spent
                    where = f"{os.path.basename(caller.f_code.co_filename)}:{caller.f_code.co_name}"
                    with open(os.path.join(folder, f"{os.getpid()}.txt"), "a") as fh:
                        fh.write(f"{fn.__name__} {time.perf_counter() - start:.6f} {where}\n")

    return gate


if os.environ.get(TIMING_ENV):
    disclose_indicators = _timed(disclose_indicators)
    disclose_change = _timed(disclose_change)
    disclose_counts = _timed(disclose_counts)
    disclose_evidence = _timed(disclose_evidence)
