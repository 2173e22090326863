"""What site and national reports share: their section list, method binding and written outputs."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import yaml

from ..example_data import example_data_dir  # noqa: F401 - re-exported: the notebooks' interactive default
from ._format import Block
from .writers import write_change, write_history, write_indicators, write_summary_xlsx

__all__ = ["Report", "example_data_dir", "load_parameters"]


def load_parameters(path: str) -> dict:
    """A parameters YAML as a dict (empty when no path)."""
    if not path:
        return {}
    return yaml.safe_load(Path(path).read_text()) or {}


def _as_method(fn):
    @functools.wraps(fn)
    def method(self):
        return fn(self)

    return method


class Report:
    """Base of :class:`SiteReport` and :class:`NationalReport`.

    ``SECTIONS`` is the report's content, in order: a tuple of section functions
    ``f(report) -> Block | None``. Each becomes a method of the same name (``report.flow()``), which is
    what the notebooks call; :meth:`sections` gives every section that has data.
    """

    SECTIONS: tuple = ()
    title_text = "Home Truths indicators"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for fn in cls.__dict__.get("SECTIONS", ()):
            setattr(cls, fn.__name__, _as_method(fn))

    @classmethod
    def section_names(cls) -> list[str]:
        """The section methods in report order."""
        return [fn.__name__ for fn in cls.SECTIONS]

    def sections(self) -> list[Block]:
        """Every section that has data, in report order."""
        blocks = (fn(self) for fn in self.SECTIONS)
        return [b for b in blocks if b is not None]

    def _published(self) -> pd.DataFrame:
        raise NotImplementedError

    def write_outputs(self, output_dir: str) -> list[Path]:
        """Write ``indicators.csv``, ``summary.xlsx``, and where there are survey rounds ``history.csv`` and
        ``change.csv`` (all disclosure-controlled) to ``output_dir``."""
        if not output_dir:
            return []
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        published = self._published()
        history, changes = getattr(self, "published_history", None), getattr(self, "changes", None)
        written = [write_indicators(published, out / "indicators.csv"),
                   write_summary_xlsx(published, out / "summary.xlsx", title=self.title_text, national=getattr(self, "national_published", None),
                                      marker=self.site_rules.marker, rules=getattr(self, "rules", None), change=changes)]
        if history is not None and len(history):
            written.append(write_history(history, out / "history.csv"))
            written.append(write_change(changes, out / "change.csv"))
        return written

    def rules_text(self) -> str:
        """What disclosure control did to this report's figures (one paragraph, for read-me notes)."""
        return self.site_rules.describe()
