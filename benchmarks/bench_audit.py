"""Benchmark: the disclosure audit against the 11-site demo batch it ends.

Times :func:`homekit.audit.audit` on a run's output folder (default ``reports/`` from
``make demo``; ``--build`` makes a fresh example run first) and compares it with that run's batch
time read from its ``manifest.json`` (started -> finished, which already includes one audit).
Target (issue 11): the gate and the audit together add at most 10% to the batch; the gate's own
share is measured by ``bench_gate.py``.

Run: .venv/bin/python benchmarks/bench_audit.py [--output reports] [--repeat 3] [--build]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

from homekit.audit import AuditPolicy, audit

ROOT = Path(__file__).resolve().parents[1]


def batch_seconds(out: Path) -> float | None:
    manifest = out / "manifest.json"
    if not manifest.exists():
        return None
    m = json.loads(manifest.read_text())
    start, end = dt.datetime.fromisoformat(m["started"]), dt.datetime.fromisoformat(m["finished"])
    return (end - start).total_seconds()


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, default=ROOT / "reports", help="a homekit run output folder")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--build", action="store_true", help="write the example data and run the 11-site batch first")
    args = ap.parse_args(argv)
    out = args.output
    if args.build:
        from homekit.example_data import write_example_data
        from homekit.pipeline import run

        tmp = Path(tempfile.mkdtemp(prefix="homekit-bench-audit-"))
        write_example_data(tmp / "data")
        out = tmp / "out"
        run(tmp / "data", out, jobs=2, progress=False)
    times, result = [], None
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = audit(out, policy=AuditPolicy(time_limit=600))
        times.append(time.perf_counter() - t)
    seconds = statistics.median(times)
    batch = batch_seconds(out)
    report = {"audit_seconds": round(seconds, 2), "batch_seconds": batch, "passed": result.passed,
              "findings": len(result.findings), "counts_checked": result.cells, "files": len(result.files),
              "share_of_batch": round(seconds / batch, 3) if batch else None}
    print(json.dumps(report, indent=2))
    print(result.summary())
    return report


if __name__ == "__main__":
    main()
