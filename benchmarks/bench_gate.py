"""Benchmark: what the disclosure gate (and the audit, when present) add to the 11-site demo batch.

Prints, on this machine:
* the gate: :func:`homekit.disclosure.disclose_indicators` on every site's indicators of the
  example data, plus the national table checked against the sites, plus the site indicators the
  national check needs (computed twice in a run; median of ``--repeat`` runs);
* the audit: ``homekit.audit.audit`` on the batch's output folder (when that module exists);
* the 11-site example batch with 2 jobs (or ``--batch-seconds`` / ``--manifest`` from a run
  already made), and the share the gate and the audit add to it (target: at most 10%).

Run: .venv/bin/python benchmarks/bench_gate.py [--repeat 5] [--manifest reports/manifest.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import statistics
import tempfile
import time
from pathlib import Path

from homekit import disclosure, pipeline
from homekit.example_data import write_example_data
from homekit.indicators import compute_indicators
from homekit.loaders import load_data_dir

PARAMS = Path(__file__).resolve().parents[1] / "parameters" / "disclosure.yaml"


def gate_seconds(data_dir: Path, repeat: int) -> float:
    data = load_data_dir(data_dir)
    sites = {s: compute_indicators(data.site(s)) for s in data.site_ids}
    national = compute_indicators(data, level="national")
    all_sites = compute_indicators(data)
    site_rules = disclosure.load_rules(PARAMS, "site")
    national_rules = disclosure.load_rules(PARAMS, "national")
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        # what the gate makes the batch compute in addition: every site's rows for the national
        # check in the national report (the run computes them anyway, for the spread of sites)
        compute_indicators(data)
        for rows in sites.values():
            disclosure.disclose_indicators(rows, site_rules)
        disclosure.disclose_indicators(national, national_rules, sites=all_sites)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def audit_seconds(out: Path | None) -> float | None:
    try:
        audit = importlib.import_module("homekit.audit")
    except ImportError:
        return None
    if out is None or not out.exists() or not hasattr(audit, "audit"):
        return None
    t = time.perf_counter()
    audit.audit(out)
    return time.perf_counter() - t


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batch-seconds", type=float, default=None, help="time of an 11-site batch already measured")
    ap.add_argument("--manifest", type=Path, default=None, help="manifest.json of a run already made (its wall time)")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="hk-bench-gate-"))
    data = work / "data"
    write_example_data(data)
    gate = gate_seconds(data, args.repeat)
    out = None
    if args.batch_seconds is not None:
        batch = args.batch_seconds
    elif args.manifest is not None:
        manifest = json.loads(args.manifest.read_text())
        started, finished = (dt.datetime.fromisoformat(manifest[k]) for k in ("started", "finished"))
        batch = (finished - started).total_seconds()
        out = args.manifest.parent
    else:
        t = time.perf_counter()
        pipeline.run(data, work / "out", jobs=2, progress=False)
        batch = time.perf_counter() - t
        out = work / "out"
    audit = audit_seconds(out)
    added = gate + (audit or 0.0)
    result = {"gate_seconds": round(gate, 3), "audit_seconds": None if audit is None else round(audit, 3),
              "batch_seconds": round(batch, 2), "added_share": round(added / batch, 4)}
    print(f"gate over 11 sites and the national table (with the sites' rows it needs): {gate:.3f} s (median of {args.repeat})")
    print("audit of the batch output: " + ("not available (homekit.audit not installed)" if audit is None else f"{audit:.2f} s"))
    print(f"11-site batch: {batch:.1f} s; gate and audit add {100 * added / batch:.1f}% (target <= 10%)")
    return result


if __name__ == "__main__":
    main()
