"""Feature configuration and the fixed word lists the families use.

Feature names derive from the parameters (``eng_median_last20``, ``posts_last7d``...), so a
model trained with one configuration refuses tables built with another by name, not silently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from recommender.engagement import TARGETS

# Tags that every niche uses to ask for reach; always "broad", whatever the store says.
BROAD_HASHTAGS = frozenset(
    {"fyp", "foryou", "foryoupage", "viral", "trending", "xyzbca", "fy", "fypシ", "parati"}
)

# Call-to-action stems (English, Spanish, Portuguese, French, German, Italian, Indonesian).
# Matched as whole-word prefixes, case-insensitively, on the caption.
CTA_STEMS = (
    "comment", "follow", "share", "save", "subscribe", "like and", "link in bio", "tag a",
    "tag your", "duet", "stitch", "let me know", "drop a",
    "comenta", "sígueme", "sigueme", "comparte", "guarda", "etiqueta",
    "comente", "siga", "compartilhe", "salve", "marque",
    "commente", "abonne", "partage", "enregistre",
    "kommentier", "folg", "teile", "speicher",
    "commenta", "seguimi", "condividi", "salva",
    "ikuti", "bagikan", "simpan", "komen",
)


@dataclass(frozen=True)
class FeatureConfig:
    """Parameters of the feature pipeline (all windows look strictly backward in time)."""

    horizon_days: float = 7.0  # age_days given to hypothetical posts (prediction horizon)
    history_windows: tuple[int, ...] = (5, 20)  # trailing post counts for engagement stats
    trend_window_days: int = 7  # momentum: this window vs the one before
    hashtag_prior_strength: float = 5.0  # pseudo-posts at "no effect" for per-tag history
    broad_hashtag_min_creators: int = 5  # a tag used by >= this many earlier creators...
    broad_hashtag_min_share: float = 0.2  # ...and by >= this share of them is "broad"
    hashtag_popularity_days: int = 30  # window of the global hashtag popularity count
    cadence_days: int = 7  # window of posts_last{N}d
    follower_growth_days: int = 30  # window of follower_growth_{N}d
    trend_list_max_age_days: float = 3.0  # a snapshot older than this is no list at all
    settled_days: float = 3.0  # younger posts (at collection) give no engagement evidence
    # Studio's follower-activity hours have no documented zone; formats.md notes UTC is the
    # common reading (and the generator writes UTC), so that is the default.
    activity_hours_local: bool = False
    # Log outcome of past posts for history features; None: follow the target (see
    # config_for_target). featurize reads it from here, so pass the resolved config.
    history_outcome: str | None = None

    def __post_init__(self) -> None:
        if not self.history_windows or min(self.history_windows) < 1:
            raise ValueError("history_windows must hold at least one positive post count")
        if self.history_outcome is not None and self.history_outcome not in TARGETS:
            raise ValueError(f"history_outcome {self.history_outcome!r} is not a target")

    @property
    def outcome(self) -> str:
        """The log outcome that history features summarise (``weighted`` by default)."""
        return self.history_outcome or "weighted"

    @property
    def baseline_window(self) -> int:
        return max(self.history_windows)


def config_for_target(config: FeatureConfig, target: str) -> FeatureConfig:
    """``config`` with ``history_outcome`` resolved for ``target``.

    History features summarise the same log outcome the model predicts, so the baseline is on
    the target's scale: ``views`` -> log views, ``rate_*`` -> that rate, ``interactions`` ->
    interactions; ``weighted`` and ``lift`` -> log weighted interactions. An explicit
    ``history_outcome`` is kept.
    """
    if target not in TARGETS:
        raise KeyError(target)
    if config.history_outcome is not None:
        return config
    return replace(config, history_outcome="weighted" if target == "lift" else target)
