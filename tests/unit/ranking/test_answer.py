"""The answer on constructed pages: who makes the pictured product, and the match set.

Pages are live-shaped unless a test says otherwise: no company names, no minimum orders,
1688's relevance order, factoryfinder's own measured similarity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ranking.domain import Filters, ImagePair, MatchRole, Offer, RankingResult
from services.ranking.ranking import rank
from tests.unit.ranking.offers import FACTORY, TRADER, detail, offer

D = Decimal
SHIRT = "纯棉圆领短袖T恤男夏季宽松打底衫"


def answer_of(
    offers: Sequence[Offer], pairs: Sequence[ImagePair] = (), profile: str = "", locale: str = "en"
) -> RankingResult:
    return rank(offers, Filters(), profile=profile, locale=locale, pairs=pairs)


def roles(result: RankingResult) -> dict[str, MatchRole]:
    return {m.offer_id: m.role for m in result.answer.match_set}


def look_alikes(first_rank: int = 1) -> list[Offer]:
    """Unrelated goods the engine put on the page: low measured similarity, and sellers the
    seed's weights like (factories that make to sample)."""
    titles = ["男士休闲裤直筒", "不锈钢合页", "手机充电器快充", "六角螺栓M8", "陶瓷马克杯"]
    titles = [title + "来样加工" for title in titles]
    return [
        offer(
            f"x{i}",
            title=title,
            similarity=25.0 + 3 * i,
            price=str(10 + i),
            category=f"other{i}",
            min_order=0,
            identities=("super_factory", "tp_member"),
            rank=first_rank + i,
        )
        for i, title in enumerate(titles)
    ]


def test_a_resellers_copy_ranked_above_the_source_upstream_does_not_make_it_the_source() -> None:
    page = [
        offer("copy", title=SHIRT, similarity=91, price="26", rank=1, identities=("tp_member",)),
        offer(
            "factory",
            title="源头工厂" + SHIRT,
            similarity=86,
            price="20",
            rank=3,
            identities=("super_factory", "tp_member"),
        ),
        *look_alikes(first_rank=4),
    ]
    pairs = [ImagePair("copy", "factory", 93.0)]
    result = answer_of(page, pairs)
    answer = result.answer
    assert answer.found
    assert answer.source_offer_id == "factory"
    assert roles(result) == {"factory": MatchRole.SOURCE, "copy": MatchRole.RESELLER}
    assert [m.offer_id for m in answer.match_set] == ["factory", "copy"]
    assert answer.match_set[1].markup_over_source == D("0.3000")
    assert [r.offer.offer_id for r in result.offers[:2]] == ["factory", "copy"]
    assert 0.5 <= answer.confidence <= 1.0
    assert answer.summary.startswith("The pictured product is made by the seller of offer factory")
    assert "resellers: 1, at +30 %" in answer.summary


def test_a_bait_price_below_the_source_does_not_make_the_reseller_the_source() -> None:
    page = [
        offer(
            "bait",
            title="一件代发" + SHIRT,
            similarity=88,
            price="12",
            rank=1,
            company=TRADER,
        ),
        offer(
            "factory",
            title=SHIRT + " 厂家直销",
            similarity=87,
            price="20",
            rank=2,
            identities=("super_factory",),
            details=detail(biz_type=2, attributes=(("加工定制", "是"),)),
        ),
        *look_alikes(first_rank=3),
    ]
    result = answer_of(page, [ImagePair("bait", "factory", 95.0)])
    assert result.answer.source_offer_id == "factory"
    bait = next(m for m in result.answer.match_set if m.offer_id == "bait")
    assert bait.role is MatchRole.RESELLER
    assert bait.markup_over_source == D("-0.4000")
    # the bait's price was seen, and weighed as one weak signal only
    cheapest = [e for e in result.answer.source_evidence if e.signal == "lowest_price"]
    assert cheapest == []


def test_no_factory_among_the_sellers_names_the_likeliest_with_low_confidence() -> None:
    page = [
        offer("a", title=SHIRT, similarity=90, price="22", rank=1, identities=("tp_member",)),
        offer("b", title=SHIRT + "包邮", similarity=89, price="25", rank=2, company=TRADER),
        offer("c", title=SHIRT, similarity=86, price="24", rank=3, identities=()),
        *look_alikes(first_rank=4),
    ]
    answer = answer_of(page).answer
    assert answer.found
    assert answer.source_offer_id in {"a", "c"}
    assert answer.confidence <= 0.25
    assert "none shows factory signals" in answer.summary
    assert any(e.signal == "match_set" and e.value == "no_maker" for e in answer.source_evidence)


