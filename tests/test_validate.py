"""Validation reports every problem at once, located by file, row, column and value; writes nothing."""

import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

import homekit
from homekit.io import sha256


def _read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(df, path):
    df.to_csv(path, index=False)


def _snapshot(d):
    return {p.name: sha256(p) for p in sorted(d.iterdir())}


def break_example(d):
    """Break a copy of the example data in many distinct ways; returns the problems expected."""
    expected = []  # (file, row, column, value or None)

    gp = _read(d / "gp_survey.csv")
    gp.loc[3, "trust_asc"] = "Maybe"  # 1 unknown label
    expected.append(("gp_survey.csv", 5, "trust_asc", "Maybe"))
    i = gp.index[gp["aware_telecare"] == "No"][0]
    gp.loc[i, "quality_telecare"] = "Good"  # 2 quality given while unaware
    expected.append(("gp_survey.csv", i + 2, "quality_telecare", "Good"))
    gp.loc[10, "survey_year"] = "twenty"  # 3 wrong type
    expected.append(("gp_survey.csv", 12, "survey_year", "twenty"))
    _write(gp, d / "gp_survey.csv")

    case = _read(d / "case_reviews.csv").drop(columns=["primary_reason"])  # 4 missing required column
    expected.append(("case_reviews.csv", None, "primary_reason", None))
    _write(case, d / "case_reviews.csv")

    prof = _read(d / "professional_survey.csv")
    prof.loc[20, "respondent_id"] = prof.loc[19, "respondent_id"]  # 5 duplicate respondent
    prof.loc[20, "site_id"] = prof.loc[19, "site_id"]
    expected.append(("professional_survey.csv", 22, "respondent_id", prof.loc[19, "respondent_id"]))
    j = prof.index[prof["profession"] != "gp"][0]
    prof.loc[j, "relationship_gp"] = "7"  # 6 out-of-range score
    expected.append(("professional_survey.csv", j + 2, "relationship_gp", "7"))
    k = prof.index[prof["profession"] == "asc"][3]
    prof.loc[k, "trust_asc"] = "Agree"  # 7 rating one's own profession
    expected.append(("professional_survey.csv", k + 2, "trust_asc", "Agree"))
    _write(prof, d / "professional_survey.csv")

    services = _read(d / "services.csv")
    services.loc[2, "site_id"] = "atlantis"  # 8 unknown site
    expected.append(("services.csv", 4, "site_id", "atlantis"))
    _write(services, d / "services.csv")

    flow = _read(d / "flow_metrics.csv")
    flow.loc[5, "period"] = "2014-13"  # 9 bad period
    expected.append(("flow_metrics.csv", 7, "period", "2014-13"))
    flow.loc[6, "value"] = "-3"  # 10 negative metric value
    expected.append(("flow_metrics.csv", 8, "value", "-3"))
    _write(flow, d / "flow_metrics.csv")

    (d / "interventions.csv").write_text("")  # 11 empty file
    expected.append(("interventions.csv", None, None, "empty file"))

    # 12 an xlsx cell holding a formula with no saved value (as written by a non-calculating tool)
    op = _read(d / "older_people_survey.csv")
    (d / "older_people_survey.csv").unlink()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "older_people_survey"
    ws.append(list(op.columns))
    for row in op.itertuples(index=False):
        ws.append(list(row))
    col = list(op.columns).index("planned_ahead") + 1
    ws.cell(row=6, column=col, value='=IF(A6="","Yes","No")')
    wb.save(d / "older_people_survey.xlsx")
    expected.append(("older_people_survey.xlsx", 6, "planned_ahead", '=IF(A6="","Yes","No")'))

    sites = _read(d / "sites.csv")
    sites.loc[1, "nation"] = "Atlantis"  # 13 unknown nation
    expected.append(("sites.csv", 3, "nation", "Atlantis"))
    _write(sites, d / "sites.csv")

    cases_dates = None  # review dates are checked in test_bad_date below
    del cases_dates
    return expected


def test_every_problem_reported_at_once(example_copy):
    expected = break_example(example_copy)
    with pytest.raises(homekit.ValidationError) as info:
        homekit.load_data_dir(example_copy)
    err = info.value
    found = {(p.file, p.row, p.column, p.value) for p in err.problems}
    for file, row, column, value in expected:
        matches = [f for f in found if f[0] == file and f[1] == row and f[2] == column and (value is None or f[3] == value)]
        assert matches, f"not reported: {file} row {row} column {column} value {value!r}\n{err.table()}"
    # Nothing else is reported: each breakage gives exactly the problems it should.
    assert len(err.problems) == len(expected), err.table()
    text = str(err)
    assert "gp_survey.csv" in text and "Maybe" in text and "agree4" in text
    frame = err.to_frame()
    assert list(frame.columns) == ["file", "row", "column", "value", "expected"]


