"""FF_RANKING_* settings and the grouping rules they make."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.ranking.grouping import GroupingRules
from services.ranking.match_set import MatchRules
from services.ranking.settings import RankingSettings
from shared.config import ConfigError, env_names, load


def test_defaults_are_the_documented_grouping_rules() -> None:
    settings = load(RankingSettings, {})
    assert settings.grouping_rules() == GroupingRules()
    assert settings.match_rules() == MatchRules()
    assert settings.port == 0


def test_the_match_rules_come_from_their_variables() -> None:
    settings = load(
        RankingSettings,
        {
            "FF_RANKING_MATCH_PLAUSIBLE": "40",
            "FF_RANKING_MATCH_STAND_OUT": "12",
            "FF_RANKING_MATCH_SURE": "80",
            "FF_RANKING_MATCH_NEAR_BEST": "8",
            "FF_RANKING_PHASH_MAX_DISTANCE": "6",
        },
    )
    assert settings.match_rules() == MatchRules(
        plausible=40.0, stand_out=12.0, sure=80.0, near_best=8.0, phash_max_distance=6
    )


def test_every_value_comes_from_its_variable() -> None:
    settings = load(
        RankingSettings,
        {
            "FF_RANKING_PORT": "50061",
            "FF_RANKING_PHASH_MAX_DISTANCE": "6",
            "FF_RANKING_PHASH_LOOSE_DISTANCE": "20",
            "FF_RANKING_MATCH_SIMILARITY": "75",
            "FF_RANKING_TITLE_MIN_SIMILARITY": "0.9",
            "FF_RANKING_GROUP_PRICE_RATIO_MAX": "1.5",
            "FF_RANKING_LONG_STANDING_YEARS": "5",
        },
    )
    assert settings.port == 50061
    assert settings.grouping_rules() == GroupingRules(
        phash_max_distance=6,
        phash_loose_distance=20,
        match_similarity=75.0,
        title_min_similarity=0.9,
        price_ratio_max=Decimal("1.5"),
        long_standing_years=5,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FF_RANKING_PHASH_MAX_DISTANCE", "65"),
        ("FF_RANKING_TITLE_MIN_SIMILARITY", "0.2"),
        ("FF_RANKING_GROUP_PRICE_RATIO_MAX", "0.9"),
        ("FF_RANKING_GROUP_PRICE_RATIO_MAX", "lots"),
    ],
)
def test_bad_values_stop_the_service_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load(RankingSettings, {name: value})


def test_variables_are_listed_for_the_deployment_checks() -> None:
    names = env_names(RankingSettings)
    assert "FF_RANKING_PHASH_MAX_DISTANCE" in names
    assert "FF_RANKING_HOST" in names
