"""The national synthesis sections (homekit/report/synthesis.py): words computed from the figures
they describe, every number with its direction, charts read back from the drawn objects."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from conftest import ROOT  # noqa: E402
from homekit import disclosure  # noqa: E402
from homekit.benefits import _money  # noqa: E402
from homekit.indicators import HEADLINES  # noqa: E402
from homekit.report import NationalReport, benefits, change, synthesis  # noqa: E402
from homekit.report._format import direction_text  # noqa: E402

BENEFITS = str(ROOT / "homekit" / "parameters" / "benefits.yaml")


@pytest.fixture(scope="module")
def national(example_dir):
    import yaml

    params = yaml.safe_load((ROOT / "homekit" / "parameters" / "national.yaml").read_text())
    return NationalReport.open(data_dir=str(example_dir), benefits_file=BENEFITS, parameters=params)


def _text(block) -> str:
    import html

    page = re.sub(r'src="data:[^"]+"', "", block._repr_html_())
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_headline_random_effects_say_which_sites_they_cover(national):
    # Withhold one site's figure, as disclosure would at a small site: the pooled figure still covers
    # all 11 sites, the random-effects figure only the 10 published ones, and the words say so.
    site = national.site_indicators.copy()
    hide = (site.indicator == "gp_trust_asc") & (site.group == "") & (site.site_id == "barnsley")
    site.loc[hide, ["estimate", "lower", "upper"]] = np.nan
    site.loc[hide, "suppressed"] = True
    original, national.site_indicators = national.site_indicators, site
    try:
        block = synthesis.headlines(national)
    finally:
        national.site_indicators = original
    t = block.table.set_index("indicator")
    row = t.loc[HEADLINES["gp_trust_asc"][1]]
    assert (row["sites with data"], row["sites published"]) == (11, 10)
    assert "GPs trusting adult social care to act in patients' best interests (random effects over 10 of the 11 sites)" in block.reading
    # Every row whose random effects cover fewer sites than have data is named in the reading; no other is.
    for desc, r in t.iterrows():
        named = f"{synthesis._lower_first(desc)} (random effects over"
        assert (named in block.reading) == (r["sites published"] < r["sites with data"] and r["sites published"] >= 2), desc
    # The columns say which sites each figure covers, and the method names stay out of the headers.
    assert {"pooled, all sites (95% CI)", "random effects, published sites (95% CI)"} <= set(block.table.columns)
    assert not any(w in " ".join(block.table.columns) for w in ("I2", "I\u00b2", "DerSimonian"))
    assert synthesis.POOLING_WORDS in block.notes
    plt.close("all")


def test_coverage_says_what_each_count_counts(national):
    block = synthesis.coverage(national)
    latest = len(national.data["gp_survey"])
    every = len(national.all_data["gp_survey"])
    assert every > latest  # the example data has earlier survey rounds
    rules = national.rules
    assert (f"{disclosure.publish_count(latest, rules, 'gp_survey')} GP survey responses in each site's latest survey round "
            f"({disclosure.publish_count(every, rules, 'gp_survey')} over every round") in block.reading
    assert "GP responses, latest round" in block.table.columns
    assert block.table.iloc[-1]["GP responses, latest round"] == disclosure.publish_count(latest, rules, "gp_survey")


def test_disclosure_rules_said_once(national):
    title = synthesis.title(national)
    text = _text(title)
    assert text.count("Data about people:") == 1 and text.count("Opinions of professionals:") == 1
    # where the site rules differ, both are said
    national.site_rules = disclosure.DisclosureRules(apply=False)
    try:
        assert national.rules_text().count("Site figures:") == 1
    finally:
        national.site_rules = disclosure.load_rules(None, "site")


def test_every_national_table_says_which_way_is_better(national):
    by_label = {v[1]: k for k, v in HEADLINES.items()}
    for fn in (synthesis.headlines, synthesis.waves, synthesis.change, synthesis.case_reviews):
        block = fn(national)
        t = block.table
        assert "which way is better" in t.columns, block.title
        for label, words in zip(t["indicator"], t["which way is better"]):
            assert words == direction_text(by_label[label]), (block.title, label)
    plt.close("all")


def test_funnel_names_the_sites_outside_the_drawn_limits_without_overlap(national):
    block = synthesis.funnel_plots(national)
    fig = block.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    names = set(national.data.sites["site_name"])
    checked = 0
    for ax in fig.axes:
        if not ax.collections:
            continue
        # the 95% limits as drawn (the dashed lines), read at each point's base
        dashed = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
        (x_lo, y_lo), (x_hi, y_hi) = (ln.get_data() for ln in dashed[:2])
        points = ax.collections[0].get_offsets()
        outside = {(round(float(x), 6), round(float(y), 6)) for x, y in points
                   if y < np.interp(x, x_lo, y_lo) - 0.05 or y > np.interp(x, x_hi, y_hi) + 0.05}
        inside = {(round(float(x), 6), round(float(y), 6)) for x, y in points
                  if np.interp(x, x_lo, y_lo) + 0.05 < y < np.interp(x, x_hi, y_hi) - 0.05}
        labels = [t for t in ax.texts if t.get_text() in names]
        assert len(labels) >= len(outside) and len(labels) <= len(points) - len(inside), ax.get_title()
        boxes = [t.get_window_extent(renderer) for t in labels]
        assert not any(boxes[i].overlaps(boxes[j]) for i in range(len(boxes)) for j in range(i + 1, len(boxes)))
        # the title says which way is better
        assert "is better" in ax.get_title().replace("\n", " ") or "no judgement" in ax.get_title().replace("\n", " ")
        checked += 1
    assert checked >= 2
    assert "Only sites outside the 95% limits are named" in " ".join(block.notes)
    plt.close("all")


def test_rounds_are_drawn_at_their_dates(national):
    block = change.headlines_over_rounds(national)
    ax = block.figure.axes[0]
    line = next(ln for ln in ax.lines if len(ln.get_xdata()) >= 3)
    x = np.asarray(line.get_xdata(), float)
    periods = sorted(national.published_history["period"].unique())
    assert list(x) == pytest.approx([float(p) for p in periods])  # 2013, 2014, 2019: by date, not evenly
    assert [t.get_text() for t in ax.get_xticklabels()] == periods
    plt.close("all")


def test_benefits_words_read_the_bars(national):
    block = benefits.national_block(benefits.BenefitsModel.from_yaml(BENEFITS), national.data, national.site_rules)
    ax = block.figure.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 4
    for h in heights:  # every bar's value, in the words and on the bar
        assert _money(h * 1e6) in block.reading
    shown = [t.get_text() for t in ax.texts]
    assert sorted(shown) == sorted(_money(h * 1e6) for h in heights)
    plt.close("all")


def test_case_heatmap_marks_withheld_cells(national):
    block = synthesis.case_reviews(national)
    assert any("hatched cell reading [c]" in n for n in block.notes)
    plt.close("all")


def test_plain_words_beside_method_names(national):
    """I², Kruskal-Wallis and DerSimonian-Laird never appear without a plain sentence in the same section."""
    words = {"DerSimonian": synthesis.POOLING_WORDS, "I\u00b2": synthesis.POOLING_WORDS, "Kruskal-Wallis": synthesis.TESTS_WORDS}
    for block in national.sections():
        text = _text(block)
        for name, plain in words.items():
            if name in text:
                assert plain in text, (block.title, name)
        assert "attributed to both" not in text
        assert "I2 " not in text
    plt.close("all")


def test_ranking_reading_counts_the_intervals_drawn(national):
    block = synthesis.ranking(national)
    ind = national.params.get("rank_indicator", "gp_relationship_poor")
    s = national.site_indicators
    s = s[(s.indicator == ind) & (s.group == "") & ~s.suppressed.astype(bool)]
    nat = national.nat(ind)["estimate"]
    k = sum(1 for lo, hi in zip(s["lower"], s["upper"]) if lo <= nat <= hi)
    assert block.reading.startswith(f"{k} of the {len(s)} sites' 95% intervals include the national figure")
    plt.close("all")


def test_factor_reading_in_plain_words(national):
    block = synthesis.factors(national)
    assert "Holm" not in block.reading and "by more than chance would explain" in block.reading


def test_national_benefits_by_site_are_the_sites_own_figures(example_dir):
    # A site whose improvable discharges with the alternative available are withheld shows no
    # excess bed-day stream in its own report; the national table must show that site's figures as
    # its report does, or national minus the other sites gives the withheld count back (through the
    # money figure).
    import os

    from homekit.benefits import __file__ as benefits_py
    from homekit.report import benefits as site_benefits
    from homekit.report.national import NationalReport
    from homekit.report.site import SiteReport

    yaml_file = os.path.join(os.path.dirname(benefits_py), "parameters", "benefits.yaml")
    nat = NationalReport.open(data_dir=str(example_dir), benefits_file=yaml_file)
    table = synthesis.benefits(nat).table.set_index("site")
    withheld = 0
    for site_id, name in nat.data.sites.set_index("site_id")["site_name"].items():
        if name not in table.index:
            continue
        own = site_benefits.benefits(SiteReport.open(site_id, data_dir=str(example_dir), benefits_file=yaml_file))
        rows = own.table.set_index("stream")
        assert table.loc[name, "total"] == rows.loc["Total", "central estimate"]
        withheld += rows.loc["NHS: excess bed days", "central estimate"] == "not estimated"
    assert withheld >= 1  # (the example data has such a site: the test exercises the case)


def test_asymmetry_table_shows_no_withheld_score(national):
    # The national relationship scores the gate withholds ([c] in the matrix: a red-team review
    # worked back "none gave 5" from a score and its interval) were still printed in the
    # asymmetry table below it, computed from the answers: 2.48 for hospital discharge rating
    # adult social care. A pair with a withheld score is left out, and the note says how many.
    rel = national.published[national.published.indicator == "prof_relationship_score"]
    withheld = rel[rel["suppressed"].astype(str).str.lower() == "true"]
    assert len(withheld), "the example data has withheld national scores (the attack needs them)"
    block = synthesis.matrices(national)
    shown = {str(g) for g in rel.dropna(subset=["estimate"])["group"]}
    names = {v: k for k, v in synthesis.PROFESSION_NAMES.items()}
    for pair in block.table["professions (A and B)"]:
        a, b = (names[p] for p in pair.split(" and "))
        assert f"{a}->{b}" in shown and f"{b}->{a}" in shown, pair
    left = sum(1 for n in block.notes if "score withheld" in n)
    assert left == 1
    plt.close("all")
