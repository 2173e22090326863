"""Data-entry templates built from the data dictionary.

``write_templates(DIR)`` writes, for every instrument, an empty CSV with its header, the whole
dictionary as ``dictionary.csv``, and one Excel workbook ``homekit_data_entry.xlsx`` with a sheet
per instrument, drop-down lists (Excel data validation) for every closed answer set, and a
read-me sheet with the question texts.
"""

from __future__ import annotations

import os
from pathlib import Path

from .instruments import INSTRUMENTS, dictionary_frame

__all__ = ["write_templates", "WORKBOOK_NAME"]

WORKBOOK_NAME = "homekit_data_entry.xlsx"
_ROWS_VALIDATED = 5000


def _column_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def _dropdown_values(col) -> list[str]:
    values = list(col.choices.levels)
    if col.answer and "Don't know" not in values:
        values += ["Don't know", "Not applicable"]
    return values


def write_workbook(path: str | os.PathLike) -> Path:
    """The data-entry workbook: a read-me sheet, then one sheet per instrument with drop-downs."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = "read_me"
    readme.append(["homekit data entry workbook"])
    readme["A1"].font = Font(bold=True, size=14)
    readme.append(
        [
            "Enter one row per respondent or case on each sheet; keep the header row as it is. "
            "Save each sheet as <instrument>.csv (or keep this workbook and save a copy named <instrument>.xlsx "
            "with that sheet) in the data folder, then run: homekit validate DATA_DIR"
        ]
    )
    readme.append([])
    header = ["instrument", "column", "question", "type", "scale", "required", "allowed_values", "condition"]
    readme.append(header)
    for cell in readme[readme.max_row]:
        cell.font = Font(bold=True)
    for row in dictionary_frame().itertuples(index=False):
        readme.append(["yes" if v is True else "no" if v is False else v for v in row])
    for letter, width in zip("ABCDEFGH", (22, 36, 70, 9, 14, 9, 60, 40)):
        readme.column_dimensions[letter].width = width
    # A hidden sheet holds long lists so that drop-downs are not limited to 255 characters.
    lists = wb.create_sheet("lists")
    list_ranges: dict[tuple[str, ...], str] = {}

    def list_range(values: list[str]) -> str:
        key = tuple(values)
        if key not in list_ranges:
            col = len(list_ranges) + 1
            letter = _column_letter(col)
            for r, v in enumerate(values, start=1):
                lists.cell(row=r, column=col, value=v)
            list_ranges[key] = f"lists!${letter}$1:${letter}${len(values)}"
        return list_ranges[key]

    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for inst in INSTRUMENTS.values():
        ws = wb.create_sheet(inst.name)
        ws.append(inst.names)
        ws.freeze_panes = "A2"
        for j, col in enumerate(inst.columns, start=1):
            cell = ws.cell(row=1, column=j)
            cell.font = Font(bold=col.required)
            cell.fill = head_fill
            cell.alignment = Alignment(wrap_text=False)
            letter = _column_letter(j)
            ws.column_dimensions[letter].width = max(12, min(40, len(col.name) + 2))
            rng = f"{letter}2:{letter}{_ROWS_VALIDATED}"
            if col.kind == "choice":
                dv = DataValidation(type="list", formula1=list_range(_dropdown_values(col)), allow_blank=True)
                dv.error = f"Expected {col.expected()}"
                dv.errorTitle = col.name
                dv.prompt = col.question
                dv.promptTitle = col.name
                dv.showErrorMessage = True
                dv.showInputMessage = True
            elif col.kind in ("int", "score") and col.minimum is not None and col.maximum is not None:
                dv = DataValidation(
                    type="whole", operator="between", formula1=str(int(col.minimum)), formula2=str(int(col.maximum)), allow_blank=True
                )
                dv.error = f"Expected {col.expected()}"
                dv.prompt = col.question
                dv.showInputMessage = True
            else:
                dv = DataValidation(type=None, allow_blank=True)
                dv.prompt = col.question
                dv.promptTitle = col.name
                dv.showInputMessage = True
            dv.add(rng)
            ws.add_data_validation(dv)
    lists.sheet_state = "hidden"
    wb.save(path)
    return path


def write_templates(directory: str | os.PathLike) -> list[Path]:
    """Write every template into ``directory`` (created if needed); returns the files written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for inst in INSTRUMENTS.values():
        path = directory / f"{inst.name}.csv"
        path.write_text(",".join(inst.names) + "\n", encoding="utf-8")
        written.append(path)
    dictionary = directory / "dictionary.csv"
    dictionary_frame().to_csv(dictionary, index=False, lineterminator="\n")
    written.append(dictionary)
    written.append(write_workbook(directory / WORKBOOK_NAME))
    return written
