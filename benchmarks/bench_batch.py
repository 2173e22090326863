"""Benchmark: site report time against the papermill floor, and the 11-site demo batch.

Prints, on this machine:
* the floor: papermill on a notebook that only imports pandas, seaborn and pingouin and draws
  one figure (same worker process and kernel as homekit's batch);
* the site report time: the median time of a site notebook (with its HTML) in the demo batch, as
  the manifest records it, and its ratio to the floor (target <= 1.5);
* the 11-site example batch with 2 jobs against 11 x floor / 2 (target ratio <= 1.3).
Run: .venv/bin/python benchmarks/bench_batch.py
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from homekit import pipeline
from homekit.example_data import write_example_data


def floor_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import pandas as pd\nimport seaborn as sns\nimport pingouin as pg\n"
                                          "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
                                          "sns.lineplot(x=[1, 2, 3], y=[1, 3, 2], ax=ax)")]
    nbformat.write(nb, str(path))


def timed_task(work: Path, name: str, notebook: str, parameters: dict, html: bool = False) -> float:
    task = {"name": name, "notebook": notebook, "output_notebook": str(work / f"{name}_out.ipynb"), "parameters": parameters,
            "timeout": 600, "task_file": str(work / f"{name}.json"), "result": str(work / f"{name}_result.json")}
    if html:
        task["html"] = str(work / f"{name}.html")
        task["title"] = name
    t = time.perf_counter()
    res = pipeline.execute_task(task)
    if res["status"] != "ok":
        raise RuntimeError(res["error"])
    return time.perf_counter() - t


def main(repeat: int = 3) -> dict:
    work = Path(tempfile.mkdtemp(prefix="hk-bench-"))
    data = work / "data"
    write_example_data(data)
    floor_nb = work / "floor.ipynb"
    floor_notebook(floor_nb)
    floors = [timed_task(work, f"floor{i}", str(floor_nb), {}) for i in range(repeat)]
    floor = statistics.median(floors)
    t = time.perf_counter()
    result = pipeline.run(data, work / "out", jobs=2, progress=False)
    batch = time.perf_counter() - t
    site = statistics.median(s.seconds for s in result.sites)
    n = len(result.sites)
    ideal = n * floor / 2
    figures = {"floor_s": round(floor, 2), "site_report_s": round(site, 2), "site_ratio": round(site / floor, 2),
               "batch_s": round(batch, 1), "batch_sites": n, "batch_floor_s": round(ideal, 1), "batch_ratio": round(batch / ideal, 2),
               "batch_exit_code": result.exit_code}
    print(f"floor notebook (imports + one figure, papermill): {floor:.2f} s (median of {repeat})")
    print(f"site report in the batch (median, with HTML): {site:.2f} s; ratio to floor {site / floor:.2f} (target <= 1.5)")
    print(f"{n}-site batch + national, 2 jobs: {batch:.1f} s; against {n} x floor / 2 = {ideal:.1f} s: ratio {batch / ideal:.2f} (target <= 1.3)")
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