def test_validate_cli_prints_table_exits_1_and_writes_nothing(example_copy):
    break_example(example_copy)
    before = _snapshot(example_copy)
    res = subprocess.run([sys.executable, "-m", "homekit.cli", "validate", str(example_copy)], capture_output=True, text=True)
    assert res.returncode == 1
    assert "13 problems found" in res.stdout
    assert "atlantis" in res.stdout and "quality_telecare" in res.stdout
    assert _snapshot(example_copy) == before


def test_validate_cli_summary_on_valid_data(example_dir):
    res = subprocess.run([sys.executable, "-m", "homekit.cli", "validate", str(example_dir)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout
    assert "gp_survey" in res.stdout and "440" in res.stdout  # 268 first-round + 172 second-round (2019) GP responses


def _services(tmp_path, body):
    p = tmp_path / "services.csv"
    p.write_text("site_id,service,available\n" + body)
    return p


def test_labels_case_and_spaces_ignored_codes_accepted(tmp_path):
    p = tmp_path / "gp.csv"
    df = homekit.load("services", _services(tmp_path, "a,  TELECARE ,  yes \nb,reablement,0\n"))
    assert df["service"].tolist() == ["telecare", "reablement"]
    assert df["available"].tolist() == ["Yes", "No"]
    del p


def test_missing_reasons_kept(tmp_path):
    p = tmp_path / "older.csv"
    header = ("respondent_id,site_id,survey_year,age_band,influence_gp,influence_family,influence_social_worker,"
              "influence_hospital_staff,influence_friends,influence_self,most_influential,planned_ahead,trust_gp_advice\n")
    p.write_text(header + "1,a,2013,85+,Yes,,Don't know,n/a,Not Applicable,No,Family,No,Agree\n")
    df = homekit.load("older_people_survey", p)
    assert pd.isna(df.at[0, "influence_family"]) and df.at[0, "influence_family__missing"] == "blank"
    assert df.at[0, "influence_social_worker__missing"] == "dont_know"
    assert df.at[0, "influence_hospital_staff__missing"] == "not_applicable"
    assert df.at[0, "influence_friends__missing"] == "not_applicable"
    assert pd.isna(df.at[0, "influence_gp__missing"])
    assert df["trust_gp_advice"].cat.ordered and list(df["trust_gp_advice"].cat.categories)[0] == "Strongly disagree"


def test_dont_know_is_an_answer_for_better_assessor(tmp_path):
    from homekit.example_data import make_example_data

    gp = make_example_data()["gp_survey"].head(3).copy()
    gp.loc[0, "better_assessor_residential"] = "don't know"
    p = tmp_path / "gp_survey.csv"
    gp.to_csv(p, index=False)
    df = homekit.load("gp_survey", p)
    assert df.at[0, "better_assessor_residential"] == "Don't know"
    assert pd.isna(df.at[0, "better_assessor_residential__missing"])


def test_bad_date_and_extra_columns(tmp_path):
    from homekit.example_data import make_example_data

    cases = make_example_data()["case_reviews"].head(4).copy()
    cases["panel_notes"] = "kept"
    cases.loc[1, "review_date"] = "2016-02-30"
    p = tmp_path / "case_reviews.csv"
    cases.to_csv(p, index=False)
    with pytest.raises(homekit.ValidationError) as info:
        homekit.load("case_reviews", p)
    assert [(q.row, q.column, q.value) for q in info.value.problems] == [(3, "review_date", "2016-02-30")]
    cases.loc[1, "review_date"] = "2016-02-28"
    cases.to_csv(p, index=False)
    df = homekit.load("case_reviews", p)
    assert df["panel_notes"].tolist() == ["kept"] * 4
    assert str(df["review_date"].dtype).startswith("datetime64")


def test_missing_sites_file_is_a_problem(tmp_path):
    _services(tmp_path, "a,telecare,Yes\n")
    with pytest.raises(homekit.ValidationError) as info:
        homekit.load_data_dir(tmp_path)
    assert any(p.file == "sites.csv" for p in info.value.problems)


def test_long_view(example_dir):
    gp = homekit.load("gp_survey", example_dir / "gp_survey.csv")
    lv = homekit.long_view(gp.head(5), "gp_survey", items=["trust_asc", "value_closer_links"])
    assert list(lv.columns) == ["site_id", "survey_year", "survey_round", "respondent_id", "item", "code", "label", "missing_reason"]
    assert len(lv) == 10
    row = lv[(lv.item == "trust_asc")].iloc[0]
    labels = {"Strongly disagree": 1, "Disagree": 2, "Agree": 3, "Strongly agree": 4}
    if pd.notna(row["label"]):
        assert row["code"] == labels[row["label"]]


def test_cli_example_data_then_validate(tmp_path):
    d = tmp_path / "x"
    res = subprocess.run([sys.executable, "-m", "homekit.cli", "example-data", str(d)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([sys.executable, "-m", "homekit.cli", "validate", str(d)], capture_output=True, text=True)
    assert res.returncode == 0 and "valid" in res.stdout


# ----------------------------------------------------------------------------------------------
# Stage 2 files: a data folder of sites.csv and the five new files only
# ----------------------------------------------------------------------------------------------

_B = ["home_first", "alternatives_considered", "risk_shared", "right_not_available", "stabilise_at_home", "feedback_given",
      "trust_partners", "time_for_conversations"]


def stage2_folder(d):
    """A small valid folder with sites.csv and the five Stage 2 files (two sites)."""
    d.mkdir(exist_ok=True)
    (d / "sites.csv").write_text(
        "site_id,site_name,wave,nation,population,population_65plus,gp_count\n"
        "alpha,Alpha,1,England,100000,20000,60\nbeta,Beta,1,England,90000,18000,50\n")
    head = "respondent_id,site_id,survey_year,staff_level,profession,organisation," + ",".join(f"behaviour_{b}" for b in _B) + ",comment\n"
    rows = ["r1,alpha,2019,senior,asc,council," + ",".join(["Agree"] * 8) + ",fine",
            "r2,alpha,2019,frontline,hospital_clinical,acute_trust," + ",".join(["Disagree"] * 7 + ["Don't know"]) + ",",
            "r1,beta,2019,Frontline,GP,gp_practice," + ",".join(["4"] * 8) + ","]
    (d / "culture_survey.csv").write_text(head + "\n".join(rows) + "\n")
    (d / "observations.csv").write_text(
        "observation_id,site_id,date,setting,behaviour,seen,note\n"
        "o1,alpha,2019-05-02,ward,home_first,desired,\no1,alpha,2019-05-02,ward,risk_shared,mixed,busy ward\n"
        "o2,beta,2019-05-03,discharge_meeting,home_first,undesired,\n")
    (d / "comms_review.csv").write_text(
        "item_id,site_id,audience,channel,promotes_home_first,plain_language,sets_expectations,risk_framing\n"
        "c1,alpha,person,leaflet,Yes,Yes,No,averse\nc2,alpha,family,letter,No,Yes,,neutral\nc1,beta,staff,script,Y,N,Y,enabling\n")
    (d / "hypotheses.csv").write_text(
        "hypothesis_id,site_id,behaviour,barrier,evidence,status\n"
        "h1,alpha,home_first,Staff see a bed as the safe option,culture_behaviour_agree; obs_behaviour_desired,verified\n"
        "h2,alpha,risk_shared,Risk sits with one person,culture_level_gap,open\nh1,beta,home_first,Beds feel safe,,open\n")
    (d / "opportunities.csv").write_text(
        "opportunity_id,site_id,name,pathway_stage,action_type,lever,status,impact,ease,alignment,benefit_stream,share_of_stream,"
        "hypothesis_id\n"
        "o1,alpha,Home first discharge,post_crisis,other,process,approved,5,2,5,nhs_bed_days,0.3,h1\n"
        "o2,alpha,Risk training,crisis_response,training,behaviour_culture,long_list,4,3,4,,,h2\n"
        "o1,beta,Directory for GPs,prevention,information_access,process,short_list,3,5,3,admission_avoidance,0.05,\n")
    return d


def test_stage2_only_folder_validates(tmp_path):
    data = homekit.load_data_dir(stage2_folder(tmp_path / "data"))
    assert set(data.tables) == {"sites", "culture_survey", "observations", "comms_review", "hypotheses", "opportunities"}
    cs = data["culture_survey"]
    assert cs["staff_level"].tolist() == ["senior", "frontline", "frontline"]  # case folded
    assert cs["profession"].tolist()[2] == "gp"
    assert cs["behaviour_home_first"].tolist()[2] == "Strongly agree"  # code 4
    assert cs["behaviour_time_for_conversations__missing"].tolist()[1] == "dont_know"
    assert data["comms_review"]["sets_expectations__missing"].tolist()[1] == "blank"
    assert data["opportunities"]["impact"].tolist() == [5, 4, 3]


def test_stage2_bad_values_all_reported_at_once(tmp_path):
    d = stage2_folder(tmp_path / "data")
    cs = _read(d / "culture_survey.csv")
    cs.loc[0, "staff_level"] = "manager"
    cs.loc[1, "behaviour_risk_shared"] = "Maybe"
    cs.loc[2, "organisation"] = "nhs"
    _write(cs, d / "culture_survey.csv")
    obs = _read(d / "observations.csv")
    obs.loc[0, "seen"] = "yes"
    obs.loc[1, "date"] = "2019-13-45"
    obs.loc[2, "behaviour"] = "be_kind"
    _write(obs, d / "observations.csv")
    cm = _read(d / "comms_review.csv")
    cm.loc[0, "risk_framing"] = "scary"
    cm.loc[1, "channel"] = "tv"
    _write(cm, d / "comms_review.csv")
    hy = _read(d / "hypotheses.csv")
    hy.loc[0, "evidence"] = "culture_behaviour_agree;made_up_id"
    hy.loc[1, "status"] = "maybe"
    hy.loc[2, "barrier"] = ""
    _write(hy, d / "hypotheses.csv")
    op = _read(d / "opportunities.csv")
    op.loc[0, "impact"] = "6"
    op.loc[0, "share_of_stream"] = "1.5"
    op.loc[1, "hypothesis_id"] = "h9"
    op.loc[1, "benefit_stream"] = "social_care"  # without a share
    op.loc[2, "ease"] = "0"
    op.loc[2, "status"] = "done"
    _write(op, d / "opportunities.csv")
    with pytest.raises(homekit.ValidationError) as err:
        homekit.load_data_dir(d)
    got = {(p.file.split("/")[-1], p.row, p.column, p.value) for p in err.value.problems}
    expected = {
        ("culture_survey.csv", 2, "staff_level", "manager"), ("culture_survey.csv", 3, "behaviour_risk_shared", "Maybe"),
        ("culture_survey.csv", 4, "organisation", "nhs"),
        ("observations.csv", 2, "seen", "yes"), ("observations.csv", 3, "date", "2019-13-45"),
        ("observations.csv", 4, "behaviour", "be_kind"),
        ("comms_review.csv", 2, "risk_framing", "scary"), ("comms_review.csv", 3, "channel", "tv"),
        ("hypotheses.csv", 2, "evidence", "culture_behaviour_agree;made_up_id"), ("hypotheses.csv", 3, "status", "maybe"),
        ("hypotheses.csv", 4, "barrier", ""),
        ("opportunities.csv", 2, "impact", "6"), ("opportunities.csv", 2, "share_of_stream", "1.5"),
        ("opportunities.csv", 3, "share_of_stream", ""), ("opportunities.csv", 4, "ease", "0"),
        ("opportunities.csv", 4, "status", "done"),
    }
    assert expected <= got, expected - got
    by_key = {(p.file.split("/")[-1], p.row, p.column): p.expected for p in err.value.problems}
    assert "unknown: made_up_id" in by_key[("hypotheses.csv", 2, "evidence")]
    assert by_key[("opportunities.csv", 2, "impact")] == "a whole number from 1 to 5"
    assert "0 to 1" in by_key[("opportunities.csv", 2, "share_of_stream")]
    assert "senior" in by_key[("culture_survey.csv", 2, "staff_level")]
    # hypotheses.csv has problems of its own, so opportunities' hypothesis_id is not checked
    # against it (no cascade of false problems).
    assert ("opportunities.csv", 3, "hypothesis_id") not in by_key


def test_stage2_cross_file_rules(tmp_path):
    d = stage2_folder(tmp_path / "data")
    op = _read(d / "opportunities.csv")
    op.loc[1, "hypothesis_id"] = "h9"  # no such hypothesis at alpha
    op.loc[2, "hypothesis_id"] = "h2"  # h2 exists at alpha, not at beta
    _write(op, d / "opportunities.csv")
    (d / "flow_metrics.csv").write_text(
        "site_id,period,metric,value,denominator\n"
        "alpha,2019-01,discharges_home_first,30,50\nalpha,2019-02,discharges_home_first,60,50\n"
        "alpha,2019-03,discharges_home_first,20,\nalpha,2019-04,discharges_home_first,5,0\n"
        "alpha,2019-01,delayed_days_nhs,40,\nalpha,2019-01,Bad Metric,1,\n")
    (d / "interventions.csv").write_text(
        "intervention_id,site_id,name,start_period,metric,desired_direction,opportunity_id,action_type,lever\n"
        "i1,alpha,Home first,2019-03,discharges_home_first,up,o1,other,process\n"
        "i2,alpha,Huddles,2019-03,made_up_metric,down,o7,joint_working,behaviour_culture\n"
        "i3,beta,Directory,2019-03,delayed_days_nhs,down,o1,information_access,lever_x\n")
    with pytest.raises(homekit.ValidationError) as err:
        homekit.load_data_dir(d)
    got = {(p.file.split("/")[-1], p.row, p.column, p.value) for p in err.value.problems}
    assert got == {
        ("opportunities.csv", 3, "hypothesis_id", "h9"), ("opportunities.csv", 4, "hypothesis_id", "h2"),
        ("flow_metrics.csv", 3, "value", "60"),  # more than its denominator
        ("flow_metrics.csv", 4, "denominator", ""),  # the metric has denominators on other rows
        ("flow_metrics.csv", 5, "denominator", "0"),
        ("flow_metrics.csv", 7, "metric", "Bad Metric"),
        ("interventions.csv", 4, "lever", "lever_x"),
    }, got
    # Fix the single-file problems: the cross-file rules of interventions now run too.
    (d / "flow_metrics.csv").write_text(
        "site_id,period,metric,value,denominator\nalpha,2019-01,discharges_home_first,30,50\nalpha,2019-01,delayed_days_nhs,40,\n")
    iv = _read(d / "interventions.csv")
    iv.loc[2, "lever"] = "process"
    _write(iv, d / "interventions.csv")
    with pytest.raises(homekit.ValidationError) as err:
        homekit.load_data_dir(d)
    got = {(p.file.split("/")[-1], p.row, p.column, p.value) for p in err.value.problems}
    assert ("interventions.csv", 3, "metric", "made_up_metric") in got
    assert ("interventions.csv", 3, "opportunity_id", "o7") in got
    assert ("interventions.csv", 4, "opportunity_id", "o1") not in got  # o1 exists at beta too
    expected = {p.column: p.expected for p in err.value.problems if p.file.endswith("interventions.csv")}
    assert "custom metric present in flow_metrics.csv" in expected["metric"]


def test_case_review_practice_columns_all_problems_at_once(tmp_path):
    """The optional columns of the second release (prior_setting, review_interval_days,
    delay_reason) are checked like every other: each bad cell named with its row and what was
    expected, all at once."""
    from homekit.example_data import make_example_data

    cases = make_example_data()["case_reviews"].head(6).copy()
    cases["prior_setting"] = ["short_term_medical", "Home", "hospital", "", "care_home", "other"]
    cases["review_interval_days"] = ["14", "", "-2", "two weeks", "90", "3.5"]
    cases["delay_reason"] = ["awaiting_care_home", "", "waiting", "Family_Choice", "clinical", "other"]
    p = tmp_path / "case_reviews.csv"
    cases.to_csv(p, index=False)
    with pytest.raises(homekit.ValidationError) as info:
        homekit.load("case_reviews", p)
    found = sorted((q.row, q.column, q.value) for q in info.value.problems)
    assert found == [(4, "delay_reason", "waiting"), (4, "prior_setting", "hospital"), (4, "review_interval_days", "-2"),
                     (5, "review_interval_days", "two weeks"), (7, "review_interval_days", "3.5")]
    by_column = {q.column: q.expected for q in info.value.problems}
    assert "short_term_medical" in by_column["prior_setting"] and "awaiting_intermediate_care" in by_column["delay_reason"]
    assert "whole number" in by_column["review_interval_days"]
    cases.loc[[2, 3, 5], "review_interval_days"] = ["2", "", "3"]
    cases.loc[2, ["prior_setting", "delay_reason"]] = ["home", "awaiting_assessment"]
    cases.to_csv(p, index=False)
    df = homekit.load("case_reviews", p)
    assert df["prior_setting"].tolist()[:2] == ["short_term_medical", "home"] and pd.isna(df.at[3, "prior_setting"])
    assert df["delay_reason"].tolist()[3] == "family_choice"
    assert df["review_interval_days"].tolist()[0] == 14 and pd.isna(df.at[1, "review_interval_days"])
