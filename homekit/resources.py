"""Files that ship inside the package: the notebooks and the default parameters.

The canonical copies live in the repository's top-level ``notebooks/`` and ``parameters/``
folders; the package carries them (``homekit/notebooks`` and ``homekit/parameters`` are links
to those folders in a checkout and real folders in a wheel), so an installed homekit, a Dask
worker included, needs nothing from the client's disk. Everything here is read through
:mod:`importlib.resources`.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from .exceptions import HomekitError

__all__ = ["NOTEBOOK_NAMES", "notebook", "notebooks_dir", "default_parameters", "resolve_parameters", "init_project"]

#: The notebooks the package ships: the batch runs the first two; the others are for people.
NOTEBOOK_NAMES = ("site_analysis.ipynb", "national_synthesis.ipynb", "benefits_model.ipynb", "explore.ipynb")
#: Parameter files the batch needs in a parameters folder.
REQUIRED_PARAMETERS = ("disclosure.yaml", "benefits.yaml", "national.yaml")


def _package_dir(name: str) -> Path:
    return Path(str(files("homekit").joinpath(name)))


def notebooks_dir() -> Path:
    """The folder of packaged notebooks."""
    return _package_dir("notebooks")


def notebook(name: str) -> Path:
    """The packaged notebook ``name`` (e.g. ``"site_analysis.ipynb"``); an error when it is missing."""
    path = notebooks_dir() / name
    if not path.is_file():
        raise HomekitError(f"the notebook {name} is missing from this homekit installation ({notebooks_dir()}); reinstall homekit")
    return path


def default_parameters() -> Path:
    """The packaged default parameters folder."""
    return _package_dir("parameters")


def check_parameters(folder: Path) -> None:
    """Stop before a run starts when a parameters folder lacks a file the batch needs."""
    if not folder.is_dir():
        raise HomekitError(f"the parameters folder {folder} does not exist")
    missing = [f for f in REQUIRED_PARAMETERS if not (folder / f).is_file()]
    if missing:
        raise HomekitError(f"the parameters folder {folder} lacks {', '.join(missing)}; "
                           "`homekit init DIR` writes a complete one to start from")


def resolve_parameters(explicit: str | os.PathLike | None = None, cwd: str | os.PathLike | None = None) -> tuple[Path, str]:
    """The parameters folder a run uses and why: ``--parameters DIR`` when given, else
    ``./parameters`` when the current folder has one (a project made by ``homekit init``), else
    the packaged defaults. Returns ``(folder, source)`` with source ``"option"``, ``"project"`` or
    ``"packaged defaults"``; the folder is checked for the files the batch needs."""
    if explicit:
        folder, source = Path(explicit).resolve(), "option"
    elif (Path(cwd or os.getcwd()) / "parameters").is_dir():
        folder, source = (Path(cwd or os.getcwd()) / "parameters").resolve(), "project"
    else:
        folder, source = default_parameters().resolve(), "packaged defaults"
    check_parameters(folder)
    return folder, source


def _copy_tree(src: Path, dst: Path, pattern: str) -> list[Path]:
    written = []
    for f in sorted(src.rglob(pattern)):
        target = dst / f.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.read_bytes())
        written.append(target)
    return written


def init_project(directory: str | os.PathLike) -> list[Path]:
    """Write a project folder of one's own: ``parameters/`` (the defaults, to edit), ``data/``
    (empty, with the data-entry templates in ``data/templates/``) and ``notebooks/`` (to open in
    JupyterLab). Refuses a folder that exists and is not empty. Returns the files written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> files = init_project(pathlib.Path(tempfile.mkdtemp()) / "my-project")
    >>> sorted({f.parent.name for f in files} & {"parameters", "notebooks", "templates"})
    ['notebooks', 'parameters', 'templates']
    """
    from .templates import write_templates

    root = Path(directory)
    if root.exists() and any(root.iterdir()):
        raise HomekitError(f"{root} exists and is not empty; choose a new folder")
    written = _copy_tree(default_parameters(), root / "parameters", "*.yaml")
    written += _copy_tree(notebooks_dir(), root / "notebooks", "*.ipynb")
    written += write_templates(root / "data" / "templates")
    readme = root / "README.txt"
    readme.write_text(
        "A homekit project.\n\n"
        "parameters/   disclosure rules, benefits model, national and per-site settings (edit these)\n"
        "data/         put the site exports here (sites.csv, gp_survey.csv, ...); data/templates/ has\n"
        "              an empty file per instrument, dictionary.csv and a data-entry workbook\n"
        "notebooks/    open in JupyterLab (`jupyter lab notebooks/`); explore.ipynb teaches the API\n\n"
        "From this folder:\n"
        "  homekit validate data\n"
        "  homekit run --data-dir data --output-dir reports   # uses ./parameters\n", encoding="utf-8")
    return written + [readme]
