"""Comms review: shares of items (blank answers out of the base), by audience and channel."""

import pandas as pd
import pytest

from homekit import indicators
from homekit.instruments import CHOICES, SCALES


def items():
    yn, rf = SCALES["yesno"].dtype(), CHOICES["risk_framing"].dtype()
    df = pd.DataFrame({
        "site_id": ["a"] * 4,
        "audience": ["person", "person", "family", "staff"],
        "channel": ["leaflet", "letter", "leaflet", "script"],
        "promotes_home_first": pd.Categorical(["Yes", "No", "Yes", None], dtype=yn),
        "plain_language": pd.Categorical(["Yes", "Yes", "No", "No"], dtype=yn),
        "sets_expectations": pd.Categorical(["No", "No", "No", "Yes"], dtype=yn),
        "risk_framing": pd.Categorical(["averse", "neutral", "averse", "enabling"], dtype=rf),
    })
    return df


def test_overall_shares_by_hand():
    r = indicators.comms_indicators(items()).query("group == ''").set_index("indicator")
    assert (r.loc["comms_promotes_home_first", "numerator"], r.loc["comms_promotes_home_first", "denominator"]) == (2, 3)
    assert r.loc["comms_plain_language", "estimate"] == 0.5
    assert r.loc["comms_sets_expectations", "estimate"] == 0.25
    assert r.loc["comms_risk_averse", "estimate"] == 0.5


def test_by_audience_and_channel():
    r = indicators.comms_indicators(items()).set_index(["indicator", "group"])
    assert (r.loc[("comms_promotes_home_first", "audience:person"), "numerator"],
            r.loc[("comms_promotes_home_first", "audience:person"), "denominator"]) == (1, 2)
    assert r.loc[("comms_risk_averse", "channel:leaflet"), "estimate"] == 1.0
    assert ("comms_risk_averse", "audience:staff") in r.index
    assert ("comms_risk_averse", "channel:web") not in r.index  # no such items


def test_risk_framing_partitions_the_items():
    r = indicators.comms_risk_framing(items()).set_index("group")
    assert r["numerator"].to_dict() == {"enabling": 1, "neutral": 1, "averse": 2}
    assert (r["denominator"] == 4).all() and r["estimate"].sum() == pytest.approx(1)