def test_unnamed_sellers_are_named_plainly_and_the_factory_identity_decides() -> None:
    page = [
        offer("t1", title=SHIRT, similarity=92, price="23", rank=1, seller="b2b-77aa01"),
        offer(
            "f1",
            title=SHIRT,
            similarity=90,
            price="21",
            rank=2,
            seller="3f9a0c55e1",
            identities=("super_factory", "tp_member"),
        ),
        offer("t2", title=SHIRT, similarity=89, price="24", rank=3, identities=("tp_member",)),
        *look_alikes(first_rank=4),
    ]
    result = answer_of(page, [ImagePair("t1", "f1", 90.0), ImagePair("t2", "f1", 91.0)])
    answer = result.answer
    assert answer.source_offer_id == "f1"
    assert "seller 3f9a0c… (company name not provided)" in answer.summary
    assert roles(result) == {
        "f1": MatchRole.SOURCE,
        "t1": MatchRole.RESELLER,
        "t2": MatchRole.RESELLER,
    }
    zh = answer_of(page, [ImagePair("t1", "f1", 90.0)], locale="zh").answer
    assert "卖家3f9a0c…（上游未提供公司名）" in zh.summary


def test_an_image_not_compared_joins_by_near_duplicate_or_title() -> None:
    page = [
        offer("f", title=SHIRT, similarity=88, price="20", rank=2, company=FACTORY),
        offer("dup", title="新款上衣", similarity=0, price="27", rank=1, compared=False),
        offer("same_title", title=SHIRT + "现货", similarity=0, price="26", compared=False),
        offer("other", title="陶瓷马克杯", similarity=0, price="26", compared=False, rank=3),
        *look_alikes(first_rank=4),
    ]
    result = answer_of(page, [ImagePair("f", "dup", 94.0)])
    members = {m.offer_id: m for m in result.answer.match_set}
    assert set(members) == {"f", "dup", "same_title"}
    assert members["dup"].reasons[0].signal == "near_duplicate"
    assert members["same_title"].reasons[0].signal == "title"
    assert result.answer.source_offer_id == "f"


def test_no_image_compared_falls_back_on_the_upstream_order_with_low_confidence() -> None:
    page = [
        offer("first", title=SHIRT, similarity=0, rank=1, company=FACTORY),
        offer("alike", title=SHIRT + "批发", similarity=0, rank=2, company=TRADER),
        offer("mug", title="陶瓷马克杯", similarity=0, rank=3, company=TRADER),
    ]
    answer = answer_of(page).answer
    assert answer.found
    assert {m.offer_id for m in answer.match_set} == {"first", "alike"}
    assert answer.source_offer_id == "first"
    assert answer.confidence <= 0.4
    assert answer.summary.startswith("Too few images could be compared")


def test_too_few_images_compared_falls_back_on_the_upstream_order_too() -> None:
    page = [
        offer("unlike", title="陶瓷马克杯", similarity=20, rank=1, company=TRADER),
        offer("first", title=SHIRT, similarity=0, rank=2, compared=False, company=FACTORY),
        offer("alike", title=SHIRT + "批发", similarity=0, rank=3, compared=False),
        offer("other", title="不锈钢合页", similarity=0, rank=4, compared=False),
    ]
    answer = answer_of(page).answer
    assert answer.found and answer.source_offer_id == "first"
    assert {m.offer_id for m in answer.match_set} == {"first", "alike"}
    assert answer.confidence <= 0.4


def test_unrelated_look_alikes_high_upstream_but_low_similarity_stay_out() -> None:
    page = [
        *look_alikes(first_rank=1),
        offer("t", title=SHIRT, similarity=90, price="25", rank=6, company=TRADER),
        offer("f", title=SHIRT, similarity=84, price="21", rank=8, company=FACTORY),
    ]
    result = answer_of(page)
    assert {m.offer_id for m in result.answer.match_set} == {"f", "t"}
    assert result.answer.source_offer_id == "f"
    assert [r.offer.offer_id for r in result.offers[:2]] == ["f", "t"]
    # the seed's weights alone put a look-alike factory first: that profile stays selectable
    seed = answer_of(page, profile="seed")
    assert seed.offers[0].offer.offer_id.startswith("x")
    assert seed.answer.source_offer_id == "f"


def test_a_photo_of_something_not_in_the_catalog_names_no_factory() -> None:
    page = look_alikes(first_rank=1)
    answer = answer_of(page).answer
    assert not answer.found
    assert answer.source_offer_id == ""
    assert answer.match_set == ()
    assert answer.confidence < 0.25
    assert answer.summary.startswith("No offer clearly shows the product in the photo")


