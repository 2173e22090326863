"""The notebooks people open: committed without outputs or function definitions, and
explore.ipynb (the public API on the bundled example data) runs top to bottom."""

import json

import nbformat
import pytest

from conftest import ROOT
from homekit.pipeline import execute_task

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_without_outputs_or_definitions(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: outputs committed"
            assert not any(line.lstrip().startswith(("def ", "class ")) for line in cell.source.splitlines()), \
                f"{path.name}: notebooks hold calls, not definitions"


def test_explore_runs_top_to_bottom(tmp_path, example_dir):
    task = {"name": "explore", "notebook": "explore.ipynb", "output_notebook": str(tmp_path / "explore.ipynb"),
            "parameters": {"data_dir": str(example_dir), "site_id": "wiltshire"}, "timeout": 600,
            "task_file": str(tmp_path / "t.json"), "result": str(tmp_path / "r.json")}
    result = execute_task(task)
    assert result["status"] == "ok", result["error"]
    nb = nbformat.read(tmp_path / "explore.ipynb", as_version=4)
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for call in ("homekit.load_data_dir", "indicators.gp_headlines(gp, by=[\"gp_role\"])", "plots.likert_bars(gp, y=\"trust_asc\"",
                 "indicators.perception_gap", "indicators.case_indicators(cases, by=[\"decision_point\"])",
                 "spc.xmr(series, x=\"period\", y=\"value\"", "indicators.change_table", "stats.change_in_proportion",
                 "disclosure.disclose_indicators"):
        assert call in sources, call
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert images == 3  # Likert chart, pathway heatmap, SPC chart
    printed = [o["text"] for c in nb.cells if c.cell_type == "code" for o in c.outputs if o["output_type"] == "stream"]
    assert any("rows suppressed before sharing" in t for t in printed)
    assert not any(o["output_type"] == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "ok"


@pytest.mark.parametrize("name, var", [("site_analysis", "report"), ("national_synthesis", "national")])
def test_each_section_says_which_function_draws_it(name, var):
    """Before every section call, a markdown cell tagged homekit-code names the function that
    draws it (kept out of the published HTML), and that name resolves to that very function."""
    import importlib
    import re

    from homekit.report import NationalReport, SiteReport

    cls = SiteReport if var == "report" else NationalReport
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    for before, cell in zip(nb.cells, nb.cells[1:]):
        m = re.search(rf"\b{var}\.(\w+)\(", cell.source) if cell.cell_type == "code" else None
        if not m:
            continue
        assert before.cell_type == "markdown" and "homekit-code" in before.metadata.get("tags", []), \
            f"{name}: add a markdown cell tagged homekit-code, '*Code:* `module.function`', before {cell.source!r}"
        dotted = re.search(r"`([\w.]+)`", before.source).group(1)
        module, _, attr = dotted.rpartition(".")
        try:
            target = getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError:  # Class.method
            module, _, owner = module.rpartition(".")
            target = getattr(getattr(importlib.import_module(module), owner), attr)
        if m.group(1) in ("open", "write_outputs"):
            method = getattr(cls, m.group(1))
            assert getattr(method, "__func__", method) is getattr(target, "__func__", target), (dotted, cell.source)
        else:  # sections are functions of homekit.report modules that the report binds as methods
            assert target in cls.SECTIONS and target.__name__ == m.group(1), (dotted, cell.source)


def test_code_pointers_stay_out_of_the_published_html(tmp_path):
    from homekit.worker import to_html

    nb = nbformat.v4.new_notebook()
    md = nbformat.v4.new_markdown_cell("*Code:* `homekit.report.gp.perception_gap`")
    md.metadata["tags"] = ["homekit-code"]
    # A section's output is published; the notebook's own markdown (pointers included) is not.
    out = nbformat.v4.new_code_cell("section()")
    out.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>A service GPs do not know about is as good as missing.</p>"})]
    nb.cells = [md, out]
    nbformat.write(nb, tmp_path / "x.ipynb")
    to_html(tmp_path / "x.ipynb", tmp_path / "x.html", "x")
    html = (tmp_path / "x.html").read_text()
    assert "as good as missing" in html and "perception_gap" not in html


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_reads_every_parameter(path):
    """papermill reads a notebook's parameters from its tagged cell (``papermill --help-notebook``;
    a value passed for a name it did not read is logged as an unknown parameter). An "=" in a
    comment made it skip ``counts_file``, so every site of every batch logged one."""
    import ast

    import papermill as pm

    nb = nbformat.read(str(path), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assigned = {t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign) for t in node.targets}
    assert assigned and set(pm.inspect_notebook(str(path))) == assigned
