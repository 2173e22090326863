"""The batch: validate, prepare every site's gated rows once, run the site notebooks and the national synthesis in parallel.

``run()`` is what ``homekit run`` calls:

1. validate the whole data folder (a :class:`ValidationError` stops the run; nothing is written);
2. read the data once and hand each site notebook its own slice (a private work folder, outside
   the output folder, removed at the end: raw rows never land in the outputs);
3. execute the site notebooks through papermill in worker processes (local, or on a Dask
   cluster), each under a whole-notebook time limit, with a progress bar; a site that fails is
   reported and the others go on;
4. run the national synthesis beside them (first, the longest notebook), on the sites' rows as the
   preparation gated them (the rows the site reports publish: a site's rows do not depend on the
   other sites of the run); if a site fails, the synthesis runs again after the others, over the
   sites that succeeded, from their published files;
5. convert every executed notebook to HTML without code;
6. attack the published files with :func:`homekit.audit.audit` (the run's disclosure audit);
7. write ``index.html`` and a JSON manifest (inputs with SHA-256 before and after the run,
   parameters, timings, outputs, the audit's verdict).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import html
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from . import __version__
from .exceptions import HomekitError
from .io import file_state, sha256
from .loaders import load_data_dir
from .worker import SCRATCH_ENV

__all__ = ["run", "RunResult", "OutputExistsError", "RunInterrupted"]

MANIFEST = "manifest.json"
SITE_NOTEBOOK = "site_analysis.ipynb"
NATIONAL_NOTEBOOK = "national_synthesis.ipynb"


class OutputExistsError(HomekitError):
    """The output folder holds a previous run (or other files) and --overwrite was not given."""


class RunInterrupted(HomekitError):
    """The run was stopped (Ctrl-C): workers and kernels stopped, temporary files removed, and the
    output folder's index and manifest say "interrupted" with what finished."""

    def __init__(self, result: "RunResult"):
        self.result = result
        done = sum(s.status == "ok" for s in result.sites)
        super().__init__(f"interrupted; {done} of {len(result.sites)} site reports had finished "
                         f"(see {result.output_dir / MANIFEST})")


@dataclass
class SiteRun:
    site_id: str
    status: str = "pending"
    error: str | None = None
    seconds: float = 0.0
    attempts: int = 0
    outputs: list = field(default_factory=list)
    kept: bool = False  # --update: the previous report was kept, not run again

    @classmethod
    def from_result(cls, name: str, res: dict) -> "SiteRun":
        """A notebook's run from its worker's result."""
        return cls(name, res["status"], res.get("error"), res.get("seconds", 0), res.get("attempts", 0))

    @classmethod
    def kept_from(cls, name: str, entry: dict) -> "SiteRun":
        """A report kept by ``--update``, from its entry in the previous run's manifest."""
        return cls(name, "ok", None, entry.get("seconds", 0), entry.get("attempts", 1), kept=True)


@dataclass
class RunResult:
    output_dir: Path
    sites: list[SiteRun]
    national: SiteRun | None
    manifest: dict
    audit: dict | None = None

    @property
    def failed(self) -> list[SiteRun]:
        return [s for s in self.sites if s.status != "ok"]

    @property
    def audit_failed(self) -> bool:
        return self.audit is not None and not self.audit.get("passed", False)

    @property
    def exit_code(self) -> int:
        """0 all good; 1 some site or the synthesis failed; 3 everything ran but the disclosure
        audit failed (do not publish). An incomplete run (1) is not publishable either."""
        national_ok = self.national is not None and self.national.status == "ok"
        if self.failed or not national_ok:
            return 1
        return 3 if self.audit_failed else 0


def _prepare_output(out: Path, overwrite: bool, update: bool = False) -> dict | None:
    """Make ``out`` ready; with ``update`` return the previous run's manifest (nothing removed)."""
    previous = out / MANIFEST
    if update:
        if not previous.exists():
            raise OutputExistsError(f"{out} holds no previous homekit run ({MANIFEST}) to update; run without --update")
        try:
            return json.loads(previous.read_text())
        except ValueError as exc:
            raise OutputExistsError(f"{previous} is not a readable manifest ({exc}); run with --overwrite instead") from None
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise OutputExistsError(f"{out} is not empty; choose a new folder, pass --overwrite to replace a previous run "
                                    "or --update to re-run only what changed")
        if not previous.exists():
            raise OutputExistsError(f"{out} is not empty and holds no homekit run ({MANIFEST}); refusing to overwrite it")
        for child in out.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return None


# -- what a report depends on (for --update) ---------------------------------------------------

def _code_fingerprint() -> str:
    """homekit's version and a hash of its code (a development checkout changes without a new version)."""
    import hashlib

    h = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parent
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


def site_data_hashes(data) -> dict[str, str]:
    """SHA-256 of every site's validated slice (all its rows in every table, with the columns and
    their types), computed in one pass over the data: the same slice gives the same hash whatever
    the other sites hold or the order of the files' rows of other sites."""
    import hashlib

    import numpy as np

    hashes = {s: hashlib.sha256() for s in data.site_ids}
    for name in sorted(data.tables):
        df = data.tables[name]
        if "site_id" not in df.columns or not len(df):
            continue
        header = (name + "|" + ",".join(f"{c}:{df[c].dtype}" for c in df.columns)).encode()
        rows = pd.util.hash_pandas_object(df, index=False).to_numpy()
        codes, uniques = pd.factorize(df["site_id"].astype(str))
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        for k, site in enumerate(uniques):
            if site in hashes:
                hashes[site].update(header)
                hashes[site].update(rows[order[bounds[k]:bounds[k + 1]]].tobytes())
    return {s: h.hexdigest() for s, h in hashes.items()}


def _digest(obj) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _unchanged(previous: dict | None, out: Path, folder: str, key: dict, entry: dict | None) -> bool:
    """A previous report can be kept: it succeeded with the same inputs and its files are as written."""
    if previous is None or entry is None or entry.get("status") != "ok" or entry.get("key") != key:
        return False
    files = [o for o in previous.get("outputs", []) if o["path"].startswith(folder + "/")]
    return bool(files) and all((out / o["path"]).is_file() and _output_sha256(out / o["path"]) == o["sha256"] for o in files)


