"""Plot helpers: return Axes, never draw suppressed values, refuse mixed scales."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from homekit import plots  # noqa: E402

LEVELS = ["Strongly disagree", "Disagree", "Agree", "Strongly agree"]


def _dist():
    rows = []
    for item, counts in {"trust_asc": [1, 2, 5, 2], "trust_discharge_team": [3, 4, 2, 0]}.items():
        for lv, c in zip(LEVELS, counts):
            rows.append({"item": item, "level": lv, "count": c})
        rows.append({"item": item, "level": "dont_know", "count": 3})
    return pd.DataFrame(rows)


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_likert_bars_percentages_and_missing_outside():
    fig, ax = plt.subplots()
    out = plots.likert_bars(_dist(), level_order=LEVELS, ax=ax)
    assert out is ax
    texts = _texts(ax)
    assert "50%" in texts  # 5 of 10 answered agree for trust_asc (Don't know outside the base)
    assert "n=10; missing 3" in texts and "n=9; missing 3" in texts
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == LEVELS  # the empty level (Strongly agree, 0 for one item) stays in the legend
    plt.close(fig)


def test_likert_bars_refuses_mixed_scales():
    d = pd.concat([_dist(), pd.DataFrame([{"item": "x", "level": "Good", "count": 1}])])
    with pytest.raises(ValueError, match="one answer scale"):
        plots.likert_bars(d)


def test_forest_plot_skips_suppressed():
    d = pd.DataFrame({"site_id": ["a", "b", "c"], "estimate": [0.5, 0.6, 0.7], "lower": [0.4, 0.5, 0.6],
                      "upper": [0.6, 0.7, 0.8], "suppressed": [False, True, False]})
    fig, ax = plt.subplots()
    plots.forest_plot(d, ax=ax)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "c"]
    plt.close(fig)


def test_matrix_heatmap_marks_suppressed_cells():
    d = pd.DataFrame({"group": ["asc->gp", "gp->asc"], "estimate": [2.2, 2.3], "suppressed": [False, True]})
    fig, ax = plt.subplots()
    plots.matrix_heatmap(d, ax=ax)
    texts = _texts(ax)
    assert "2.2" in texts and "[c]" in texts and "2.3" not in texts
    plt.close(fig)


def test_funnel_and_transition_draw():
    d = pd.DataFrame({"site_id": list("abcd"), "numerator": [5, 20, 30, 8], "denominator": [10, 40, 50, 30]})
    fig, ax = plt.subplots()
    assert plots.funnel_plot(d, ax=ax) is ax
    plt.close(fig)
    t = pd.DataFrame([[3, 1], [0, 2]], index=["home_with_support", "reablement"], columns=["home_with_support", "reablement"])
    fig, ax = plt.subplots()
    plots.transition_heatmap(t, ax=ax)
    assert "3" in _texts(ax)
    plt.close(fig)


def test_interval_errors_never_negative():
    # A Wilson upper limit for 20/20 can come out a hair below 1.0 in floating point.
    err = plots.interval_errors([1.0, 0.5, float("nan")], [0.83, 0.4, float("nan")], [0.9999999999999999, 0.6, float("nan")], 100)
    assert (err >= 0).all()
    assert err[0, 0] == pytest.approx(17.0)
    d = pd.DataFrame({"site_id": ["a"], "estimate": [1.0], "lower": [0.83], "upper": [0.9999999999999999]})
    fig, ax = plt.subplots()
    plots.forest_plot(d, ax=ax)
    plt.close(fig)


def test_spine_chart_leaves_out_withheld_rows_and_puts_best_on_the_right():
    import matplotlib.pyplot as plt

    from homekit.plots import spine_chart

    d = pd.DataFrame({"label": ["a", "b", "c"], "value": [0.8, 0.2, 0.5], "benchmark": [0.5, 0.5, 0.5], "lowest": [0.1, 0.1, 0.1],
                      "q1": [0.4, 0.4, 0.4], "q3": [0.6, 0.6, 0.6], "highest": [0.9, 0.9, 0.9],
                      "polarity": ["higher_is_better", "lower_is_better", "higher_is_better"],
                      "comparison": ["better", "better", "similar"], "suppressed": [False, False, True]})
    fig, ax = plt.subplots()
    spine_chart(d, ax=ax)
    points = [c.get_offsets()[0] for c in ax.collections]
    assert len(points) == 2  # the withheld row is not drawn
    # a: 0.8, higher is better -> right of centre; b: 0.2, lower is better -> also right of centre.
    assert all(x > 0.5 for x, _ in points)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    plt.close(fig)


def test_likert_bars_on_raw_answers_by_group():
    # Ten hand-made respondents: GP partners answer 1 SD, 1 D, 2 A (+1 don't know); locums 1 D, 3 SA.
    answers = pd.Categorical(["Strongly disagree", "Disagree", "Agree", "Agree", None, "Disagree", "Strongly agree",
                              "Strongly agree", "Strongly agree"], categories=LEVELS, ordered=True)
    raw = pd.DataFrame({"gp_role": ["Partner"] * 5 + ["Locum"] * 4, "trust_asc": answers})
    plt.close("all")  # a fresh current figure: likert_bars draws on plt.gca() without an ax
    ax = plots.likert_bars(raw, y="trust_asc", by="gp_role")
    widths = {}
    for bar in ax.patches:
        widths.setdefault(round(bar.get_y() + bar.get_height() / 2), []).append(round(bar.get_width(), 6))
    ticks = {round(t): lab.get_text() for t, lab in zip(ax.get_yticks(), ax.get_yticklabels())}
    by_label = {ticks[k]: v for k, v in widths.items()}
    assert by_label["Partner"] == [25.0, 25.0, 50.0, 0.0]      # 1, 1, 2, 0 of 4 answered (the blank kept out)
    assert by_label["Locum"] == [0.0, 25.0, 0.0, 75.0]          # 0, 1, 0, 3 of 4
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("n=4; missing 0") == 2  # no __missing column here: reasons are not invented
    plt.close("all")


def test_likert_bars_raw_answers_one_bar_labelled_with_the_question():
    raw = pd.DataFrame({"trust_asc": pd.Categorical(["Agree", "Disagree"], categories=LEVELS, ordered=True)})
    ax = plots.likert_bars(raw, y="trust_asc")
    [label] = [t.get_text() for t in ax.get_yticklabels()]
    assert label.startswith("I trust adult social care")
    plt.close("all")


def test_agreement_bars_draw_published_rows_only_with_the_gap():
    data = pd.DataFrame([
        {"behaviour": "home_first", "staff_level": "senior", "estimate": 0.8, "lower": 0.6, "upper": 0.9, "suppressed": False,
         "gap": 0.4, "gap_lower": 0.1, "gap_upper": 0.6, "gap_suppressed": False},
        {"behaviour": "home_first", "staff_level": "frontline", "estimate": 0.4, "lower": 0.3, "upper": 0.5, "suppressed": False,
         "gap": 0.4, "gap_lower": 0.1, "gap_upper": 0.6, "gap_suppressed": False},
        {"behaviour": "risk_shared", "staff_level": "senior", "estimate": None, "lower": None, "upper": None, "suppressed": True,
         "gap": None, "gap_lower": None, "gap_upper": None, "gap_suppressed": True},
    ])
    fig, ax = plt.subplots()
    out = plots.agreement_bars(data, ax=ax)
    assert out is ax
    texts = _texts(ax)
    assert "80%" in texts and "40%" in texts and "+40 (+10 to +60)" in texts
    assert texts.count("[c]") == 3  # both bars of the withheld behaviour and its gap
    # The gap column says what it is (levels in words, points), and the legend names each level, then disagreement.
    assert any(t.startswith("gap: senior minus") and "points" in t.replace("\n", " ") for t in texts)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["senior: agree", "frontline: agree", "do not agree (either level)"]
    # Two published rows: an agree bar and a disagree bar each (80 and -20, 40 and -60).
    widths = sorted(round(p.get_width()) for p in ax.patches)
    assert widths == [-60, -20, 40, 80]
    plt.close(fig)


def test_share_bars_and_prioritisation_chart():
    fig, (a1, a2) = plt.subplots(1, 2)
    d = pd.DataFrame({"group": ["a", "b"], "estimate": [0.5, None], "lower": [0.3, None], "upper": [0.7, None],
                      "suppressed": [False, True]})
    plots.share_bars(d, ax=a1)
    assert [round(p.get_width()) for p in a1.patches] == [50] and "[c]" in _texts(a1)
    opp = pd.DataFrame({"name": ["x", "y", "z"], "impact": [4, 4, 2], "ease": [3, 3, 5], "alignment": [5, 3, 1],
                        "list": ["short list", "long list", "rejected"]})
    plots.prioritisation_chart(opp, ax=a2)
    offsets = [tuple(c.get_offsets()[0]) for c in a2.collections]
    # x and y share the cell (ease 3, impact 4): stacked 0.2 apart around it, never on top of each other.
    assert sorted(offsets) == [(3.0, 3.9), (3.0, 4.1), (5.0, 2.0)]
    assert sorted(_texts(a2)) == ["x", "y", "z"]
    plt.close(fig)


def test_diverging_bars_draws_published_shares_on_their_own_row():
    # Factor "a": group x 30% No / 70% Yes, group y withheld; factor "b": group x 60% / 40%.
    d = pd.DataFrame({
        "factor": ["a"] * 4 + ["b"] * 2,
        "grp": ["x", "x", "y", "y", "x", "x"],
        "level": ["No", "Yes"] * 3,
        "estimate": [0.3, 0.7, None, None, 0.6, 0.4],
        "suppressed": [False, False, True, True, False, False],
    })
    fig, ax = plt.subplots()
    out = plots.diverging_bars(d, y="factor", hue="grp", level_order=["No", "Yes"], labels={"a": "Factor A", "b": "Factor B"},
                               hue_labels={"x": "Group X", "y": "Group Y"}, ax=ax)
    assert out is ax
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Group X", "Group Y", "Group X"]  # a: x, y; b: x
    bars = [(p.get_y() + p.get_height() / 2, p.get_x(), p.get_width()) for p in ax.patches if p.get_width() > 0]
    ys = sorted({round(b[0], 6) for b in bars})
    assert len(ys) == 2  # two bars drawn: a|x and b|x; a|y is withheld
    # Two levels: No drawn left of zero, Yes right of it, widths the shares in %.
    a_x = sorted((b for b in bars if abs(b[0] - max(ys)) < 1e-9), key=lambda b: b[1])
    assert [(round(x, 6), round(w, 6)) for _, x, w in a_x] == [(-30, 30), (0, 70)]
    b_x = sorted((b for b in bars if abs(b[0] - min(ys)) < 1e-9), key=lambda b: b[1])
    assert [(round(x, 6), round(w, 6)) for _, x, w in b_x] == [(-60, 60), (0, 40)]
    # The withheld bar reads [c] on its own row; the cluster headers name the factors.
    texts = {t.get_text(): t.get_position()[1] for t in ax.texts}
    assert "[c]" in texts and "Factor A" in texts and "Factor B" in texts
    y_tick_positions = [t.get_position()[1] for t in ax.get_yticklabels()]
    assert texts["[c]"] == pytest.approx(y_tick_positions[1])
    assert texts["Factor A"] > y_tick_positions[0] > texts["Factor B"] > y_tick_positions[2]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["No", "Yes"]
    plt.close(fig)


def test_transition_heatmap_marks_withheld_cells_never_blank():
    t = pd.DataFrame([[50.0, np.nan], [0.0, 20.0]], index=["home_no_support", "reablement"], columns=["home_no_support", "reablement"])
    fig, ax = plt.subplots()
    plots.transition_heatmap(t, ax=ax, withheld="[c]")
    texts = {(round(x.get_position()[0], 2), round(x.get_position()[1], 2)): x.get_text() for x in ax.texts}
    assert texts[(1.5, 0.5)] == "[c]"  # row 0, column 1: the withheld cell reads the marker
    assert texts[(0.5, 1.5)] == "0"  # a count of 0 reads 0, not blank and not withheld
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 1 and hatched[0].get_xy() == (1, 0)
    plt.close(fig)


def test_prioritisation_labels_cover_no_point_and_no_other_label():
    """Barnsley's crowded row (impact 4: ease 2, 3 twice, 4 and 5, long names): after the figure's
    final layout each label sits beside its own point and overlaps no marker and no other label."""
    from matplotlib.text import Annotation

    opp = pd.DataFrame({"name": ["Weekend reablement capacity", "Joint GP and social care huddles",
                                 "Positive risk-taking training for ward staff", "GP link social workers", "Referral feedback letters",
                                 "Discharge to assess", "Service directory for GPs"],
                        "impact": [4, 4, 4, 4, 4, 5, 3], "ease": [2, 3, 3, 4, 5, 2, 5], "alignment": [3, 5, 4, 4, 4, 4, 3],
                        "list": ["long list", "short list", "long list", "short list", "short list", "long list", "long list"]})
    fig, ax = plt.subplots(figsize=(9, 5.5))
    ax.set_title("Opportunities")
    plots.prioritisation_chart(opp, ax=ax)
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [a for a in ax.texts if isinstance(a, Annotation)]
    assert sorted(a.get_text() for a in labels) == sorted(opp["name"])
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(a, renderer) for a in labels]  # the words, without a leader line
    markers = []
    for c in ax.collections:
        (px, py), = ax.transData.transform(c.get_offsets())
        r = np.sqrt(c.get_sizes()[0]) / 2 * fig.dpi / 72
        markers.append((px - r, py - r, px + r, py + r))
    frame = ax.get_window_extent(renderer)
    for i, b in enumerate(boxes):
        assert frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1, labels[i].get_text()
        assert not any(b.overlaps(boxes[j]) for j in range(len(boxes)) if j != i), labels[i].get_text()
        assert not any(b.x0 < m[2] and b.x1 > m[0] and b.y0 < m[3] and b.y1 > m[1] for m in markers), labels[i].get_text()
    # each label is anchored on its own point
    points = {tuple(np.round(c.get_offsets()[0], 6)) for c in ax.collections}
    assert {tuple(np.round(a.xy, 6)) for a in labels} == points
    plt.close(fig)


def test_forest_legend_sits_under_the_axis_label_after_layout():
    """The motivators' layout: a short figure, a reference per row, then tight_layout. The legend
    stays under the x-axis label and its tick labels, however much the layout shrinks the axes."""
    d = pd.DataFrame({"label": ["Fewer home visits", "Financial incentive"], "estimate": [0.52, 0.4], "lower": [0.33, 0.23],
                      "upper": [0.71, 0.59], "national": [0.68, 0.5]})
    fig, ax = plt.subplots(figsize=(7, 2.2))
    plots.forest_plot(d, y="label", ax=ax, reference="national", reference_label="national figure for the row")
    ax.set_title("What would motivate GPs' advice on residential care")
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    for t in [ax.xaxis.label, *ax.get_xticklabels()]:
        if t.get_text():
            assert legend.y1 <= t.get_window_extent(renderer).y0, t.get_text()
    plt.close(fig)


def test_funnel_draws_a_site_at_100_percent_whole():
    d = pd.DataFrame({"site_id": ["a", "b", "c"], "numerator": [20, 10, 30], "denominator": [20, 40, 60]})
    fig, ax = plt.subplots()
    plots.funnel_plot(d, ax=ax)
    fig.canvas.draw()
    frame = ax.get_window_extent()
    for c in ax.collections:
        if len(c.get_offsets()) and len(c.get_sizes()):
            r = np.sqrt(c.get_sizes()[0]) / 2 * fig.dpi / 72
            for px, py in ax.transData.transform(c.get_offsets()):
                assert frame.y0 <= py - r and py + r <= frame.y1
    assert min(ax.get_ylim()) < 0 and max(ax.get_ylim()) > 100 and max(ax.get_yticks()) == 100
    plt.close(fig)


def test_withheld_marker_of_a_diverging_bar_reads_over_the_zero_line():
    d = pd.DataFrame({"factor": ["a", "a"], "level": ["No", "Yes"], "estimate": [None, None], "suppressed": [True, True]})
    fig, ax = plt.subplots()
    plots.diverging_bars(d, y="factor", level_order=["No", "Yes"], ax=ax)
    marker = [t for t in ax.texts if t.get_text() == "[c]"]
    assert len(marker) == 1 and marker[0].get_bbox_patch() is not None
    assert marker[0].get_bbox_patch().get_facecolor()[:3] == (1.0, 1.0, 1.0) and marker[0].get_zorder() > 2
    plt.close(fig)


def test_a_forest_panel_with_every_row_withheld_does_not_squeeze_its_neighbour():
    """Two panels side by side, the second with every row withheld: after tight_layout each keeps
    a third of the figure's width or more (an empty, unclipped data line used to claim the
    figure's corner and squeeze both panels to slivers, as in North Ayrshire's perception gap)."""
    rows = pd.DataFrame({"label": ["a", "b", "c"], "estimate": [0.2, 0.5, 0.4], "lower": [0.1, 0.4, 0.3],
                         "upper": [0.3, 0.6, 0.5], "suppressed": False})
    withheld = rows.assign(estimate=np.nan, lower=np.nan, upper=np.nan, suppressed=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    plots.forest_plot(rows, y="label", ax=axes[0], withheld="[c]")
    plots.forest_plot(withheld, y="label", ax=axes[1], withheld="[c]")
    fig.tight_layout()
    for ax in axes:
        assert ax.get_position().width > 0.33
    plt.close(fig)


def test_spine_row_without_a_range_of_sites_draws_no_point_at_an_edge():
    """Two rows, one with the range of sites and one without (no other site publishes it): the first
    point sits at its scaled place, the second is not drawn (it would sit at 1.0, 'best', whatever
    its value) and its row says why."""
    d = pd.DataFrame({"label": ["with range", "no range"], "value": [0.6, 0.25], "benchmark": [0.5, 0.14],
                      "lowest": [0.3, np.nan], "q1": [0.4, np.nan], "q3": [0.55, np.nan], "highest": [0.7, np.nan],
                      "polarity": "higher_is_better", "comparison": ["similar", "better"], "suppressed": False})
    fig, ax = plt.subplots()
    plots.spine_chart(d, ax=ax)
    drawn = np.concatenate([c.get_offsets() for c in ax.collections])
    # by hand: benchmark 0.5, half-width max(|0.3-0.5|, |0.7-0.5|, |0.6-0.5|) = 0.2, position 0.5 + 0.1/0.4 = 0.75, top row
    assert drawn.tolist() == [[0.75, 1.0]]
    assert [t.get_text() for t in ax.texts if t.get_position()[1] == 0] == ["no range of sites published: see the table"]
    plt.close(fig)


def test_withheld_first_and_last_rows_sit_inside_the_frame():
    """A forest plot and share bars whose first and last rows are withheld: every row's tick lies at
    least half a row inside the axes (the marker never sits on the frame or the x axis)."""
    rows = pd.DataFrame({"label": ["a", "b", "c"], "estimate": [np.nan, 0.5, np.nan], "lower": [np.nan, 0.4, np.nan],
                         "upper": [np.nan, 0.6, np.nan], "suppressed": [True, False, True], "group": ["a", "b", "c"]})
    fig, (ax1, ax2) = plt.subplots(1, 2)
    plots.forest_plot(rows, y="label", ax=ax1, withheld="[c]")
    plots.share_bars(rows, y="group", ax=ax2)
    for ax in (ax1, ax2):
        lo, hi = sorted(ax.get_ylim())
        assert min(ax.get_yticks()) - lo >= 0.5 and hi - max(ax.get_yticks()) >= 0.4
    plt.close(fig)


def test_forest_marks_only_withheld_rows_as_withheld():
    """Three kept rows without a point: withheld with a base (reads [c]), 'withheld' by the gate
    over a base of 0 (nothing to withhold: reads no data) and not withheld (no data)."""
    rows = pd.DataFrame({"label": ["a", "b", "c", "d"], "estimate": [0.4, np.nan, np.nan, np.nan], "lower": [0.3, np.nan, np.nan, np.nan],
                         "upper": [0.5, np.nan, np.nan, np.nan], "suppressed": [False, True, True, False],
                         "denominator": [20.0, np.nan, 0.0, np.nan]})
    fig, ax = plt.subplots()
    plots.forest_plot(rows, y="label", ax=ax, withheld="[c]")
    by_row = {round(t.get_position()[1]): t.get_text() for t in ax.texts}
    assert by_row == {2: "[c]", 1: "no data", 0: "no data"}  # rows b, c, d from the top (a is drawn)
    plt.close(fig)


def test_spine_row_with_a_single_site_as_its_range_draws_no_point():
    """A range of one site (lowest = highest = this site's own figure) has no scale either."""
    d = pd.DataFrame({"label": ["one site"], "value": [0.25], "benchmark": [0.14], "lowest": [0.25], "q1": [0.25],
                      "q3": [0.25], "highest": [0.25], "polarity": "higher_is_better", "comparison": ["better"], "suppressed": False})
    fig, ax = plt.subplots()
    plots.spine_chart(d, ax=ax)
    assert not [c for c in ax.collections if len(c.get_offsets())]
    assert [t.get_text() for t in ax.texts] == ["no range of sites published: see the table"]
    plt.close(fig)
