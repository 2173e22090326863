"""A run's preparation: the national rows, every site's rows, and the sites' rows through the gate.

``homekit run`` computes these once, before the site notebooks start (the site reports compare
with the national figures and the spread of the sites made from them), and hands them to the
national synthesis; :class:`homekit.report.NationalReport` computes them the same way when it is
opened outside a run (JupyterLab, or the national synthesis re-run alone). One function, so the
national figures a national report publishes are always those the site reports compare with.

This room sits after :mod:`homekit.disclosure` (it gates) and before :mod:`homekit.report` and
:mod:`homekit.pipeline` (which call it); it draws nothing and writes nothing.
"""

from __future__ import annotations

import pandas as pd

from .disclosure import DisclosureRules, disclose_indicators
from .indicators import compute_indicators, indicator_history
from .io import gc_paused
from .loaders import Dataset

__all__ = ["prepare_national", "gate_national", "site_rows", "kept_rows"]

#: What :func:`site_rows` hands a site report: its rows before and after the gate, latest and every round.
SITE_KEYS = ("raw_sites", "published_sites", "raw_history", "published_history")


def prepare_national(data: Dataset, site_rules: DisclosureRules, weekly_costs: dict | None = None,
                     national_rules: DisclosureRules | None = None, previous: dict | None = None) -> dict:
    """National rows -> every site's rows (compared with the other sites) -> the sites' rows gated.

    Parameters
    ----------
    data : Dataset
        The sites of the run (every survey round; each site's latest round is described).
    site_rules : DisclosureRules
        The site level rules the site reports publish with (:func:`homekit.disclosure.load_rules`).
    weekly_costs : dict, optional
        Weekly cost of each pathway (``case_ideal_cheaper``), from the run's ``benefits.yaml``
        (:func:`homekit.benefits.weekly_costs`); the packaged costs when not given.
    national_rules : DisclosureRules, optional
        The national level rules: the national rows are gated too (``published_national``).
    previous : dict, optional
        An earlier preparation with the same rules and the same code (its ``raw_sites``,
        ``published_sites``, ``raw_history`` and ``published_history``; :func:`kept_rows`): a
        site's round whose rows are exactly as they were then is published as it was, not gated
        again (``gated`` of :func:`homekit.disclosure.disclose_indicators`), so that a run updated
        after one site's data changed gates that site only.

    Returns
    -------
    dict
        ``sites``: the sorted site ids; ``indicators``: the national rows before the gate (exact
        counts, never published as they are); ``raw_sites``: every site's rows before the gate,
        with their comparison with the other sites (national minus the site); ``published_sites``:
        those rows through the gate with ``site_rules``, as the sites publish them (the national
        gate checks national minus the published sites against them); with ``national_rules``,
        ``published_national``: the national rows through the gate, checked against the sites
        (national minus the published sites gives nothing small back), the national figures both
        the site reports and the national report show; ``raw_history`` and ``published_history``:
        every site's rows of every survey round, before and after the gate with ``site_rules`` (a
        site report's change over rounds and ``history.csv``; the national report's check of the
        pooled rounds against them).

    A site's rows do not depend on the other sites computed and gated with it (a test holds the
    indicators to this), so the site reports publish these rows (:func:`site_rows`) instead of
    computing and gating their own again.

    Examples
    --------
    >>> from homekit import load_data_dir
    >>> from homekit.disclosure import load_rules
    >>> from homekit.example_data import example_data_dir
    >>> data = load_data_dir(example_data_dir()).only_sites(["barnsley", "croydon"])
    >>> prepared = prepare_national(data, load_rules(None, "site"))
    >>> prepared["sites"]
    ['barnsley', 'croydon']
    >>> sorted(prepared["raw_sites"].site_id.unique()) == prepared["sites"]
    True
    """
    with gc_paused():  # (a few thousand small tables, all kept to the end: see homekit.io.gc_paused)
        return _prepare(data, site_rules, weekly_costs, national_rules, previous)


