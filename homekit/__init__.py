"""homekit: validated data, indicators with uncertainty and reports for Home Truths sites.

The package is arranged so that data flows one way::

    instruments (dictionary) -> io (readers) -> validate -> loaders
        -> stats / indicators -> disclosure -> report, plots -> pipeline, cli
"""

from importlib.metadata import PackageNotFoundError, version

from .exceptions import HomekitError, ParameterError, Problem, ValidationError
from .loaders import Dataset, load, load_data_dir, long_view

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
