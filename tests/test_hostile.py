"""Hostile and broken inputs: each gets a clear error naming what was expected, nothing crashes,
and text that looks like a spreadsheet formula is never written back as one."""

import io
import shutil
import zipfile

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import homekit
from homekit import io as hio
from homekit.instruments import INSTRUMENTS

SITES = ("site_id,site_name,wave,nation,population,population_65plus,gp_count\n"
         "barnsley,Barnsley,1,England,240000,45000,180\n")


def _xlsx_bytes(rows, sheet="services"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD_XLSX = _xlsx_bytes([["site_id", "service", "available"], ["barnsley", "telecare", "Yes"]])


def _gp_rows(years, ids=None):
    from homekit.example_data import make_example_data

    gp = make_example_data()["gp_survey"].head(len(years)).copy()
    gp["site_id"] = "barnsley"
    gp["survey_year"] = [str(y) for y in years]
    if ids is not None:
        gp["respondent_id"] = ids
    return gp.to_csv(index=False).encode()


# (name, file name, content bytes, expected text in the error)
CORPUS = [
    ("empty file", "services.csv", b"", "empty file"),
    ("whitespace only", "services.csv", b"  \n\n \n", "empty file"),
    ("header only", "services.csv", b"site_id,service,available\n", "at least one row below the header"),
    ("truncated quoted field", "services.csv", b'site_id,service,available\nbarnsley,"telecare,Yes\n', "well-formed CSV"),
    # UTF-16 (Excel "Unicode Text") is read (tests/test_io.py); a broken surrogate pair is not.
    ("utf-16 with broken bytes", "services.csv",
     "site_id,service,available\nbarnsley,tele".encode("utf-16") + b"\x00\xd8c\x00a\x00r\x00e\x00\n\x00", "readable UTF-16 text"),
    ("undecodable bytes", "services.csv", b"site_id,service,available\nbarnsley,tele\x81\x8d\x90care,Yes\n", "UTF-8 or Windows-1252"),
    ("row with extra fields", "services.csv", b"site_id,service,available\nbarnsley,telecare,Yes,extra\n", "at most 3 fields"),
    ("duplicate header", "services.csv", b"site_id,service,service,available\nbarnsley,telecare,telecare,Yes\n", "each column name once"),
    ("missing required column", "services.csv", b"site_id,service\nbarnsley,telecare\n", "column named 'available'"),
    ("text renamed to xlsx", "services.xlsx", b"site_id,service,available\n", "a readable .xlsx workbook"),
    ("truncated xlsx", "services.xlsx", GOOD_XLSX[: len(GOOD_XLSX) // 2], "a readable .xlsx workbook"),
    ("xlsx formula without saved value", "services.xlsx",
     _xlsx_bytes([["site_id", "service", "available"], ["barnsley", "telecare", '=IF(TRUE,"Yes","No")']]), "formula with no saved value"),
    ("garbage sav", "services.sav", b"$FL2@(#) not really SPSS" + bytes(range(256)), "a readable SPSS .sav file"),
    ("path-like site id", "sites.csv", SITES.replace("barnsley,", "../x,", 1).encode(), "lower snake case"),
    ("duplicate site", "sites.csv", (SITES + SITES.splitlines()[1] + "\n").encode(), "unique site_id"),
    # Rounds of 2013 and 2019 share a file; an id repeated within one round is an error.
    ("respondent repeated within a round", "gp_survey.csv", None, "unique respondent_id within its site and survey round"),
    ("unknown service id", "services.csv", b"site_id,service,available\nbarnsley,teleporting,Yes\n", "one of reablement"),
    ("wrong file type", "services.json", b"{}", "a .csv, .xlsx or .sav file"),
]


@pytest.mark.parametrize("name, filename, content, expected", CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_input_gives_clear_error(tmp_path, name, filename, content, expected):
    if content is None:
        content = _gp_rows([2013, 2019, 2019], ids=["gp0001"] * 3)
    path = tmp_path / filename
    path.write_bytes(content)
    instrument = filename.split(".")[0]
    with pytest.raises(homekit.ValidationError) as info:
        homekit.load(instrument, path)
    assert expected in str(info.value), str(info.value)
    assert all(p.file == filename for p in info.value.problems)


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 15


def test_huge_inputs_refused_before_parsing(tmp_path, monkeypatch):
    p = tmp_path / "flow_metrics.csv"
    p.write_text("site_id,period,metric,value\n" + "barnsley,2014-01,delayed_days_nhs,1\n" * 50)
    monkeypatch.setattr(hio, "MAX_ROWS", 10)
    with pytest.raises(homekit.ValidationError, match="HOMEKIT_MAX_ROWS"):
        homekit.load("flow_metrics", p)
    monkeypatch.setattr(hio, "MAX_FILE_BYTES", 100)
    with pytest.raises(homekit.ValidationError, match="HOMEKIT_MAX_FILE_BYTES"):
        homekit.load("flow_metrics", p)


def test_two_files_for_one_instrument(example_copy):
    shutil.copy(example_copy / "services.csv", example_copy / "services.xlsx")
    with pytest.raises(homekit.ValidationError, match="exactly one file per instrument"):
        homekit.load_data_dir(example_copy)


def test_formula_like_text_never_written_as_formula(tmp_path):
    from homekit.report import write_summary_xlsx

    ind = pd.DataFrame({"site_id": ["a"], "indicator": ["interview_theme_share"], "group": ['=HYPERLINK("http://x","y")'],
                        "numerator": [10.0], "denominator": [20.0], "estimate": [0.5], "lower": [0.3], "upper": [0.7],
                        "method": ["Wilson"], "suppressed": [False]})
    path = write_summary_xlsx(ind, tmp_path / "s.xlsx", title="@SUM(1)")
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml  # no formula anywhere
    wb = openpyxl.load_workbook(path)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=@"]
    assert cells and all(c.data_type == "s" for c in cells)


# ------------------------------------------------------------------------------------------------
# Fuzz: arbitrary bytes and arbitrary tables never crash with anything but ValidationError
# ------------------------------------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(content=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx", ".sav"]))
def test_fuzz_arbitrary_bytes(tmp_path_factory, content, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"services{suffix}"
    path.write_bytes(content)
    try:
        homekit.load("services", path)
    except homekit.ValidationError:
        pass


_cell = st.one_of(st.text(max_size=12), st.sampled_from(["", "Yes", "No", "Don't know", "barnsley", "telecare", "=1+1", "+44", "-3",
                                                         "1e309", "NaN", "2014-13", "  ", "\u00e9", "\x00"]))


@FUZZ
@given(data=st.data(), instrument=st.sampled_from(["services", "flow_metrics", "interviews", "sites"]))
def test_fuzz_arbitrary_tables(tmp_path_factory, data, instrument):
    names = INSTRUMENTS[instrument].names
    cols = data.draw(st.lists(st.sampled_from(names + ["extra", "site_id "]), min_size=1, max_size=len(names) + 1, unique=True))
    n = data.draw(st.integers(0, 6))
    rows = [[data.draw(_cell) for _ in cols] for _ in range(n)]
    path = tmp_path_factory.mktemp("fuzzt") / f"{instrument}.csv"
    pd.DataFrame(rows, columns=cols).to_csv(path, index=False)
    try:
        out = homekit.load(instrument, path)
        assert len(out) == n
    except homekit.ValidationError as err:
        assert err.problems