def _prepare(data, site_rules, weekly_costs, national_rules, previous) -> dict:
    national = compute_indicators(data, level="national", weekly_costs=weekly_costs)
    sites = compute_indicators(data, national=national, weekly_costs=weekly_costs)
    published = disclose_indicators(sites, site_rules, gated=None if previous is None else (previous["raw_sites"], previous["published_sites"]))
    history = indicator_history(data)
    # (each site's latest round is the rows just gated: only the earlier rounds are gated here, or
    # taken from the previous preparation where they are as they were)
    before, after = sites, published
    if previous is not None:
        before, after = _with_earlier(history, sites, published, previous["raw_history"], previous["published_history"])
    out = {"sites": sorted(data.site_ids), "indicators": national, "raw_sites": sites, "published_sites": published,
           "raw_history": history, "published_history": disclose_indicators(history, site_rules, gated=(before, after))}
    if national_rules is not None:
        out["published_national"] = gate_national(out, national_rules)
    return out


def _with_earlier(history: pd.DataFrame, raw: pd.DataFrame, published: pd.DataFrame, raw_earlier: pd.DataFrame,
                  published_earlier: pd.DataFrame):
    """One ``(before, after)`` pair for gating ``history`` with ``gated``, each scope (site and
    period) whole from one source: the rows just gated (``raw``, ``published``: the latest rounds)
    where a scope of ``history`` is exactly theirs, as without an earlier preparation (the same
    round then publishes the same cells in ``indicators.csv`` and ``history.csv``), else the
    earlier preparation's rounds. (A scope of the rounds holds every instrument surveyed in that
    period; the latest rows may hold only some of them, e.g. a site's older people survey of 2013
    beside its GP survey of 2019, and such a scope is taken from the earlier rounds.)"""
    from .disclosure import _scope, _scopes_gated_alike

    now = list(set(_scope(history)[_scopes_gated_alike(history, raw)]))

    def pick(current, earlier):  # (a hashed lookup: np.isin sorts strings, a second at 150 sites)
        here, there = pd.Series(_scope(current)).isin(now).to_numpy(), pd.Series(_scope(earlier)).isin(now).to_numpy()
        return pd.concat([current[here], earlier[~there]], ignore_index=True)

    return pick(raw, raw_earlier), pick(published, published_earlier)


def kept_rows(prepared: dict) -> dict:
    """The part of a preparation a later preparation with the same rules can reuse (``previous``):
    every site's rows before and after the gate, latest round and every round. They hold exact
    counts: kept privately, never published."""
    return {k: prepared[k] for k in SITE_KEYS}


def gate_national(prepared: dict, national_rules: DisclosureRules):
    """The national rows of a preparation through the gate, checked against the sites' rows as the
    sites publish them (national minus the published sites gives nothing small back)."""
    return disclose_indicators(prepared["indicators"], national_rules, sites=prepared["raw_sites"],
                               published_sites=prepared["published_sites"])


def site_rows(prepared: dict, sites: list | None = None) -> dict[str, dict[str, pd.DataFrame]]:
    """Each site's own part of a preparation: ``{site_id: {key: rows}}`` for the keys of
    ``SITE_KEYS`` (what :class:`homekit.report.SiteReport` takes as ``prepared``), of every site or
    of ``sites``."""
    out: dict[str, dict[str, pd.DataFrame]] = {s: {} for s in (prepared["sites"] if sites is None else sites)}
    for key in SITE_KEYS:
        frame = prepared[key]
        if sites is not None:
            frame = frame[frame["site_id"].isin(out)]
        for s, rows in frame.groupby("site_id", sort=False):
            if s in out:
                out[s][key] = rows.reset_index(drop=True)
        for s in out:  # a site with no rows of this kind (no survey rounds) gets an empty table
            out[s].setdefault(key, frame.iloc[:0].reset_index(drop=True))
    return out
