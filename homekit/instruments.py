"""The data dictionary: one machine-readable description per instrument.

This module is the single place that says what a column holds, what its answers mean and which
rules apply. Validation (:mod:`homekit.validate`), the data templates (:mod:`homekit.templates`),
the example data and the indicators all read it; none of them spells a label again.

The contract comes from ``shared/spec/instruments.md``; extra optional columns here extend it and
never contradict it.

Examples
--------
>>> from homekit.instruments import INSTRUMENTS, SCALES
>>> INSTRUMENTS["gp_survey"].column("trust_asc").choices.name
'agree4'
>>> SCALES["quality5"].normalise("  very   POOR ")
'Very poor'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

__all__ = [
    "Choice",
    "Column",
    "Instrument",
    "SCALES",
    "CHOICES",
    "INSTRUMENTS",
    "SERVICES",
    "PROFESSIONS",
    "RATED_PROFESSIONS",
    "ROUND_KEY",
    "ADMISSION_FACTORS",
    "DELAY_FACTORS",
    "WRONG_PATHWAY_FACTORS",
    "PATHWAYS",
    "PROFESSION_GROUPS",
    "PROFESSION_GROUP_NAMES",
    "PRIOR_SETTINGS",
    "DELAY_REASONS",
    "DELAY_REASON_ATTRIBUTION",
    "PUBLISHED_DELAY_SHARES",
    "FLOW_METRICS",
    "BEHAVIOURS",
    "BEHAVIOUR_NAMES",
    "STAFF_LEVELS",
    "ORGANISATIONS",
    "OBSERVATION_SETTINGS",
    "COMMS_AUDIENCES",
    "COMMS_CHANNELS",
    "RISK_FRAMINGS",
    "HYPOTHESIS_STATUSES",
    "OPPORTUNITY_STATUSES",
    "ACTION_TYPES",
    "LEVERS",
    "BENEFIT_STREAMS",
    "CHOICE_NAMES",
    "choice_name",
    "FACTOR_NAMES",
    "FACTOR_NAMES_BY_DOMAIN",
    "METRIC_NAMES",
    "PATHWAY_NAMES",
    "GROUP_NAMES",
    "group_label",
    "Indicator",
    "INDICATORS",
    "POLARITIES",
    "indicator_label",
    "polarity",
    "polarities",
    "MISSING_REASONS",
    "normalise_token",
    "dictionary_frame",
]

# --------------------------------------------------------------------------------------------
# Answer normalisation
# --------------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00a0": " "})

#: Why an answer is missing. Every missing answer keeps one of these reasons.
MISSING_REASONS = ("blank", "dont_know", "not_applicable")

_MISSING_TOKENS = {
    "": "blank",
    "don't know": "dont_know",
    "dont know": "dont_know",
    "do not know": "dont_know",
    "not applicable": "not_applicable",
    "n/a": "not_applicable",
}


def normalise_token(value: object) -> str:
    """Lower-case, trim and fold repeated spaces (and typographic apostrophes) of one answer."""
    if value is None:
        return ""
    return _SPACES.sub(" ", str(value).translate(_QUOTES)).strip().lower()


def missing_reason(token: str) -> str | None:
    """The missing reason of a normalised token, or ``None`` when it is not a missing answer."""
    return _MISSING_TOKENS.get(token)


@dataclass(frozen=True)
class Choice:
    """A closed set of answers: an answer scale or a list of allowed ids.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``quality5``.
    levels : tuple of str
        The canonical labels, low to high where ``ordered``.
    codes : tuple of int, optional
        Numeric codes accepted in place of the labels (same order as ``levels``).
    aliases : dict, optional
        Extra accepted spellings (normalised) mapped to a canonical label.
    ordered : bool
        Whether the levels have an order (scales, pathways).
    """

    name: str
    levels: tuple[str, ...]
    codes: tuple[int, ...] | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    ordered: bool = True

    def __post_init__(self):
        if self.codes is not None and len(self.codes) != len(self.levels):
            raise ValueError(f"choice {self.name}: codes and levels differ in length")

    @property
    def lookup(self) -> dict[str, str]:
        """Every accepted normalised token mapped to its canonical label."""
        table = {normalise_token(level): level for level in self.levels}
        if self.codes is not None:
            table.update({str(code): level for code, level in zip(self.codes, self.levels)})
        table.update({normalise_token(k): v for k, v in self.aliases.items()})
        return table

    def code_of(self, label: str) -> int:
        """The numeric code of a canonical label."""
        codes = self.codes if self.codes is not None else tuple(range(1, len(self.levels) + 1))
        return codes[self.levels.index(label)]

    def normalise(self, value: object) -> str | None:
        """The canonical label for one raw answer, or ``None`` when it is not an accepted answer."""
        return self.lookup.get(normalise_token(value))

    def describe(self) -> str:
        """Human-readable list of accepted answers, for error messages and templates."""
        if self.name == "yesno":
            return "Yes or No (also Y/N, true/false, 1/0)"
        if self.codes is not None:
            return "; ".join(f"{c} {lv}" for c, lv in zip(self.codes, self.levels))
        return ", ".join(self.levels)

    def dtype(self) -> pd.CategoricalDtype:
        return pd.CategoricalDtype(list(self.levels), ordered=self.ordered)


def _choice(name, levels, codes=None, ordered=True, **aliases):
    return Choice(name, tuple(levels), None if codes is None else tuple(codes), dict(aliases), ordered)


SCALES: dict[str, Choice] = {
    "quality5": _choice("quality5", ["Very poor", "Poor", "Neither good nor poor", "Good", "Very good"], range(1, 6)),
    "agree4": _choice("agree4", ["Strongly disagree", "Disagree", "Agree", "Strongly agree"], range(1, 5)),
    "frequency5": _choice(
        "frequency5", ["Never", "Infrequently", "Sometimes", "Frequently", "Very frequently"], range(1, 6)
    ),
    "value4": _choice(
        "value4", ["Would not value at all", "Would not value", "Would value", "Would strongly value"], range(1, 5)
    ),
    "yesno": Choice(
        "yesno", ("No", "Yes"), (0, 1), {"n": "No", "y": "Yes", "false": "No", "true": "Yes"}, ordered=True
    ),
}

# --------------------------------------------------------------------------------------------
# Id lists fixed by the spec
# --------------------------------------------------------------------------------------------

SERVICES = (
    "reablement",
    "telecare",
    "intermediate_care",
    "home_care",
    "day_care",
    "carers_support",
    "extra_care_housing",
    "falls_prevention",
)
SERVICE_NAMES = {
    "reablement": "Reablement",
    "telecare": "Telecare",
    "intermediate_care": "Intermediate care",
    "home_care": "Home care",
    "day_care": "Day care",
    "carers_support": "Carers' support",
    "extra_care_housing": "Extra care housing",
    "falls_prevention": "Falls prevention",
}
PROFESSIONS = ("asc", "gp", "hospital_discharge", "hospital_clinical", "community_health", "other")
RATED_PROFESSIONS = PROFESSIONS[:-1]
PROFESSION_NAMES = {
    "asc": "Adult social care",
    "gp": "GPs",
    "hospital_discharge": "Hospital discharge",
    "hospital_clinical": "Hospital clinical",
    "community_health": "Community health",
    "other": "Other",
}
#: The seed's three respondent groups (IMPOWER 2019 summary), each a set of profession ids.
PROFESSION_GROUPS = {
    "asc": ("asc",),
    "hospital": ("hospital_discharge", "hospital_clinical"),
    "community_gp_other": ("gp", "community_health", "other"),
}
PROFESSION_GROUP_NAMES = {
    "asc": "Adult social care professionals",
    "hospital": "Hospital staff",
    "community_gp_other": "Community nurses, GPs and others",
}
ADMISSION_FACTORS = (
    "risk_aversion",
    "alternatives_not_known",
    "alternatives_not_considered",
    "community_capacity",
    "family_pressure",
    "out_of_hours_access",
)
DELAY_FACTORS = ("stabilise_in_hospital", "awaiting_assessment", "awaiting_care_package", "risk_aversion", "family_choice")
WRONG_PATHWAY_FACTORS = ("free_up_beds", "what_is_available", "time_pressure", "incomplete_assessment")
#: Reader-facing names of the interface survey's factors, by domain (IMPOWER 2019 Findings 1-3).
FACTOR_DOMAIN_NAMES = {
    "admission": "Unnecessary hospital admissions",
    "delay": "Discharges delayed when the patient could have gone home",
    "wrong_pathway": "Discharges through the wrong pathway",
}
FACTOR_NAMES_BY_DOMAIN = {
    "admission": {
        "risk_aversion": "Mitigating risk (risk aversion)",
        "alternatives_not_known": "Alternatives not known",
        "alternatives_not_considered": "Alternatives not considered",
        "community_capacity": "Lack of community capacity",
        "family_pressure": "Pressure from family",
        "out_of_hours_access": "Poor out-of-hours access",
    },
    "delay": {
        "stabilise_in_hospital": "Desire to stabilise in hospital",
        "awaiting_assessment": "Awaiting assessment",
        "awaiting_care_package": "Awaiting a care package",
        "risk_aversion": "Risk aversion",
        "family_choice": "Family choice",
    },
    "wrong_pathway": {
        "free_up_beds": "The need to free up beds",
        "what_is_available": "What is available, not what is right",
        "time_pressure": "Time pressure",
        "incomplete_assessment": "Incomplete assessment",
    },
}
PATHWAY_NAMES = {
    "home_no_support": "Home, no support",
    "home_with_support": "Home with support",
    "reablement": "Reablement",
    "intermediate_care_bed": "Intermediate care bed",
    "residential_care": "Residential care",
    "nursing_care": "Nursing care",
    "acute_admission": "Acute admission",
}
PATHWAYS = (
    "home_no_support",
    "home_with_support",
    "reablement",
    "intermediate_care_bed",
    "residential_care",
    "nursing_care",
    "acute_admission",
)
#: Where a reviewed person was before the decision (case reviews, second release).
PRIOR_SETTINGS = ("short_term_medical", "home", "reablement", "intermediate_care_bed", "care_home", "other")
PRIOR_SETTING_NAMES = {
    "short_term_medical": "Short-term medical care",
    "home": "Home",
    "reablement": "Reablement",
    "intermediate_care_bed": "Intermediate care bed",
    "care_home": "Care home",
    "other": "Other",
}
#: Why a reviewed discharge was delayed (case reviews, second release).
DELAY_REASONS = (
    "awaiting_assessment",
    "awaiting_care_package",
    "awaiting_intermediate_care",
    "awaiting_care_home",
    "family_choice",
    "clinical",
    "other",
)
DELAY_REASON_NAMES = {
    "awaiting_assessment": "Awaiting assessment",
    "awaiting_care_package": "Awaiting a care package",
    "awaiting_intermediate_care": "Awaiting intermediate care",
    "awaiting_care_home": "Awaiting a care home place",
    "family_choice": "Patient or family choice",
    "clinical": "Clinical reasons",
    "other": "Other",
}
#: Which system a delay reason lies in, as the LGA/Newton 2017 study counted them ("social care
#: factors still only account for 35% of delays. The remaining 65% occur within the health
#: system, particularly in delays for assessments and intermediate care"). Family choice and other
#: reasons are attributed to neither and stay out of the base of the comparison.
DELAY_REASON_ATTRIBUTION = {
    "awaiting_assessment": "health",
    "awaiting_intermediate_care": "health",
    "clinical": "health",
    "awaiting_care_package": "social_care",
    "awaiting_care_home": "social_care",
}
#: The published split of delays (LGA/Newton 2017, seed 003): social care 35%, health 65%.
PUBLISHED_DELAY_SHARES = {"social_care": 0.35, "health": 0.65}
PUBLISHED_DELAY_SOURCE = "LGA/Newton 2017: social care factors account for 35% of delays, the health system for 65%"
#: Where a delay lies, as read in a sentence ("delays that lie in ...").
ATTRIBUTION_NAMES = {"social_care": "social care", "health": "the health system", "nhs": "the NHS", "joint": "the NHS and social care jointly"}
FLOW_METRICS = (
    "permanent_admissions_care_homes_65plus",
    "reablement_discharges_65plus",
    "reablement_at_home_91days_65plus",
    "non_elective_admissions_65plus",
    "delayed_days_nhs",
    "delayed_days_social_care",
    "delayed_days_joint",
    "discharges_pathway_0",
    "discharges_pathway_1",
    "discharges_pathway_2",
    "discharges_pathway_3",
)

#: Reader-facing names of the interface survey's factors (ids as in ADMISSION_FACTORS, DELAY_FACTORS, WRONG_PATHWAY_FACTORS).
FACTOR_NAMES = {
    "risk_aversion": "Risk aversion",
    "alternatives_not_known": "Alternatives not known",
    "alternatives_not_considered": "Alternatives not considered",
    "community_capacity": "Too little community capacity",
    "family_pressure": "Pressure from family",
    "out_of_hours_access": "Poor out-of-hours access",
    "stabilise_in_hospital": "Waiting to stabilise in hospital",
    "awaiting_assessment": "Waiting for an assessment",
    "awaiting_care_package": "Waiting for a care package",
    "family_choice": "Family choice",
    "free_up_beds": "Pressure to free up beds",
    "what_is_available": "Going with what is available",
    "time_pressure": "Time pressure",
    "incomplete_assessment": "Incomplete assessment",
}
#: Reader-facing names of the monthly flow metrics.
METRIC_NAMES = {
    "permanent_admissions_care_homes_65plus": "Permanent admissions of people 65+ to care homes",
    "reablement_discharges_65plus": "Discharges of people 65+ into reablement",
    "reablement_at_home_91days_65plus": "People 65+ at home 91 days after reablement",
    "non_elective_admissions_65plus": "Emergency (non-elective) admissions of people 65+",
    "delayed_days_nhs": "Delayed days attributed to the NHS",
    "delayed_days_social_care": "Delayed days attributed to social care",
    "delayed_days_joint": "Delayed days attributed jointly to health and social care",
    "discharges_pathway_0": "Discharges on pathway 0 (home, no new support)",
    "discharges_pathway_1": "Discharges on pathway 1 (home with support)",
    "discharges_pathway_2": "Discharges on pathway 2 (short-term bed-based care)",
    "discharges_pathway_3": "Discharges on pathway 3 (long-term care)",
}
#: Reader-facing names of the care pathways of case reviews.
PATHWAY_NAMES = {
    "home_no_support": "Home, no support",
    "home_with_support": "Home with support",
    "reablement": "Reablement",
    "intermediate_care_bed": "Intermediate care bed",
    "residential_care": "Residential care",
    "nursing_care": "Nursing care",
    "acute_admission": "Acute admission",
}
#: Reader-facing names of the groups of flow, older people and case review indicators.
GROUP_NAMES = {
    "nhs": "NHS", "social_care": "social care", "joint": "health and social care jointly",
    "pathway_0": "pathway 0 (home, no new support)", "pathway_1": "pathway 1 (home with support)",
    "pathway_2": "pathway 2 (short-term bed-based care)", "pathway_3": "pathway 3 (long-term care)",
    "gp": "GP", "family": "family", "social_worker": "social worker", "hospital_staff": "hospital staff", "friends": "friends",
    "self": "themselves",
    "admission": "admission", "discharge": "discharge", "community": "community", "review": "review",
    "behaviour_culture": "behaviour and culture", "process": "process", "capacity": "capacity", "clinical": "clinical",
    "patient_choice": "patient choice", "other": "other",
}

# Stage 2 behavioural diagnostic (contract, second release) and the opportunity register.
BEHAVIOURS = (
    "home_first",
    "alternatives_considered",
    "risk_shared",
    "right_not_available",
    "stabilise_at_home",
    "feedback_given",
    "trust_partners",
    "time_for_conversations",
)
BEHAVIOUR_NAMES = {
    "home_first": "Home first: people go home wherever they can",
    "alternatives_considered": "Alternatives to admission are considered",
    "risk_shared": "Risk is shared between partners",
    "right_not_available": "Decisions follow what is right, not what is available",
    "stabilise_at_home": "People are stabilised at home rather than in hospital",
    "feedback_given": "Feedback is given to the people who refer",
    "trust_partners": "Partners trust each other's decisions",
    "time_for_conversations": "There is time for conversations with people and families",
}
STAFF_LEVELS = ("senior", "frontline")
ORGANISATIONS = ("council", "acute_trust", "community_trust", "gp_practice", "icb", "voluntary", "other")
OBSERVATION_SETTINGS = ("ward", "front_door", "discharge_meeting", "community_team", "strategic_meeting", "other")
OBSERVATION_SEEN = ("desired", "undesired", "mixed")
COMMS_AUDIENCES = ("person", "family", "staff")
COMMS_CHANNELS = ("leaflet", "letter", "poster", "web", "script", "other")
RISK_FRAMINGS = ("enabling", "neutral", "averse")
HYPOTHESIS_STATUSES = ("open", "verified", "disproved")
PATHWAY_STAGES = ("prevention", "early_intervention", "crisis_response", "post_crisis")
ACTION_TYPES = ("referral_communication", "information_access", "training", "joint_working", "influence_influencers", "other")
LEVERS = ("behaviour_culture", "process", "capacity")
OPPORTUNITY_STATUSES = ("long_list", "short_list", "approved", "implementing", "rejected")
#: ``benefit_stream`` values -> the stream of :mod:`homekit.benefits` the share applies to. The
#: model's own streams map to themselves; the contract's examples map to the model stream that
#: holds that saving: ``admission_avoidance`` = avoided non-elective admissions (NHS);
#: ``discharge_independence`` = people discharged to independence instead of a permanent care home
#: placement (the social care stream of avoidable placements); ``community_skill_mix`` has no
#: stream in the model (None: its benefit is not modelled, and the report says so).
BENEFIT_STREAMS = {
    "social_care": "social_care",
    "nhs_admissions": "nhs_admissions",
    "nhs_bed_days": "nhs_bed_days",
    "admission_avoidance": "nhs_admissions",
    "discharge_independence": "social_care",
    "community_skill_mix": None,
}

#: Reader-facing names of the ids of closed lists (behaviours, levels, settings, ...).
CHOICE_NAMES = {
    **BEHAVIOUR_NAMES,
    "senior": "Senior stakeholders",
    "frontline": "Frontline staff",
    "council": "Council",
    "acute_trust": "Acute trust",
    "community_trust": "Community trust",
    "gp_practice": "GP practice",
    "icb": "Integrated care board",
    "voluntary": "Voluntary sector",
    "ward": "Ward",
    "front_door": "Hospital front door",
    "discharge_meeting": "Discharge meeting",
    "community_team": "Community team",
    "strategic_meeting": "Strategic meeting",
    "desired": "Desired",
    "undesired": "Undesired",
    "mixed": "Mixed",
    "person": "The person",
    "family": "Family and carers",
    "staff": "Staff",
    "leaflet": "Leaflet",
    "letter": "Letter",
    "poster": "Poster or display",
    "web": "Web page",
    "script": "Script",
    "enabling": "Enabling",
    "neutral": "Neutral",
    "averse": "Risk averse",
    "open": "Open",
    "verified": "Verified",
    "disproved": "Disproved",
    "prevention": "Prevention",
    "early_intervention": "Early intervention",
    "crisis_response": "Crisis response",
    "post_crisis": "Post-crisis",
    "referral_communication": "Referral and communication",
    "information_access": "Information and access",
    "training": "Training",
    "joint_working": "Joint working",
    "influence_influencers": "Influencing the influencers",
    "behaviour_culture": "Behaviour and culture",
    "process": "Process and system",
    "capacity": "Capacity",
    "long_list": "Long list",
    "short_list": "Short list",
    "approved": "Approved",
    "implementing": "Implementing",
    "rejected": "Rejected",
    "social_care": "Social care",
    "nhs_admissions": "NHS: avoided admissions",
    "nhs_bed_days": "NHS: excess bed days",
    "admission_avoidance": "Admission avoidance",
    "discharge_independence": "Discharge to independence",
    "community_skill_mix": "Community skill mix",
    **PROFESSION_NAMES,
}


def choice_name(value: str) -> str:
    """The reader-facing name of an id of a closed list (the id itself, spaced, if unknown)."""
    return CHOICE_NAMES.get(str(value), str(value).replace("_", " "))


CHOICES: dict[str, Choice] = {
    **SCALES,
    "nation": _choice("nation", ["England", "Scotland", "Wales", "Northern Ireland"], ordered=False),
    "service": _choice("service", SERVICES, ordered=False),
    "assessor": _choice("assessor", ["GP", "Social care", "Don't know"], ordered=False),
    "age_band": _choice("age_band", ["65-74", "75-84", "85+"]),
    "influencer": _choice(
        "influencer", ["GP", "Family", "Social worker", "Hospital staff", "Friends", "Self", "Other"], ordered=False
    ),
    "profession": _choice("profession", PROFESSIONS, ordered=False),
    "decision_point": _choice("decision_point", ["admission", "discharge", "community", "review"], ordered=False),
    "pathway": _choice("pathway", PATHWAYS),
    "reason": _choice(
        "reason", ["behaviour_culture", "process", "capacity", "clinical", "patient_choice", "other"], ordered=False
    ),
    "prior_setting": _choice("prior_setting", PRIOR_SETTINGS, ordered=False),
    "delay_reason": _choice("delay_reason", DELAY_REASONS, ordered=False),
    "metric": _choice("metric", FLOW_METRICS, ordered=False),
    "direction": _choice("direction", ["up", "down"], ordered=False),
    "sentiment": _choice("sentiment", ["-1", "0", "1"]),
    "behaviour": _choice("behaviour", BEHAVIOURS, ordered=False),
    "staff_level": _choice("staff_level", STAFF_LEVELS, ordered=False),
    "organisation": _choice("organisation", ORGANISATIONS, ordered=False),
    "setting": _choice("setting", OBSERVATION_SETTINGS, ordered=False),
    "seen": _choice("seen", OBSERVATION_SEEN, ordered=False),
    "audience": _choice("audience", COMMS_AUDIENCES, ordered=False),
    "channel": _choice("channel", COMMS_CHANNELS, ordered=False),
    "risk_framing": _choice("risk_framing", RISK_FRAMINGS, ordered=False),
    "hypothesis_status": _choice("hypothesis_status", HYPOTHESIS_STATUSES, ordered=False),
    "pathway_stage": _choice("pathway_stage", PATHWAY_STAGES),
    "action_type": _choice("action_type", ACTION_TYPES, ordered=False),
    "lever": _choice("lever", LEVERS, ordered=False),
    "opportunity_status": _choice("opportunity_status", OPPORTUNITY_STATUSES, ordered=False),
    "benefit_stream": _choice("benefit_stream", BENEFIT_STREAMS, ordered=False),
}

# --------------------------------------------------------------------------------------------
# Columns and instruments
# --------------------------------------------------------------------------------------------

#: Column kinds and what each holds once loaded.
KINDS = {
    "id": "identifier text (not blank)",
    "site": "a site_id listed in sites.csv",
    "text": "free text",
    "label": "short text (not blank)",
    "int": "a whole number",
    "number": "a number",
    "date": "a date YYYY-MM-DD",
    "period": "a month YYYY-MM",
    "choice": "one of the listed answers",
    "score": "a whole number score",
}


@dataclass(frozen=True)
class Column:
    """One column of an instrument.

    ``answer`` marks survey answers: they may be missing (blank, Don't know, Not applicable) and
    the reason is kept. Non-answer columns with ``nullable=False`` must hold a value on every row.
    """

    name: str
    kind: str
    question: str
    required: bool = True
    choices: Choice | None = None
    answer: bool = False
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    condition: str | None = None
    free_text: bool = False
    #: What a valid value looks like, when the kind's own words are not enough.
    describe: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: unknown kind {self.kind}")
        if (self.kind == "choice") != (self.choices is not None):
            raise ValueError(f"column {self.name}: choices go with kind 'choice' only")

    @property
    def may_be_missing(self) -> bool:
        return self.answer or self.nullable

    def expected(self) -> str:
        """What a valid value looks like, in words."""
        if self.describe is not None:
            return self.describe
        if self.kind == "choice":
            scale = f"{self.choices.name} answer: " if self.choices.name in SCALES else "one of "
            text = scale + self.choices.describe()
        elif self.kind == "score":
            text = f"a whole number from {self.minimum:g} to {self.maximum:g}"
        else:
            text = KINDS[self.kind]
            if self.minimum is not None and self.maximum is not None:
                text += f" from {self.minimum:g} to {self.maximum:g}"
            elif self.minimum is not None:
                text += f" >= {self.minimum:g}"
            if self.pattern == "snake":
                text = "lower snake case (a-z, 0-9, _; starting with a letter)"
        if self.answer:
            text += " (or blank, Don't know, Not applicable)"
        return text


@dataclass(frozen=True)
class Instrument:
    """One instrument: a file in the data folder and its columns."""

    name: str
    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required_file: bool = False
    description: str = ""
    #: Whose data this is, which decides the disclosure rule (``parameters/disclosure.yaml``):
    #: ``"people"`` (people who use services: the NHS Digital small-number rule) or
    #: ``"professional"`` (opinions of staff: the staff-survey reporting threshold).
    subjects: str = "people"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def answer_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.answer]

    def columns_of(self, choice: str) -> list[str]:
        """Names of the columns answered on a given scale or choice list."""
        return [c.name for c in self.columns if c.choices is not None and c.choices.name == choice]


def _ans(name, scale, question, required=True, **kw):
    return Column(name, "choice", question, required=required, choices=CHOICES[scale], answer=True, **kw)


def _site_col():
    return Column("site_id", "site", "Site identifier (as in sites.csv)")


def _respondent_cols():
    return [
        Column("respondent_id", "id", "Respondent identifier, unique within the site's survey round"),
        _site_col(),
        Column("survey_year", "int", "Year the survey was run", minimum=2000, maximum=2100),
        Column(
            "survey_round",
            "int",
            "Survey round within the year (1, 2, ...) when a site was surveyed twice in one year; blank means 1",
            required=False,
            nullable=True,
            minimum=1,
            maximum=99,
        ),
    ]


#: The key of a survey round: respondent ids are unique within it (contract, second release).
ROUND_KEY = ("site_id", "survey_year", "survey_round")


_SITES = Instrument(
    "sites",
    "Sites",
    (
        Column("site_id", "id", "Site identifier, unique, lower snake case", pattern="snake"),
        Column("site_name", "id", "Site name as it appears in reports"),
        Column("wave", "int", "Programme wave the site joined", minimum=1, maximum=99),
        Column("nation", "choice", "Nation", choices=CHOICES["nation"]),
        Column("population", "int", "Resident population", minimum=1),
        Column("population_65plus", "int", "Resident population aged 65 and over", minimum=0),
        Column("gp_count", "int", "GPs working in the site (headcount)", minimum=0),
        Column("icb", "text", "Integrated care board or health board (optional)", required=False, nullable=True),
    ),
    key=("site_id",),
    required_file=True,
    description="One row per site.",
)

_SERVICES = Instrument(
    "services",
    "Services provided",
    (
        _site_col(),
        Column("service", "choice", "Service id", choices=CHOICES["service"]),
        Column("available", "choice", "Does the site provide this service?", choices=CHOICES["yesno"]),
    ),
    key=("site_id", "service"),
    description="Which services each site actually provides.",
)


def _gp_columns():
    cols = _respondent_cols() + [
        _ans("relationship_social_care", "quality5", "How would you rate the quality of your relationship with social care?"),
        _ans(
            "trust_asc",
            "agree4",
            "I trust adult social care to make decisions in the best interests of my patients",
        ),
        _ans(
            "trust_discharge_team",
            "agree4",
            "I trust the hospital discharge team to make decisions in the best interests of my patients",
        ),
        _ans(
            "better_assessor_residential",
            "assessor",
            "Who makes the better assessment of an older person's need for residential care?",
        ),
        _ans("value_closer_links", "value4", "Would you value closer links with social care?"),
    ]
    for s in SERVICES:
        cols.append(_ans(f"aware_{s}", "yesno", f"Are you aware of a {SERVICE_NAMES[s].lower()} service in your area?"))
        cols.append(
            _ans(
                f"quality_{s}",
                "quality5",
                f"How would you rate the quality of the {SERVICE_NAMES[s].lower()} service?",
                condition=f"asked only when aware_{s} is Yes",
            )
        )
    cols += [
        _ans(
            "motivator_fewer_home_visits",
            "yesno",
            "Would a reduction in home visits motivate your advice to patients on residential care?",
        ),
        _ans(
            "motivator_financial_incentive",
            "yesno",
            "Would a financial incentive motivate your advice to patients on residential care?",
        ),
        Column("gp_role", "text", "Role (partner, salaried, locum...)", required=False, nullable=True),
        _ans(
            "referral_feedback",
            "frequency5",
            "How often do you receive feedback after referring a patient to social care?",
            required=False,
        ),
        Column("comment", "text", "Any other comments (free text)", required=False, nullable=True, free_text=True),
    ]
    return tuple(cols)


_GP = Instrument(
    "gp_survey",
    "GP survey",
    _gp_columns(),
    key=ROUND_KEY + ("respondent_id",),
    description="Home Truths GP survey: one row per GP respondent.",
    subjects="professional",
)

_INFLUENCERS = ("gp", "family", "social_worker", "hospital_staff", "friends", "self")

_OLDER = Instrument(
    "older_people_survey",
    "Older people survey",
    tuple(
        _respondent_cols()
        + [Column("age_band", "choice", "Age band", choices=CHOICES["age_band"], answer=True)]
        + [
            _ans(f"influence_{w}", "yesno", f"Did {w.replace('_', ' ')} influence your decisions about care?")
            for w in _INFLUENCERS
        ]
        + [
            _ans("most_influential", "influencer", "Who was the most influential in your decisions about care?"),
            _ans("planned_ahead", "yesno", "Did you plan your move into care before a crisis?"),
            _ans("trust_gp_advice", "agree4", "I trust my GP's advice about care"),
            _ans("lives_alone", "yesno", "Do you live alone?", required=False),
            Column("care_status", "text", "Current care status", required=False, nullable=True),
        ]
        + [
            _ans(f"aware_{s}", "yesno", f"Are you aware of {SERVICE_NAMES[s].lower()} in your area?", required=False)
            for s in SERVICES
        ]
        + [Column("comment", "text", "Any other comments (free text)", required=False, nullable=True, free_text=True)]
    ),
    key=ROUND_KEY + ("respondent_id",),
    description="One row per older person.",
)


def _prof_columns():
    cols = _respondent_cols() + [Column("profession", "choice", "Your profession", choices=CHOICES["profession"])]
    for f in ADMISSION_FACTORS:
        cols.append(
            _ans(
                f"admission_factor_{f}",
                "frequency5",
                f"How frequently does {f.replace('_', ' ')} drive unnecessary hospital admissions?",
            )
        )
    for f in DELAY_FACTORS:
        cols.append(
            _ans(
                f"delay_factor_{f}",
                "frequency5",
                f"How frequently does {f.replace('_', ' ')} delay a discharge when the patient could go home?",
            )
        )
    for f in WRONG_PATHWAY_FACTORS:
        cols.append(
            _ans(
                f"wrong_pathway_factor_{f}",
                "frequency5",
                f"How frequently does {f.replace('_', ' ')} cause a discharge through the wrong pathway?",
            )
        )
    for p in RATED_PROFESSIONS:
        cols.append(
            _ans(
                f"trust_{p}",
                "agree4",
                f"I trust {PROFESSION_NAMES[p].lower()} to make decisions in the best interests of my patients",
                condition="left blank for the respondent's own profession",
            )
        )
    for p in RATED_PROFESSIONS:
        cols.append(
            Column(
                f"relationship_{p}",
                "score",
                f"Score your relationship with {PROFESSION_NAMES[p].lower()} from 1 (poor) to 5 (strong)",
                answer=True,
                minimum=1,
                maximum=5,
                condition="left blank for the respondent's own profession",
            )
        )
    cols.append(Column("comment", "text", "Any other comments (free text)", required=False, nullable=True, free_text=True))
    return tuple(cols)


_PROF = Instrument(
    "professional_survey",
    "Interface survey of professionals",
    _prof_columns(),
    key=ROUND_KEY + ("respondent_id",),
    description="One row per professional (interface survey).",
    subjects="professional",
)

_CASES = Instrument(
    "case_reviews",
    "Multi-agency case reviews",
    (
        Column("case_id", "id", "Case identifier, unique within the site"),
        _site_col(),
        Column("review_date", "date", "Date of the review"),
        Column("decision_point", "choice", "Decision point reviewed", choices=CHOICES["decision_point"]),
        Column("actual_pathway", "choice", "Pathway the person actually took", choices=CHOICES["pathway"]),
        Column("ideal_pathway", "choice", "Ideal pathway (panel consensus)", choices=CHOICES["pathway"]),
        _ans("alternative_available", "yesno", "Did the ideal option exist locally?"),
        Column("primary_reason", "choice", "Primary reason for the decision", choices=CHOICES["reason"]),
        Column("team", "text", "Team that made the decision", required=False, nullable=True),
        Column("actual_weekly_cost", "number", "Weekly cost of the actual pathway (GBP)", required=False, nullable=True, minimum=0),
        Column("ideal_weekly_cost", "number", "Weekly cost of the ideal pathway (GBP)", required=False, nullable=True, minimum=0),
        _ans("reablement_suitable", "yesno", "Did the team judge the person suitable for reablement?", required=False),
        Column("care_hours_start", "number", "Weekly care hours when the package started", required=False, nullable=True, minimum=0),
        Column(
            "care_hours_after_review",
            "number",
            "Weekly care hours after the review",
            required=False,
            nullable=True,
            minimum=0,
        ),
        Column(
            "prior_setting",
            "choice",
            "Where the person was before the decision",
            required=False,
            choices=CHOICES["prior_setting"],
            nullable=True,
        ),
        Column(
            "review_interval_days",
            "int",
            "Days between the start of the care package and its review",
            required=False,
            nullable=True,
            minimum=0,
            maximum=3650,
        ),
        Column(
            "delay_reason",
            "choice",
            "Why the discharge was delayed (blank when it was not)",
            required=False,
            choices=CHOICES["delay_reason"],
            nullable=True,
        ),
        Column(
            "caseload",
            "text",
            "Population the case came from (ward, locality or referral route), to tell a team's judgement from its caseload",
            required=False,
            nullable=True,
        ),
    ),
    key=("site_id", "case_id"),
    description="One row per reviewed case.",
)

_METRIC_TEXT = (
    "a metric id: one of " + ", ".join(FLOW_METRICS) + "; or a custom metric id in lower snake case (a-z, 0-9, _)"
)

_FLOW = Instrument(
    "flow_metrics",
    "Monthly flow metrics",
    (
        _site_col(),
        Column("period", "period", "Month (YYYY-MM)"),
        Column("metric", "id", "Metric id: one of the contract's metrics or a custom metric", pattern="snake",
               describe=_METRIC_TEXT),
        Column("value", "number", "Value for the month (the numerator where a denominator is given)", minimum=0),
        Column(
            "denominator",
            "number",
            "Denominator for the month (optional): a metric with a denominator is a proportion, value / denominator",
            required=False,
            nullable=True,
            minimum=0,
            condition="greater than 0 and at least value; given on every row of the metric at the site or on none",
        ),
    ),
    key=("site_id", "metric", "period"),
    description="Tidy monthly metrics.",
)

_INTERVENTIONS = Instrument(
    "interventions",
    "Interventions (test and learn)",
    (
        Column("intervention_id", "id", "Intervention identifier"),
        _site_col(),
        Column("name", "id", "Name of the intervention"),
        Column("start_period", "period", "First month of the intervention (YYYY-MM)"),
        Column("metric", "id", "Flow metric the intervention targets (a contract metric or a custom one in flow_metrics)",
               pattern="snake", describe=_METRIC_TEXT + " present in flow_metrics.csv"),
        Column("desired_direction", "choice", "Direction of improvement", choices=CHOICES["direction"]),
        Column("target", "number", "Target value for the metric (optional; a proportion 0-1 for a metric with a denominator)",
               required=False, nullable=True),
        Column("opportunity_id", "text", "Opportunity the intervention takes forward (optional; in opportunities.csv)",
               required=False, nullable=True, condition="an opportunity_id of the same site in opportunities.csv"),
        Column("action_type", "choice", "Type of action (optional)", required=False, nullable=True, choices=CHOICES["action_type"]),
        Column("lever", "choice", "Lever the intervention pulls (optional)", required=False, nullable=True, choices=CHOICES["lever"]),
    ),
    key=("site_id", "intervention_id"),
    description="Interventions to track.",
)

_INTERVIEWS = Instrument(
    "interviews",
    "Coded interviews",
    (
        Column("interview_id", "id", "Interview identifier"),
        _site_col(),
        Column("stakeholder_group", "id", "Stakeholder group interviewed"),
        Column("theme", "id", "Coded theme"),
        Column("sentiment", "choice", "Sentiment (-1, 0, 1)", choices=CHOICES["sentiment"]),
        Column("quote", "text", "Quote (free text)", required=False, nullable=True, free_text=True),
        _ans("quote_approved", "yesno", "Approved for publication?", required=False),
    ),
    key=("site_id", "interview_id", "theme"),
    description="Coded qualitative evidence.",
)

_CULTURE = Instrument(
    "culture_survey",
    "Culture and behaviour surveys",
    tuple(
        _respondent_cols()
        + [
            Column("staff_level", "choice", "Staff level: senior stakeholder or frontline staff", choices=CHOICES["staff_level"]),
            Column("profession", "choice", "Profession", choices=CHOICES["profession"]),
            Column("organisation", "choice", "Organisation the respondent works for", choices=CHOICES["organisation"]),
        ]
        + [
            _ans(f"behaviour_{b}", "agree4", f"In my organisation, this happens: {BEHAVIOUR_NAMES[b].lower()}")
            for b in BEHAVIOURS
        ]
        + [Column("comment", "text", "Any other comments (free text: never published)", required=False, nullable=True,
                  free_text=True)]
    ),
    key=ROUND_KEY + ("respondent_id",),
    description="Two culture and behaviour surveys (senior stakeholders and frontline staff): one row per respondent.",
    subjects="professional",
)

_OBSERVATIONS = Instrument(
    "observations",
    "Observations of practice and of meetings",
    (
        Column("observation_id", "id", "Observation identifier (one observation may record several behaviours)"),
        _site_col(),
        Column("date", "date", "Date of the observation"),
        Column("setting", "choice", "Where the observation took place", choices=CHOICES["setting"]),
        Column("behaviour", "choice", "Desired behaviour observed", choices=CHOICES["behaviour"]),
        Column("seen", "choice", "How the behaviour was seen", choices=CHOICES["seen"]),
        Column("note", "text", "Observer's note (free text: never published)", required=False, nullable=True, free_text=True),
    ),
    key=("site_id", "observation_id", "behaviour"),
    # Observations record how staff practise and how meetings run, not data about the people who
    # use services (the free-text note, which might mention them, is never published): the rule
    # for professionals applies.
    description="Observations of practice and of meetings: one row per observation and behaviour.",
    subjects="professional",
)

_COMMS = Instrument(
    "comms_review",
    "Review of communications",
    (
        Column("item_id", "id", "Item identifier"),
        _site_col(),
        Column("audience", "choice", "Who the item is for", choices=CHOICES["audience"]),
        Column("channel", "choice", "Kind of item", choices=CHOICES["channel"]),
        _ans("promotes_home_first", "yesno", "Does the item promote home first?"),
        _ans("plain_language", "yesno", "Is the item in plain language?"),
        _ans("sets_expectations", "yesno", "Does the item say what happens next and when?"),
        _ans("risk_framing", "risk_framing", "How does the item frame risk?"),
    ),
    key=("site_id", "item_id"),
    # Items are documents and displays, not people: nothing here is about a person who uses
    # services, so the rule for professionals (organisations' material) applies.
    description="Communications given to people and families, and what is on display: one row per item.",
    subjects="professional",
)

_HYPOTHESES = Instrument(
    "hypotheses",
    "Hypotheses register",
    (
        Column("hypothesis_id", "id", "Hypothesis identifier"),
        _site_col(),
        Column("behaviour", "choice", "Desired behaviour the hypothesis is about", choices=CHOICES["behaviour"]),
        Column("barrier", "label", "Barrier thought to stop the behaviour (programme text: published)"),
        Column("evidence", "text", "Indicator ids that test the hypothesis, separated by ';'", required=True, nullable=True,
               describe="indicator ids of the data dictionary separated by ';' (e.g. culture_behaviour_agree;obs_behaviour_desired)"),
        Column("status", "choice", "Status as the panel decided", choices=CHOICES["hypothesis_status"]),
    ),
    key=("site_id", "hypothesis_id"),
    description="Desired behaviours and the barriers thought to stop them: one row per hypothesis.",
    subjects="professional",
)

_OPPORTUNITIES = Instrument(
    "opportunities",
    "Opportunity register",
    (
        Column("opportunity_id", "id", "Opportunity identifier"),
        _site_col(),
        Column("name", "label", "Name of the opportunity (programme text: published)"),
        Column("pathway_stage", "choice", "Stage of the care pathway", choices=CHOICES["pathway_stage"]),
        Column("action_type", "choice", "Type of action", choices=CHOICES["action_type"]),
        Column("lever", "choice", "Lever the opportunity pulls", choices=CHOICES["lever"]),
        Column("status", "choice", "Status", choices=CHOICES["opportunity_status"]),
        Column("impact", "score", "Impact score (1 low to 5 high)", minimum=1, maximum=5),
        Column("ease", "score", "Ease score (1 hard to 5 easy)", minimum=1, maximum=5),
        Column("alignment", "score", "Alignment with local and national priorities (1 low to 5 high)", minimum=1, maximum=5),
        Column("benefit_stream", "choice", "Stream of the benefits model the opportunity acts on (optional)", required=False,
               nullable=True, choices=CHOICES["benefit_stream"], condition="given together with share_of_stream"),
        Column("share_of_stream", "number", "Share of the stream's saving the opportunity acts on (optional, 0-1)",
               required=False, nullable=True, minimum=0, maximum=1, condition="given together with benefit_stream"),
        Column("hypothesis_id", "text", "Hypothesis the opportunity answers (optional; in hypotheses.csv)", required=False,
               nullable=True, condition="a hypothesis_id of the same site in hypotheses.csv"),
    ),
    key=("site_id", "opportunity_id"),
    description="Long list, short list and the interventions that follow: one row per opportunity.",
    subjects="professional",
)

#: Every instrument, in the order they are loaded (sites first).
INSTRUMENTS: dict[str, Instrument] = {
    i.name: i
    for i in (_SITES, _SERVICES, _GP, _OLDER, _PROF, _CASES, _FLOW, _CULTURE, _OBSERVATIONS, _COMMS, _HYPOTHESES, _OPPORTUNITIES,
              _INTERVENTIONS, _INTERVIEWS)
}


def dictionary_frame() -> pd.DataFrame:
    """The whole data dictionary as one tidy table (one row per instrument column).

    Examples
    --------
    >>> d = dictionary_frame()
    >>> list(d.columns)
    ['instrument', 'column', 'question', 'type', 'scale', 'required', 'allowed_values', 'condition']
    """
    rows = []
    for inst in INSTRUMENTS.values():
        for c in inst.columns:
            rows.append(
                {
                    "instrument": inst.name,
                    "column": c.name,
                    "question": c.question,
                    "type": c.kind,
                    "scale": c.choices.name if c.choices is not None else "",
                    "required": c.required,
                    "allowed_values": c.expected(),
                    "condition": c.condition or "",
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Indicators: every id homekit publishes, with its label, instrument, kind and polarity
# --------------------------------------------------------------------------------------------

POLARITIES = ("higher_is_better", "lower_is_better", "no_judgement")
INDICATOR_KINDS = ("proportion", "mean", "rate", "difference")


@dataclass(frozen=True)
class Indicator:
    """One published indicator id.

    ``label`` is what a reader sees (never the id); ``polarity`` says which way is better
    (contract, second release); ``kind`` says what ``estimate`` holds: a proportion 0-1, a mean,
    a rate per ``unit`` or a difference of proportions. ``published`` is the seed figure where the
    programme published one (``published_text`` as printed).
    """

    id: str
    label: str
    instrument: str
    polarity: str = "no_judgement"
    kind: str = "proportion"
    unit: str = ""
    headline: bool = False
    published: float | None = None
    published_text: str = ""

    def __post_init__(self):
        if self.polarity not in POLARITIES:
            raise ValueError(f"indicator {self.id}: polarity must be one of {POLARITIES}")
        if self.kind not in INDICATOR_KINDS:
            raise ValueError(f"indicator {self.id}: kind must be one of {INDICATOR_KINDS}")

    @property
    def subjects(self) -> str:
        """``people`` or ``professional``: whose data, hence which disclosure rule."""
        inst = INSTRUMENTS.get(self.instrument)
        return inst.subjects if inst is not None else "people"


_H, _L, _N = "higher_is_better", "lower_is_better", "no_judgement"


def _ind(id, label, instrument, polarity=_N, kind="proportion", **kw):
    return Indicator(id, label, instrument, polarity, kind, **kw)


def _head(id, label, instrument, polarity, published, text, kind="proportion"):
    return Indicator(id, label, instrument, polarity, kind, headline=True, published=published, published_text=text)


_INDICATOR_LIST = (
    # Headlines of the contract (with the published seed figure).
    _head("gp_relationship_poor", "GPs rating their relationship with social care poor or very poor", "gp_survey", _L, 0.56, "56%"),
    _head("gp_value_closer_links", "GPs who would value or strongly value closer links with social care", "gp_survey", _N, 0.92, "92%"),
    _head("gp_strongly_value_closer_links", "GPs who would strongly value closer links", "gp_survey", _N, 0.56, "56%"),
    _head("gp_trust_asc", "GPs trusting adult social care to act in patients' best interests", "gp_survey", _H, 0.73, "73%"),
    _head("gp_trust_discharge_team", "GPs trusting the hospital discharge team", "gp_survey", _H, 0.41, "41%"),
    _head("gp_social_care_better_assessor", "GPs saying social care assesses need for residential care better", "gp_survey", _N, 0.57, "57% (GP 41%)"),
    _head("gp_reablement_rated_poor", "GPs aware of reablement rating it poor or very poor", "gp_survey", _L, 0.46, "46%"),
    _head("gp_unaware_telecare", "GPs unaware of a telecare service", "gp_survey", _L, 0.59, "59%"),
    _head("gp_motivated_fewer_home_visits", "GPs motivated by fewer home visits in advice on residential care", "gp_survey", _N, 0.68, "68%"),
    _head("gp_motivated_financial_incentive", "GPs motivated by a financial incentive", "gp_survey", _N, 0.50, "50%"),
    _head("op_planned_ahead", "Older people who planned entry into care before a crisis", "older_people_survey", _H, None, "(low)"),
    _head("op_influenced_by_gp", "Older people whose care decisions their GP influenced", "older_people_survey", _N, None, ""),
    _head("case_decision_improvable", "Pathway decisions that could have been improved", "case_reviews", _L, 0.45, "45%"),
    _head("case_alternative_available", "Improvable decisions where the better option was available", "case_reviews", _N, 0.90, "over 90%"),
    _head("prof_relationship_score", "Mean relationship score (1-5) a profession gives another", "professional_survey", _H, None, "lowest asc<->gp", kind="mean"),
    _head("prof_trust", "Professionals trusting another profession", "professional_survey", _H, None, "trust gap"),
    # GP survey
    _ind("gp_gp_better_assessor", "GPs saying GPs assess need for residential care better", "gp_survey"),
    _ind("gp_response_rate", "GP survey response rate (of GP headcount)", "gp_survey", _H, published=0.09,
         published_text="154 GPs, 9% of the GP population (wave 1)"),
    _ind("gp_unaware_service", "GPs unaware of the service where the site provides it", "gp_survey", _L),
    _ind("gp_service_rated_poor", "GPs aware of the service rating it poor or very poor", "gp_survey", _L),
    _ind("gp_service_rated_good", "GPs aware of the service rating it good or very good", "gp_survey", _H),
    # (the Likert summaries' polarity comes from their item, the group: ITEM_POLARITY, polarity(id, group))
    _ind("gp_likert_top2", "GP survey item: top-two answers", "gp_survey"),
    _ind("gp_likert_bottom2", "GP survey item: bottom-two answers", "gp_survey"),
    _ind("gp_likert_net", "GP survey item: net score (top-two minus bottom-two)", "gp_survey", kind="difference"),
    _ind("gp_likert_mean", "GP survey item: mean answer code", "gp_survey", kind="mean"),
    _ind("gp_likert_missing", "GP survey item: missing answers", "gp_survey"),
    # Older people survey
    _ind("op_influenced_by", "Older people influenced by", "older_people_survey"),
    _ind("op_most_influential", "Older people naming as most influential", "older_people_survey"),
    _ind("op_trust_gp_advice", "Older people trusting their GP's advice about care", "older_people_survey"),
    _ind("op_likert_top2", "Older people survey item: top-two answers", "older_people_survey"),
    _ind("op_likert_bottom2", "Older people survey item: bottom-two answers", "older_people_survey"),
    _ind("op_likert_net", "Older people survey item: net score", "older_people_survey", kind="difference"),
    _ind("op_likert_mean", "Older people survey item: mean answer code", "older_people_survey", kind="mean"),
    _ind("op_likert_missing", "Older people survey item: missing answers", "older_people_survey"),
    # Interface survey of professionals
    _ind("prof_admission_factor_frequent", "Unnecessary admissions: factor cited frequently or very frequently", "professional_survey", _L),
    _ind("prof_delay_factor_frequent", "Delayed discharges: factor cited frequently or very frequently", "professional_survey", _L),
    _ind("prof_wrong_pathway_factor_frequent", "Wrong-pathway discharges: factor cited frequently or very frequently", "professional_survey", _L),
    _ind("prof_factor_frequent", "Factor cited frequently or very frequently, by profession", "professional_survey", _L),
    _ind("prof_factor_level", "Factor's frequency: share of a respondent group giving each answer", "professional_survey"),
    _ind("prof_trust_level", "Trust in another profession: share giving each answer", "professional_survey"),
    # Case reviews
    _ind("case_ideal_less_intensive", "Improvable decisions where the ideal pathway was less intensive", "case_reviews"),
    _ind("case_weekly_cost_difference", "Weekly cost of actual minus ideal pathway, improvable cases (GBP)", "case_reviews", kind="mean", unit="GBP a week"),
    _ind("case_care_hours_fell", "Reviewed packages whose weekly care hours fell after review", "case_reviews", published=1 / 3,
         published_text="a third (review two weeks after the package began)"),
    _ind("case_reablement_suitable", "Cases the team judged suitable for reablement", "case_reviews"),
    _ind("case_team_reablement_suitable", "Cases the team judged suitable for reablement, by team", "case_reviews"),
    _ind("case_residential_should_have", "Moves from short-term medical care to long-term residential care that the panel agreed with", "case_reviews", _H,
         published=0.10, published_text="10%"),
    _ind("case_ideal_cheaper", "Improvable decisions whose ideal pathway costs less a week", "case_reviews", published_text="almost always"),
    _ind("case_pathway_transition", "Reviewed cases by actual and ideal pathway (share of all reviewed cases)", "case_reviews"),
    _ind("case_delay_reason", "Delayed discharges by reason for the delay", "case_reviews"),
    _ind("case_delay_attribution", "Delayed discharges by the system the delay lies in", "case_reviews", published_text="social care 35%, health 65%"),
    # Flow metrics
    _ind("flow_care_home_admissions_rate", "Permanent care home admissions 65+ per 100,000 population 65+", "flow_metrics", _L, kind="rate", unit="per 100,000 population 65+"),
    _ind("flow_reablement_at_home_91days", "Older people at home 91 days after reablement", "flow_metrics", _H),
    _ind("flow_delayed_days_share", "Share of delayed days by attribution", "flow_metrics", published_text="social care 35%, health 65%"),
    _ind("flow_discharge_pathway_share", "Share of discharges by pathway", "flow_metrics"),
    # Interviews
    _ind("interview_theme_share", "Interviews raising the theme", "interviews"),
    _ind("interview_theme_tone", "Mentions of the theme in each tone (negative, neutral, positive)", "interviews"),
    # Stage 2 behavioural diagnostic (contract, second release)
    _ind("culture_behaviour_agree", "Staff agreeing the desired behaviour happens in their organisation", "culture_survey", _H),
    _ind("culture_level_gap", "Senior minus frontline agreement that the behaviour happens", "culture_survey", kind="difference"),
    _ind("obs_behaviour_desired", "Observations where the behaviour was seen as desired", "observations", _H),
    _ind("comms_promotes_home_first", "Communications that promote home first", "comms_review", _H),
    _ind("comms_plain_language", "Communications in plain language", "comms_review", _H),
    _ind("comms_sets_expectations", "Communications that say what happens next and when", "comms_review", _H),
    _ind("comms_risk_averse", "Communications that frame risk in a risk-averse way", "comms_review", _L),
    _ind("comms_risk_framing", "Communications by how they frame risk", "comms_review"),
)

#: Every indicator id homekit publishes -> :class:`Indicator`. The one place for labels and polarity.
INDICATORS: dict[str, Indicator] = {i.id: i for i in _INDICATOR_LIST}


def indicator_label(indicator_id: str) -> str:
    """The reader-facing label of an indicator id (the id itself only if unknown)."""
    info = INDICATORS.get(indicator_id)
    return info.label if info is not None else indicator_id.replace("_", " ")


#: Which way is better on a scaled survey item, for the Likert summaries whose ``group`` is the
#: item (``gp_likert_top2`` of ``trust_asc`` and so on): ``higher_is_better`` where a higher answer
#: is the better one (a better relationship or service, more trust, more feedback). Items not
#: listed carry no judgement, as their headlines do (valuing closer links, an older person's
#: trust in their GP's advice).
ITEM_POLARITY: dict[str, str] = {
    "relationship_social_care": _H, "trust_asc": _H, "trust_discharge_team": _H, "referral_feedback": _H,
    **{f"quality_{s}": _H for s in SERVICES},
}
#: The Likert summaries read with their item's direction (+1) or against it (-1: the bottom two answers).
_LIKERT_SIDES = {"likert_top2": 1, "likert_net": 1, "likert_mean": 1, "likert_bottom2": -1}
_OPPOSITE = {_H: _L, _L: _H, _N: _N}


def polarity(indicator_id: str, group: str | None = "") -> str:
    """``higher_is_better``, ``lower_is_better`` or ``no_judgement`` for an indicator id.

    A Likert summary (``gp_likert_bottom2``, ``op_likert_top2``...) takes its direction from its
    item, the ``group`` (:data:`ITEM_POLARITY`): the GPs answering the bottom two on the quality of
    home care are fewer the better, those answering the top two more the better; the missing
    answers and an item without a judgement have none. A ``group`` that is not text (None, a
    missing value read from a CSV) is no group.

    Examples
    --------
    >>> polarity("gp_trust_asc"), polarity("gp_likert_bottom2", "quality_home_care"), polarity("gp_likert_top2", "trust_asc")
    ('higher_is_better', 'lower_is_better', 'higher_is_better')
    >>> polarity("gp_likert_bottom2", "value_closer_links"), polarity("gp_likert_missing", "trust_asc")
    ('no_judgement', 'no_judgement')
    """
    if group and isinstance(group, str):
        stem, _, summary = indicator_id.partition("_")
        side = _LIKERT_SIDES.get(summary)
        if side is not None and group in ITEM_POLARITY:
            return ITEM_POLARITY[group] if side > 0 else _OPPOSITE[ITEM_POLARITY[group]]
    info = INDICATORS.get(indicator_id)
    return info.polarity if info is not None else "no_judgement"


def polarities(indicator_ids, groups) -> list[str]:
    """:func:`polarity` of each (indicator id, group) pair, each distinct pair worked out once
    (a 150-site run's tables hold a third of a million rows and a few thousand distinct pairs).

    Examples
    --------
    >>> polarities(["gp_trust_asc", "gp_likert_bottom2", "gp_trust_asc"], ["", "quality_home_care", ""])
    ['higher_is_better', 'lower_is_better', 'higher_is_better']
    """
    seen: dict = {}
    # (pandas columns as plain arrays: zipped element by element they cost ten times as much)
    ids, grps = (x.to_numpy(dtype=object) if hasattr(x, "to_numpy") else x for x in (indicator_ids, groups))
    return [seen[k] if k in seen else seen.setdefault(k, polarity(*k)) for k in zip(ids, grps)]


def group_label(group: str) -> str:
    """The reader-facing name of an indicator's ``group`` (a service, profession pair, factor,
    pathway, attribution...), from the name tables above; a raw id only if it is unknown."""
    if not group:
        return ""
    if "|" in group:  # a group within a group (a pair and a trust level, a factor and a respondent group)
        return ", ".join(group_label(g) for g in group.split("|"))
    key, _, value = group.partition(":")
    if value and key == "group" and value in PROFESSION_GROUP_NAMES:
        return PROFESSION_GROUP_NAMES[value]
    if value and key in FACTOR_NAMES_BY_DOMAIN and value in FACTOR_NAMES_BY_DOMAIN[key]:
        return f"{FACTOR_DOMAIN_NAMES.get(key, key)}: {FACTOR_NAMES_BY_DOMAIN[key][value]}"
    if "->" in group:
        a, b = group.split("->", 1)
        b = PROFESSION_NAMES.get(b, b)
        return f"{PROFESSION_NAMES.get(a, a)} rating {b[0].lower() + b[1:] if b[1:2].islower() else b}"
    for table in (SERVICE_NAMES, PROFESSION_NAMES, FACTOR_NAMES, METRIC_NAMES, PATHWAY_NAMES, GROUP_NAMES):
        if group in table:
            return table[group]
    return group.replace("_", " ")
