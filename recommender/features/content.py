"""Content family: what the post itself is (known before it is published).

NaN where the attribute is unknown (a caption-less export, no duration), so the model can
tell "unknown" from "zero".
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from recommender.features.config import CTA_STEMS, FeatureConfig
from recommender.features.context import Context

# Patterns stay RE2-compatible (no look-behind) so pyarrow strings match them natively.
_CTA = r"(?i)(?:^|\W)(?:" + "|".join(re.escape(s) for s in CTA_STEMS) + ")"
_QUESTION = r"[?¿？]"
_MENTION = r"(?:^|\W)@[\w.]+"


def names(config: FeatureConfig) -> list[str]:
    return ["duration_s", "caption_length", "caption_has_question", "caption_has_cta",
            "caption_mentions", "sound_is_original"]


def compute(ctx: Context) -> dict[str, np.ndarray]:
    q = ctx.queries
    return {
        "duration_s": q["duration_s"].to_numpy(dtype="float64", na_value=np.nan),
        **_caption_features(q["caption"]),
        "sound_is_original": q["sound_is_original"].to_numpy(dtype="float64", na_value=np.nan),
    }


def _caption_features(captions: pd.Series) -> dict[str, np.ndarray]:
    """Worked out once per distinct caption (plans and candidate grids repeat drafts)."""
    codes, distinct = pd.factorize(captions.astype(pd.StringDtype("pyarrow")),
                                   use_na_sentinel=False)
    caption = pd.Series(distinct, dtype=pd.StringDtype("pyarrow"))
    missing = caption.isna().to_numpy()

    def masked(values: pd.Series) -> np.ndarray:
        out = values.astype("float64").to_numpy(na_value=np.nan, copy=True)
        out[missing] = np.nan
        return out[codes]

    text = caption.fillna("")
    return {
        "caption_length": masked(text.str.len()),
        "caption_has_question": masked(text.str.contains(_QUESTION)),
        "caption_has_cta": masked(text.str.contains(_CTA)),
        "caption_mentions": masked(text.str.count(_MENTION)),
    }