def test_without_an_answer_the_most_similar_candidates_come_first() -> None:
    page = [*look_alikes(first_rank=1), offer("u", title="陶瓷碗", similarity=0, compared=False)]
    result = answer_of(page)
    assert not result.answer.found
    assert [r.offer.offer_id for r in result.offers] == ["x4", "x3", "x2", "x1", "x0", "u"]


def test_the_original_photo_decides_between_sellers_that_say_nothing() -> None:
    # A factory listing under an identity that says little, as close to the buyer's photo as
    # a cheaper bait: its photo is the one the others copy (each copy is closer to it than to
    # the other copies).
    page = [
        offer("bait", title=SHIRT, similarity=90, price="15", rank=3, identities=("tp_member",)),
        offer("copy", title=SHIRT, similarity=88, price="28", rank=1, identities=("tp_member",)),
        offer("maker", title=SHIRT, similarity=90, price="20", rank=2, identities=("tp_member",)),
        *look_alikes(first_rank=4),
    ]
    pairs = [
        ImagePair("maker", "bait", 95.0),
        ImagePair("maker", "copy", 94.0),
        ImagePair("bait", "copy", 89.0),
    ]
    answer = answer_of(page, pairs).answer
    assert answer.source_offer_id == "maker"
    signals = [e.signal for e in answer.source_evidence]
    assert signals[:2] == ["visual_match", "upstream_rank"] and "original_image" in signals
    assert answer.confidence <= 0.25  # no seller shows factory signals


def test_a_close_look_alike_outside_the_shared_photo_is_not_the_source() -> None:
    # The pictured product: an unnamed factory's photo, copied by two resellers. A cheaper
    # seller of a similar product that takes custom orders comes close enough to join.
    page = [
        offer("maker", title=SHIRT, similarity=90, price="20", rank=3, identities=("tp_member",)),
        offer("copy1", title=SHIRT, similarity=89, price="26", rank=1, company=TRADER),
        offer("copy2", title=SHIRT, similarity=88, price="27", rank=2, company=TRADER),
        offer(
            "other",
            title="圆领T恤男 可定制",
            similarity=82,
            price="19",
            rank=4,
            identities=("powerful_merchants",),
        ),
        *look_alikes(first_rank=5),
    ]
    pairs = [ImagePair("maker", "copy1", 94.0), ImagePair("maker", "copy2", 93.0)]
    result = answer_of(page, pairs)
    assert "other" in roles(result)
    assert result.answer.source_offer_id == "maker"
    other = next(m for m in result.answer.match_set if m.offer_id == "other")
    assert other.role is MatchRole.SELLER


def test_resellers_without_a_price_are_counted_without_a_mark_up() -> None:
    page = [
        offer("f", title=SHIRT, similarity=90, price="20", rank=2, company=FACTORY),
        offer("t", title=SHIRT, similarity=88, price=None, rank=1, company=TRADER),
        *look_alikes(first_rank=3),
    ]
    answer = answer_of(page).answer
    assert answer.summary.endswith("; resellers: 1 (prices not comparable).")
    assert answer.match_set[1].markup_over_source == 0


def test_a_page_where_every_offer_is_the_product_keeps_them_all() -> None:
    page = [
        offer(str(i), title=SHIRT, similarity=80.0 + i, price=str(20 + i), rank=10 - i)
        for i in range(8)
    ]
    answer = answer_of(page).answer
    assert answer.found
    assert len(answer.match_set) == 8


def test_the_seed_points_are_the_same_in_every_profile_but_similarity() -> None:
    page = [
        offer("a", title=SHIRT, similarity=90, rank=2, company=TRADER),
        offer("b", title=SHIRT, similarity=85, rank=1, company=FACTORY),
        *look_alikes(first_rank=3),
    ]
    default = {r.offer.offer_id: r.score.total for r in answer_of(page).offers}
    seed = answer_of(page, profile="seed")
    assert default == {r.offer.offer_id: r.score.total for r in seed.offers}
    totals = [r.score.total for r in seed.offers]
    assert totals == sorted(totals, reverse=True)


def test_the_similarity_profile_reads_measured_similarity_and_the_upstream_order() -> None:
    page = [
        offer("measured", similarity=80, rank=5),
        offer("not_compared", similarity=0, rank=1, compared=False),
    ]
    result = answer_of(page, profile="similarity")
    by_id = {r.offer.offer_id: r for r in result.offers}
    parts = {c.name: c.points for c in by_id["measured"].score.components}
    assert parts["similarity"] == D("48.00")
    assert parts["upstream_rank"] == D("8.0")
    missing = {c.name: c.points for c in by_id["not_compared"].score.components}
    assert missing["similarity"] == 0
    assert missing["upstream_rank"] == D(10)


