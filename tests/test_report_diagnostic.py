"""Stage 2 diagnostic sections of the site and national reports (homekit/report/diagnostic.py)."""

import shutil

import pandas as pd
import pytest

from conftest import ROOT
from homekit.report import NationalReport, SiteReport
from homekit.report.diagnostic import culture_table

STAGE2_FILES = ("sites", "culture_survey", "observations", "comms_review", "hypotheses", "opportunities")
BENEFITS = str(ROOT / "parameters" / "benefits.yaml")


@pytest.fixture(scope="module")
def stage2_only(example_dir, tmp_path_factory):
    """A data folder holding only sites.csv and the five Stage 2 files."""
    d = tmp_path_factory.mktemp("stage2_only")
    for name in STAGE2_FILES:
        shutil.copy(example_dir / f"{name}.csv", d / f"{name}.csv")
    return d


def _text(block) -> str:
    return block._repr_html_()


def test_site_sections_from_the_stage2_files_only(stage2_only):
    r = SiteReport.open("wiltshire", data_dir=str(stage2_only), benefits_file=BENEFITS)
    blocks = {name: getattr(r, name)() for name in ("culture", "observations", "comms", "hypotheses", "opportunities", "interventions")}
    assert all(blocks[n] is not None for n in ("culture", "observations", "comms", "hypotheses", "opportunities"))
    assert blocks["interventions"] is None  # no interventions.csv
    # Every figure of the culture table is a published indicator row.
    table = culture_table(r.indicators)
    pub = r.indicators.set_index(["indicator", "group"])
    for row in table.to_dict("records"):
        assert row["estimate"] == pub.loc[("culture_behaviour_agree", f"{row['behaviour']}|{row['staff_level']}"), "estimate"]
    assert "senior" in blocks["culture"].reading.lower() or "Senior" in blocks["culture"].reading
    # No case reviews: the opportunities carry no savings, and say why.
    opp = blocks["opportunities"]
    assert "central saving a year" not in opp.table.columns and "P50" not in opp.table.columns
    assert any("no case reviews" in n for n in opp.notes)
    # Free text never reaches a report; programme text (barriers, opportunity names) does.
    html = "".join(_text(b) for b in blocks.values() if b is not None)
    data_dir = stage2_only
    comments = set(pd.read_csv(data_dir / "culture_survey.csv", dtype=str, keep_default_na=False)["comment"]) - {""}
    notes = set(pd.read_csv(data_dir / "observations.csv", dtype=str, keep_default_na=False)["note"]) - {""}
    assert comments and notes
    for text in comments | notes:
        assert text not in html
    barrier = pd.read_csv(data_dir / "hypotheses.csv").query("site_id == 'wiltshire'")["barrier"].iloc[0]
    assert barrier in html


def test_site_breakdowns_published_where_the_gate_allows(stage2_only):
    # Settings, audiences and channels at site level, through the gate: every published one holds
    # 11 observations or items or more (professional rule), and the report shows what is published.
    from homekit.instruments import choice_name
    from homekit.report._format import pct

    r = SiteReport.open("wiltshire", data_dir=str(stage2_only))
    ind = r.indicators
    parts = ind[ind.indicator.str.startswith(("obs_", "comms_")) & ind.group.str.contains(r"\||audience:|channel:")]
    assert parts.group.str.contains("|", regex=False).any() and parts.group.str.startswith("audience:").any()
    shown = parts[~parts.suppressed]
    assert len(shown) and (shown.denominator >= 11).all() and parts.suppressed.any()
    table = r.observations().table.set_index("desired behaviour")
    for row in parts[parts.indicator == "obs_behaviour_desired"].to_dict("records"):
        behaviour, setting = row["group"].split("|")
        assert table.loc[choice_name(behaviour), choice_name(setting)] == ("[c]" if row["suppressed"] else pct(row["estimate"]))
    comms = r.comms().table.set_index("items")
    person = ind[(ind.indicator == "comms_plain_language") & (ind.group == "audience:person")].iloc[0]
    cell = comms.loc["for " + choice_name("person").lower()].filter(like="plain").iloc[0]
    assert cell == ("[c]" if person["suppressed"] else pct(person["estimate"]))
    n = NationalReport.open(data_dir=str(stage2_only))
    assert n.published["group"].str.startswith("audience:").any()


