"""Benchmark: `homekit run --update` after one site's data changed, and with nothing changed.

Steps, on N synthetic sites (default 150; `--sites N` for a quicker look):
1. a full batch (2 jobs), timed;
2. `--update` with nothing changed: re-executes nothing (target: a few seconds, all reports
   byte-identical);
3. one answer of one respondent of one site corrected, then `--update`: re-executes that site and
   the national synthesis only. Its cost is compared with the work it cannot avoid, measured in
   this run (target ratio <= 1.2):
   - loading and validating the data folder once;
   - the national synthesis: its preparation (the national figures and the gate's check of them
     come from every site's rows, the changed site's included: computed again, with only the
     changed site gated again, as the update does; timed in this process after the update) and
     the national notebook as the full batch timed it;
   - that site's notebook as the full batch timed it.
   (The national notebook opened on its own prepares the same figures itself: the run prepares
   them once, before its notebooks, for the site reports and the national synthesis alike, so
   the notebook's time alone leaves out work no update can skip.) The ratio to the notebooks and
   the load alone (the preparation left out) is printed too.
Run: .venv/bin/python benchmarks/bench_update.py [--sites N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from homekit import load_data_dir, pipeline
from homekit.example_data import write_example_data


def _reports(out: Path) -> dict:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in ("manifest.json", "index.html")}


def main(n_sites: int = 150) -> dict:
    work = Path(tempfile.mkdtemp(prefix="hk-bench-update-"))
    # homekit's private cache (the audit's settled programs, which --update reuses) in the bench's folder
    os.environ["HOMEKIT_CACHE"] = str(work / "cache")
    try:
        return _measure(work, n_sites)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # (the bench's data and outputs)


def _measure(work: Path, n_sites: int) -> dict:
    data = work / "data"
    write_example_data(data, n_sites=n_sites if n_sites != 11 else None)
    out = work / "out"
    t = time.perf_counter()
    full = pipeline.run(data, out, jobs=2, progress=False)
    t_full = time.perf_counter() - t
    before = _reports(out)

    t = time.perf_counter()
    same = pipeline.run(data, out, jobs=2, progress=False, update=True)
    t_same = time.perf_counter() - t
    assert all(s.kept for s in same.sites) and same.national.kept and _reports(out) == before

    old_data = load_data_dir(data)
    gp = pd.read_csv(data / "gp_survey.csv", dtype=str, keep_default_na=False)
    site = gp["site_id"].iloc[len(gp) // 2]
    row = gp.index[gp.site_id == site][0]
    gp.at[row, "trust_asc"] = "Disagree" if gp.at[row, "trust_asc"] != "Disagree" else "Agree"
    gp.to_csv(data / "gp_survey.csv", index=False)
    t = time.perf_counter()
    load_data_dir(data)
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    one = pipeline.run(data, out, jobs=2, progress=False, update=True)
    t_one = time.perf_counter() - t
    rerun = [s.site_id for s in one.sites if not s.kept]
    assert rerun == [site] and not one.national.kept, rerun
    site_s = next(s.seconds for s in full.sites if s.site_id == site)
    t_prep = _preparation(old_data, load_data_dir(data), work / "prepared")
    notebooks = t_load + site_s + full.national.seconds
    floor = notebooks + t_prep
    figures = {"sites": len(full.sites), "full_batch_s": round(t_full, 1), "update_unchanged_s": round(t_same, 1),
               "update_one_site_s": round(t_one, 1), "unavoidable_s": round(floor, 1), "ratio": round(t_one / floor, 2),
               "ratio_without_preparation": round(t_one / notebooks, 2), "load_s": round(t_load, 1), "preparation_s": round(t_prep, 1),
               "site_notebook_s": site_s, "national_notebook_s": full.national.seconds}
    print(f"{len(full.sites)} sites: full batch {t_full:.1f} s")
    print(f"--update, nothing changed: {t_same:.1f} s (nothing re-executed, reports byte-identical)")
    print(f"--update, one site changed ({site}): {t_one:.1f} s; unavoidable work (load {t_load:.1f} s + national preparation "
          f"{t_prep:.1f} s + site notebook {site_s:.1f} s + national notebook {full.national.seconds:.1f} s) = {floor:.1f} s: "
          f"ratio {t_one / floor:.2f} (target <= 1.2); without the preparation {notebooks:.1f} s: ratio {t_one / notebooks:.2f}")
    print(json.dumps(figures))
    return figures


def _preparation(before, after, work: Path) -> float:
    """Seconds of the preparation an update after ``before`` became ``after`` cannot avoid: the
    run's preparation (:func:`homekit.pipeline.prepare_run`, with the run's rules and costs) of
    ``after``, reusing the rows of ``before`` where they are unchanged, as ``--update`` does.
    (Timed after the update, in the same process: anything the update left warm only makes this
    floor smaller, the ratio larger.)"""
    from homekit.preparation import kept_rows
    from homekit.resources import resolve_parameters

    params, _ = resolve_parameters(None)
    rules, costs = params / "disclosure.yaml", params / "benefits.yaml"
    work.mkdir()
    previous = kept_rows(pipeline.prepare_run(before, rules, costs, work))
    t = time.perf_counter()
    pipeline.prepare_run(after, rules, costs, work, previous=previous)
    return time.perf_counter() - t


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=150, help="number of synthetic sites (default: 150)")
    main(ap.parse_args().sites)