_PAGE = [
    offer("f", title="源头工厂" + SHIRT, similarity=86, price="20", rank=4, company=FACTORY),
    offer("r1", title=SHIRT, similarity=91, price="26", rank=1, identities=("tp_member",)),
    offer("r2", title=SHIRT, similarity=84, price="15", rank=2, company=TRADER),
    offer("m", title=SHIRT, similarity=83, price="22", rank=6, company="东莞华美制衣有限公司"),
    offer("u", title=SHIRT, similarity=0, price="30", rank=3, compared=False),
    *look_alikes(first_rank=7),
]
_PAIRS = [ImagePair("f", "r1", 92.0), ImagePair("f", "r2", 90.0), ImagePair("r1", "u", 88.0)]


@settings(max_examples=40, deadline=None)
@given(st.permutations(_PAGE), st.permutations(_PAIRS))
def test_the_answer_does_not_depend_on_input_order(
    page: list[Offer], pairs: list[ImagePair]
) -> None:
    answer = answer_of(page, pairs).answer
    assert answer == answer_of(_PAGE, _PAIRS).answer
    assert answer.source_offer_id == "f"
    assert [m.role for m in answer.match_set] == [
        MatchRole.SOURCE,
        MatchRole.MAKER,
        MatchRole.RESELLER,
        MatchRole.RESELLER,
        MatchRole.RESELLER,
    ]


def test_the_uncropped_photo_outweighs_a_point_of_similarity() -> None:
    # Two sellers that say nothing, one photo a tighter crop of the other.
    page = [
        offer("copy", title=SHIRT, similarity=91, price="25", rank=1, identities=("tp_member",)),
        offer("maker", title=SHIRT, similarity=90, price="25", rank=2, identities=("tp_member",)),
        *look_alikes(first_rank=3),
    ]
    unframed = [ImagePair("copy", "maker", 93.0)]
    assert answer_of(page, unframed).answer.source_offer_id == "copy"
    framed = [ImagePair("copy", "maker", 93.0, wider_offer_id="maker")]
    answer = answer_of(page, framed).answer
    assert answer.source_offer_id == "maker"
    assert "uncropped_photo" in [e.signal for e in answer.source_evidence]


def _close_crop_page() -> list[Offer]:
    """A buyer's close crop: a reseller's tighter crop of the factory's photo measures 12
    points closer than the factory's full frame."""
    return [
        offer("crop", title=SHIRT, similarity=84, price="25", rank=1, identities=("tp_member",)),
        offer(
            "factory",
            title=SHIRT,
            similarity=72,
            price="25",
            rank=2,
            identities=("super_factory", "tp_member"),
        ),
        *look_alikes(first_rank=3),
    ]


def test_between_two_copies_of_one_photo_the_edit_does_not_outweigh_the_maker() -> None:
    same_photo = [ImagePair("crop", "factory", 92.0, wider_offer_id="factory")]
    answer = answer_of(_close_crop_page(), same_photo).answer
    assert answer.source_offer_id == "factory"
    (visual,) = [e for e in answer.source_evidence if e.signal == "visual_match"]
    assert visual.weight == -2.4  # half of the 12 points, / 2.5
    assert "near-duplicate of one that is 84%" in visual.note


def test_a_different_photo_12_points_closer_still_wins_over_maker_badges() -> None:
    # No pair: two different photos, so the whole difference is evidence about the product.
    assert answer_of(_close_crop_page()).answer.source_offer_id == "crop"


def test_a_page_mostly_selling_the_pictured_photo_still_has_a_clear_match() -> None:
    # Four copies of one photo between 72 and 80, three unrelated offers: the whole page's
    # median (72) is a copy, so the match is judged against the unrelated offers (10).
    copies = [
        offer(f"c{i}", title=SHIRT, similarity=s, price="20", rank=i + 1)
        for i, s in enumerate((80.0, 75.0, 74.0, 72.0))
    ]
    others = [
        offer(f"o{i}", title=f"不锈钢合页{i}", similarity=s, price="9", rank=5 + i)
        for i, s in enumerate((12.0, 10.0, 5.0))
    ]
    chain = [ImagePair("c0", "c1", 91.0), ImagePair("c1", "c2", 90.0), ImagePair("c2", "c3", 92.0)]
    answer = answer_of([*copies, *others], chain).answer
    assert answer.found
    assert {m.offer_id for m in answer.match_set} == {"c0", "c1", "c2", "c3"}


