"""Notebook parameters fail early: unknown sites, sites without the data a notebook needs, and
what-ifs outside their parameter's range (ranges read from the YAML by hand below)."""

import pytest
import yaml

from homekit.checks import check_national_parameters, check_site_parameters, check_what_if, sites_with_data
from homekit.exceptions import ParameterError
from homekit.resources import default_parameters

BENEFITS = default_parameters() / "benefits.yaml"


def test_unknown_site_is_named_with_the_sites_there_are(example_dir):
    with pytest.raises(ParameterError) as info:
        check_site_parameters("atlantis", data_dir=str(example_dir))
    assert "'atlantis' is not a site" in str(info.value) and "barnsley" in str(info.value)
    check_site_parameters("barnsley", data_dir=str(example_dir))


def test_site_without_the_data_the_notebook_needs(example_dir):
    # barnsley has no case reviews in the example data (its case_reviews rows are for other sites)
    assert "barnsley" not in sites_with_data(example_dir, ["case_reviews"])["case_reviews"]
    with pytest.raises(ParameterError) as info:
        check_site_parameters("barnsley", data_dir=str(example_dir), needs=("case_reviews",))
    assert "no case_reviews rows" in str(info.value) and "wiltshire" in str(info.value)
    check_site_parameters("wiltshire", data_dir=str(example_dir), needs=("case_reviews",))


def test_site_listed_without_any_evidence(example_copy):
    with open(example_copy / "sites.csv", "a", encoding="utf-8") as fh:
        fh.write("atlantis,Atlantis,1,England,1000,200,2,Nowhere\n")
    with pytest.raises(ParameterError, match="nothing to report"):
        check_site_parameters("atlantis", data_dir=str(example_copy))


def test_instruments_parameter_must_name_instruments():
    with pytest.raises(ParameterError, match="'no_such_instrument' is not an instrument"):
        check_site_parameters("barnsley", data_slice="/anything.pkl", instruments=["no_such_instrument"])


def test_national_sites_checked(example_dir):
    with pytest.raises(ParameterError, match="'atlantis' is not a site"):
        check_national_parameters(["barnsley", "atlantis"], data_dir=str(example_dir))
    with pytest.raises(ParameterError, match="must be a list"):
        check_national_parameters("barnsley")
    check_national_parameters([], data_dir=str(example_dir))


def test_what_if_inside_the_range_is_accepted_and_outside_refused():
    spec = yaml.safe_load(BENEFITS.read_text())["assumptions"]["realisation_rate"]
    assert (spec["low"], spec["high"]) == (0.25, 0.75)  # the range the message must quote
    assert check_what_if({"realisation_rate": 0.3}, BENEFITS) == {"realisation_rate": 0.3}
    with pytest.raises(ParameterError) as info:
        check_what_if({"realisation_rate": 30}, BENEFITS)
    assert "outside the parameter's range 0.25 to 0.75" in str(info.value)
    for bad, message in (({"realisation_rate": "high"}, "must be a number"), ({"realisation": 0.3}, "not a parameter"),
                         ({"realisation_rate": float("nan")}, "outside")):
        with pytest.raises(ParameterError, match=message):
            check_what_if(bad, BENEFITS)


def _run(tmp_path, notebook, parameters, name):
    from homekit.pipeline import execute_task

    task = {"name": name, "notebook": notebook, "output_notebook": str(tmp_path / f"{name}.ipynb"), "parameters": parameters,
            "timeout": 600, "task_file": str(tmp_path / f"{name}.json"), "result": str(tmp_path / f"{name}_r.json")}
    return execute_task(task)


def test_benefits_notebook_refuses_a_what_if_in_its_first_cell(tmp_path, example_dir):
    params = {"data_dir": str(example_dir), "benefits_file": str(BENEFITS)}
    res = _run(tmp_path, "benefits_model.ipynb", {**params, "what_if": {"realisation_rate": 30}}, "bad")
    assert res["status"] == "failed" and "outside the parameter's range 0.25 to 0.75" in res["error"]
    assert res["error"].startswith("cell 3:")  # the check cell, right after the parameters and the injected ones
    res = _run(tmp_path, "benefits_model.ipynb", {**params, "site_id": "barnsley"}, "nocases")
    assert res["status"] == "failed" and "no case_reviews rows" in res["error"]
    res = _run(tmp_path, "benefits_model.ipynb", {**params, "what_if": {"realisation_rate": 0.3}}, "good")
    assert res["status"] == "ok", res["error"]
