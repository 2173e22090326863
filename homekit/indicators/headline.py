"""The headline indicators of the data contract: ids, definitions and the published figures.

The labels, polarity and seed figures live in the data dictionary
(:data:`homekit.instruments.INDICATORS`); this module keeps the views older code reads.
"""

from __future__ import annotations

import pandas as pd

from ..instruments import INDICATORS

#: id -> (instrument, what it measures, published figure (share) or None, published text)
HEADLINES: dict[str, tuple[str, str, float | None, str]] = {
    k: (v.instrument, v.label, v.published, v.published_text) for k, v in INDICATORS.items() if v.headline
}


def headline_table() -> pd.DataFrame:
    """The headline ids with their instrument, description, polarity and published seed figure."""
    return pd.DataFrame(
        [
            {"indicator": k, "instrument": v[0], "description": v[1], "polarity": INDICATORS[k].polarity,
             "published": v[2], "published_text": v[3]}
            for k, v in HEADLINES.items()
        ]
    )


#: Readable names of every indicator id homekit produces (headlines included).
INDICATOR_LABELS: dict[str, str] = {k: v.label for k, v in INDICATORS.items()}
