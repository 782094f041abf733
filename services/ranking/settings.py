"""Ranking configuration, from ``FF_RANKING_*`` environment variables.

Only the same-product thresholds are tunable; the score weights are the
contract's profiles and change with the code, not per deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from services.ranking.grouping import GroupingRules
from services.ranking.match_set import MatchRules
from shared.config import ServerSettings, float_range, int_range, setting
from shared.money import to_decimal


def _price_ratio(text: str) -> Decimal:
    value = to_decimal(text)
    if value < 1:
        raise ValueError("must be at least 1 (1.6 = up to 60 % dearer)")
    return value


@dataclass(frozen=True)
class RankingSettings(ServerSettings):
    ENV_PREFIX: ClassVar[str] = "FF_RANKING"

    # Bits two main-image hashes may differ by and still be the same photo.
    phash_max_distance: int = setting("{prefix}_PHASH_MAX_DISTANCE", 8, parse=int_range(0, 32))
    # Bits they may differ by when both offers match the buyer's photo well (edited copies).
    phash_loose_distance: int = setting("{prefix}_PHASH_LOOSE_DISTANCE", 24, parse=int_range(0, 64))
    # Similarity to the buyer's photo (0-100) at which an offer counts as a good match.
    match_similarity: float = setting("{prefix}_MATCH_SIMILARITY", 70.0, parse=float_range(0, 100))
    # Dice similarity of title bigrams for the same product when a photo hash is missing.
    title_min_similarity: float = setting(
        "{prefix}_TITLE_MIN_SIMILARITY", 0.8, parse=float_range(0.5, 1.0)
    )
    # Dearest / cheapest compared price still considered the same product by title.
    group_price_ratio_max: Decimal = setting(
        "{prefix}_GROUP_PRICE_RATIO_MAX", Decimal("1.6"), parse=_price_ratio
    )
    # Years on 1688 that make a manufacturer "long-standing" when choosing a group's source.
    long_standing_years: int = setting("{prefix}_LONG_STANDING_YEARS", 3, parse=int_range(0, 50))

    # The match set (match_set.py); tune these with the quality benchmark when the eye changes.
    # Lowest best similarity (0-100) that can be the pictured product at all.
    match_plausible: float = setting("{prefix}_MATCH_PLAUSIBLE", 30.0, parse=float_range(0, 100))
    # Points the best similarity must stand above the page's median to be a clear match.
    match_stand_out: float = setting("{prefix}_MATCH_STAND_OUT", 15.0, parse=float_range(0, 100))
    # Similarity that is a clear match on its own, whatever the rest of the page.
    match_sure: float = setting("{prefix}_MATCH_SURE", 85.0, parse=float_range(0, 100))
    # Points below the best within which an offer is a member whatever the spread.
    match_near_best: float = setting("{prefix}_MATCH_NEAR_BEST", 10.0, parse=float_range(0, 100))

    def grouping_rules(self) -> GroupingRules:
        return GroupingRules(
            phash_max_distance=self.phash_max_distance,
            phash_loose_distance=self.phash_loose_distance,
            match_similarity=self.match_similarity,
            title_min_similarity=self.title_min_similarity,
            price_ratio_max=self.group_price_ratio_max,
            long_standing_years=self.long_standing_years,
        )

    def match_rules(self) -> MatchRules:
        return MatchRules(
            plausible=self.match_plausible,
            stand_out=self.match_stand_out,
            sure=max(self.match_sure, self.match_plausible + 1),
            near_best=self.match_near_best,
            phash_max_distance=self.phash_max_distance,
        )
