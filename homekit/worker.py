"""Execute one notebook task in its own process: ``python -m homekit.worker TASK.json``.

The task names the notebook, where the executed copy and its HTML go, and the parameters. The
kernel is this process's own Python (a kernel spec written to a private folder), so a plain
``pip install homekit`` needs no kernel set-up. A kernel that fails to start is retried; a cell
that fails is not (the executed notebook with the error is kept). The result is written as JSON
beside the task.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

KERNEL_NAME = "homekit-run"
#: The environment variable naming a folder for this worker's private files (kernel spec, Jupyter
#: runtime files, notebook copies). The batch points it into the run's work folder so removing that
#: folder removes everything, even after a worker was killed.
SCRATCH_ENV = "HOMEKIT_SCRATCH"

_SCRATCH: str | None = None


def scratch_dir() -> str:
    """This process's private folder: under ``$HOMEKIT_SCRATCH`` when set, else a temp folder
    removed when the process exits."""
    global _SCRATCH
    if _SCRATCH is None:
        parent = os.environ.get(SCRATCH_ENV)
        if parent:
            Path(parent).mkdir(parents=True, exist_ok=True)
        _SCRATCH = tempfile.mkdtemp(prefix="homekit-worker-", dir=parent or None)
        atexit.register(shutil.rmtree, _SCRATCH, True)
    return _SCRATCH


def _kernel_spec_dir() -> str:
    """A private Jupyter data folder whose only kernel runs this interpreter."""
    root = Path(scratch_dir()) / "jupyter"
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "homekit (this environment)",
        "language": "python",
        "env": {"MPLBACKEND": "module://matplotlib_inline.backend_inline", "PYTHONHASHSEED": "0"},
    }))
    return str(root)


_SPEC_DIR: str | None = None


def _ensure_kernel_spec() -> None:
    """Point Jupyter at this process's private kernel spec and runtime folder (once per process)."""
    global _SPEC_DIR
    if _SPEC_DIR is None:
        _SPEC_DIR = _kernel_spec_dir()
    os.environ["JUPYTER_PATH"] = _SPEC_DIR
    os.environ["JUPYTER_RUNTIME_DIR"] = str(Path(scratch_dir()) / "runtime")
    # (IPython's folder too: the kernels, and IPython imported here, would make a profile in the user's home)
    os.environ["IPYTHONDIR"] = str(Path(scratch_dir()) / "ipython")
    os.environ.setdefault("PYTHONHASHSEED", "0")


def notebook_path(name: str) -> str:
    """A task's notebook: a bare name is the packaged notebook of that name (so a Dask worker
    needs only homekit installed); a path is used as it is."""
    if os.sep in name or "/" in name:
        return name
    from .resources import notebook

    return str(notebook(name))


def to_html(notebook: str | os.PathLike, html_path: str | os.PathLike, title: str) -> None:
    """Write the published, self-contained HTML of an executed notebook: its sections' outputs
    only (no code, parameters, printed text, warnings or errors); see :mod:`homekit.notebook_html`."""
    import nbformat

    from .notebook_html import notebook_to_html

    nb = nbformat.read(str(notebook), as_version=4)
    Path(html_path).write_text(notebook_to_html(nb, title), encoding="utf-8")


def is_kernel_start_failure(exc: BaseException) -> bool:
    """Errors raised before any cell ran: the kernel did not start or did not answer."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return False
    text = f"{type(exc).__name__}: {exc}".lower()
    return any(k in text for k in ("kernel died", "kernel didn't respond", "timeout waiting for kernel", "no such kernel",
                                   "kernel failed to start", "timeouterror", "zmq", "deadkernel", "runtimeerror: kernel"))


RESET_TAG = "homekit-reset"
#: Markdown cells that tell a notebook reader which function draws the next section; not published.
CODE_TAG = "homekit-code"


def reset_namespace() -> None:
    """Clear the namespace of the kernel this is called in, for the next notebook: IPython's
    ``reset`` (as ``%reset -f``, keeping the history session), without the full garbage collection
    its output cache flush ends with (0.1-0.2 s a notebook, over every object of pandas,
    matplotlib and statsmodels the kernel has imported; Python's own generational collector
    still frees what the last notebook left in cycles)."""
    import gc

    from IPython import get_ipython

    collect = gc.collect
    gc.collect = lambda generation=2: 0
    try:
        get_ipython().reset(new_session=False)
    finally:
        gc.collect = collect


def _with_reset_cell(notebook: str) -> str:
    """A copy of ``notebook`` whose first cell clears the namespace (for a reused kernel)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cell = nbformat.v4.new_code_cell("from homekit.worker import reset_namespace\nreset_namespace()")
    cell.metadata["tags"] = [RESET_TAG]
    nb.cells.insert(0, cell)
    fd, path = tempfile.mkstemp(suffix=".ipynb", prefix="homekit-nb-", dir=scratch_dir())
    os.close(fd)
    nbformat.write(nb, path)
    return path


