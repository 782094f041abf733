from __future__ import annotations

from services.aggregator.verification import (
    Confidence,
    Mode,
    Sighting,
    combine,
    confidence_for,
    required_photos,
)


def test_required_photos_defaults() -> None:
    assert required_photos(Mode.CONSENSUS, 0, photo_count=3, successes=3) == 2
    assert required_photos(Mode.CONSENSUS, 0, photo_count=2, successes=2) == 2
    assert required_photos(Mode.CONSENSUS, 3, photo_count=4, successes=4) == 3
    assert required_photos(Mode.CONSENSUS, 9, photo_count=4, successes=4) == 4
    assert required_photos(Mode.STRICT, 0, photo_count=4, successes=3) == 3


def test_combine_keeps_k_of_n_with_mean_similarity() -> None:
    sightings = {
        "a": [Sighting(0, 90), Sighting(1, 80), Sighting(2, 70)],
        "b": [Sighting(0, 95), Sighting(2, 85)],
        "c": [Sighting(1, 99)],
    }
    result = combine(sightings, required=2, successes=3)
    assert [a.offer_id for a in result] == ["a", "b"]
    assert result[0].combined_similarity == 80
    assert result[0].photo_indexes == (0, 1, 2)
    assert result[1].combined_similarity == 90
    assert result[1].found_by == 2


def test_combine_strict_needs_every_photo() -> None:
    sightings = {"a": [Sighting(0, 90), Sighting(1, 80)], "b": [Sighting(0, 95)]}
    assert [a.offer_id for a in combine(sightings, required=2, successes=2)] == ["a"]


def test_duplicate_sightings_in_one_photo_count_once() -> None:
    sightings = {"a": [Sighting(0, 60), Sighting(0, 90), Sighting(1, 70)]}
    (agreement,) = combine(sightings, required=2, successes=2)
    assert agreement.found_by == 2
    assert agreement.combined_similarity == 80


def test_confidence_rule() -> None:
    assert confidence_for(3, 3, 80) is Confidence.HIGH
    assert confidence_for(3, 3, 79.9) is Confidence.MEDIUM
    assert confidence_for(2, 3, 95) is Confidence.MEDIUM
    assert confidence_for(2, 3, 59.9) is Confidence.LOW
    assert confidence_for(1, 3, 99) is Confidence.LOW


def test_combined_similarity_is_measured_over_every_compared_photo() -> None:
    # Found upstream by photos 0 and 1 only, but photo 2 was compared with its image too.
    sightings = {"a": [Sighting(0, 90), Sighting(1, 80)], "b": [Sighting(0, 95), Sighting(1, 91)]}
    measured = {"a": {0: 90.0, 1: 80.0, 2: 70.0}, "b": {0: 95.0, 1: 91.0, 2: 6.0}}
    result = combine(sightings, required=2, successes=3, measured=measured)
    assert [(a.offer_id, a.combined_similarity) for a in result] == [("a", 80.0), ("b", 64.0)]
    assert all(a.found_by == 2 for a in result)


def test_an_offer_no_photo_could_compare_falls_back_to_its_sightings() -> None:
    sightings = {"a": [Sighting(0, 0.0), Sighting(1, 0.0)]}
    (agreement,) = combine(sightings, required=2, successes=2, measured={"a": {}})
    assert agreement.combined_similarity == 0.0
