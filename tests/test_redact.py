"""Free text: redaction, approved quotes only, and redact-check on a real batch and a doctored one."""

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from homekit.redact import approved_quotes, find_personal, redact

EMAIL = "jane.doe@example.nhs.uk"
PHONE = "01234 567890"
NHS = "943 476 5919"  # a valid NHS number format (modulus 11 check passes)
POSTCODE = "SW1A 1AA"
UNAPPROVED = "This unapproved remark must never appear in any published output at all"


@pytest.mark.parametrize("text, kind", [(EMAIL, "email"), (PHONE, "phone"), ("+44 1234 567890", "phone"),
                                        (NHS, "nhs_number"), ("9434765919", "nhs_number"), (POSTCODE, "postcode"),
                                        ("b15 2tt", "postcode")])
def test_patterns_found_and_redacted(text, kind):
    sentence = f"Contact: {text}, thanks"
    assert kind in {k for k, _ in find_personal(sentence)}
    assert text not in redact(sentence)
    assert "[redacted]" in redact(sentence)


def test_names_from_list_redacted_and_ordinary_text_kept():
    assert redact("Ask Dr Patel or dr patel today", names=["Dr Patel"]) == "Ask [redacted] or [redacted] today"
    plain = "We waited 3 weeks for 12 hours of care in 2014; 45% said so."
    assert redact(plain) == plain and find_personal(plain) == []


@pytest.mark.parametrize("quote, name", [
    ("Ring Dr Patel on the ward line", "Patel"),
    ("Dr. A. Okafor said no beds were free", "Okafor"),
    ("Mrs J. Smith's daughter was not asked", "Smith"),
    ("Ask Nurse O'Neill-Hughes first", "O'Neill"),
    ("Professor Sir Jim Bellamy chaired it", "Bellamy"),
    ("Cllr Wright raised it at the board", "Wright"),
    ("Susan Thompson from the reablement team helped", "Thompson"),
    ("Mohammed said the family were not consulted", "Mohammed"),
    ("then Margaret rang the GP", "Margaret"),
])
def test_planted_names_redacted(quote, name):
    """Names not on --redact-names: titled names and common first names (with their surname)."""
    out = redact(quote)
    assert name not in out and "[redacted]" in out
    assert "name" in " ".join(k for k, _ in find_personal(quote))


@pytest.mark.parametrize("text", [
    "The GP and social care team met weekly.",
    "We will see in May whether the hope of more care at home is met.",
    "Discharge to assess: Pathway 1 in Barnsley and Wiltshire.",
])
def test_ordinary_text_is_not_a_name(text):
    assert redact(text) == text


def test_only_approved_quotes():
    iv = pd.DataFrame({"site_id": ["a", "a", "a"], "stakeholder_group": ["GP"] * 3, "theme": ["t"] * 3,
                       "quote": [f"Call me on {PHONE}", UNAPPROVED, None], "quote_approved": ["Yes", "No", "Yes"]})
    q = approved_quotes(iv)
    assert q["quote"].tolist() == ["Call me on [redacted]"]


@pytest.fixture(scope="module")
def planted_run(example_dir, tmp_path_factory):
    from homekit import pipeline

    data = tmp_path_factory.mktemp("planted") / "data"
    shutil.copytree(example_dir, data)
    iv = pd.read_csv(data / "interviews.csv", dtype=str, keep_default_na=False)
    b = iv.index[iv.site_id == "barnsley"]
    iv.loc[b[0], ["quote", "quote_approved"]] = [f"Email {EMAIL} or ring {PHONE} about NHS number {NHS}", "Yes"]
    iv.loc[b[1], ["quote", "quote_approved"]] = [UNAPPROVED, "No"]
    iv.to_csv(data / "interviews.csv", index=False)
    gp = pd.read_csv(data / "gp_survey.csv", dtype=str, keep_default_na=False)
    gp.loc[gp.index[gp.site_id == "barnsley"][0], "comment"] = f"My number is {PHONE}, write to {EMAIL}"
    gp.to_csv(data / "gp_survey.csv", index=False)
    out = tmp_path_factory.mktemp("planted_out") / "out"
    pipeline.run(data, out, sites=["barnsley"], jobs=1, progress=False)
    return data, out


def _check(out, data):
    return subprocess.run([sys.executable, "-m", "homekit.cli", "redact-check", str(out), "--data-dir", str(data)],
                          capture_output=True, text=True)


def test_redact_check_passes_on_outputs(planted_run):
    data, out = planted_run
    res = _check(out, data)
    assert res.returncode == 0, res.stdout
    html = (out / "sites" / "barnsley" / "report.html").read_text()
    assert "[redacted]" in html  # the approved quote is shown, redacted
    assert EMAIL not in html and UNAPPROVED not in html


LEAKS = [
    "/srv/homekit/.venv/lib/python3.11/site-packages/pingouin/effsize.py:841: RuntimeWarning: divide by zero encountered",
    "Traceback (most recent call last):\n  File \"<stdin>\", line 1, in <module>",
    "C:\\Users\\analyst\\data\\gp_survey.csv",
]


@pytest.mark.parametrize("planted", [EMAIL, PHONE, NHS, UNAPPROVED, "gp0001", *LEAKS])
def test_redact_check_fails_on_doctored_output(planted_run, tmp_path, planted):
    data, out = planted_run
    doctored = tmp_path / "out"
    shutil.copytree(out, doctored)
    page = doctored / "sites" / "barnsley" / "report.html"
    page.write_text(page.read_text().replace("</body>", f"<p>{planted}</p></body>"))
    res = _check(doctored, data)
    assert res.returncode == 1
    assert "finding" in res.stdout


def test_no_warning_traceback_or_path_in_a_real_run(planted_run):
    from homekit.redact import find_leaks

    _, out = planted_run
    for path in out.rglob("*"):
        if path.suffix in (".html", ".csv", ".json"):
            assert find_leaks(path.read_text(encoding="utf-8")) == [], path
