"""The hypotheses register: linking evidence rows and flagging evidence that points the other way."""

import pandas as pd

from homekit import indicators


def ind(rows):
    cols = ["site_id", "indicator", "group", "numerator", "denominator", "estimate", "lower", "upper", "method", "suppressed"]
    return pd.DataFrame(rows, columns=cols)


EVIDENCE = ind([
    # Culture: the behaviour home_first by level. Senior 18/20 agree (Wilson 0.699-0.972: wholly
    # above one half: the good thing happens), frontline 4/20 (0.081-0.416: wholly below).
    ("a", "culture_behaviour_agree", "home_first|senior", 18, 20, 0.90, 0.699, 0.972, "Wilson", False),
    ("a", "culture_behaviour_agree", "home_first|frontline", 4, 20, 0.20, 0.081, 0.416, "Wilson", False),
    ("a", "culture_behaviour_agree", "risk_shared|senior", 10, 20, 0.50, 0.299, 0.701, "Wilson", False),
    # Observations: exact behaviour row plus setting rows (only the exact row is linked).
    ("a", "obs_behaviour_desired", "home_first", 9, 10, 0.90, 0.596, 0.982, "Wilson", False),
    ("a", "obs_behaviour_desired", "home_first|ward", 5, 5, 1.0, 0.566, 1.0, "Wilson", False),
    # A lower-is-better overall row, 15/20 risk averse (0.531-0.888: wholly above one half: bad).
    ("a", "comms_risk_averse", "", 15, 20, 0.75, 0.531, 0.888, "Wilson", False),
    # A suppressed row is never judged.
    ("a", "comms_plain_language", "", None, None, None, None, None, "Wilson", True),
    # A grouped indicator with no behaviour or overall row: context, never judged.
    ("a", "prof_admission_factor_frequent", "risk_aversion", 2, 20, 0.10, 0.028, 0.301, "Wilson", False),
    ("a", "prof_admission_factor_frequent", "family_pressure", 18, 20, 0.90, 0.699, 0.972, "Wilson", False),
    # No-judgement polarity: never judged.
    ("a", "culture_level_gap", "home_first", None, 20, 0.70, 0.45, 0.85, "Newcombe", False),
])


def hyp(rows):
    return pd.DataFrame(rows, columns=["site_id", "hypothesis_id", "behaviour", "barrier", "evidence", "status"])


def test_linked_rows_and_readings():
    h = hyp([("a", "h1", "home_first", "Beds feel safe", "culture_behaviour_agree;obs_behaviour_desired;culture_level_gap", "open")])
    r = indicators.hypothesis_register(h, EVIDENCE)
    assert r["group"].tolist() == ["home_first|senior", "home_first|frontline", "home_first", "home_first"]
    assert r["link"].tolist() == ["behaviour"] * 4
    # senior: good (contradicts the barrier); frontline: bad (supports it); obs 9/10: good; gap: no judgement.
    assert r["reading"].tolist() == ["contradicts", "supports", "contradicts", "not conclusive"]
    assert not r["points_other_way"].any() and not r["hypothesis_flag"].any()  # open: never flagged
    assert r.loc[0, "lower"] == 0.699 and r.loc[0, "barrier"] == "Beds feel safe"


def test_flags_follow_the_status():
    h = hyp([
        ("a", "h1", "home_first", "Beds feel safe", "obs_behaviour_desired", "verified"),  # evidence good: other way
        ("a", "h2", "home_first", "Leaflets frighten families", "comms_risk_averse", "disproved"),  # evidence bad: other way
        ("a", "h3", "home_first", "Leaflets frighten families", "comms_risk_averse", "verified"),  # agrees
        ("a", "h4", "risk_shared", "Risk sits with one person", "culture_behaviour_agree", "verified"),  # spans one half
    ])
    r = indicators.hypothesis_register(h, EVIDENCE).set_index("hypothesis_id")
    assert r.loc["h1", "reading"] == "contradicts" and bool(r.loc["h1", "points_other_way"])
    assert r.loc["h2", "reading"] == "supports" and bool(r.loc["h2", "hypothesis_flag"])
    assert r.loc["h3", "reading"] == "supports" and not r.loc["h3", "hypothesis_flag"]
    assert r.loc["h4", "reading"] == "not conclusive" and not r.loc["h4", "hypothesis_flag"]


def test_mixed_evidence_is_not_flagged():
    # Verified: the frontline row supports the barrier, the senior row contradicts it. One row
    # points the other way, but the evidence taken together does not: no flag.
    h = hyp([("a", "h1", "home_first", "Beds feel safe", "culture_behaviour_agree", "verified"),
             ("a", "h2", "home_first", "Beds feel safe", "culture_behaviour_agree", "disproved")])
    r = indicators.hypothesis_register(h, EVIDENCE)
    h1 = r[r.hypothesis_id == "h1"]
    assert h1["points_other_way"].tolist() == [True, False] and not h1["hypothesis_flag"].any()
    h2 = r[r.hypothesis_id == "h2"]
    assert h2["points_other_way"].tolist() == [False, True] and not h2["hypothesis_flag"].any()


def test_suppressed_context_and_missing_rows_are_not_judged():
    h = hyp([("a", "h1", "time_for_conversations", "No time", "comms_plain_language;prof_admission_factor_frequent;gp_trust_asc",
              "disproved"),
             ("a", "h2", "feedback_given", "Nobody calls back", None, "open")])
    r = indicators.hypothesis_register(h, EVIDENCE)
    h1 = r[r.hypothesis_id == "h1"]
    assert h1["link"].tolist() == ["overall", "context", "context", "no rows"]
    assert h1["suppressed"].tolist() == [True, False, False, False]
    # risk_aversion 2/20 would read "contradicts" (lower is better), but context rows are not judged.
    assert (h1["reading"] == "not conclusive").all() and not h1["hypothesis_flag"].any()
    h2 = r[r.hypothesis_id == "h2"]
    assert h2["link"].tolist() == ["no evidence named"]


def test_comparison_column_judges_other_kinds():
    ev = ind([("a", "prof_relationship_score", "", 60, 20, 3.0, 2.6, 3.4, "Student's t", False)]).assign(comparison="worse")
    h = hyp([("a", "h1", "trust_partners", "No trust", "prof_relationship_score", "disproved")])
    r = indicators.hypothesis_register(h, ev)
    assert r.loc[0, "reading"] == "supports" and bool(r.loc[0, "points_other_way"])


def test_evidence_ids_parsing():
    from homekit.indicators.hypotheses import evidence_ids

    assert evidence_ids(" a ; b;;a ") == ["a", "b"]
    assert evidence_ids(None) == [] and evidence_ids(float("nan")) == []