#: SHA-256 of the output files hashed in this run, by path and what the file is now (size,
#: modification and change times, inode: a file rewritten since differs). A 150-site folder is
#: 170 MB, hashed for --update as the run starts, for the manifest saying "running" and for the
#: final one: each file kept as it was is hashed once. Emptied as each run starts.
_OUTPUT_HASHES: dict = {}
#: A file modified less than this long ago is hashed every time (file times tick coarsely: a file
#: rewritten within the same tick, at the same size, could otherwise look unchanged).
_RECENT_NS = 2_000_000_000


def _output_sha256(path: Path) -> str:
    state = file_state(path)
    if time.time_ns() - max(state[1], state[3]) < _RECENT_NS:
        return sha256(path)
    key = (str(path), *state)
    if key not in _OUTPUT_HASHES:
        _OUTPUT_HASHES[key] = sha256(path)
    return _OUTPUT_HASHES[key]


def _previous_timings(out: Path) -> dict[str, float]:
    """Seconds each site report took in the run already in ``out`` (none when there is none)."""
    try:
        manifest = json.loads((out / MANIFEST).read_text())
        return {e["site_id"]: float(e.get("seconds") or 0) for e in manifest.get("sites", [])}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _site_parameters(site_id: str, parameters_dir: Path) -> dict:
    path = parameters_dir / "sites" / f"{site_id}.yaml"
    if not path.exists():
        return {}
    params = yaml.safe_load(path.read_text()) or {}
    params.pop("site_id", None)
    return params


class LocalExecutor:
    """``jobs`` worker processes, each running notebooks one after another on one reused kernel.

    A worker is a new process session (``python -m homekit.worker --serve``) whose private files
    (kernel spec, Jupyter runtime files) live under ``scratch``: a notebook over its time limit is
    stopped by killing the worker and every process it started (kernel included) and a fresh worker
    takes the remaining tasks. With ``keep_warm`` workers outlive a ``map()`` call, so the national
    synthesis runs on a kernel that is already up. ``close()`` (also on Ctrl-C) stops them all.
    """

    def __init__(self, jobs: int, scratch: str | os.PathLike | None = None, keep_warm: bool = False):
        import threading

        self.jobs = max(1, int(jobs))
        self.keep_warm = keep_warm  # keep workers between map() calls (then close() must be called)
        self._own_scratch = scratch is None
        self.scratch = Path(scratch or tempfile.mkdtemp(prefix="homekit-scratch-"))
        self._procs: set = set()
        self._idle: list = []  # workers (with their warm kernels) kept between map() calls
        self._lock = threading.Lock()
        self._stopping = False

    def _worker(self):
        with self._lock:
            while self._idle:  # (the longest started first: the first task, the longest, gets the warmest)
                proc, lines = self._idle.pop(0)
                if proc.poll() is None:
                    return proc, lines
                self._procs.discard(proc)
        proc, lines = _start_worker(self.scratch)
        self._procs.add(proc)
        return proc, lines

    def warm(self, n: int) -> None:
        """Start ``n`` workers now (their kernels start and import homekit in the background)."""
        for _ in range(max(0, n)):
            proc, lines = _start_worker(self.scratch)
            with self._lock:
                self._procs.add(proc)
                self._idle.append((proc, lines))

    def map(self, tasks: list[dict]):
        import queue
        import threading

        todo: queue.Queue = queue.Queue()
        for t in tasks:
            todo.put(t)
        done: queue.Queue = queue.Queue()

        assign = threading.Lock()  # (a task and a worker taken together: the first task gets the first worker)

        def lane():
            proc = lines = None
            while not self._stopping:
                with assign:
                    try:
                        task = todo.get_nowait()
                    except queue.Empty:
                        break
                    if proc is None or proc.poll() is not None:
                        proc, lines = self._worker()
                    if self._stopping:  # close() ran while this worker started
                        _kill(proc)
                        break
                res = _serve_one(proc, lines, task)
                if self._stopping:
                    break
                done.put((task, res))
                if proc.poll() is not None:
                    self._procs.discard(proc)
                    proc = None
            if proc is not None and proc.poll() is None and not self._stopping:
                if self.keep_warm:
                    with self._lock:
                        self._idle.append((proc, lines))  # warm for the next map() (the national synthesis)
                else:
                    _stop_worker(proc)
                    self._procs.discard(proc)

        threads = [threading.Thread(target=lane, daemon=True) for _ in range(min(self.jobs, len(tasks)))]
        for th in threads:
            th.start()
        for _ in range(len(tasks)):
            yield done.get()
        for th in threads:
            th.join()
        if not self.keep_warm and self._own_scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)  # every worker has stopped: nothing is left behind

    def close(self) -> None:
        """Stop every worker and its kernel, and remove the private files.

        Every worker is killed with every process it started, idle or busy, at the end of a run
        as on Ctrl-C: what a worker and its kernel hold is in the scratch folder removed here, so
        an idle one has nothing to finish, and a clean kernel shutdown only made the run wait
        (0.7 s at the end of every batch)."""
        self._stopping = True
        with self._lock:
            self._idle = []
        for proc in list(self._procs):
            _kill(proc)
        self._procs.clear()
        if self._own_scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _worker_env(scratch: Path) -> dict:
    """A worker's environment: its private files, and any temporary file it or its kernel makes
    (Jupyter connection files included), go under ``scratch``."""
    scratch.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", SCRATCH_ENV: str(scratch), "TMPDIR": str(scratch)}


