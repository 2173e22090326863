"""The data dictionary against the data contract (../shared/spec/instruments.md), and the templates."""

import openpyxl
import pandas as pd
import pytest

from conftest import ROOT
from homekit.instruments import INSTRUMENTS, SCALES, dictionary_frame, normalise_token
from homekit.templates import WORKBOOK_NAME, write_templates

# Required columns copied from the data contract, written out by hand (not generated).
SERVICES = ["reablement", "telecare", "intermediate_care", "home_care", "day_care", "carers_support",
            "extra_care_housing", "falls_prevention"]
SPEC_REQUIRED = {
    "sites": ["site_id", "site_name", "wave", "nation", "population", "population_65plus", "gp_count"],
    "services": ["site_id", "service", "available"],
    "gp_survey": ["respondent_id", "site_id", "survey_year", "relationship_social_care", "trust_asc",
                  "trust_discharge_team", "better_assessor_residential", "value_closer_links",
                  *[f"{p}_{s}" for s in SERVICES for p in ("aware", "quality")],
                  "motivator_fewer_home_visits", "motivator_financial_incentive"],
    "older_people_survey": ["respondent_id", "site_id", "survey_year", "age_band", "influence_gp", "influence_family",
                            "influence_social_worker", "influence_hospital_staff", "influence_friends",
                            "influence_self", "most_influential", "planned_ahead", "trust_gp_advice"],
    "professional_survey": ["respondent_id", "site_id", "survey_year", "profession",
                            *[f"admission_factor_{f}" for f in ["risk_aversion", "alternatives_not_known",
                              "alternatives_not_considered", "community_capacity", "family_pressure", "out_of_hours_access"]],
                            *[f"delay_factor_{f}" for f in ["stabilise_in_hospital", "awaiting_assessment",
                              "awaiting_care_package", "risk_aversion", "family_choice"]],
                            *[f"wrong_pathway_factor_{f}" for f in ["free_up_beds", "what_is_available",
                              "time_pressure", "incomplete_assessment"]],
                            *[f"{k}_{p}" for k in ("trust", "relationship")
                              for p in ["asc", "gp", "hospital_discharge", "hospital_clinical", "community_health"]]],
    "case_reviews": ["case_id", "site_id", "review_date", "decision_point", "actual_pathway", "ideal_pathway",
                     "alternative_available", "primary_reason"],
    "flow_metrics": ["site_id", "period", "metric", "value"],
    "interventions": ["intervention_id", "site_id", "name", "start_period", "metric", "desired_direction"],
    "interviews": ["interview_id", "site_id", "stakeholder_group", "theme", "sentiment"],
}


@pytest.mark.parametrize("instrument", list(SPEC_REQUIRED))
def test_required_columns_match_contract(instrument):
    assert sorted(INSTRUMENTS[instrument].required_columns) == sorted(SPEC_REQUIRED[instrument])


def test_scale_labels_and_codes_match_contract():
    assert SCALES["quality5"].levels == ("Very poor", "Poor", "Neither good nor poor", "Good", "Very good")
    assert SCALES["agree4"].levels == ("Strongly disagree", "Disagree", "Agree", "Strongly agree")
    assert SCALES["frequency5"].levels == ("Never", "Infrequently", "Sometimes", "Frequently", "Very frequently")
    assert SCALES["value4"].levels == ("Would not value at all", "Would not value", "Would value", "Would strongly value")
    assert SCALES["quality5"].normalise("4") == "Good"
    assert SCALES["agree4"].normalise("1") == "Strongly disagree"


@pytest.mark.parametrize(
    "raw, expected",
    [("  very   POOR ", "Very poor"), ("Neither Good nor Poor", "Neither good nor poor"), ("5", "Very good"),
     ("good ", "Good"), ("Excellent", None), ("6", None)],
)
def test_quality_labels_normalised(raw, expected):
    assert SCALES["quality5"].normalise(raw) == expected


@pytest.mark.parametrize("raw, expected", [("Y", "Yes"), ("n", "No"), ("TRUE", "Yes"), ("false", "No"), ("1", "Yes"),
                                           ("0", "No"), ("yes", "Yes"), ("maybe", None)])
def test_yesno_aliases(raw, expected):
    assert SCALES["yesno"].normalise(raw) == expected


def test_normalise_token_folds_spaces_and_apostrophes():
    assert normalise_token("Don\u2019t   Know ") == "don't know"


def test_dictionary_has_every_column_once():
    d = dictionary_frame()
    assert not d.duplicated(["instrument", "column"]).any()
    assert set(d["instrument"]) == set(INSTRUMENTS)
    assert (d["question"].str.len() > 5).all()


def test_committed_templates_are_up_to_date(tmp_path):
    write_templates(tmp_path)
    for inst in INSTRUMENTS:
        committed = (ROOT / "data_templates" / f"{inst}.csv").read_text()
        assert committed == (tmp_path / f"{inst}.csv").read_text(), f"run `make templates` ({inst})"
        assert committed.strip().split(",") == INSTRUMENTS[inst].names
    pd.testing.assert_frame_equal(
        pd.read_csv(ROOT / "data_templates" / "dictionary.csv"), pd.read_csv(tmp_path / "dictionary.csv")
    )


def test_workbook_has_dropdowns_and_readme():
    wb = openpyxl.load_workbook(ROOT / "data_templates" / WORKBOOK_NAME)
    assert wb.sheetnames[0] == "read_me"
    assert set(INSTRUMENTS) <= set(wb.sheetnames)
    readme_text = " ".join(str(c.value) for row in wb["read_me"].iter_rows() for c in row if c.value)
    assert "How would you rate the quality of your relationship with social care?" in readme_text
    ws = wb["gp_survey"]
    header = [c.value for c in ws[1]]
    col = header.index("trust_asc") + 1
    letter = openpyxl.utils.get_column_letter(col)
    dvs = [dv for dv in ws.data_validations.dataValidation if any(str(r).startswith(letter + "2") for r in dv.sqref.ranges)]
    assert dvs and dvs[0].type == "list"
    ref = dvs[0].formula1  # e.g. lists!$C$1:$C$6
    sheet, cells = ref.split("!")
    values = [c.value for row in wb[sheet][cells.replace("$", "")] for c in row]
    assert values[:4] == ["Strongly disagree", "Disagree", "Agree", "Strongly agree"]
    assert "Don't know" in values


def test_every_computed_indicator_is_in_the_dictionary_with_a_polarity(example_dir):
    import homekit
    from homekit.indicators import compute_indicators
    from homekit.instruments import INDICATORS, POLARITIES

    data = homekit.load_data_dir(example_dir)
    ids = set(compute_indicators(data).indicator) | set(compute_indicators(data, level="national").indicator)
    assert ids <= set(INDICATORS), sorted(ids - set(INDICATORS))
    assert all(INDICATORS[i].polarity in POLARITIES for i in ids)
    # The contract's examples (second release).
    assert INDICATORS["gp_trust_asc"].polarity == "higher_is_better"
    assert INDICATORS["gp_relationship_poor"].polarity == "lower_is_better"
    # Opinions of professionals and data about people who use services take different rules.
    assert INDICATORS["gp_trust_asc"].subjects == "professional"
    assert INDICATORS["op_planned_ahead"].subjects == "people"
