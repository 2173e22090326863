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