def test_sites_without_stage2_data_get_no_section(example_dir):
    r = SiteReport.open("hertfordshire", data_dir=str(example_dir), benefits_file=BENEFITS)
    assert r.culture() is None and r.observations() is None and r.comms() is None and r.hypotheses() is None
    assert r.opportunities() is not None  # every example site has an opportunity register


def test_site_with_case_reviews_short_list_within_site_total(example_dir):
    r = SiteReport.open("wiltshire", data_dir=str(example_dir), benefits_file=BENEFITS)
    opp = r.opportunities()
    assert "short list acts on" in opp.reading
    # no column of empty cells (a note column where no opportunity needs a note), no blank saving
    assert not [c for c in opp.table.columns if (opp.table[c].astype(str) == "").all()]
    assert not (opp.table[["central saving a year", "P10", "P50", "P90"]] == "").any().any()
    iv = r.interventions()
    assert set(iv.table["SPC verdict"]) <= {"special cause improvement", "special cause concern", "common cause variation only"}
    assert iv.table["expected saving a year"].str.startswith("£").all()
    assert "(proportion)" in " ".join(iv.table["measured on"])


def test_national_cross_site_view(stage2_only, example_dir):
    n = NationalReport.open(data_dir=str(stage2_only))
    assert n.national_culture() is not None and n.national_hypotheses() is not None
    assert n.national_opportunities() is not None
    assert n.national_interventions() is None  # no interventions.csv
    assert n.headlines() is None and n.forest_plots() is None  # no survey of GPs: nothing to pool
    full = NationalReport.open(data_dir=str(example_dir))
    block = full.national_interventions()
    # Example data: 9 of 13 interventions pull a process lever (the 2019 seed: most are process led).
    assert block.reading.startswith("9 of 13 interventions") and "most interventions are process/system led" in block.reading


def test_culture_by_profession_and_organisation_from_published_rows(stage2_only):
    from homekit.instruments import choice_name
    from homekit.report._format import pct

    for report, pub in ((r := SiteReport.open("wiltshire", data_dir=str(stage2_only))), r.indicators), \
                       ((n := NationalReport.open(data_dir=str(stage2_only))), n.published):
        block = report.culture_by_group()
        rows = pub[pub.indicator == "culture_behaviour_agree"].set_index("group")
        table = block.table.set_index("staff")
        assert table.index[0] == "All staff" and "Profession: Adult social care" in table.index
        assert "Organisation: Acute trust" in table.index
        for label, key in (("All staff", "home_first"), ("Profession: Adult social care", "home_first|profession:asc"),
                           ("Organisation: Acute trust", "home_first|organisation:acute_trust")):
            row = rows.loc[key]
            assert table.loc[label, choice_name("home_first")] == ("[c]" if row["suppressed"] else pct(row["estimate"]))
    # Nationally every profession has 11 answers or more; what is withheld protects a small site
    # (national minus the published sites), and the note says so
    withheld = n.published[(n.published.indicator == "culture_behaviour_agree") & n.published.suppressed]
    assert (withheld.denominator >= 11).all() and "minus the sites" in " ".join(block.notes)
    assert "differ most" in block.reading


def test_culture_by_group_absent_without_culture_survey(example_dir):
    assert SiteReport.open("hertfordshire", data_dir=str(example_dir)).culture_by_group() is None


class _Published:
    """Just what the diagnostic sections read: published indicator rows, the rules and which instruments exist."""

    def __init__(self, rows, instruments=("culture_survey", "observations")):
        from homekit.disclosure import DisclosureRules

        cols = {"numerator": None, "denominator": None, "lower": None, "upper": None, "method": "Wilson", "suppressed": False}
        self.indicators = pd.DataFrame([{**cols, **r} for r in rows])
        self.rules = DisclosureRules()
        self.tables = {i: pd.DataFrame({"x": [1]}) for i in instruments}

    def has(self, name):
        return name in self.tables

    def ind(self, indicator, group=""):
        m = self.indicators[(self.indicators.indicator == indicator) & (self.indicators.group == group)]
        return None if m.empty else m.iloc[0].to_dict()


def _row(indicator, group, estimate, suppressed=False):
    lo, hi = (None, None) if estimate is None else (estimate - 0.1, estimate + 0.1)
    return {"indicator": indicator, "group": group, "estimate": estimate, "lower": lo, "upper": hi, "suppressed": suppressed}


