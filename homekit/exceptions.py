"""Every error homekit raises on purpose, each carrying the context a user needs to act on it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (pandas is imported where a table is asked for: a notebook worker never needs it)
    import pandas as pd

__all__ = ["HomekitError", "Problem", "ValidationError", "ParameterError"]


class HomekitError(Exception):
    """Base class of homekit's own errors."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as the user sees it.

    ``row`` is the row number a person sees when opening the file (CSV and XLSX: the spreadsheet
    row, the header being row 1; SPSS: the case number). It is ``None`` when the problem concerns
    the whole file or a whole column.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        got = "" if self.value is None else f": got {self.value!r}"
        return f"{where}{got}; expected {self.expected}"


def _clip(text: object, width: int) -> str:
    s = "" if text is None else str(text)
    s = s.replace("\n", " ")
    return s if len(s) <= width else s[: width - 1] + "…"


class ValidationError(HomekitError):
    """All the problems found in the input, reported together.

    Parameters
    ----------
    problems : list of Problem
        Every problem found; never empty.

    Examples
    --------
    >>> from homekit.exceptions import Problem, ValidationError
    >>> err = ValidationError([Problem("gp_survey.csv", 4, "trust_asc", "Maybe", "an agree4 label")])
    >>> err.n_problems
    1
    """

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("ValidationError needs at least one problem")
        self.problems = sorted(
            set(problems), key=lambda p: (p.file, p.row if p.row is not None else -1, p.column or "", p.expected)
        )
        super().__init__(self.table())

    @property
    def n_problems(self) -> int:
        return len(self.problems)

    def to_frame(self) -> "pd.DataFrame":
        """The problems as a DataFrame with columns file, row, column, value, expected."""
        import pandas as pd

        return pd.DataFrame([asdict(p) for p in self.problems], columns=["file", "row", "column", "value", "expected"])

    def table(self, limit: int | None = 200) -> str:
        """A readable fixed-width table of the problems (the first ``limit`` of them)."""
        shown = self.problems if limit is None else self.problems[:limit]
        header = ("file", "row", "column", "value", "expected")
        rows = [
            (
                _clip(p.file, 32),
                "" if p.row is None else str(p.row),
                _clip(p.column, 34),
                _clip(p.value, 24),
                _clip(p.expected, 90),
            )
            for p in shown
        ]
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
        fmt = "  ".join("{:<%d}" % w for w in widths)
        lines = [
            f"{self.n_problems} problem{'s' if self.n_problems != 1 else ''} found in the input; nothing was written.",
            fmt.format(*header).rstrip(),
            fmt.format(*("-" * w for w in widths)).rstrip(),
        ]
        lines += [fmt.format(*r).rstrip() for r in rows]
        if len(shown) < self.n_problems:
            lines.append(f"... and {self.n_problems - len(shown)} more (ValidationError.to_frame() lists them all)")
        return "\n".join(lines)


class ParameterError(HomekitError):
    """A setting in ``parameters/`` is missing or invalid.

    Parameters
    ----------
    name : str
        The dotted name of the parameter, e.g. ``unit_costs.residential_week``.
    message : str
        What is wrong and what was expected.
    source : str, optional
        The file the parameter was read from.
    """

    def __init__(self, name: str, message: str, source: str | None = None):
        self.name = name
        self.source = source
        where = f" in {source}" if source else ""
        super().__init__(f"parameter {name!r}{where}: {message}")