def run_task(task: dict, km=None) -> dict:
    """Execute the notebook of ``task``; returns the result (status, error, seconds, attempts).

    With ``km`` (a started kernel manager) the notebook runs on that kernel after a namespace
    reset, so a worker serving many sites pays the kernel start and imports once.
    """
    import papermill as pm

    start = time.time()
    _ensure_kernel_spec()
    retries = int(task.get("kernel_retries", 2))
    attempts = 0
    error = None
    status = "ok"
    source = notebook_path(task["notebook"])
    notebook = _with_reset_cell(source) if km is not None else source
    extra = {"km": km} if km is not None else {}
    while True:
        attempts += 1
        try:
            if km is not None and not km.is_alive():
                km.restart_kernel(now=True)  # a dead kernel: start it again before this notebook
            pm.execute_notebook(
                notebook, task["output_notebook"], parameters=task["parameters"], kernel_name=KERNEL_NAME, language="python",
                cwd=task.get("cwd") or os.path.dirname(source), progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                start_timeout=int(task.get("start_timeout", 60)), **extra,
            )
            break
        except Exception as exc:  # noqa: BLE001 - everything is reported in the result
            if attempts <= retries and is_kernel_start_failure(exc):
                time.sleep(1.0 * attempts)
                continue
            status = "failed"
            error = _summarise(exc)
            break
    if notebook != source:
        os.unlink(notebook)
    if status == "ok" and task.get("html"):
        try:
            to_html(task["output_notebook"], task["html"], task.get("title", "report"))
        except Exception as exc:  # noqa: BLE001
            status, error = "failed", "HTML conversion failed: " + _summarise(exc)
    return {"status": status, "error": error, "seconds": round(time.time() - start, 2), "attempts": attempts}


def _summarise(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"[:2000]
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]


