"""Site report opening sections: title, provenance of the inputs, and the response profile."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pandas as pd

from .. import __version__, plots
from ..instruments import PROFESSION_NAMES
from ._format import Block, estimate_text


def title(report) -> Block:
    notes = [report.params["notes"]] if report.params.get("notes") else []
    wave = report.site["wave"]
    return Block(f"Home Truths site report: {report.name}", f"Wave {wave} site, {report.site['nation']}; population 65+ "
                 f"{int(report.site['population_65plus']):,}. Figures withheld by disclosure control read [c]: counts of people "
                 f"under 8 (other counts rounded to 5) and groups of fewer than {report.rules.min_group_size} professionals.",
                 notes=notes, level=1)


def provenance(report) -> Block:
    rows = []
    for s in report.sources:
        df = report.tables.get(s.instrument)
        rows.append({"instrument": s.instrument, "file": Path(s.path).name, "sha256": s.sha256[:16] + "…",
                     "rows in file": f"{s.rows:,}", "rows for this site": report.count(0 if df is None else len(df), s.instrument)})
    table = pd.DataFrame(rows)
    params = {k: v for k, v in report.params.items() if k not in ("notes",)}
    notes = [f"Disclosure control: {report.rules.describe()}"]
    notes += [f"Parameters: {json.dumps(params, default=str)}"] if params else []
    return Block("Provenance", f"Inputs validated by homekit {__version__} (Python {platform.python_version()}).", table=table, notes=notes)


def response_profile(report) -> Block | None:
    import matplotlib.pyplot as plt

    rows = []
    for inst, label in (("gp_survey", "GP survey responses"), ("older_people_survey", "Older people survey responses"),
                        ("professional_survey", "Interface survey responses"), ("case_reviews", "Case reviews"),
                        ("interviews", "Coded interview excerpts")):
        if report.has(inst):
            rows.append({"evidence": label, "n": report.count(len(report.tables[inst]), inst)})
    if not rows:
        return None
    rr = report.ind("gp_response_rate")
    reading = "No GP survey for this site."
    fig = None
    if rr is not None:
        reading = (f"{report.count(rr['numerator'], 'gp_survey') if not rr['suppressed'] else '[c]'} of {int(report.site['gp_count']):,} GPs responded: "
                   f"response rate {estimate_text(rr)}.")
        if not rr["suppressed"]:
            fig, ax = plt.subplots(figsize=(6, 1.6))
            ax.barh([0], [rr["estimate"] * 100], color="#08519c")
            ax.errorbar([rr["estimate"] * 100], [0], xerr=plots.interval_errors([rr["estimate"]], [rr["lower"]], [rr["upper"]], 100),
                        color="black", capsize=4)
            ax.set_xlim(0, max(30, rr["upper"] * 100 + 5))
            ax.set_yticks([])
            ax.set_xlabel("% of GPs (headcount) who responded")
            ax.set_title("GP survey response rate")
            fig.tight_layout()
    prof = report.tables.get("professional_survey")
    if prof is not None and len(prof):
        counts = prof["profession"].value_counts().reindex(list(PROFESSION_NAMES)).fillna(0)
        for p, n in counts.items():
            rows.append({"evidence": f"  interface survey: {PROFESSION_NAMES[p]}", "n": report.count(n, "professional_survey")})
    return Block("Response profile", reading, figure=fig, table=pd.DataFrame(rows))
