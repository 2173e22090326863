"""Survey rounds in one data folder: validation per round, period labels, latest round."""

import pandas as pd
import pytest

import homekit
from homekit.rounds import latest_round, period_key, period_label, rounds_of

HEADER_EXTRA = "survey_round"


def _gp_csv(example_dir, rows):
    """GP survey rows (respondent_id, survey_year, survey_round) copied from the example answers."""
    gp = pd.read_csv(example_dir / "gp_survey.csv", dtype=str, keep_default_na=False).head(len(rows)).copy()
    gp["site_id"] = "barnsley"
    gp["respondent_id"] = [r[0] for r in rows]
    gp["survey_year"] = [str(r[1]) for r in rows]
    gp["survey_round"] = [str(r[2]) for r in rows]
    return gp


def test_period_labels():
    assert period_label(2019, 1) == "2019"
    assert period_label(2019, None) == "2019"
    assert period_label(2019, 2) == "2019-2"
    assert sorted(["2019-2", "2013", "2019"], key=period_key) == ["2013", "2019", "2019-2"]


def test_rounds_in_one_file_are_valid(example_dir, tmp_path):
    # The same id in two rounds of one year (2019 round 1 and round 2) and in 2013: all valid.
    gp = _gp_csv(example_dir, [("r1", 2013, ""), ("r1", 2019, ""), ("r1", 2019, "2"), ("r2", 2019, "2")])
    gp.to_csv(tmp_path / "gp_survey.csv", index=False)
    table = homekit.load("gp_survey", tmp_path / "gp_survey.csv")
    assert table["survey_round"].tolist() == [1, 1, 2, 2]  # blank is round 1
    periods = rounds_of(table)["period"].tolist()
    assert periods == ["2013", "2019", "2019-2"]
    assert latest_round(table)["respondent_id"].tolist() == ["r1", "r2"]


def test_duplicate_respondent_within_a_round_names_file_row_column(example_dir, tmp_path):
    gp = _gp_csv(example_dir, [("r1", 2013, ""), ("r1", 2019, ""), ("r2", 2019, ""), ("r1", 2019, "1")])
    gp.to_csv(tmp_path / "gp_survey.csv", index=False)
    with pytest.raises(homekit.ValidationError) as info:
        homekit.load("gp_survey", tmp_path / "gp_survey.csv")
    problems = info.value.problems
    assert len(problems) == 1
    p = problems[0]
    # Row 5 as a person sees it in Excel (header is row 1): the second r1 of round 2019-1.
    assert (p.file, p.row, p.column, p.value) == ("gp_survey.csv", 5, "respondent_id", "r1")
    assert "unique respondent_id within its site and survey round" in p.expected


def test_other_rules_still_apply_per_round(example_dir, tmp_path):
    gp = _gp_csv(example_dir, [("r1", 2013, ""), ("r1", 2019, "0")])  # round 0 is not a round
    gp.to_csv(tmp_path / "gp_survey.csv", index=False)
    with pytest.raises(homekit.ValidationError) as info:
        homekit.load("gp_survey", tmp_path / "gp_survey.csv")
    assert [(p.row, p.column) for p in info.value.problems] == [(3, "survey_round")]


def test_dataset_latest_keeps_each_sites_latest_round(example_dir):
    data = homekit.load_data_dir(example_dir)
    years = data.latest()["gp_survey"].groupby("site_id").survey_year.unique()
    assert years["barnsley"].tolist() == [2019] and years["birmingham"].tolist() == [2014]
    # Instruments without rounds are untouched.
    assert len(data.latest()["case_reviews"]) == len(data["case_reviews"])