def _start_worker(scratch: Path):
    import queue
    import threading

    proc = subprocess.Popen([sys.executable, "-m", "homekit.worker", "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True, env=_worker_env(scratch), text=True, bufsize=1)
    lines: queue.Queue = queue.Queue()

    def read():
        for line in proc.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return proc, lines


def _kill(proc) -> None:
    """Kill a worker, its process group and every process it started (a Jupyter kernel runs in
    a session of its own, so the group alone would leave it behind)."""
    import psutil

    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait()
    _wait_dead(children)


def _wait_dead(procs, timeout: float = 5.0) -> None:
    """Wait until every process of ``procs`` (killed) has ended. A killed kernel whose worker was
    killed first is a zombie until the system's first process reaps it, which some containers do
    only every few seconds: dead is enough, so a zombie counts as ended (``psutil.wait_procs``
    would wait for the reaping)."""
    import psutil

    end = time.monotonic() + timeout
    left = list(procs)
    while left and time.monotonic() < end:
        still = []
        for p in left:
            try:
                if p.status() != psutil.STATUS_ZOMBIE:
                    still.append(p)
            except psutil.NoSuchProcess:
                pass
        left = still
        if left:
            time.sleep(0.01)


def _stop_worker(proc) -> None:
    try:
        proc.stdin.close()
        proc.wait(timeout=30)
    except (subprocess.TimeoutExpired, OSError):
        _kill(proc)


def _serve_one(proc, lines, task: dict) -> dict:
    """Hand one task to a serving worker and wait for it under the task's time limit."""
    import queue

    start = time.time()
    Path(task["result"]).unlink(missing_ok=True)
    try:
        proc.stdin.write(json.dumps(task) + "\n")
        proc.stdin.flush()
    except OSError:
        _kill(proc)
        return {"status": "failed", "error": "the worker process stopped before the notebook ran", "seconds": 0, "attempts": 1}
    deadline = start + float(task["timeout"])
    while True:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.time()))
        except queue.Empty:
            _kill(proc)
            return {"status": "failed", "error": f"time limit of {task['timeout']} s reached; the notebook was stopped",
                    "seconds": round(time.time() - start, 2), "attempts": 1}
        if line is None:  # the worker died
            _kill(proc)
            return {"status": "failed", "error": "the worker process died while running the notebook",
                    "seconds": round(time.time() - start, 2), "attempts": 1}
        if line == f"done {task['name']}":
            result_file = Path(task["result"])
            if result_file.exists():
                return json.loads(result_file.read_text())
            return {"status": "failed", "error": "worker gave no result", "seconds": round(time.time() - start, 2), "attempts": 1}


class DaskExecutor:
    """Tasks sent to a Dask distributed cluster; inputs and outputs on a path the workers share.
    Each Dask worker finds the notebooks in its own homekit installation."""

    def __init__(self, scheduler: str | None = None, client=None):
        from distributed import Client

        self.client = client or Client(scheduler)
        self._own = client is None
        self._futures: list = []

    def map(self, tasks: list[dict]):
        from distributed import as_completed

        # Chunks of sites, each run by one serving worker process (one kernel) on a Dask worker:
        # about two chunks per Dask thread so the load stays balanced.
        threads = sum(self.client.nthreads().values()) or 1
        # (dealt round the chunks in the order given, longest first, so each chunk gets long and short ones)
        n_chunks = min(len(tasks), 2 * threads)
        chunks = [c for c in (tasks[i::n_chunks] for i in range(n_chunks)) if c]
        futures = {self.client.submit(execute_chunk, c, key=f"homekit-{c[0]['name']}-{time.time_ns()}", pure=False): c for c in chunks}
        self._futures = list(futures)
        for f in as_completed(list(futures)):
            try:
                results = f.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its sites, not the batch
                results = [{"status": "failed", "error": f"worker error: {exc}", "seconds": 0, "attempts": 1}] * len(futures[f])
            yield from zip(futures[f], results)

    def close(self):
        if self._futures:
            self.client.cancel(self._futures)
        if self._own:
            self.client.close()


#: The files a run's preparation writes in its work folder for the site notebooks (see :func:`prepare_run`).
RUN_FILES = ("national_indicators.csv", "national_counts.csv", "site_spread.csv")


def prepare_run(data, disclosure_file, benefits_file, work: Path, previous: dict | None = None) -> dict:
    """The run's preparation (:func:`homekit.preparation.prepare_national` with the run's rules and
    costs), and the files of :data:`RUN_FILES` the site notebooks read, written in ``work``.

    The national rows, every site's rows with their comparison with the other sites (computed
    once: the gate's national check and the spread of sites both read them) and the sites' rows
    gated once, with the costs of the run's ``benefits.yaml`` (``case_ideal_cheaper``). Written:
    the national figures the site reports show, as published (after the gate, checked against the
    sites so that national minus the published sites gives nothing small back); the exact
    national counts (private, never published: a site's comparison with the other sites is these
    minus the site's own counts); the range of every site's published figures (spine charts: from
    the sites' rows after the gate, so the site notebooks see no more than the other sites
    publish themselves). ``previous``: an earlier preparation with the same rules and code (see
    :func:`homekit.preparation.prepare_national`)."""
    from .benefits import weekly_costs
    from .disclosure import load_rules
    from .indicators.compare import spread_of_sites
    from .preparation import prepare_national

    prepared = prepare_national(data, load_rules(disclosure_file, "site"), weekly_costs(benefits_file),
                                national_rules=load_rules(disclosure_file, "national"), previous=previous)
    national_file, counts_file, spread_file = (Path(work) / f for f in RUN_FILES)
    prepared["published_national"].to_csv(national_file, index=False)
    prepared["indicators"].to_csv(counts_file, index=False)
    spread_of_sites(prepared["published_sites"]).to_csv(spread_file, index=False)
    return prepared


def write_slice(path: Path, part, sources, rows: dict | None = None) -> None:
    """What a site notebook reads (``data_slice``): the site's validated tables, the sources of the
    data, and its rows as the run's preparation computed and gated them (``rows``, from
    :func:`homekit.preparation.site_rows`; the report publishes those instead of gating again)."""
    pd.to_pickle({"data": part, "sources": sources, **({"prepared": rows} if rows is not None else {})}, path)


def execute_chunk(tasks: list[dict]) -> list[dict]:
    """Run several notebook tasks in order on one serving worker (used on Dask workers); the
    worker's private files go to a temporary folder of this machine, removed at the end."""
    scratch = Path(tempfile.mkdtemp(prefix="homekit-scratch-"))
    proc = None
    try:
        proc, lines = _start_worker(scratch)
        results = []
        for task in tasks:
            if proc.poll() is not None:
                proc, lines = _start_worker(scratch)
            results.append(_serve_one(proc, lines, task))
        return results
    finally:
        if proc is not None and proc.poll() is None:
            _stop_worker(proc)
        shutil.rmtree(scratch, ignore_errors=True)