def _fresh_kernel():
    """A new kernel (fresh connection file and ports) running this interpreter, with one client
    kept connected for every notebook it runs (:class:`_KeptKernel`)."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel()
    _preload(km)
    return _KeptKernel(km)


class _KeptKernel:
    """A kernel manager whose ``client()`` is one client, connected once.

    nbclient asks the manager of a kernel it does not own for a new client for every notebook,
    and waits until that client's IOPub channel has been quiet for 0.2 s before the first cell
    (jupyter_client's ``wait_for_ready``), then leaves the client's sockets open (it stops only
    the clients of kernels it owns). One kept client skips both: after its first notebook, a
    notebook starts with one ``kernel_info`` round trip. Messages left from an earlier notebook
    are never taken for this one's (nbclient matches every reply and output to the request that
    made it). Everything else is the manager's own.
    """

    def __init__(self, km):
        self._km = km
        self._kc = None

    def __getattr__(self, name):
        return getattr(self._km, name)

    def client(self, **kwargs):
        if self._kc is None:
            self._kc = _KeptClient(self._km.client(**kwargs))
        return self._kc

    def restart_kernel(self, *args, **kwargs):
        if self._kc is not None:
            self._kc.ready = False  # the next notebook waits for the new kernel in full
        return self._km.restart_kernel(*args, **kwargs)

    def shutdown_kernel(self, *args, **kwargs):
        if self._kc is not None:
            self._kc.close()
            self._kc = None
        return self._km.shutdown_kernel(*args, **kwargs)


class _KeptClient:
    """A started kernel client that nbclient may start, wait for and stop as often as it likes."""

    def __init__(self, kc):
        self._kc = kc
        self.ready = False

    def __getattr__(self, name):
        return getattr(self._kc, name)

    def start_channels(self, *args, **kwargs):
        if not self._kc.channels_running:
            self._kc.start_channels(*args, **kwargs)

    def wait_for_ready(self, timeout=None):
        if not self.ready:  # the first notebook (or the first after a restart): jupyter_client's full wait
            self._kc.wait_for_ready(timeout=timeout)
            self.ready = True
            return
        reply = self._kc.kernel_info(reply=True, timeout=timeout if timeout is not None else 60)
        if reply["content"].get("status") != "ok":
            raise RuntimeError("kernel didn't respond to kernel_info")

    def stop_channels(self):
        pass  # kept for the next notebook; :meth:`close` stops it

    def close(self):
        if self._kc.channels_running:
            self._kc.stop_channels()


#: Imported in a fresh kernel before its first notebook (a %reset keeps imported modules), so the
#: import time is paid while the batch is still preparing, not by the first site. What is then in
#: memory (the modules of pandas, matplotlib, statsmodels and the rest: objects that live as long
#: as the kernel) is set aside from Python's cyclic collector (``gc.freeze``), which would
#: otherwise walk it again at every full collection a notebook triggers: a tenth of every
#: notebook's time (the 11-site demo batch: 27.8 s -> 25.9 s). A notebook's own objects are
#: collected as before.
PRELOAD = ("import homekit.report, homekit.checks, matplotlib.pyplot, matplotlib.backends.backend_agg, pandas.io.formats.html, "
           "statsmodels.stats.contingency_tables, statsmodels.stats.multitest, openpyxl\n"
           "import gc\ngc.collect()\ngc.freeze()")


def _preload(km) -> None:
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        kc.execute_interactive(PRELOAD, store_history=False, timeout=300, output_hook=lambda msg: None)
    except Exception:  # noqa: BLE001 - a failed preload only costs time: the notebook imports again
        pass
    finally:
        kc.stop_channels()


def _shutdown(km) -> None:
    try:
        km.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001 - a kernel that is already gone needs no shutdown
        pass


def serve(renew_every: int = 20) -> int:
    """Run tasks read as JSON lines from standard input on one reused kernel; after each, print
    ``done <name>`` (the result itself is written to the task's result file).

    The kernel is replaced by a fresh one every ``renew_every`` notebooks (bounding what a
    long-lived kernel accumulates) and after any failure that left it dead or unusable.
    """
    _ensure_kernel_spec()
    km = _fresh_kernel()
    # imported while the batch prepares, not when the first notebook is done (the HTML step is a
    # module of its own, outside homekit.report, so a worker never imports pandas and matplotlib)
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    from . import notebook_html  # noqa: F401

    served = 0
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            task = json.loads(line)
            try:
                if served and served % renew_every == 0:
                    _shutdown(km)
                    km = _fresh_kernel()
                result = run_task(task, km=km)
                if result["status"] != "ok" and not km.is_alive():
                    _shutdown(km)
                    km = _fresh_kernel()
            except Exception as exc:  # noqa: BLE001 - the task fails, the worker goes on
                result = {"status": "failed", "error": "worker: " + _summarise(exc), "seconds": 0, "attempts": 1}
                _shutdown(km)
                km = _fresh_kernel()
            Path(task["result"]).write_text(json.dumps(result))
            served += 1
            print(f"done {task['name']}", flush=True)
    finally:
        _shutdown(km)
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # jsonschema (imported with nbformat) builds a grammar for IRI formats when the optional
    # rfc3987-syntax package is installed: 0.8 s in every worker, for a check notebooks never need
    # (their schema has no IRI field, and nbformat validates with fastjsonschema). This process
    # only runs notebooks, so it goes without.
    sys.modules.setdefault("rfc3987_syntax", None)
    if argv and argv[0] == "--serve":
        return serve()
    task_file = Path(argv[0])
    task = json.loads(task_file.read_text())
    result = run_task(task)
    Path(task["result"]).write_text(json.dumps(result))
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
