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
                 "spc.xmr(series, x=\"period\", y=\"value\"", "stats.change_in_proportion", "disclosure.disclose_indicators"):
        assert call in sources, call
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert images == 3  # Likert chart, pathway heatmap, SPC chart
    printed = [o["text"] for c in nb.cells if c.cell_type == "code" for o in c.outputs if o["output_type"] == "stream"]
    assert any("rows suppressed before sharing" in t for t in printed)
    assert not any(o["output_type"] == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "ok"