def _look_alike_page() -> tuple[list[Offer], list[ImagePair]]:
    """The buyer shot the source's product (98 %, a reseller's copy of its photo 96 %). A
    look-alike product of the same kind, shot from further away (80 %), measures as "wider"
    than the source's photo and than five other look-alikes' photos of its own kind."""
    page = [
        offer("source", title=SHIRT, similarity=98, price="25", rank=2, identities=("tp_member",)),
        offer("copy", title=SHIRT, similarity=96, price="29", rank=3, identities=("tp_member",)),
        offer("wide", title=SHIRT, similarity=80, price="25", rank=1, identities=("tp_member",)),
        *(
            offer(f"kin{i}", title=SHIRT, similarity=78 - i, price="26", rank=4 + i)
            for i in range(5)
        ),
    ]
    pairs = [
        ImagePair("source", "copy", 96.0, wider_offer_id="source"),
        ImagePair("source", "wide", 87.0, wider_offer_id="wide"),
        ImagePair("copy", "wide", 84.0, wider_offer_id="wide"),
        *(ImagePair(f"kin{i}", "wide", 86.0, wider_offer_id="wide") for i in range(5)),
    ]
    return page, pairs


def test_a_look_alike_shot_from_further_away_is_not_the_original_of_the_pictured_photo() -> None:
    page, pairs = _look_alike_page()
    answer = answer_of(page, pairs).answer
    assert answer.source_offer_id == "source"
    # The source's photo (98 %) looks more like the buyer's than like "wide" (87 %): it is
    # not counted as a crop of it, so it loses no point for it either.
    framing = [e for e in answer.source_evidence if e.signal == "uncropped_photo"]
    assert [(e.value, e.weight) for e in framing] == [("1/0", 0.75)]


def test_the_uncropped_photo_counts_four_crops_at_most() -> None:
    # Six resellers' tighter crops of the factory's photo: a product has a handful of
    # resellers, so beyond four the count stops adding (look-alikes "wider" than many).
    page = [
        offer("factory", title=SHIRT, similarity=90, price="25", rank=1),
        *(
            offer(f"crop{i}", title=SHIRT, similarity=85 - i, price="29", rank=2 + i)
            for i in range(6)
        ),
    ]
    pairs = [ImagePair(f"crop{i}", "factory", 92.0, wider_offer_id="factory") for i in range(6)]
    answer = answer_of(page, pairs).answer
    assert answer.source_offer_id == "factory"
    framing = [e for e in answer.source_evidence if e.signal == "uncropped_photo"]
    assert [(e.value, e.weight) for e in framing] == [("4/0", 3.0)]


def _fine_grids_page() -> tuple[list[Offer], list[ImagePair]]:
    """The buyer shot the source's product: its photo measures 90 (95 on the coarse grids
    the pairs are measured on: the finer grids mark a buyer's photo down, never a pair), a
    reseller's copy of it 87 (92). A look-alike product of the same kind, shot from further
    away, measures 88 (89) and 88 like the source's photo (85 like the copy's), "wider"."""
    scales = {"source": 95.0, "copy": 92.0, "wide": 89.0}
    page = [
        offer("source", title=SHIRT, similarity=90, price="25", rank=2, identities=("tp_member",)),
        offer("copy", title=SHIRT, similarity=87, price="29", rank=3, identities=("tp_member",)),
        offer("wide", title=SHIRT, similarity=88, price="25", rank=1, identities=("tp_member",)),
        *look_alikes(first_rank=4),
    ]
    page = [replace(o, pair_scale_similarity=scales.get(o.offer_id)) for o in page]
    pairs = [
        ImagePair("source", "copy", 96.0, wider_offer_id="source"),
        ImagePair("source", "wide", 88.0, wider_offer_id="wide"),
        ImagePair("copy", "wide", 85.0, wider_offer_id="wide"),
    ]
    return page, pairs


def test_a_crop_is_judged_on_the_pairs_scale() -> None:
    page, pairs = _fine_grids_page()
    answer = answer_of(page, pairs).answer
    # On the pairs' scale the source's photo looks 7 points more like the buyer's than like
    # the look-alike's (95 against 88): its own photo, not a crop of the look-alike's.
    assert answer.source_offer_id == "source"
    framing = [e for e in answer.source_evidence if e.signal == "uncropped_photo"]
    assert [(e.value, e.weight) for e in framing] == [("1/0", 0.75)]
    # Weighed on the mixed scales (90 against 88) the source and its copy counted as crops
    # of the look-alike, which was named.
    mixed = [replace(o, pair_scale_similarity=None) for o in page]
    assert answer_of(mixed, pairs).answer.source_offer_id == "wide"
