"""Readers: encodings, spreadsheets, SPSS; the same data from CSV, XLSX and SAV loads equal."""

import openpyxl
import pandas as pd
import pytest

import homekit
from homekit.io import read_raw, write_table
from homekit.example_data import write_example_data

SERVICES_CSV = "site_id,service,available\nbarnsley,telecare,Yes\ncroydon,reablement,No\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_encodings(tmp_path, encoding):
    text = "respondent_id,site_id,note\nr1,barnsley,caf\u00e9 \u2019quoted\u2019\n"
    p = tmp_path / "x.csv"
    p.write_bytes(text.encode(encoding))
    raw = read_raw(p)
    assert list(raw.frame.columns) == ["respondent_id", "site_id", "note"]
    assert raw.frame.at[0, "note"] == "caf\u00e9 \u2019quoted\u2019"
    assert raw.rows.tolist() == [2]


def test_csv_rows_are_spreadsheet_rows_and_short_rows_padded(tmp_path):
    p = tmp_path / "services.csv"
    p.write_text("site_id,service,available\n\nbarnsley,telecare\ncroydon,reablement,No\n")
    raw = read_raw(p)
    assert raw.rows.tolist() == [3, 4]
    assert raw.frame.iloc[0].tolist() == ["barnsley", "telecare", ""]


def test_csv_too_many_fields_reported_with_line(tmp_path):
    p = tmp_path / "services.csv"
    p.write_text("site_id,service,available\nbarnsley,telecare,Yes\ncroydon,reablement,No,extra\n")
    raw = read_raw(p)
    assert [(pr.row, pr.value) for pr in raw.problems] == [(3, "4 fields")]


def test_xlsx_sheet_named_after_instrument_is_preferred(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    wb.active.append(["nothing here"])
    ws = wb.create_sheet("services")
    ws.append(["site_id", "service", "available"])
    ws.append(["barnsley", "telecare", True])
    p = tmp_path / "services.xlsx"
    wb.save(p)
    df = homekit.load("services", p)
    assert df["available"].tolist() == ["Yes"]


def test_xlsx_formula_with_cached_value_is_read(tmp_path):
    """A workbook saved by Excel keeps formula results; we read the saved value."""
    p = tmp_path / "services.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["site_id", "service", "available"])
    ws.append(["barnsley", "telecare", "=IF(1,\"Yes\",\"No\")"])
    wb.save(p)
    # Inject a cached value the way Excel stores it (<v> beside <f>).
    import zipfile

    src = zipfile.ZipFile(p)
    out = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(out, "w") as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="C2"><f>IF(1,"Yes","No")</f><v></v></c>',
                                    b'<c r="C2" t="str"><f>IF(1,"Yes","No")</f><v>Yes</v></c>')
                data = data.replace(b'<c r="C2"><f>IF(1,"Yes","No")</f><v /></c>',
                                    b'<c r="C2" t="str"><f>IF(1,"Yes","No")</f><v>Yes</v></c>')
            z.writestr(item, data)
    raw = read_raw(out, "services")
    assert raw.problems == []
    assert raw.frame.at[0, "available"] == "Yes"


def test_sav_value_labels_used_as_answers(tmp_path):
    df = pd.DataFrame({"site_id": ["barnsley", "croydon"], "service": ["telecare", "reablement"], "available": ["Yes", "No"]})
    p = write_table(df, tmp_path / "services.sav", "services")
    assert homekit.load("services", p)["available"].tolist() == ["Yes", "No"]


def test_same_data_from_csv_xlsx_and_sav_loads_equal(tmp_path):
    frames = {}
    for fmt in ("csv", "xlsx", "sav"):
        d = tmp_path / fmt
        write_example_data(d, fmt=fmt)
        frames[fmt] = homekit.load_data_dir(d)
    for name, table in frames["csv"].tables.items():
        for fmt in ("xlsx", "sav"):
            pd.testing.assert_frame_equal(table, frames[fmt][name], obj=f"{name} from {fmt}")


def test_loader_never_modifies_raw_file(example_dir):
    from homekit.io import sha256

    before = {p.name: sha256(p) for p in example_dir.iterdir()}
    homekit.load_data_dir(example_dir)
    assert before == {p.name: sha256(p) for p in example_dir.iterdir()}


# -- exports as councils save them --------------------------------------------------------------

def _as_export(csv_path, sep: str, encoding: str) -> bytes:
    """What Excel writes: the same table with another separator, encoding and CRLF line ends,
    written by Python's csv module (quoting where a cell holds the separator)."""
    import csv
    import io

    rows = list(csv.reader(open(csv_path, encoding="utf-8", newline="")))
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


@pytest.mark.parametrize("name, sep, encoding", [
    ("gp_survey.csv", ";", "utf-8-sig"),        # Excel in a comma-decimal locale: "CSV (semicolon)"
    ("gp_survey.csv", ";", "cp1252"),
    ("gp_survey.txt", "\t", "utf-16"),           # Excel "Unicode Text": UTF-16 LE with BOM, tabs
    ("gp_survey.csv", "\t", "utf-16"),           # the same, renamed to .csv
    ("gp_survey.tsv", "\t", "utf-8"),
    ("gp_survey.csv", "\t", "utf-16-le"),        # UTF-16 without a byte-order mark
])
def test_semicolon_and_unicode_text_exports_load_as_the_csv(example_dir, tmp_path, name, sep, encoding):
    path = tmp_path / name
    path.write_bytes(_as_export(example_dir / "gp_survey.csv", sep, encoding))
    expected = homekit.load("gp_survey", example_dir / "gp_survey.csv")
    got = homekit.load("gp_survey", path)
    pd.testing.assert_frame_equal(got, expected)


def test_semicolon_export_in_a_data_folder(example_dir, tmp_path):
    import shutil

    d = tmp_path / "data"
    shutil.copytree(example_dir, d)
    (d / "services.csv").unlink()
    (d / "services.txt").write_bytes(_as_export(example_dir / "services.csv", "\t", "utf-16"))
    (d / "sites.csv").write_bytes(_as_export(example_dir / "sites.csv", ";", "utf-8-sig"))  # "Bath, Swindon and Wiltshire" stays one cell
    data, expected = homekit.load_data_dir(d), homekit.load_data_dir(example_dir)
    pd.testing.assert_frame_equal(data["services"], expected["services"])
    pd.testing.assert_frame_equal(data["sites"], expected["sites"])


def test_unreadable_formats_are_named_with_how_to_resave(example_dir, tmp_path):
    import shutil

    d = tmp_path / "data"
    shutil.copytree(example_dir, d)
    (d / "services.csv").unlink()
    (d / "services.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200))
    with pytest.raises(homekit.ValidationError) as info:
        homekit.load_data_dir(d)
    [problem] = info.value.problems
    assert problem.file == "services.xls" and "Excel 97-2003" in problem.value and "CSV UTF-8" in problem.expected
    junk = tmp_path / "services.csv"
    junk.write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    with pytest.raises(homekit.ValidationError) as info:
        homekit.load("services", junk)
    [problem] = info.value.problems
    assert problem.value == "binary data" and "CSV UTF-8" in problem.expected
