"""Disclosure control: small counts, small bases, complements, rounding, secondary suppression,
and a batch where one site has only six GP responses."""

import re

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from homekit import disclosure
from homekit.disclosure import DisclosureRules, disclose_counts, disclose_indicators, load_rules, publish_count


def _rows(records):
    base = {"site_id": "a", "group": "", "lower": 0.1, "upper": 0.9, "method": "Wilson"}
    df = pd.DataFrame([{**base, **r} for r in records])
    df["estimate"] = df["numerator"] / df["denominator"]
    return df


def test_defaults_match_parameters_file():
    assert load_rules(ROOT / "parameters" / "disclosure.yaml", "site") == DisclosureRules()
    assert load_rules(ROOT / "parameters" / "disclosure.yaml", "national").apply is False


@pytest.mark.parametrize(
    "num, den, suppressed, shown_num, shown_den",
    [
        (5, 40, True, None, 40),  # count 1-7
        (8, 40, False, 10, 40),  # rounded to 5
        (12, 40, False, 10, 40),  # 12 -> 10
        (13, 40, False, 15, 40),  # 13 -> 15
        (0, 40, False, 0, 40),  # zero is not disclosive
        (36, 40, True, None, 40),  # complement 4 is 1-7
        (8, 9, True, None, 10),  # base under 10 (9 rounds to 10, not 1-7)
        (3, 6, True, None, None),  # base 1-7 blanked
        (40, 40, False, 40, 40),  # complement 0
    ],
)
def test_primary_suppression_and_rounding(num, den, suppressed, shown_num, shown_den):
    out = disclose_indicators(_rows([{"indicator": "x", "numerator": num, "denominator": den}]), DisclosureRules()).iloc[0]
    assert bool(out["suppressed"]) is suppressed
    if suppressed:
        assert np.isnan(out["numerator"]) and np.isnan(out["estimate"]) and np.isnan(out["lower"]) and np.isnan(out["upper"])
    else:
        assert out["numerator"] == shown_num
        assert out["estimate"] == pytest.approx(num / den)
    if shown_den is None:
        assert np.isnan(out["denominator"])
    else:
        assert out["denominator"] == shown_den


def test_secondary_suppression_in_a_partition():
    groups = {"GP": 20, "Family": 30, "Friends": 3, "Self": 10, "Other": 12}
    df = _rows([{"indicator": "op_most_influential", "group": g, "numerator": n, "denominator": 75} for g, n in groups.items()])
    out = disclose_indicators(df, DisclosureRules()).set_index("group")
    assert out.loc["Friends", "suppressed"]
    assert out.loc["Self", "suppressed"]  # the next smallest, so Friends cannot be recovered from the total
    assert out["suppressed"].sum() == 2


def test_likert_net_withheld_with_its_parts():
    df = _rows([
        {"indicator": "gp_likert_top2", "group": "trust_asc", "numerator": 25, "denominator": 30},
        {"indicator": "gp_likert_bottom2", "group": "trust_asc", "numerator": 5, "denominator": 30},
        {"indicator": "gp_likert_net", "group": "trust_asc", "numerator": 20, "denominator": 30, "method": "top-two minus bottom-two share"},
    ])
    out = disclose_indicators(df, DisclosureRules()).set_index("indicator")
    assert out["suppressed"].all()


def test_national_unrestricted():
    df = _rows([{"indicator": "x", "numerator": 3, "denominator": 6}])
    out = disclose_indicators(df, load_rules(None, "national")).iloc[0]
    assert not out["suppressed"] and out["numerator"] == 3 and out["denominator"] == 6


def test_publish_count_and_tables():
    rules = DisclosureRules()
    assert [publish_count(n, rules) for n in (0, 1, 7, 8, 12, 1234)] == ["0", "[c]", "[c]", "10", "10", "1,235"]
    t = pd.DataFrame({"a": [10, 3, 0], "b": [20, 30, 40], "c": [9, 12, 2]})
    shown = disclose_counts(t, rules)
    assert shown.loc[1, "a"] == "[c]" and shown.loc[1, "c"] == "[c]"  # secondary: next smallest in the row
    assert shown.loc[2, "c"] == "[c]" and shown.loc[2, "a"] == "0"
    assert shown.loc[0].tolist() == ["10", "20", "10"]


def test_bad_rules_file(tmp_path):
    p = tmp_path / "d.yaml"
    p.write_text("site:\n  rounding_base: -5\n")
    with pytest.raises(Exception, match="rounding_base"):
        load_rules(p)
    p.write_text("site:\n  suppress_everything: true\n")
    with pytest.raises(Exception, match="suppress_everything"):
        load_rules(p)


# ------------------------------------------------------------------------------------------------
# A batch with one site shrunk to six GP responses
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shrunk_run(example_dir, tmp_path_factory):
    import shutil

    from homekit import pipeline

    data = tmp_path_factory.mktemp("shrunk") / "data"
    shutil.copytree(example_dir, data)
    gp = pd.read_csv(data / "gp_survey.csv", dtype=str, keep_default_na=False)
    keep = gp[gp.site_id != "barnsley"].index.tolist() + gp[gp.site_id == "barnsley"].index[:6].tolist()
    gp.loc[sorted(keep)].to_csv(data / "gp_survey.csv", index=False)
    out = tmp_path_factory.mktemp("shrunk_out") / "out"
    result = pipeline.run(data, out, sites=["barnsley", "wiltshire"], jobs=2, progress=False)
    return result


def test_no_small_count_or_small_base_published_for_shrunk_site(shrunk_run):
    out = shrunk_run.output_dir
    assert shrunk_run.exit_code == 0
    ind = pd.read_csv(out / "sites" / "barnsley" / "indicators.csv", keep_default_na=False, na_values=[""])
    for col in ("numerator", "denominator"):
        v = ind[col].dropna()
        assert not v.between(1, 7).any(), col
    shown = ind[~ind.suppressed]
    assert not (shown["denominator"] < 10).any()
    gp_rows = ind[ind.indicator.str.startswith("gp_")]
    assert gp_rows["suppressed"].all()  # six GPs: every GP figure is withheld
    # Suppressed cells cannot be recovered: no partition has exactly one suppressed cell.
    for (ind_id,), part in ind[ind.indicator.isin(disclosure.PARTITIONS)].groupby(["indicator"]):
        assert part["suppressed"].sum() != 1, ind_id
    # Rounded counts: every published count is a multiple of 5.
    pub = ind.loc[~ind.suppressed & ind.method.isin(["Wilson", "Byars", "Exact"]), ["numerator", "denominator"]].stack()
    assert (pub % 5 == 0).all()


def test_reports_do_not_show_the_six(shrunk_run):
    out = shrunk_run.output_dir
    html = (out / "sites" / "barnsley" / "report.html").read_text()
    text = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(script|style).*?</\1>", " ", html))
    assert "GP survey responses" in text
    assert not re.search(r"GP survey responses\s+6\b", text)
    assert not re.search(r"\b6 of 175\b", text)
    import openpyxl

    wb = openpyxl.load_workbook(out / "sites" / "barnsley" / "summary.xlsx")
    counts = []
    for name, columns in (("all_indicators", ("numerator", "denominator")), ("headlines", ("base",))):
        rows = list(wb[name].iter_rows(values_only=True))
        idx = [rows[0].index(c) for c in columns]
        counts += [r[i] for r in rows[1:] for i in idx if isinstance(r[i], (int, float))]
    assert counts and not [v for v in counts if 1 <= v <= 7]
