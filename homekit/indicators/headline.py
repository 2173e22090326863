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


#: Readable names of every indicator id homekit produces (headlines included).
INDICATOR_LABELS: dict[str, str] = {
    **{k: v[1] for k, v in HEADLINES.items()},
    "gp_gp_better_assessor": "GPs saying GPs assess need for residential care better",
    "gp_response_rate": "GP survey response rate (of GP headcount)",
    "gp_unaware_service": "GPs unaware of the service where the site provides it",
    "gp_service_rated_poor": "GPs aware of the service rating it poor or very poor",
    "gp_service_rated_good": "GPs aware of the service rating it good or very good",
    "gp_likert_top2": "GP survey item: top-two answers",
    "gp_likert_bottom2": "GP survey item: bottom-two answers",
    "gp_likert_net": "GP survey item: net score (top-two minus bottom-two)",
    "gp_likert_mean": "GP survey item: mean answer code",
    "gp_likert_missing": "GP survey item: missing answers",
    "op_influenced_by": "Older people influenced by",
    "op_most_influential": "Older people naming as most influential",
    "op_trust_gp_advice": "Older people trusting their GP's advice about care",
    "op_likert_top2": "Older people survey item: top-two answers",
    "op_likert_bottom2": "Older people survey item: bottom-two answers",
    "op_likert_net": "Older people survey item: net score",
    "op_likert_mean": "Older people survey item: mean answer code",
    "op_likert_missing": "Older people survey item: missing answers",
    "prof_admission_factor_frequent": "Unnecessary admissions: factor cited frequently or very frequently",
    "prof_delay_factor_frequent": "Delayed discharges: factor cited frequently or very frequently",
    "prof_wrong_pathway_factor_frequent": "Wrong-pathway discharges: factor cited frequently or very frequently",
    "case_ideal_less_intensive": "Improvable decisions where the ideal pathway was less intensive",
    "case_weekly_cost_difference": "Weekly cost of actual minus ideal pathway, improvable cases (GBP)",
    "case_care_hours_fell": "Reviewed packages whose weekly care hours fell after review",
    "case_reablement_suitable": "Cases the team judged suitable for reablement",
    "flow_care_home_admissions_rate": "Permanent care home admissions 65+ per 100,000 population 65+",
    "flow_reablement_at_home_91days": "At home 91 days after reablement",
    "flow_delayed_days_share": "Share of delayed days by attribution",
    "flow_discharge_pathway_share": "Share of discharges by pathway",
    "interview_theme_share": "Interviews raising the theme",
}
