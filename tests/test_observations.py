"""Observations of practice: share seen as desired, by behaviour and by setting (by hand)."""

import pandas as pd
import pytest

from homekit import indicators


def obs():
    rows = [("a", "ward", "home_first", "desired"), ("a", "ward", "home_first", "desired"), ("a", "ward", "home_first", "mixed"),
            ("a", "front_door", "home_first", "desired"), ("a", "front_door", "home_first", "undesired"),
            ("a", "ward", "risk_shared", "undesired"), ("b", "ward", "home_first", "undesired")]
    return pd.DataFrame(rows, columns=["site_id", "setting", "behaviour", "seen"])


def test_share_desired_by_behaviour():
    r = indicators.observation_shares(obs()).set_index(["site_id", "group"])
    # Site a, home first: 3 desired of 5 (mixed is in the base, not the numerator).
    assert (r.loc[("a", "home_first"), "numerator"], r.loc[("a", "home_first"), "denominator"]) == (3, 5)
    assert r.loc[("a", "risk_shared"), "estimate"] == 0
    assert r.loc[("b", "home_first"), "estimate"] == 0
    # Wilson 3/5 = (0.2307, 0.8824)
    assert (round(r.loc[("a", "home_first"), "lower"], 4), round(r.loc[("a", "home_first"), "upper"], 4)) == (0.2307, 0.8824)


def test_share_desired_by_setting():
    r = indicators.observation_shares(obs(), across="setting").set_index(["site_id", "group"])
    assert (r.loc[("a", "home_first|ward"), "numerator"], r.loc[("a", "home_first|ward"), "denominator"]) == (2, 3)
    assert (r.loc[("a", "home_first|front_door"), "numerator"], r.loc[("a", "home_first|front_door"), "denominator"]) == (1, 2)
    out = indicators.observation_indicators(obs(), by=[])
    assert out.set_index("group").loc["home_first", "estimate"] == pytest.approx(3 / 6)
    assert set(out["indicator"]) == {"obs_behaviour_desired"}


def test_site_settings_published_through_the_gate():
    # Site a, home first: ward 12 observations (9 desired), discharge meeting 11 (4 desired, 7
    # mixed), front door 5 (2 desired): all settings 28, 15 desired. Professional rule (groups of
    # 11 or more): the front door (5) is withheld; all settings minus the ward and the discharge
    # meeting would give it back, so the smaller published setting, the discharge meeting (11),
    # is withheld with it (together 16 observations, 6 desired: a group of 11 or more). The ward
    # is published, 9 of 12, with its Wilson interval.
    from homekit.disclosure import DisclosureRules, disclose_indicators

    rows = ([("ward", "desired")] * 9 + [("ward", "undesired")] * 3 + [("discharge_meeting", "desired")] * 4
            + [("discharge_meeting", "mixed")] * 7 + [("front_door", "desired")] * 2 + [("front_door", "undesired")] * 3)
    df = pd.DataFrame([("a", s, "home_first", seen) for s, seen in rows], columns=["site_id", "setting", "behaviour", "seen"])
    pub = disclose_indicators(indicators.observation_indicators(df).assign(suppressed=False), DisclosureRules()).set_index("group")
    assert tuple(pub.loc["home_first", ["numerator", "denominator"]]) == (15, 28)
    ward = pub.loc["home_first|ward"]
    assert not ward["suppressed"] and (ward["numerator"], ward["denominator"], ward["estimate"]) == (9, 12, 0.75)
    assert (ward["lower"], ward["upper"]) == (0.4677, 0.9111)  # Wilson 9/12 (statsmodels: 0.46769, 0.91106)
    assert pub.loc["home_first|front_door", "suppressed"] and pub.loc["home_first|discharge_meeting", "suppressed"]
