"""Benchmark: what the disclosure gate and the audit add to the 11-site demo batch.

Runs the 11-site example batch (2 jobs) with ``HOMEKIT_GATE_TIMING`` set, so that every process
of the run (the run's preparation, each site notebook's kernel, the national notebook's kernel)
records the seconds it spends inside the gate (:mod:`homekit.disclosure`'s public functions,
outermost calls only). Prints:

* the gate: those seconds in each process; the wall time they add is the run's own process
  (preparation) plus the busiest of the two worker lanes that run the notebooks side by side
  (summed over every process, as if nothing ran in parallel, is printed too: an upper bound);
* the audit: its own time, from the run's manifest;
* the batch's wall time and the share the gate and the audit add to it (target: at most 10%).

Run: .venv/bin/python benchmarks/bench_gate.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from homekit.disclosure import TIMING_ENV
from homekit.example_data import write_example_data


def one_batch(data: Path, work: Path) -> dict:
    timing = work / "timing"
    out = work / "out"
    shutil.rmtree(timing, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    timing.mkdir()
    # (a cache of its own per batch: a batch must not take the audit's programs from the one before)
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, TIMING_ENV: str(timing), "HOMEKIT_CACHE": str(cache)}
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "homekit", "run", "--data-dir", str(data), "--output-dir", str(out), "--jobs", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if proc.wait() != 0:
        raise SystemExit(f"the batch failed (exit {proc.returncode})")
    batch = time.perf_counter() - t
    per_process = {f.stem: sum(float(line.split()[1]) for line in f.read_text().splitlines()) for f in timing.glob("*.txt")}
    gate = sum(per_process.values())
    run_pid = str(proc.pid)
    lanes = [v for p, v in per_process.items() if p != run_pid]
    # wall time: the run's own process (before and after the notebooks) plus the busiest worker
    # lane (the notebooks run two at a time; the national notebook runs after them in one lane)
    wall = per_process.get(run_pid, 0.0) + max(lanes, default=0.0)
    # where the gate's time goes: seconds by gate function and the place that called it
    callers: dict[str, float] = {}
    for f in timing.glob("*.txt"):
        for line in f.read_text().splitlines():
            name, seconds, *where = line.split()
            key = f"{name} from {where[0] if where else '?'}"
            callers[key] = callers.get(key, 0.0) + float(seconds)
    manifest = json.loads((out / "manifest.json").read_text())
    audit = float(manifest["audit"]["seconds"])
    return {"batch_seconds": round(batch, 2), "gate_seconds": round(gate, 3), "gate_wall_seconds": round(wall, 3),
            "audit_seconds": round(audit, 3), "processes": len(per_process),
            "added_share": round((wall + audit) / batch, 4), "added_share_cpu": round((gate + audit) / batch, 4),
            "callers": dict(sorted(callers.items(), key=lambda kv: -kv[1]))}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="batches to run (the median share is reported)")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="hk-bench-gate-"))
    try:
        data = work / "data"
        write_example_data(data)
        runs = [one_batch(data, work) for _ in range(args.repeat)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for r in runs:
        print(f"batch {r['batch_seconds']:.1f} s; gate {r['gate_seconds']:.2f} s over {r['processes']} processes "
              f"({r['gate_wall_seconds']:.2f} s of wall time); audit {r['audit_seconds']:.2f} s; "
              f"added {100 * r['added_share']:.1f}% of wall time ({100 * r['added_share_cpu']:.1f}% counting every process's gate time in full)")
    print("gate seconds by caller (last batch): " + "; ".join(f"{k} {v:.2f}" for k, v in list(runs[-1]["callers"].items())[:6]))
    share = statistics.median(r["added_share"] for r in runs)
    print(f"11-site batch: the gate and the audit add {100 * share:.1f}% (median of {len(runs)}; target <= 10%)")
    return {"runs": runs, "added_share": share}


if __name__ == "__main__":
    main()
