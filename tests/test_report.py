"""The report package: its layout, section binding and the sections' behaviour on small sites."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import homekit
from homekit.report import Block, NationalReport, SiteReport
from homekit.report import _base

PKG = Path(homekit.__file__).parent


def _imports(path: Path) -> set[str]:
    """Modules a file imports, resolved to absolute dotted names inside homekit."""
    tree = ast.parse(path.read_text())
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    package = parts[:-1] if parts[-1] != "__init__" else parts
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            out |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom):
            base = list(package[: len(package) - (n.level - 1)]) if n.level else []
            mod = ".".join(base + ([n.module] if n.module else []))
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in n.names}
    return out


@pytest.mark.parametrize("model", ["spc.py", "benefits.py"])
def test_models_hold_no_presentation(model):
    imported = _imports(PKG / model)
    assert not any(m.startswith(("matplotlib", "seaborn", "homekit.report", "homekit.plots")) for m in imported), imported


def test_nothing_upstream_imports_the_report_package():
    for path in PKG.rglob("*.py"):
        if "report" in path.relative_to(PKG).parts or path.name in ("pipeline.py", "worker.py", "cli.py"):
            continue
        assert not any(m.startswith("homekit.report") for m in _imports(path)), path


def test_section_modules_do_not_import_the_report_classes():
    """Sections are plain functions of a report: they never import site.py or national.py (no circle)."""
    for path in (PKG / "report").glob("*.py"):
        if path.name in ("__init__.py", "site.py", "national.py"):
            continue
        imported = _imports(path)
        assert "homekit.report.site" not in imported and "homekit.report.national" not in imported, path


def test_every_section_is_a_method_named_after_its_function():
    for cls in (SiteReport, NationalReport):
        names = cls.section_names()
        assert len(names) == len(set(names))
        for fn in cls.SECTIONS:
            assert getattr(cls, fn.__name__).__wrapped__ is fn
    # The site report opens with the summary for the board and what changed (contract, second release).
    assert SiteReport.section_names()[:6] == ["title", "summary", "what_changed", "provenance", "response_profile", "gp_relationships"]
    assert "forest_plots" in NationalReport.section_names()


def test_a_new_section_is_one_function_and_one_entry():
    """The recipe of homekit.report's docstring, followed literally."""

    def shout(report):
        return Block("Shout", f"{report.who} says hello")

    def nothing(report):
        return None

    class Tiny(_base.Report):
        SECTIONS = (shout, nothing)

        def __init__(self):
            self.who = "Tiny"

    t = Tiny()
    assert t.shout().reading == "Tiny says hello"
    assert t.nothing() is None
    assert [b.title for b in t.sections()] == ["Shout"]