def test_culture_by_group_figure_draws_each_published_group_on_its_own_label():
    """Hand-made published rows: each bar sits on its own group's label with its published share;
    a withheld group has no bar and reads [c]; a group with no row for a behaviour reads 'no data'."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from homekit.instruments import choice_name
    from homekit.report import diagnostic

    a = "culture_behaviour_agree"
    rows = [_row(a, "home_first", 0.50), _row(a, "home_first|profession:asc", 0.40),
            _row(a, "home_first|profession:gp", None, suppressed=True), _row(a, "home_first|organisation:council", 0.55),
            _row(a, "home_first|organisation:icb", 0.70),
            _row(a, "risk_shared", 0.20), _row(a, "risk_shared|profession:asc", 0.10),
            _row(a, "risk_shared|profession:gp", None, suppressed=True), _row(a, "risk_shared|organisation:council", 0.30)]
    block = diagnostic.culture_by_group(_Published(rows))
    fig = block.figure
    expected = {"home_first": {"All staff": 50, "Profession: Adult social care": 40, "Organisation: Council": 55,
                               "Organisation: Integrated care board": 70},
                "risk_shared": {"All staff": 20, "Profession: Adult social care": 10, "Organisation: Council": 30}}
    panels = {ax.get_title().replace("\n", " "): ax for ax in fig.axes if ax.get_title()}
    assert set(panels) == {choice_name("home_first"), choice_name("risk_shared")}
    for behaviour, want in expected.items():
        ax = panels[choice_name(behaviour)]
        # every panel's rows carry the labels (drawn at the left of each row of panels only): the same rows at the same heights
        labels = {round(float(t.get_loc()), 6): t.label1.get_text() for t in ax.yaxis.get_major_ticks()}
        assert labels == {round(float(t.get_loc()), 6): t.label1.get_text() for t in fig.axes[0].yaxis.get_major_ticks()}
        bars = {labels[round(float(p.get_y() + p.get_height() / 2), 6)]: p.get_width()
                for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0}
        assert bars == pytest.approx(want)
        said = {labels[round(float(t.get_position()[1]), 6)]: t.get_text() for t in ax.texts if t.get_text() in ("[c]", "no data")}
        assert said["Profession: GPs"] == "[c]"
        if behaviour == "risk_shared":  # no published row for the ICB on this behaviour: nobody answered
            assert said["Organisation: Integrated care board"] == "no data"
    # the table says the same, and never [c] for a missing row
    table = block.table.set_index("staff")
    assert table.loc["Organisation: Integrated care board", choice_name("risk_shared")] == "no data"
    assert table.loc["Profession: GPs", choice_name("home_first")] == "[c]"
    assert "no bar" in " ".join(block.notes)
    plt.close("all")


def test_an_observation_setting_with_no_observations_reads_no_data():
    """A setting observed for one behaviour but not another: the empty cell reads 'no data'."""
    from homekit.instruments import choice_name
    from homekit.report import diagnostic

    o = "obs_behaviour_desired"
    rows = [_row(o, "home_first", 0.6), _row(o, "home_first|ward", 0.7), _row(o, "home_first|front_door", None, suppressed=True),
            _row(o, "risk_shared", 0.3), _row(o, "risk_shared|front_door", None, suppressed=True)]  # no ward row for risk_shared
    block = diagnostic.observations(_Published(rows))
    table = block.table.set_index("desired behaviour")
    assert table.loc[choice_name("risk_shared"), choice_name("ward")] == "no data"
    assert table.loc[choice_name("home_first"), choice_name("ward")] == "70%"
    assert table.loc[choice_name("risk_shared"), choice_name("front_door")] == "[c]"
    assert not (table == "").any().any()


def test_an_opportunity_on_a_withheld_stream_reads_not_estimated(example_dir):
    """Hertfordshire's excess bed-day stream is left out of its benefits (the improvable discharges
    behind it are withheld): the two opportunities acting on that stream read 'not estimated' and
    say why, never a saving of £0k, and the short list total leaves them out."""
    from homekit.report import diagnostic

    r = SiteReport.open("hertfordshire", data_dir=str(example_dir), benefits_file=BENEFITS)
    _, res = diagnostic._benefits(r)
    assert "nhs_bed_days" in res.evidence.withheld  # the demo's case
    opp = r.opportunities().table
    on_withheld = opp[opp["benefit stream"] == "NHS: excess bed days"]
    assert len(on_withheld) == 2
    money = ["central saving a year", "P10", "P50", "P90"]
    assert (on_withheld[money] == "not estimated").all().all()
    assert on_withheld["note"].str.startswith("not estimated: ").all()
    assert not opp[money].isin(["£0", "£0k"]).any().any()
