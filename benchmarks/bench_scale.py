"""Benchmark: national batches of 10, 50 and 150 sites, locally (2 jobs) and on a 2-worker Dask
LocalCluster, with peak memory; and the loaders and indicators on a million GP responses.

Prints:
* the 150-site batch time with 2 local jobs against the floor batch (150 x the floor notebook
  time / 2; target ratio <= 1.3), and the peak memory of the whole batch (main process and every
  worker and kernel, sampled from /proc);
* the same batch through a 2-worker dask.distributed LocalCluster;
* how the time grows from 10 to 50 to 150 sites (it should be linear);
* reading 1,000,000 GP responses (CSV) and computing every indicator for 150 sites: time and
  peak memory (target <= 2 GiB), in a fresh process.
Run: .venv/bin/python benchmarks/bench_scale.py [--quick]   (--quick: 10 and 50 sites only)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_batch import floor_notebook, timed_task  # noqa: E402

from homekit import pipeline  # noqa: E402
from homekit.example_data import write_example_data  # noqa: E402


def _tree_rss(root: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
        stack += children.get(pid, [])
    return total


class PeakMemory:
    def __init__(self, interval=0.5):
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval):
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(os.getpid()))
            self._stop.wait(interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def batch(data: Path, out: Path, **kw) -> tuple[float, int, int]:
    with PeakMemory() as mem:
        t = time.perf_counter()
        result = pipeline.run(data, out, progress=False, **kw)
        elapsed = time.perf_counter() - t
    return elapsed, mem.peak, result.exit_code


MILLION = """
import sys, time
t = time.perf_counter()
import homekit
from homekit.indicators import compute_indicators
data = homekit.load_data_dir(sys.argv[1], instruments=["gp_survey"])
t1 = time.perf_counter()
compute_indicators(data)
compute_indicators(data, level="national")
t2 = time.perf_counter()
# VmHWM: this process's own peak (ru_maxrss would carry the parent's peak across fork and exec).
hwm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(len(data["gp_survey"]), round(t1 - t, 1), round(t2 - t1, 1), hwm)
"""

WRITE_MILLION = """
import sys
from pathlib import Path
from homekit.example_data import write_example_data
write_example_data(sys.argv[1], n_sites=150, scale=250)
Path(sys.argv[1], "case_reviews.csv").unlink()
"""


def main(quick: bool = False, sizes=None, dask: bool = True, million_rows: bool = True):
    import shutil

    work = Path(tempfile.mkdtemp(prefix="hk-scale-"))
    os.environ["HOMEKIT_CACHE"] = str(work / "cache")  # (each batch writes its own folder: nothing reused)
    try:
        _measure(work, quick, sizes, dask, million_rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # (the bench's data and outputs: gigabytes at 150 sites)


def _measure(work: Path, quick: bool, sizes, dask: bool, million_rows: bool) -> None:
    floor_nb = work / "floor.ipynb"
    floor_notebook(floor_nb)
    floor = sorted(timed_task(work, f"floor{i}", str(floor_nb), {}) for i in range(3))[1]
    print(f"floor notebook: {floor:.2f} s")
    sizes = sizes or ([10, 50] if quick else [10, 50, 150])
    times = {}
    for n in sizes:
        data = work / f"data{n}"
        write_example_data(data, n_sites=n)
        elapsed, peak, code = batch(data, work / f"out{n}", jobs=2)
        times[n] = elapsed
        ideal = n * floor / 2
        print(f"{n:>3} sites, local, 2 jobs: {elapsed:7.1f} s ({elapsed / n:.2f} s a site); floor batch {ideal:.1f} s; "
              f"ratio {elapsed / ideal:.2f} (target <= 1.3); peak memory {peak / 2**30:.2f} GiB; exit {code}")
    per_site = [times[n] / n for n in sizes]
    print("growth: " + ", ".join(f"{n} sites {times[n]:.0f} s" for n in sizes) +
          f"; seconds a site {', '.join(f'{v:.2f}' for v in per_site)} (linear when roughly constant)")
    big = max(sizes)
    from distributed import Client, LocalCluster

    if not dask:
        return
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        elapsed, peak, code = batch(work / f"data{big}", work / f"dask{big}", executor="dask", client=client, work_dir=work / "shared")
    print(f"{big:>3} sites, Dask LocalCluster (2 workers): {elapsed:7.1f} s; peak memory {peak / 2**30:.2f} GiB; exit {code}")
    if not million_rows:
        return
    million = work / "million"
    print("writing 1,000,000 GP responses over 150 sites ...", flush=True)
    # Written in a child process so that this process stays small while the batches are measured.
    subprocess.run([sys.executable, "-c", WRITE_MILLION, str(million)], check=True)
    out = subprocess.run([sys.executable, "-c", MILLION, str(million)], capture_output=True, text=True, check=True).stdout.split()
    rows, t_load, t_ind, rss = int(out[0]), float(out[1]), float(out[2]), int(out[3])
    print(f"{rows:,} GP responses: read and validated in {t_load:.1f} s; every indicator for 150 sites and nationally in {t_ind:.1f} s; "
          f"peak memory {rss / 2**30:.2f} GiB (target <= 2 GiB)")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 and 50 sites only")
    ap.add_argument("--sizes", help="comma-separated site counts, e.g. 10,50,150")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--no-million", action="store_true")
    a = ap.parse_args()
    main(quick=a.quick, sizes=[int(v) for v in a.sizes.split(",")] if a.sizes else None, dask=not a.no_dask,
         million_rows=not a.no_million)
