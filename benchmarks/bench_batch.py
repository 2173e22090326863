"""Benchmark: site report time against the papermill floor, and the 11-site demo batch against
its in-process floor.

The in-process floor (``--floor``, run in a fresh child process): the notebooks' own code executed
in one Python process, cell by cell with every displayed block rendered as the kernel would, but
no kernel, papermill or nbconvert: imports, loading the data and the run's preparation (the
national rows and every site's rows through the gate, as the batch makes them: the warm-up),
each site notebook on its slice, then the national notebook. Floor = (sites + national) / 2 jobs +
warm-up; the batch should take at most 1.3x that.

Prints, on this machine:
* the floor: papermill on a notebook that only imports pandas, seaborn and pingouin and draws
  one figure (same worker process and kernel as homekit's batch);
* the site report time: the median time of a site notebook (with its HTML) in the demo batch, as
  the manifest records it, and its ratio to the floor (target <= 1.5);
* the 11-site example batch with 2 jobs against 11 x floor / 2 (target ratio <= 1.3).
Run: .venv/bin/python benchmarks/bench_batch.py [--batches 3]  (the machine's load average is printed: other work on
it makes the two jobs of the batch slower than the floor assumes)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
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


def _run_cells(path: Path, parameters: dict) -> None:
    """Execute a notebook's code cells in this process, as a kernel would: parameters injected
    after the parameters cell, the last expression of a cell displayed (its HTML rendered)."""
    import ast

    import matplotlib.pyplot as plt

    nb = nbformat.read(str(path), as_version=4)
    ns: dict = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, str(path), "exec"), ns)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), str(path), "eval"), ns)
            if hasattr(value, "_repr_html_"):
                value._repr_html_()
        if "parameters" in cell.metadata.get("tags", []):
            ns.update(parameters)
        plt.close("all")


def in_process_floor(data_dir: Path, work: Path) -> dict:
    """Time the notebooks' own code in this process (see the module docstring)."""
    t0 = time.perf_counter()
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd
    import yaml

    import homekit.report  # noqa: F401
    from homekit import load_data_dir
    from homekit.preparation import site_rows
    from homekit.resources import default_parameters, notebook

    import gc

    gc.collect()  # as a kernel does after its preload (homekit.worker.PRELOAD): what was imported is
    gc.freeze()  # set aside from the collector, so the floor gains what the batch gains from it
    data = load_data_dir(data_dir)
    params_dir = default_parameters()
    # the run's preparation, as the batch makes it: the national rows, every site's rows gated once
    # (the site notebooks publish their part), the spread of the sites
    prepared = pipeline.prepare_run(data, params_dir / "disclosure.yaml", params_dir / "benefits.yaml", work)
    national_file, counts_file, spread_file = (work / f for f in pipeline.RUN_FILES)
    rows = site_rows(prepared)
    warmup = time.perf_counter() - t0
    common = {"disclosure_file": str(params_dir / "disclosure.yaml"), "benefits_file": str(params_dir / "benefits.yaml")}
    sites = {}
    for site_id in data.site_ids:
        slice_file = work / f"slice_{site_id}.pkl"
        pipeline.write_slice(slice_file, data.site(site_id), data.sources, rows[site_id])
        site_yaml = params_dir / "sites" / f"{site_id}.yaml"
        extra = {k: v for k, v in (yaml.safe_load(site_yaml.read_text()) if site_yaml.exists() else {}).items() if k != "site_id"}
        (work / "sites" / site_id).mkdir(parents=True)
        t = time.perf_counter()
        _run_cells(notebook("site_analysis.ipynb"), {"site_id": site_id, "data_slice": str(slice_file), "national_file": str(national_file),
                                                     "counts_file": str(counts_file), "spread_file": str(spread_file),
                                                     "output_dir": str(work / "sites" / site_id), **common, **extra})
        sites[site_id] = time.perf_counter() - t
    full = work / "data.pkl"
    pd.to_pickle({"data": data, "prepared": prepared}, full)
    (work / "national").mkdir()
    # beside the sites, as the batch runs it: on the preparation's gated rows of the sites
    nat = {"data_file": str(full), "sites": data.site_ids, "output_dir": str(work / "national"),
           **common, **(yaml.safe_load((params_dir / "national.yaml").read_text()) or {})}
    t = time.perf_counter()
    _run_cells(notebook("national_synthesis.ipynb"), nat)
    return {"warmup_s": warmup, "sites_s": sum(sites.values()), "national_s": time.perf_counter() - t, "n_sites": len(sites)}


