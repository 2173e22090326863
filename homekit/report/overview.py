"""Site report opening sections: title, provenance of the inputs, and the response profile."""

from __future__ import annotations

import platform
from pathlib import Path

import pandas as pd

from .. import __version__, plots
from ..instruments import INSTRUMENTS, PROFESSION_NAMES
from ._format import Block, estimate_text, has_value


def disclosure_sentence(rules) -> str:
    """The disclosure rules as a reader reads them (from the rules in force, not fixed text)."""
    if not rules.apply:
        return "No disclosure control was applied."
    p, q = rules.people, rules.professional
    return (f"Figures withheld by disclosure control read {rules.marker}: counts of people from {p.suppress_counts_from} to "
            f"{p.suppress_counts_to} (other counts rounded to the nearest {p.rounding_base}, no percentage on a base under "
            f"{p.min_base_for_percentage}) and groups of fewer than {q.min_group_size} professionals; "
            "'no data' means nobody answered.")


def title(report) -> Block:
    notes = [report.params["notes"]] if report.params.get("notes") else []
    wave = report.site["wave"]
    return Block(f"Home Truths site report: {report.name}", f"Wave {wave} site, {report.site['nation']}; population 65+ "
                 f"{int(report.site['population_65plus']):,}. {disclosure_sentence(report.rules)}",
                 notes=notes, level=1,
                 intro="This site's evidence from the Home Truths programme, validated and summarised: relationships and trust between "
                       "GPs and social care, what older people and professionals told us, case reviews, flow and the interventions "
                       "being tested.")


def provenance(report) -> Block:
    rows = []
    for s in report.sources:
        df = getattr(report, "all_tables", report.tables).get(s.instrument)
        inst = INSTRUMENTS.get(s.instrument)
        rows.append({"evidence": inst.title if inst is not None else s.instrument, "file": Path(s.path).name,
                     "fingerprint (SHA-256, start)": s.sha256[:16] + "…", "rows in file": f"{s.rows:,}",
                     "rows for this site (every survey round)": "" if s.instrument == "sites" else report.count(0 if df is None else len(df), s.instrument)})
    table = pd.DataFrame(rows)
    notes = [f"Disclosure control: {report.rules.describe()}"]
    wanted = report.params.get("instruments") or []
    if wanted:
        notes.append("Evidence used for this site (site parameters): " + ", ".join(INSTRUMENTS[w].title for w in wanted) + ".")
    # The disclosure rules are said in words once, at the top of the report; here only the method line.
    return Block("Provenance", f"Inputs validated by homekit {__version__} (Python {platform.python_version()}).", table=table, notes=notes,
                 intro="Every input file with its fingerprint (SHA-256), so that any figure can be traced to the data it came from.")


def response_profile(report) -> Block | None:
    import matplotlib.pyplot as plt

    rows = []
    for inst, label in (("gp_survey", "GP survey responses (latest round)"), ("older_people_survey", "Older people survey responses (latest round)"),
                        ("professional_survey", "Interface survey responses (latest round)"), ("case_reviews", "Case reviews"),
                        ("interviews", "Coded interview excerpts")):
        if report.has(inst):
            rows.append({"evidence": label, "n": report.count(len(report.tables[inst]), inst)})
    if not rows:
        return None
    rr = report.ind("gp_response_rate")
    reading = "No GP survey for this site."
    fig = None
    if rr is not None:
        responded = report.count(rr["numerator"], "gp_survey") if has_value(rr) else report.rules.marker
        reading = f"{responded} of {int(report.site['gp_count']):,} GPs responded: response rate {estimate_text(rr, report.rules.marker)}."
        if has_value(rr):
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
    return Block("Response profile", reading, figure=fig, table=pd.DataFrame(rows),
                 intro="Responses against the number of GPs in the site, and the evidence collected.",
                 alt=f"Bar chart: {reading}")
