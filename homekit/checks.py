"""Notebook parameters checked before any analysis runs (the first cell of every notebook).

Each notebook's cell after its parameters calls one of these, so that a wrong parameter (a site
that is not in the data, a site without the data the notebook needs, a what-if outside its
parameter's range) stops the notebook at once with a message that says what to change, instead
of failing halfway or, worse, running on something else.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from .exceptions import ParameterError
from .instruments import INSTRUMENTS

__all__ = ["check_site_parameters", "check_national_parameters", "check_what_if", "sites_with_data"]

#: Instruments that hold a site's evidence (sites and services describe it).
EVIDENCE = tuple(i for i in INSTRUMENTS if i not in ("sites", "services"))


def _data_dir(data_dir: str | os.PathLike) -> Path:
    if data_dir:
        return Path(data_dir)
    from .example_data import example_data_dir

    return example_data_dir()


def sites_with_data(data_dir: str | os.PathLike = "", instruments=None) -> dict[str, set[str]]:
    """``{instrument: site ids with at least one row}`` read from the files of ``data_dir``
    (empty: the bundled example data), before validation; ``"sites"`` lists every site.

    Examples
    --------
    >>> found = sites_with_data("", ["sites", "case_reviews"])
    >>> "wiltshire" in found["case_reviews"] and "barnsley" in found["sites"]
    True
    """
    from .io import find_instrument_file, read_raw

    folder = _data_dir(data_dir)
    out: dict[str, set[str]] = {}
    for name in instruments or INSTRUMENTS:
        path, _ = find_instrument_file(folder, name)
        if path is None:
            out[name] = set()
            continue
        frame = read_raw(path, name).frame
        out[name] = {str(s).strip() for s in frame["site_id"]} - {""} if "site_id" in frame.columns else set()
    return out


def _check_site(site_id, found: dict, where: str) -> None:
    if not isinstance(site_id, str) or site_id not in found["sites"]:
        known = ", ".join(sorted(found["sites"])) or "none"
        raise ParameterError("site_id", f"{site_id!r} is not a site in {where} (sites: {known})")


def check_site_parameters(site_id: str, *, data_dir: str = "", data_slice: str = "", instruments=None,
                          needs: tuple[str, ...] = ()) -> None:
    """Check a site notebook's parameters: ``site_id`` is a site of the data, the site has rows in
    every instrument of ``needs`` (default: in at least one instrument holding evidence), and
    ``instruments`` (a list of instrument names, or empty for all) names real instruments.

    With ``data_slice`` (set by ``homekit run``, which already checked the site) only
    ``instruments`` is checked.

    Raises
    ------
    ParameterError
        Naming the parameter, what is wrong and what it could be.

    Examples
    --------
    >>> check_site_parameters("barnsley")            # the bundled example data
    >>> check_site_parameters("atlantis")
    Traceback (most recent call last):
    ...
    homekit.exceptions.ParameterError: parameter 'site_id': 'atlantis' is not a site in the bundled example data (sites: barnsley, ...)
    """
    wanted = list(instruments or [])
    bad = [w for w in wanted if w not in INSTRUMENTS]
    if bad:
        raise ParameterError("instruments", f"{bad[0]!r} is not an instrument; choose from {', '.join(INSTRUMENTS)} (or [] for all)")
    if data_slice:
        return
    where = f"the data folder {data_dir}" if data_dir else "the bundled example data"
    found = sites_with_data(data_dir, ["sites", *(needs or EVIDENCE)])
    _check_site(site_id, found, where)
    if needs:
        missing = [n for n in needs if site_id not in found[n]]
        if missing:
            having = sorted(set.intersection(*(found[n] for n in needs)))
            raise ParameterError("site_id", f"{site_id!r} has no {' or '.join(missing)} rows in {where}, which this notebook needs; "
                                            f"sites that have them: {', '.join(having) or 'none'}")
    elif not any(site_id in found[n] for n in EVIDENCE):
        raise ParameterError("site_id", f"{site_id!r} is listed in sites but has no survey, case review, flow or intervention rows "
                                        f"in {where}: there is nothing to report")


def check_national_parameters(sites=(), *, data_dir: str = "", data_file: str = "") -> None:
    """Check the national notebook's ``sites`` (empty: every site) against the data."""
    if not isinstance(sites, (list, tuple)):
        raise ParameterError("sites", f"must be a list of site ids, got {sites!r}")
    if data_file or not sites:
        return
    found = sites_with_data(data_dir, ["sites"])
    for s in sites:
        _check_site(s, found, f"the data folder {data_dir}" if data_dir else "the bundled example data")


def check_what_if(what_if: dict, benefits_file: str | os.PathLike) -> dict:
    """Check the benefits notebook's what-ifs against ``benefits_file``: every name is a model
    parameter and every value a number inside that parameter's range (``low`` to ``high``, the
    range its source supports). To go beyond a range, widen it in the parameters file, with its
    source. Returns the what-ifs as floats.

    Examples
    --------
    >>> from homekit.resources import default_parameters
    >>> check_what_if({"realisation_rate": 0.3}, default_parameters() / "benefits.yaml")
    {'realisation_rate': 0.3}
    >>> check_what_if({"realisation_rate": 30}, default_parameters() / "benefits.yaml")
    Traceback (most recent call last):
    ...
    homekit.exceptions.ParameterError: parameter 'realisation_rate' in ...: what-if value 30 is outside the parameter's range 0.25 to 0.75 ...
    """
    from .benefits import BenefitsModel

    if not isinstance(what_if, dict):
        raise ParameterError("what_if", f"must be a dictionary of parameter names and values, got {what_if!r}")
    model = BenefitsModel.from_yaml(benefits_file)
    checked = {}
    for name, value in what_if.items():
        if name not in model.parameters:
            raise ParameterError(name, f"is not a parameter of the benefits model; choose from {', '.join(sorted(model.parameters))}",
                                 str(benefits_file))
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ParameterError(name, f"what-if value must be a number, got {value!r}", str(benefits_file)) from None
        p = model.parameters[name]
        if not math.isfinite(v) or not (p.low <= v <= p.high):
            raise ParameterError(name, f"what-if value {value!r} is outside the parameter's range {p.low:g} to {p.high:g} "
                                       "(widen low/high in the benefits parameters, with a source, to go beyond it)",
                                 str(benefits_file))
        checked[name] = v
    return checked
