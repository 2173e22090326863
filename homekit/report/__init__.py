"""Site and national reports: the sections the notebooks call, one call and one figure each.

A section is a :class:`Block`: a title, a one-line reading of what it shows, a figure and/or a
table, and notes, rendered as HTML in a notebook. Every number a block shows has passed through
:mod:`homekit.disclosure` first, and free text only through :mod:`homekit.redact`. A site without
data for an instrument simply gets no block for it (the section returns ``None``).

Layout (the same as :mod:`homekit.indicators`: one module per section family)
-------------------------------------------------------------------------------

================  ===========================================================================
``_format``       :class:`Block`, and how numbers read (``pct``, ``points``, ``estimate_text``,
                  ``label_for``): the one place for formatting
``_base``         :class:`Report`, what both reports share: ``SECTIONS``, ``sections()``,
                  ``write_outputs()``
``site``          :class:`SiteReport`: opens a site and lists its sections in order
``national``      :class:`NationalReport`: opens the national data and lists its sections
``overview``      site title, provenance, response profile
``gp``            GP survey: relationships and trust, perception gap, motivators
``likert``        Likert answers drawn as diverging bars from the published (gated) rows
``older_people``  older people survey
``interface``     interface survey of professionals: factors, trust/relationship matrices
``cases``         multi-agency case reviews
``flow``          monthly flow metrics
``tracking``      interventions tracked with SPC (the model is :mod:`homekit.spc`)
``benefits``      the benefits model presented (the model is :mod:`homekit.benefits`)
``comparison``    a site against the other sites, in words (better / similar / worse)
``change``        the director's summary (spine chart), what changed since the last survey,
                  headlines over rounds (recent trend) and GP trust from two instruments
``interviews``    coded interview themes and approved quotes
``synthesis``     the national synthesis sections (pooled, forest and funnel plots, ranking, ...)
``writers``       ``indicators.csv``, ``history.csv``, ``change.csv`` and ``summary.xlsx``
================  ===========================================================================

Figures are drawn by :mod:`homekit.plots` (seaborn style); models (:mod:`homekit.benefits`,
:mod:`homekit.spc`) hold no presentation, and nothing here is imported by a room upstream.

How to add a section
--------------------

1. Write one function ``my_section(report) -> Block | None`` in the module of its family (a new
   family gets a new module, e.g. ``change.py``). It reads only what the report has published:
   ``report.ind(indicator, group)`` (the disclosed row as a dict, or ``None``),
   ``report.indicators`` (the disclosed table), ``report.count(n)`` (a count as published),
   ``report.headline_rows(ids)`` (a ready table), ``report.has(instrument)``, ``report.tables``,
   ``report.national_published`` (the national figures after the gate) and ``report.params``. It returns ``None`` when the site has nothing for it,
   formats numbers with :mod:`homekit.report._format` and draws with :mod:`homekit.plots`::

       # homekit/report/change.py
       from ._format import Block, estimate_text

       def change_over_time(report) -> Block | None:
           row = report.ind("gp_relationship_poor_change")
           if row is None:
               return None
           return Block("Change since the last survey", f"{estimate_text(row)} ...")

2. Add the function to the report's section list, where it should appear: ``SiteReport.SECTIONS``
   in ``site.py`` (or ``NationalReport.SECTIONS`` in ``national.py``)::

       SECTIONS = (..., gp.motivators, change.change_over_time, older_people.older_people, ...)

   It becomes a method of the same name (``report.change_over_time()``) and part of
   ``report.sections()``.

3. Add one cell ``report.change_over_time()`` (with a line of narrative above it) to
   ``notebooks/site_analysis.ipynb`` (or ``national_synthesis.ipynb``), and a test in
   ``tests/test_report.py`` that builds a small report and checks the block, including that a
   site without the data gets ``None``.
"""

from __future__ import annotations

from ._base import Report, example_data_dir, load_parameters
from ._format import Block
from .likert import collapsed_likert, published_distribution
from .national import NationalReport
from .site import SiteReport
from .writers import write_indicators, write_summary_xlsx

__all__ = ["Block", "Report", "SiteReport", "NationalReport", "example_data_dir", "load_parameters", "write_indicators",
           "write_summary_xlsx", "collapsed_likert", "published_distribution"]
