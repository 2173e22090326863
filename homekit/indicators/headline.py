"""The headline indicators of the data contract: ids, definitions and the published figures."""

from __future__ import annotations

import pandas as pd

#: id -> (instrument, what it measures, published figure (share) or None, published text)
HEADLINES: dict[str, tuple[str, str, float | None, str]] = {
    "gp_relationship_poor": ("gp_survey", "GPs rating their relationship with social care poor or very poor", 0.56, "56%"),
    "gp_value_closer_links": ("gp_survey", "GPs who would value or strongly value closer links with social care", 0.92, "92%"),
    "gp_strongly_value_closer_links": ("gp_survey", "GPs who would strongly value closer links", 0.56, "56%"),
    "gp_trust_asc": ("gp_survey", "GPs trusting adult social care to act in patients' best interests", 0.73, "73%"),
    "gp_trust_discharge_team": ("gp_survey", "GPs trusting the hospital discharge team", 0.41, "41%"),
    "gp_social_care_better_assessor": ("gp_survey", "GPs saying social care assesses need for residential care better", 0.57, "57% (GP 41%)"),
    "gp_reablement_rated_poor": ("gp_survey", "GPs aware of reablement rating it poor or very poor", 0.46, "46%"),
    "gp_unaware_telecare": ("gp_survey", "GPs unaware of a telecare service", 0.59, "59%"),
    "gp_motivated_fewer_home_visits": ("gp_survey", "GPs motivated by fewer home visits in advice on residential care", 0.68, "68%"),
    "gp_motivated_financial_incentive": ("gp_survey", "GPs motivated by a financial incentive", 0.50, "50%"),
    "op_planned_ahead": ("older_people_survey", "Older people who planned entry into care before a crisis", None, "(low)"),
    "op_influenced_by_gp": ("older_people_survey", "Older people whose care decisions their GP influenced", None, ""),
    "case_decision_improvable": ("case_reviews", "Pathway decisions that could have been improved", 0.45, "45%"),
    "case_alternative_available": ("case_reviews", "Improvable decisions where the better option was available", 0.90, "over 90%"),
    "prof_relationship_score": ("professional_survey", "Mean relationship score (1-5), rater -> ratee", None, "lowest asc<->gp"),
    "prof_trust": ("professional_survey", "Professionals trusting another profession, rater -> ratee", None, "trust gap"),
}


def headline_table() -> pd.DataFrame:
    """The headline ids with their instrument, description and published seed figure."""
    return pd.DataFrame(
        [
            {"indicator": k, "instrument": v[0], "description": v[1], "published": v[2], "published_text": v[3]}
            for k, v in HEADLINES.items()
        ]
    )