def execute_task(task: dict) -> dict:
    """Run one notebook task in a fresh process under the task's time limit."""
    task_file = Path(task["task_file"])
    task_file.write_text(json.dumps(task))
    cmd = [sys.executable, "-m", "homekit.worker", str(task_file)]
    scratch = Path(tempfile.mkdtemp(prefix="homekit-scratch-"))
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=_worker_env(scratch),
                            text=True)
    try:
        try:
            _, err = proc.communicate(timeout=task["timeout"])
        except subprocess.TimeoutExpired:
            _kill(proc)
            proc.communicate()
            return {"status": "failed", "error": f"time limit of {task['timeout']} s reached; the notebook was stopped",
                    "seconds": round(time.time() - start, 2), "attempts": 1}
        except BaseException:
            _kill(proc)
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result_file = Path(task["result"])
    if result_file.exists():
        return json.loads(result_file.read_text())
    tail = (err or "").strip().splitlines()[-3:]
    return {"status": "failed", "error": "worker exited without a result: " + " | ".join(tail), "seconds": round(time.time() - start, 2),
            "attempts": 1}


def run(
    data_dir: str | os.PathLike,
    output_dir: str | os.PathLike,
    *,
    sites: list[str] | None = None,
    jobs: int = 2,
    timeout: float = 900,
    overwrite: bool = False,
    update: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    client=None,
    parameters_dir: str | os.PathLike | None = None,
    work_dir: str | os.PathLike | None = None,
    progress: bool = True,
    redact_names: list[str] | None = None,
    notebooks_dir: str | os.PathLike | None = None,
    cache: bool = True,
) -> RunResult:
    """Run the whole batch. See the module docstring.

    Everything that can stop the run is checked before anything is written: the packaged
    notebooks, the parameters folder (``parameters_dir``, else ``./parameters``, else the packaged
    defaults; see :func:`homekit.resources.resolve_parameters`), the data (a
    :class:`ValidationError`) and the output folder. Ctrl-C stops the workers and their kernels,
    removes the work folder, writes an index and manifest saying "interrupted" and raises
    :class:`RunInterrupted`.

    With ``update`` over a previous run's folder, only the sites whose validated data slice,
    parameters, notebook, disclosure rules or homekit version changed are run again (their content
    hashes are kept in the manifest), and the national synthesis when any of its inputs changed;
    every other report is kept as it is, byte for byte.

    With ``cache`` (the default), the run keeps every site's rows before and after the gate
    (:func:`prepared_cache`) and what its audit settled (:func:`audit_cache`) in homekit's private
    cache folder, never in the output folder, so that a later ``update`` gates and solves again
    only what changed; without it, nothing is kept there and nothing kept there is used.
    """
    from tqdm.auto import tqdm

    from .resources import notebook, resolve_parameters

    _OUTPUT_HASHES.clear()
    data_dir = Path(data_dir).resolve()
    out = Path(output_dir).resolve()
    params_dir, params_source = resolve_parameters(parameters_dir)
    for name in (SITE_NOTEBOOK, NATIONAL_NOTEBOOK):
        notebook(name)  # a missing notebook stops the run here
    started = dt.datetime.now(dt.timezone.utc)
    data = load_data_dir(data_dir)  # raises ValidationError: nothing written yet
    chosen = list(sites) if sites else data.site_ids
    unknown = [s for s in chosen if s not in set(data.site_ids)]
    if unknown:
        raise HomekitError(f"unknown site(s) {', '.join(unknown)}; sites are {', '.join(data.site_ids)}")
    if data_dir == out or data_dir in out.parents:
        raise HomekitError("the output folder must not be inside the data folder (raw data is never written to)")
    if notebooks_dir and (Path(notebooks_dir).resolve() == out or out in Path(notebooks_dir).resolve().parents):
        raise HomekitError("the folder for executed notebooks must be outside the output folder (they are not published)")
    inputs_before = {s.path: s.sha256 for s in data.sources}
    from .io import cache_dir

    cache_root = cache_dir().resolve()
    if cache and (cache_root == out or out in cache_root.parents or cache_root in out.parents):
        cache = False  # (a cache folder inside the output folder would be published, or the other way round)
    if not cache:  # nothing of this folder kept from an earlier run stays behind either
        for f in (prepared_cache(out), audit_cache(out)):
            f.unlink(missing_ok=True)
    timings = _previous_timings(out)  # (read before --overwrite clears the folder)
    previous = _prepare_output(out, overwrite, update)
    own_work = work_dir is None
    work = Path(work_dir or tempfile.mkdtemp(prefix="homekit-run-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    # Executed notebooks are not published: they need the run's private data slices to re-run and
    # may hold a traceback or path. They go to the work folder, or to ``notebooks_dir`` if asked.
    nb_dir = Path(notebooks_dir).resolve() if notebooks_dir else work / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    options = {"jobs": jobs, "timeout": timeout, "executor": executor, "sites": chosen}
    ctx = {"data": data, "data_dir": data_dir, "out": out, "params_dir": params_dir, "params_source": params_source,
           "before": inputs_before, "started": started, "options": options, "update": update, "cache": cache}
    ctx["code"] = code = _code_fingerprint()
    ctx["previous"] = previous
    rules = {f: sha256(params_dir / f) for f in ("disclosure.yaml", "benefits.yaml")}
    notebooks = {n: sha256(notebook(n)) for n in (SITE_NOTEBOOK, NATIONAL_NOTEBOOK)}
    data_hashes = site_data_hashes(data)
    keys = {s: {"data": data_hashes[s], "parameters": _digest([_site_parameters(s, params_dir), list(redact_names or [])]),
                "rules": rules, "notebook": notebooks[SITE_NOTEBOOK], "homekit": code} for s in chosen}
    before = {e["site_id"]: e for e in (previous or {}).get("sites", [])}
    kept = [s for s in chosen if _unchanged(previous, out, f"sites/{s}", keys[s], before.get(s))]
    results: dict[str, SiteRun] = {s: SiteRun(s) for s in chosen}
    for s in kept:
        results[s] = SiteRun.kept_from(s, before[s])
    if previous is not None:  # reports that will be rebuilt, or of sites no longer in the run, go now
        for folder in (out / "sites").glob("*") if (out / "sites").is_dir() else []:
            if folder.name not in kept:
                shutil.rmtree(folder)
    national = SiteRun("national")
    ctx["keys"] = keys
    _finish(ctx, results, national, "running", inputs_before)  # a folder that always says what it holds
    # each site's folder read for the audit once its report is written (a kept one as the notebooks
    # start, not during the preparation they wait for), while the other notebooks run: the audit at
    # the end reads only what changed since (the national folder)
    ctx["read_ahead"] = ahead = _ReadAhead(out, scratch=work)
    runner = None
    status = "complete"
    finished = False
    try:
        to_run = [s for s in chosen if s not in kept]
        runner = DaskExecutor(scheduler, client) if executor == "dask" else LocalExecutor(jobs, scratch=work / "scratch", keep_warm=True)
        if to_run and isinstance(runner, LocalExecutor):
            # kernels start and import homekit while the slices are written: one per lane the site
            # notebooks and the national synthesis (which runs beside them when data changed) fill
            runner.warm(min(jobs, len(to_run) + 1))
        # The run's own copy of the parameters it uses, beside the slices (shared with Dask workers).
        run_params = work / "parameters"
        run_params.mkdir(exist_ok=True)
        disclosure_file, benefits_file = (shutil.copyfile(params_dir / f, run_params / f) for f in ("disclosure.yaml", "benefits.yaml"))
        national_file, counts_file, spread_file = (work / f for f in RUN_FILES)
        prepared = None
        keep_rows = None
        own_rows: dict = {}
        if len(kept) < len(chosen):  # what the site notebooks read (nothing to prepare when every site is kept)
            from .preparation import kept_rows, site_rows

            # "national" is the sites of this run (a site that publishes nothing here must not be
            # in a national figure the site reports show: national minus the published sites
            # would be that site)
            # (an --update gates again only the sites' rounds whose rows changed since the last run
            # into this folder with the same rules and code: see prepared_cache)
            kept_key = _digest([rules, code, _libraries()])
            previous_rows = _read_private(prepared_cache(out), kept_key) if update and cache else None
            prepared = prepare_run(data.only_sites(chosen), disclosure_file, benefits_file, work, previous=previous_rows)
            if cache:  # (for the next run only: written by the reading thread while the notebooks run)
                keep_rows = functools.partial(_write_private, prepared_cache(out), kept_key, kept_rows(prepared))
            own_rows = site_rows(prepared, to_run)
        tasks = []
        sizes = {}
        for site_id in to_run:
            part = data.site(site_id)
            sizes[site_id] = sum(len(t) for t in part.tables.values())
            slice_file = work / f"slice_{site_id}.pkl"
            write_slice(slice_file, part, data.sources, own_rows.get(site_id))
            site_out = out / "sites" / site_id
            site_out.mkdir(parents=True, exist_ok=True)
            params = {
                "site_id": site_id, "data_slice": str(slice_file), "national_file": str(national_file), "counts_file": str(counts_file),
                "spread_file": str(spread_file), "output_dir": str(site_out),
                "disclosure_file": str(disclosure_file), "benefits_file": str(benefits_file),
                "redact_names": list(redact_names or []), **_site_parameters(site_id, params_dir),
            }
            name = str(data.sites.set_index("site_id").loc[site_id, "site_name"])
            tasks.append({"name": site_id, "notebook": SITE_NOTEBOOK,
                          "output_notebook": str(nb_dir / f"{site_id}.ipynb"), "html": str(site_out / "report.html"),
                          "title": f"{name}: Home Truths site report", "parameters": params,
                          "timeout": timeout, "task_file": str(work / f"task_{site_id}.json"), "result": str(work / f"result_{site_id}.json")})
        # longest first, so that the last notebooks to finish are short ones and no worker idles long
        # at the end: a site's time in the previous run in this folder, else the size of its slice
        tasks.sort(key=lambda t: (timings.get(t["name"], 0.0), sizes[t["name"]]), reverse=True)
        full_file = work / "data.pkl"
        nat_out = out / "national"

        def national_task(sites: list, concurrent: bool) -> tuple[dict, dict]:
            """The national synthesis of ``sites``, and its key (what its report depends on). Run beside
            the site notebooks (``concurrent``), it reads the sites' rows as the preparation gated
            them, the rows the site reports publish; after them, the sites' published files."""
            params = {"data_file": str(full_file), "sites": sites, "output_dir": str(nat_out),
                      "disclosure_file": str(disclosure_file), "benefits_file": str(benefits_file),
                      **({} if concurrent else {"site_dirs": str(out / "sites")}),
                      **(yaml.safe_load((params_dir / "national.yaml").read_text()) or {})}
            task = {"name": "national", "notebook": NATIONAL_NOTEBOOK,
                    "output_notebook": str(nb_dir / "national.ipynb"), "html": str(nat_out / "report.html"),
                    "title": "Home Truths: national synthesis", "parameters": params,
                    "timeout": timeout * 2, "task_file": str(work / "task_national.json"), "result": str(work / "result_national.json")}
            key = {"data": _digest(sorted(data_hashes.items())), "sites": sites, "rules": rules, "notebook": notebooks[NATIONAL_NOTEBOOK],
                   "homekit": code, "parameters": _digest({k: v for k, v in params.items() if not k.endswith(("_file", "_dir", "_dirs"))})}
            if not concurrent:
                key["site_indicators"] = {s: sha256(out / "sites" / s / "indicators.csv") for s in sites
                                          if (out / "sites" / s / "indicators.csv").is_file()}
            return task, key

        def start_national(task: dict) -> None:
            shutil.rmtree(nat_out, ignore_errors=True)
            nat_out.mkdir(parents=True)
            # (with the tables the preparation made, for the national notebook to reuse when it
            # pools the same sites: its national figures are then those the site reports show)
            pd.to_pickle({"data": data, "prepared": prepared}, full_file)

        # The national synthesis runs beside the site notebooks (first, as the longest), on the
        # preparation's gated rows of every site, when those are the rows the site reports publish:
        # every site reports every instrument it has. It is run again after them, on the sites that
        # succeeded, if one failed.
        beside = None
        alongside = not any(_site_parameters(s, params_dir).get("instruments") for s in chosen)
        if alongside:
            nat_task, nat_key = national_task(chosen, concurrent=True)
            if _unchanged(previous, out, "national", nat_key, (previous or {}).get("national")):
                national = SiteRun.kept_from("national", previous["national"])
                ctx["national_key"] = nat_key
            elif prepared is not None:
                start_national(nat_task)
                beside = (nat_task, nat_key)
                tasks.insert(0, nat_task)
        site_tasks = len(tasks) - (beside is not None)
        bar = tqdm(total=site_tasks, desc="site reports", unit="site", disable=not progress, file=sys.stderr)
        if keep_rows is not None:
            ahead.call(keep_rows)
        if tasks:  # (with nothing to run there is nothing to read beside)
            for s in kept:
                ahead.add(out / "sites" / s)
        # The audit made while the national notebook is the last one left (as in an --update after
        # a few sites changed): the national folder predicted from the preparation as the notebooks
        # start when the site notebooks are fewer than the lanes (they end soon), else once they
        # have ended with the national notebook still running (_ReadAhead); the audit itself once
        # every site's folder is written
        spare = beside is not None and isinstance(runner, LocalExecutor)
        predicted = False

        def predict_national() -> None:
            nonlocal predicted
            if not predicted:
                ahead.predict(nat_out, functools.partial(_write_national, beside[0]["parameters"]))
                predicted = True

        def audit_ahead() -> None:
            predict_national()
            ahead.audit_ahead(audit_cache(out) if cache else None)

        if spare and site_tasks < jobs:
            predict_national()
        if spare and site_tasks == 0:
            audit_ahead()
        done = 0
        for task, res in runner.map(tasks):
            run = SiteRun.from_result(task["name"], res)
            if beside is not None and task is beside[0]:
                national = run
            else:
                results[task["name"]] = run
                done += 1
                if run.status == "ok":
                    ahead.add(out / "sites" / task["name"])
                if spare and done == site_tasks and national.status == "pending" and all(r.status == "ok" for r in results.values()):
                    audit_ahead()
                bar.set_postfix_str(f"{task['name']}: {res['status']}")
                bar.update(1)
        bar.close()
        ok_sites = [s for s in chosen if results[s].status == "ok"]
        if beside is not None and ok_sites == chosen:
            ctx["national_key"] = beside[1]
        elif national.kept and ok_sites == chosen:
            pass
        elif not ok_sites:
            national = SiteRun("national", "failed", "no site succeeded", 0, 0)
        else:  # after the sites: a site failed (the synthesis of the others), or nothing was prepared
            nat_task, nat_key = national_task(ok_sites, concurrent=alongside and ok_sites == chosen)
            ctx["national_key"] = nat_key
            if _unchanged(previous, out, "national", nat_key, (previous or {}).get("national")):
                national = SiteRun.kept_from("national", previous["national"])
            else:
                start_national(nat_task)
                res = next(iter(runner.map([nat_task])))[1]
                national = SiteRun.from_result("national", res)
        finished = True
    except KeyboardInterrupt:
        status = "interrupted"
        _hold_sigint(True)  # a second Ctrl-C must not cut the clean-up short
    finally:
        ahead.close(wait=finished)  # (an interrupted or failed run does not wait for an audit made ahead)
        if runner is not None:
            runner.close()
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
        else:
            for f in work.glob("slice_*.pkl"):
                f.unlink()
            (work / "data.pkl").unlink(missing_ok=True)
            shutil.rmtree(work / "scratch", ignore_errors=True)
    if status == "interrupted":
        for r in [*results.values(), national]:
            if r.status == "pending":
                r.status = "interrupted"  # its folder may hold half-written files: none is kept
                shutil.rmtree(out / ("national" if r is national else f"sites/{r.site_id}"), ignore_errors=True)
    inputs_after = {p: sha256(p) for p in inputs_before}
    result = _finish(ctx, results, national, status, inputs_after)
    if status == "interrupted":
        _hold_sigint(False)
        raise RunInterrupted(result)
    if inputs_before != inputs_after:
        raise HomekitError("input files changed during the run (SHA-256 differs); see manifest.json")
    return result


def _libraries() -> dict:
    """The versions of the libraries the preparation's figures come from (a cache of rows
    computed with others is not used)."""
    import numpy
    import scipy

    return {"pandas": pd.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__}


def _write_national(parameters: dict, dest: Path) -> None:
    """The national folder's tables as the national notebook writes them, into ``dest``: the
    notebook's :meth:`NationalReport.open` on the same parameters, then its ``write_outputs``."""
    from .report import NationalReport

    files = ("data_dir", "data_file", "sites", "site_dirs", "disclosure_file", "benefits_file")
    report = NationalReport.open(**{k: parameters[k] for k in files if k in parameters},
                                 parameters={k: v for k, v in parameters.items() if k not in (*files, "output_dir")})
    report.write_outputs(str(dest))


def _private_file(kind: str, out: Path) -> Path:
    """This output folder's private file of ``kind`` in homekit's cache folder
    (:func:`homekit.io.cache_dir`), never in the published folder, named by the folder's path.
    Files of folders not run for 30 days are removed."""
    import hashlib

    from .io import cache_dir

    folder = cache_dir() / kind
    with contextlib.suppress(OSError):
        old = time.time() - 30 * 86400
        for f in folder.glob("*.pkl"):
            if f.stat().st_mtime < old:
                f.unlink()
    return folder / (hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:24] + ".pkl")


def audit_cache(out: Path) -> Path:
    """Where the audit of output folder ``out`` keeps the integer programs it settled
    (:func:`homekit.audit.audit`, ``cache``)."""
    return _private_file("audit", out)


def prepared_cache(out: Path) -> Path:
    """Where a run into ``out`` keeps every site's rows before and after the gate
    (:func:`homekit.preparation.kept_rows`), for an ``--update`` to gate only what changed. They
    hold exact counts: the file is readable by its owner only, like the data it comes from."""
    return _private_file("prepared", out)


def _read_private(path: Path, key: str):
    """What :func:`_write_private` kept under ``key`` (None when missing, unreadable or of another key)."""
    from .io import read_private

    got = read_private(path)
    return got.get("value") if isinstance(got, dict) and got.get("key") == key else None


def _write_private(path: Path, key: str, value) -> None:
    from .io import write_private

    write_private(path, {"key": key, "value": value})


class _ReadAhead:
    """Published folders read for the run's audit (:func:`homekit.audit.read_folder`) in a thread
    of the run's process while notebooks still run, each as soon as it is added; the audit uses a
    folder read ahead only if none of its files changed since, and counts the processor time
    each reading took in its own time.

    When the national notebook will be the last left to run (an ``--update`` after fewer sites
    changed than there are lanes: their notebooks end soon, and a core is then free while it
    runs), the same thread audits the run ahead of it: the national folder as that notebook will
    write it (:meth:`predict`: the national report's tables, built from the
    run's preparation by the code the notebook runs) with every site's folder as read
    (:meth:`audit_ahead`). That verdict stands only if, once the notebook has written the folder,
    every reading still holds (:func:`homekit.audit.readings_hold`: the prediction read back
    cell for cell the same, no other file changed); otherwise the folder is audited again."""

    def __init__(self, out: Path, scratch: Path | None = None):
        import queue
        import threading

        self.out, self.read, self.scratch = out, {}, scratch
        self.predicted: dict = {}
        self._spec: tuple | None = None
        self._stopped = False
        self._todo: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="homekit-read-ahead", daemon=True)
        self._thread.start()

    def add(self, folder: Path) -> None:
        self._todo.put(folder)

    def call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` in the thread, after what was added before."""
        self._todo.put(("call", fn))

    def predict(self, folder: Path, write: Callable[[Path], None]) -> None:
        """Read ``folder`` (of the output folder) as ``write(dest)`` writes it into a private
        folder ``dest`` (in ``scratch``), before the notebook that publishes it has finished."""
        self._todo.put(("predict", folder, write))

    def audit_ahead(self, cache: Path | None) -> None:
        """Audit every folder read or predicted so far (after what was added before)."""
        self._todo.put(("audit", cache))

    def _work(self) -> None:
        from .audit import audit_readings, published_folders, read_folder
        from .io import gc_paused

        while (item := self._todo.get()) is not None:
            if self._stopped:
                continue
            # (the collector paused for each step: see homekit.io.gc_paused)
            with contextlib.suppress(Exception), gc_paused():  # (what cannot be read or audited now is, at the end)
                if isinstance(item, Path):
                    self.read[str(item)] = read_folder(self.out, item)
                elif item[0] == "call":
                    item[1]()
                elif item[0] == "predict":
                    _, folder, write = item
                    # (in the run's work folder, which the run removes whatever happens)
                    root = Path(tempfile.mkdtemp(prefix="predicted-", dir=self.scratch))
                    try:
                        dest = root / folder.relative_to(self.out)
                        write(dest)
                        self.predicted[str(folder)] = {**read_folder(root, dest), "signature": None}
                    finally:
                        shutil.rmtree(root, ignore_errors=True)
                else:
                    readings = {}
                    for folder in published_folders(self.out):
                        readings[str(folder)] = self.predicted.get(str(folder)) or self.read.get(str(folder))
                    if all(readings.values()):
                        result = audit_readings(self.out, readings, cache=item[1], cancelled=lambda: self._stopped)
                        self._spec = (result, readings) if result is not None else None

    def close(self, wait: bool = True) -> None:
        """Stop once what was added is done (again: nothing); with ``wait`` False (an interrupted
        or failed run), at once: an audit under way stops at its next step, unused."""
        if not wait:
            self._stopped = True
        if self._thread.is_alive():
            self._todo.put(None)
            if wait:
                self._thread.join()

    def result(self) -> dict:
        """Every folder read (by path), once the reading has finished."""
        self.close()
        return self.read

    def verdict(self):
        """The audit made ahead (:meth:`audit_ahead`) if it is the audit of the folder as it is
        now (every reading holds), else None."""
        from .audit import readings_hold

        self.close()
        if self._spec is None or self._spec[0].unsettled:  # (cut short by its time limit: audited again, on both cores)
            return None
        result, readings = self._spec
        started = time.perf_counter()
        if not readings_hold(self.out, readings):
            return None
        result.seconds += time.perf_counter() - started
        return result


def _audit(out: Path, cache: bool = True, read_ahead: _ReadAhead | None = None) -> dict:
    """The run ends with its own attacker: what can be worked back from what it published (with
    ``cache``, the programs an earlier audit of this folder settled, unchanged, are taken as
    settled; ``read_ahead``: the folders :class:`_ReadAhead` read, and its audit made ahead)."""
    from .audit import audit

    result = read_ahead.verdict() if read_ahead is not None else None
    made_ahead = result is not None
    if result is None:
        result = audit(out, cache=audit_cache(out) if cache else None, read_ahead=read_ahead.result() if read_ahead is not None else None)
    verdict = result.verdict()
    verdict["summary"] = result.summary()
    verdict["made_ahead"] = made_ahead
    if made_ahead:
        verdict["summary"] += ("; audited while the national report was being made, on its tables as predicted, then "
                               "checked cell for cell against the files written")
    return verdict


_SAVED_SIGINT = None


def _hold_sigint(hold: bool) -> None:
    """Ignore SIGINT while cleaning up after one (main thread only), then restore the handler."""
    global _SAVED_SIGINT
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    if hold:
        _SAVED_SIGINT = signal.signal(signal.SIGINT, signal.SIG_IGN)
    elif _SAVED_SIGINT is not None:
        signal.signal(signal.SIGINT, _SAVED_SIGINT)
        _SAVED_SIGINT = None


def _finish(ctx: dict, results: dict, national: SiteRun, status: str, inputs_after: dict) -> RunResult:
    """Write the manifest and the index for the run's state (running, complete or interrupted); a
    complete run is audited first (an interrupted one is not publishable anyway)."""
    site_runs = [results[s] for s in ctx["options"]["sites"]]
    manifest = _manifest(ctx["data"], ctx["data_dir"], ctx["out"], ctx["params_dir"], site_runs, national, ctx["before"],
                         inputs_after, ctx["started"], ctx["options"])
    # What the audit reads (every published file, by content) and the code that reads it: the same
    # key gives the same verdict, so an --update that changed no published file keeps the previous
    # run's passed verdict instead of attacking the same files again.
    manifest["audit_key"] = _digest([ctx.get("code"), {o["path"]: o["sha256"] for o in manifest["outputs"]
                                                       if o["path"].startswith(("sites/", "national/"))}])
    verdict = None
    if status == "complete":
        before = ctx.get("previous") or {}
        if before.get("audit_key") == manifest["audit_key"] and (before.get("audit") or {}).get("passed"):
            verdict = {**before["audit"], "reused": True}
            note = "; the published files are byte for byte those audited by the previous run"
            verdict["summary"] = verdict.get("summary", "").split(note)[0] + note
        else:
            verdict = _audit(ctx["out"], ctx.get("cache", True), ctx.get("read_ahead"))
    manifest["audit"] = verdict
    manifest["status"] = status
    for entry in manifest["sites"]:
        entry["key"] = ctx.get("keys", {}).get(entry["site_id"])
        entry["kept"] = results[entry["site_id"]].kept
    manifest["national"]["key"] = ctx.get("national_key")
    manifest["national"]["kept"] = national.kept
    manifest["update"] = ctx["update"]
    manifest["parameters_source"] = ctx["params_source"]
    manifest["parameters_dir"] = Path(ctx["params_dir"]).name  # the folder name only: a server path is never published
    (ctx["out"] / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    write_index(ctx["out"], ctx["data"], site_runs, national, manifest)
    return RunResult(ctx["out"], site_runs, national, manifest, verdict)


def _outputs(folder: Path, root: Path) -> list[dict]:
    return [{"path": str(p.relative_to(root)), "sha256": _output_sha256(p), "bytes": p.stat().st_size}
            for p in sorted(folder.rglob("*")) if p.is_file()]


def _manifest(data, data_dir, out, params_dir, site_runs, national, before, after, started, options) -> dict:
    import platform

    finished = dt.datetime.now(dt.timezone.utc)
    param_files = {str(p.relative_to(params_dir)): sha256(p) for p in sorted(params_dir.rglob("*.yaml"))} if params_dir.exists() else {}
    return {
        "homekit_version": __version__,
        "python": platform.python_version(),
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "data_dir": Path(data_dir).name,  # the folder name only: a server path is never published
        "options": options,
        "inputs": [{"instrument": s.instrument, "file": Path(s.path).name, "rows": s.rows, "sha256_before": before[s.path],
                    "sha256_after": after[s.path], "unchanged": before[s.path] == after[s.path]} for s in data.sources],
        "parameters": param_files,
        "sites": [{"site_id": s.site_id, "status": s.status, "error": s.error, "seconds": s.seconds, "attempts": s.attempts}
                  for s in site_runs],
        "national": {"status": national.status, "error": national.error, "seconds": national.seconds},
        "outputs": _outputs(out, out),
    }


_INDEX_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;max-width:1000px;margin:2em auto;color:#212b32;padding:0 1em}
h1{color:#005eb8} table{border-collapse:collapse;width:100%;margin:1em 0} th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #d8dde0}
th{background:#f0f4f5} .audit-failed{background:#d5281b;color:#fff;padding:1em;font-weight:600}
.audit-failed li{font-weight:400;font-family:monospace;font-size:12px} .audit-passed{color:#007f3b} .ok{color:#007f3b;font-weight:600} .failed{color:#d5281b;font-weight:600} .err{font-family:monospace;font-size:12px;color:#425563}
.interrupted,.pending,.running{color:#ae2573;font-weight:600}
a{color:#005eb8} .meta{color:#425563;font-size:14px}
"""


def write_index(out: Path, data, site_runs, national, manifest) -> Path:
    """``index.html``: the status of every site with links to its report, indicators and summary."""
    names = data.sites.set_index("site_id")
    rows = []
    for s in site_runs:
        rel = f"sites/{s.site_id}"
        links = []
        for f, label in (("report.html", "report"), ("indicators.csv", "indicators.csv"), ("change.csv", "change.csv"),
                         ("summary.xlsx", "summary.xlsx")):
            if (out / rel / f).exists():
                links.append(f'<a href="{rel}/{f}">{label}</a>')
        err = f'<div class="err">{html.escape(s.error or "")}</div>' if s.error else ""
        rows.append(f"<tr><td>{html.escape(str(names.loc[s.site_id, 'site_name']))}</td><td>{int(names.loc[s.site_id, 'wave'])}</td>"
                    f'<td class="{s.status}">{s.status}{" (unchanged, kept)" if s.kept else ""}</td><td>{" · ".join(links)}{err}</td><td>{s.seconds:.0f} s</td></tr>')
    nat_links = " · ".join(f'<a href="national/{f}">{label}</a>' for f, label in
                           (("report.html", "national report"), ("indicators.csv", "indicators.csv"), ("change.csv", "change.csv"),
                            ("summary.xlsx", "summary.xlsx"))
                           if (out / "national" / f).exists())
    n_ok = sum(s.status == "ok" for s in site_runs)
    nat_err = f'<div class="err">{html.escape(national.error or "")}</div>' if national.error else ""
    audit_html = _audit_html(manifest.get("audit"))
    status = manifest.get("status", "complete")
    banner = "" if status == "complete" else (
        f'<p class="{status}">This run is {status}: only the reports marked ok below are complete.'
        ' Run again with --overwrite (or --update) to finish it.</p>')
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Home Truths reports</title><style>{_INDEX_CSS}</style></head>
<body><h1>Home Truths reports</h1>
{banner}
{audit_html}
<p class="meta">homekit {html.escape(manifest['homekit_version'])} · run finished {html.escape(manifest['finished'])} ·
{n_ok} of {len(site_runs)} sites succeeded · inputs unchanged: {'yes' if all(i['unchanged'] for i in manifest['inputs']) else 'no'}</p>
<h2>National synthesis</h2>
<p class="{national.status}">{national.status}</p><p>{nat_links}</p>{nat_err}
<h2>Sites</h2>
<table><thead><tr><th>site</th><th>wave</th><th>status</th><th>outputs</th><th>time</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<p class="meta">Figures in every report have passed disclosure control: counts about people from 1 to 7 read [c] and other counts are rounded to 5; opinions of professionals are shown only for groups of at least 11.
Run details: <a href="{MANIFEST}">{MANIFEST}</a>.</p>
</body></html>
"""
    path = out / "index.html"
    path.write_text(doc, encoding="utf-8")
    return path


def _audit_html(verdict: dict | None) -> str:
    if not verdict:
        return ""
    text = html.escape(verdict.get("summary", ""))
    if verdict.get("passed"):
        return f'<p class="audit-passed">Disclosure audit: {text}.</p>'
    items = "".join(
        f"<li>{html.escape(f['file'])}: {html.escape(f['indicator'])} {html.escape(f['group'])}: {html.escape(f['cell'])} "
        f"recovered {html.escape(f['recovered'])} by {html.escape(f['attack'])} ({html.escape(f['rule'])})</li>"
        for f in verdict.get("first_findings", [])[:10])
    text = html.escape(verdict.get("summary", "").replace("audit FAILED: ", "", 1))
    return (f'<div class="audit-failed" role="alert">DISCLOSURE AUDIT FAILED: do not publish these files. {text}.'
            f"<ul>{items}</ul>Run <code>homekit audit OUT --all</code> for every finding.</div>")
