"""homekit: validated data, indicators with uncertainty and reports for Home Truths sites.

The package is arranged so that data flows one way::

    instruments (dictionary) -> io (readers) -> validate -> loaders
        -> stats / indicators -> disclosure -> report, plots -> pipeline, cli
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from .exceptions import HomekitError, ParameterError, Problem, ValidationError

#: Imported when first used (PEP 562): ``import homekit.worker`` in a notebook worker, which needs
#: none of them, does not import pandas and pandera.
_LAZY = {"Dataset": "loaders", "load": "loaders", "load_data_dir": "loaders", "long_view": "loaders"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'homekit' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])

try:
    __version__ = version("homekit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "load",
    "load_data_dir",
    "long_view",
    "Dataset",
    "HomekitError",
    "ValidationError",
    "ParameterError",
    "Problem",
    "__version__",
]
