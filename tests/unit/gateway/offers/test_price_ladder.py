"""The price-ladder parser: every published form, and clear refusals for the rest."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.gateway.offers.price_ladder import (
    LadderParseError,
    close_ladder,
    normalize_text,
    parse_amount,
    parse_structured,
    parse_text,
)
from shared.money import PriceTier


def tiers(*rows: tuple[int, int | None, str]) -> list[PriceTier]:
    return [PriceTier(low, high, Decimal(price)) for low, high, price in rows]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10-50件:¥20;51-100件:¥18", tiers((10, 50, "20"), (51, 100, "18"))),
        ("≥100件 ¥15.5", tiers((100, None, "15.5"))),
        (">=100件 ¥15.5", tiers((100, None, "15.5"))),
        (">100件 ¥5", tiers((101, None, "5"))),
        ("大于100件：5元", tiers((101, None, "5"))),
        ("大于等于500件：9.9元", tiers((500, None, "9.9"))),
        ("不少于20个 ¥3", tiers((20, None, "3"))),
        ("满1000件 2.5", tiers((1000, None, "2.5"))),
        ("100件以上 15元", tiers((100, None, "15"))),
        ("100件及以上：15元", tiers((100, None, "15"))),
        ("≥100件以上 ¥15", tiers((100, None, "15"))),
        ("100件起 ¥15", tiers((100, None, "15"))),
        ("2件起批 ¥15", tiers((2, None, "15"))),
        ("100+ 3.5", tiers((100, None, "3.5"))),
        ("≥100 ¥15.5", tiers((100, None, "15.5"))),
        ("1件 20 10件 18", tiers((1, 9, "20"), (10, None, "18"))),
        ("10-50件20", tiers((10, 50, "20"))),
        ("10~50件 ¥20", tiers((10, 50, "20"))),
        ("10至50件 ¥20", tiers((10, 50, "20"))),
        ("10到50件 ¥20", tiers((10, 50, "20"))),
        ("10件-50件 ¥20", tiers((10, 50, "20"))),
        ("10 - 50 件 : ¥ 20", tiers((10, 50, "20"))),
        ("10-50件=20元", tiers((10, 50, "20"))),
        ("10-50件:RMB 20", tiers((10, 50, "20"))),
        ("10-50pcs: CNY20", tiers((10, 50, "20"))),
        ("10-50 PCS ¥20", tiers((10, 50, "20"))),
        ("2-9个 12元/个, 10个以上 10元", tiers((2, 9, "12"), (10, None, "10"))),
        ("1,000件起 ¥3.2/件", tiers((1000, None, "3.2"))),
        (
            "1,000-1,999件 ¥3, 2,000件以上 ¥2.8",
            tiers((1000, 1999, "3"), (2000, None, "2.8")),
        ),
        (
            "10-99件:¥1,200;100件以上:¥1,100.50",
            tiers((10, 99, "1200"), (100, None, "1100.50")),
        ),
        # A comma between tiers is not a thousands separator.
        ("10-99件:¥20,100-200件:¥18", tiers((10, 99, "20"), (100, 200, "18"))),
        ("10-99件:¥20,100件以上:¥18", tiers((10, 99, "20"), (100, None, "18"))),
        # Price first, as the offer page shows it.
        ("¥20.00 10-49件 ¥18.00 ≥50件", tiers((10, 49, "20.00"), (50, None, "18.00"))),
        ("¥20 10-49件,¥18 50件以上", tiers((10, 49, "20"), (50, None, "18"))),
        # Full-width digits, yen sign, colon, semicolon, tilde, comma.
        (
            "１０～４９件：￥２０；５０件以上：￥１８．５",
            tiers((10, 49, "20"), (50, None, "18.5")),
        ),
        ("１０－５０件：２０元，５１件以上：１８元", tiers((10, 50, "20"), (51, None, "18"))),
        ("10〜50件 ¥20", tiers((10, 50, "20"))),
        ("10—50件 ¥20", tiers((10, 50, "20"))),
        ("≧100件 ¥15", tiers((100, None, "15"))),
        # Separators: new lines, bars, slashes, several at once; out of order tiers.
        ("10-50件:¥20\n51-100件:¥18", tiers((10, 50, "20"), (51, 100, "18"))),
        ("10-50件:¥20 | 51件以上:¥18", tiers((10, 50, "20"), (51, None, "18"))),
        ("10-50件:¥20 / 51件以上:¥18", tiers((10, 50, "20"), (51, None, "18"))),
        ("  ;10-50件:¥20;;  51件以上:¥18;  ", tiers((10, 50, "20"), (51, None, "18"))),
        ("≥100件 ¥15; 10-99件 ¥18", tiers((10, 99, "18"), (100, None, "15"))),
        ("3套 ¥120 10套 ¥100", tiers((3, 9, "120"), (10, None, "100"))),
        ("1kg ¥30 10kg ¥25", tiers((1, 9, "30"), (10, None, "25"))),
        ("1平方米 ¥30 10平方米以上 ¥25", tiers((1, 9, "30"), (10, None, "25"))),
    ],
)
def test_text_forms(text: str, expected: list[PriceTier]) -> None:
    assert parse_text(text) == expected


@pytest.mark.parametrize("text", ["", "   ", " ; \n"])
def test_blank_text_is_an_empty_ladder(text: str) -> None:
    assert parse_text(text) == []


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("abc", "cannot read"),
        ("10-50件", "cannot read"),
        ("¥20", "cannot read"),
        ("10-50件:¥20 xyz", "at 'xyz'"),
        ("10-50件:¥20;40-100件:¥18", "overlap"),
        ("10件 ¥20; 10件以上 ¥18", "two tiers start at 10"),
        ("50-10件 ¥2", "backwards"),
        ("10件 ¥0", "positive"),
        ("5.5件 ¥3", "cannot read"),
        ("1.2.3件 4", "cannot read"),
        ("¥20,100-200件:¥18", "cannot read"),
        ("10-50件:¥-20", "cannot read"),
    ],
)
def test_refusals_say_why(text: str, why: str) -> None:
    with pytest.raises(LadderParseError) as caught:
        parse_text(text)
    assert why in str(caught.value)


def test_structured_rows_are_closed_and_sorted() -> None:
    rows = [
        {"startQuantity": "50", "price": "18.5"},
        {"startQuantity": 1, "price": "20.00"},
        {"startQuantity": 200, "price": Decimal("16")},
    ]
    assert parse_structured(rows) == tiers((1, 49, "20.00"), (50, 199, "18.5"), (200, None, "16"))


def test_structured_rows_accept_yen_strings_and_an_explicit_end() -> None:
    rows = [{"startQuantity": 2, "endQuantity": 9, "price": "￥12.50"}]
    assert parse_structured(rows) == tiers((2, 9, "12.50"))


def test_structured_start_zero_means_one() -> None:
    assert parse_structured([{"startQuantity": 0, "price": "3"}]) == tiers((1, None, "3"))


@pytest.mark.parametrize(
    "rows",
    [
        [{"price": "3"}],
        [{"startQuantity": 1}],
        [{"startQuantity": "many", "price": "3"}],
        [{"startQuantity": 1, "price": "free"}],
        [{"startQuantity": 1, "price": "0"}],
        ["10-50件:¥20"],
        [{"startQuantity": 1, "price": "3"}, {"startQuantity": 1, "price": "2"}],
    ],
)
def test_malformed_structured_rows_are_refused(rows: list[object]) -> None:
    with pytest.raises(LadderParseError):
        parse_structured(rows)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("¥1,280.50", "1280.50"),
        ("１５元", "15"),
        ("RMB 3", "3"),
        ("￥0.99", "0.99"),
        (" 12 ", "12"),
        (7, "7"),
        (Decimal("2.345"), "2.345"),
    ],
)
def test_amounts(value: str | int | Decimal, expected: str) -> None:
    assert parse_amount(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["", "abc", "1.2.3", "¥", "12元元", "-3", "NaN", "1e5"])
def test_bad_amounts(value: str) -> None:
    with pytest.raises(LadderParseError):
        parse_amount(value)


def test_negative_decimal_amount_is_refused() -> None:
    with pytest.raises(LadderParseError):
        parse_amount(Decimal("-1"))


def test_normalize_text_folds_full_width_forms() -> None:
    assert normalize_text("１２３：￥４５；～") == "123:¥45;~"


def test_close_ladder_keeps_explicit_ends_and_closes_open_ones() -> None:
    ladder = close_ladder(tiers((100, None, "5"), (1, 10, "9"), (11, None, "7")))
    assert ladder == tiers((1, 10, "9"), (11, 99, "7"), (100, None, "5"))


@pytest.mark.parametrize(
    "value", [True, Decimal("NaN"), "0.1234567891", "100000000000000000000", Decimal("1E+30")]
)
def test_amounts_that_are_no_exact_money_are_refused(value: str | Decimal | bool) -> None:
    with pytest.raises(LadderParseError):
        parse_amount(value)


@pytest.mark.parametrize(
    "text", ["100000000000000000000件以上 ¥5", "1-99999999999999999999件 ¥5", "10件 ¥1.0000000001"]
)
def test_text_tiers_beyond_the_wire_types_are_refused(text: str) -> None:
    with pytest.raises(LadderParseError):
        parse_text(text)