def _batch_and_floor(data: Path, work: Path, k: int) -> dict:
    """One batch (2 jobs) and, right after it, the in-process floor in a fresh child process."""
    load = os.getloadavg()[0]
    t = time.perf_counter()
    result = pipeline.run(data, work / f"out{k}", jobs=2, progress=False)
    batch = time.perf_counter() - t
    (work / f"floor{k}").mkdir()
    child = subprocess.run([sys.executable, __file__, "--floor", str(data), str(work / f"floor{k}")], capture_output=True, text=True,
                           env={**os.environ, "MPLBACKEND": "Agg"})
    if child.returncode:
        raise RuntimeError(child.stderr[-3000:])
    fl = json.loads(child.stdout.strip().splitlines()[-1])
    in_floor = (fl["sites_s"] + fl["national_s"]) / 2 + fl["warmup_s"]
    audit_s = (result.audit or {}).get("seconds", 0.0)
    return {"batch_s": batch, "result": result, "in_process": fl, "in_process_floor_s": in_floor, "ratio": batch / in_floor,
            "audit_s": audit_s, "national_s": result.national.seconds, "load_before": load, "load_after": os.getloadavg()[0]}


def main(repeat: int = 3, batches: int = 1) -> dict:
    work = Path(tempfile.mkdtemp(prefix="hk-bench-"))
    os.environ["HOMEKIT_CACHE"] = str(work / "cache")  # (each batch writes its own folder: nothing reused)
    try:
        return _measure(work, repeat, batches)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # (the bench's data, notebooks and batch outputs)


def _measure(work: Path, repeat: int, batches: int) -> dict:
    data = work / "data"
    write_example_data(data)
    floor_nb = work / "floor.ipynb"
    floor_notebook(floor_nb)
    floors = [timed_task(work, f"floor{i}", str(floor_nb), {}) for i in range(repeat)]
    floor = statistics.median(floors)
    runs = [_batch_and_floor(data, work, k) for k in range(batches)]
    for k, r in enumerate(runs):
        fl = r["in_process"]
        print(f"run {k + 1}: batch {r['batch_s']:.1f} s (national notebook {r['national_s']:.1f} s, audit {r['audit_s']:.1f} s); "
              f"in-process floor {fl['warmup_s']:.1f} + ({fl['sites_s']:.1f} + {fl['national_s']:.1f}) / 2 = {r['in_process_floor_s']:.1f} s; "
              f"ratio {r['ratio']:.2f}; load average {r['load_before']:.1f} -> {r['load_after']:.1f}")
    mid = sorted(runs, key=lambda r: r["ratio"])[len(runs) // 2]  # the run with the median ratio
    batch, result, fl, in_floor = mid["batch_s"], mid["result"], mid["in_process"], mid["in_process_floor_s"]
    site = statistics.median(s.seconds for s in result.sites)
    n = len(result.sites)
    ideal = n * floor / 2
    figures = {"floor_s": round(floor, 2), "site_report_s": round(site, 2), "site_ratio": round(site / floor, 2),
               "batch_s": round(batch, 1), "batch_sites": n, "batch_floor_s": round(ideal, 1), "batch_ratio": round(batch / ideal, 2),
               "batch_exit_code": result.exit_code, "in_process": {k: round(v, 2) for k, v in fl.items()},
               "in_process_floor_s": round(in_floor, 1), "batch_ratio_in_process": round(batch / in_floor, 2),
               "batch_ratios_in_process": [round(r["ratio"], 2) for r in runs], "audit_s": mid["audit_s"]}
    print(f"floor notebook (imports + one figure, papermill): {floor:.2f} s (median of {repeat})")
    print(f"site report in the batch (median, with HTML): {site:.2f} s; ratio to floor {site / floor:.2f} (target <= 1.5)")
    print(f"{n}-site batch + national, 2 jobs: {batch:.1f} s; against {n} x floor / 2 = {ideal:.1f} s: ratio {batch / ideal:.2f} (target <= 1.3)")
    print(f"in-process floor: warm-up {fl['warmup_s']:.1f} s + ({fl['sites_s']:.1f} s for {fl['n_sites']} sites + national "
          f"{fl['national_s']:.1f} s) / 2 = {in_floor:.1f} s; batch {batch:.1f} s (of which the run's audit {mid['audit_s']:.1f} s): "
          f"ratio {batch / in_floor:.2f} (target <= 1.3){' (median of %d batches)' % batches if batches > 1 else ''}")
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--floor":
        print(json.dumps(in_process_floor(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        import argparse

        ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        ap.add_argument("--batches", type=int, default=1, help="batches (each with its floor right after it); the median ratio is reported")
        main(batches=ap.parse_args().batches)
