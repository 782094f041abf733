"""Price ladders in every form 1688 and its resellers publish them.

Structured rows (``[{"startQuantity": 10, "price": "20.00"}, ...]``) come from
the detail APIs; text comes from titles, descriptions and copied shop pages:

    10-50件:¥20;51-100件:¥18        ≥100件 ¥15.5        100件以上 15元
    ¥20.00 10-49件 ¥18.00 ≥50件      １０～４９件：￥２０    1,000件起 ¥3.2/件

Full-width digits and symbols are folded first (NFKC). A tier is a quantity
part and a price part in either order; tiers are separated by ``; , | /``,
new lines or plain spaces. Anything left over is an error, never silently
dropped: a ladder that is only partly understood would quote wrong prices.
``>`` and ``大于`` are strict (``>100`` starts at 101); ``≥``, ``以上``, ``起``
and ``+`` include the number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from shared.money import PriceTier, fits_money, to_decimal


class LadderParseError(ValueError):
    """The text or rows are not a price ladder; the message says where."""


# Characters NFKC leaves alone but resellers use for the same thing.
_FOLD = str.maketrans({"〜": "~", "—": "-", "–": "-", "−": "-", "≧": "≥", "、": ","})

_UNIT = (
    r"(?:平方米|平米|千克|公斤|件|个|只|套|双|条|台|张|把|支|顶|盒|箱|包|袋|瓶|对|片|根|卷|本"
    r"|组|打|副|块|粒|枚|米|码|克|吨|斤|pieces|piece|pcs|pc|sets|set|pairs|pair|kg)"
)
_INT = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?![\d.])"
# A thousands group must not swallow the next tier: "¥20,100-200件" is 20 then 100-200件.
_AMOUNT = rf"(?:\d{{1,3}}(?:,\d{{3}})+(?![\d\-~至到]|\s*{_UNIT})|\d+)(?:\.\d+)?(?![\d.])"
_CURRENCY = r"(?:¥|RMB|CNY)"
_PRICE = rf"{_CURRENCY}?\s*(?P<price>{_AMOUNT})\s*元?(?:\s*/\s*{_UNIT})?"
_QTY = rf"""
    (?P<lo>{_INT})\s*{_UNIT}?\s*(?:-|~|至|到)\s*(?P<hi>{_INT})\s*{_UNIT}?
  | (?P<op>≥|>=|>|大于等于|大于|不少于|不低于|满)\s*(?P<op_n>{_INT})\s*{_UNIT}?(?:\s*及?以上)?
  | (?P<min>{_INT})\s*{_UNIT}?\s*(?:及以上|以上|起批|起订|起|\+)
  | (?P<start>{_INT})\s*{_UNIT}
"""
_FLAGS = re.VERBOSE | re.IGNORECASE
_QTY_FIRST = re.compile(rf"(?:{_QTY})\s*[:=]?\s*{_PRICE}", _FLAGS)
_PRICE_FIRST = re.compile(rf"{_PRICE}\s*[:=]?\s*(?:{_QTY})", _FLAGS)
_SEPARATOR = re.compile(r"[\s;,|/]+")
_STRICT = {">", "大于"}
# PriceTier's quantities are int64 on the wire.
MAX_QUANTITY = 2**63 - 1


def normalize_text(text: str) -> str:
    """Fold full-width forms (digits, ￥, ：, ～ ...) to their ASCII look-alikes."""
    return unicodedata.normalize("NFKC", text).translate(_FOLD).strip()


def parse_amount(value: str | int | Decimal) -> Decimal:
    """A yuan amount such as ``"¥1,280.50"``, ``"15元"``, ``"２０"`` or ``Decimal("3")``."""
    if isinstance(value, bool):
        raise LadderParseError(f"not an amount: {value!r}")
    if isinstance(value, int | Decimal):
        try:
            amount = to_decimal(value)
        except ValueError:
            raise LadderParseError(f"not an amount: {value!r}") from None
    else:
        text = normalize_text(value)
        cleaned = re.sub(r"^(?:¥|RMB|CNY)\s*|\s*元$", "", text, flags=re.IGNORECASE)
        if not re.fullmatch(_AMOUNT, cleaned):
            raise LadderParseError(f"not an amount: {value!r}")
        amount = to_decimal(cleaned.replace(",", ""))
    if amount < 0:
        raise LadderParseError(f"negative amount: {value!r}")
    if not fits_money(amount):
        raise LadderParseError(f"not an exact amount of money: {value!r}")
    return amount


def _quantity(text: str) -> int:
    digits = text.replace(",", "")
    if len(digits) > len(str(MAX_QUANTITY)):
        raise LadderParseError(f"a quantity beyond {MAX_QUANTITY}: {text[:24]}")
    return int(digits)


def _tier(match: re.Match[str]) -> PriceTier:
    groups = match.groupdict()
    price = to_decimal(groups["price"].replace(",", ""))
    if price <= 0:
        raise LadderParseError(f"price must be positive in {match.group(0)!r}")
    if groups["lo"] is not None:
        low, high = _quantity(groups["lo"]), _quantity(groups["hi"])
        if high < low:
            raise LadderParseError(f"range runs backwards in {match.group(0)!r}")
        return PriceTier(low, high, price)
    if groups["op"] is not None:
        start = _quantity(groups["op_n"]) + (1 if groups["op"] in _STRICT else 0)
        return PriceTier(start, None, price)
    return PriceTier(_quantity(groups["min"] or groups["start"]), None, price)


def parse_text(text: str) -> list[PriceTier]:
    """Parse a ladder written as text; ``[]`` for blank text, LadderParseError otherwise."""
    folded = normalize_text(text)
    tiers: list[PriceTier] = []
    position = 0
    while True:
        gap = _SEPARATOR.match(folded, position)
        position = gap.end() if gap else position
        if position >= len(folded):
            break
        match = _QTY_FIRST.match(folded, position) or _PRICE_FIRST.match(folded, position)
        if match is None:
            raise LadderParseError(f"cannot read a price tier at {folded[position:][:20]!r}")
        tiers.append(_tier(match))
        position = match.end()
    return close_ladder(tiers)


def _row_value(row: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if row.get(name) not in (None, ""):
            return row[name]
    return None


def parse_structured(rows: Sequence[Any]) -> list[PriceTier]:
    """Parse ``[{"startQuantity", "price"[, "endQuantity"]}]`` rows (prices in yuan)."""
    tiers = []
    for row in rows:
        if not isinstance(row, Mapping):
            raise LadderParseError(f"a ladder row is not an object: {row!r}")
        start = _row_value(row, "startQuantity", "beginAmount", "quantity")
        price = _row_value(row, "price", "priceCny")
        end = _row_value(row, "endQuantity")
        if start is None or price is None:
            raise LadderParseError(f"a ladder row lacks startQuantity or price: {row!r}")
        try:
            low = int(str(start).strip())
            high = None if end is None or int(str(end)) <= 0 else int(str(end))
        except ValueError:
            raise LadderParseError(f"a ladder quantity is not a whole number: {row!r}") from None
        amount = parse_amount(price if isinstance(price, int | Decimal) else str(price))
        if amount <= 0 or low < 0:
            raise LadderParseError(f"a ladder row has no positive price: {row!r}")
        tiers.append(PriceTier(max(low, 1), high, amount))
    return close_ladder(tiers)


def close_ladder(tiers: Sequence[PriceTier]) -> list[PriceTier]:
    """Sort by start, end every open tier just below the next one; refuse overlaps, quantities
    beyond int64 and prices a Money cannot hold exactly."""
    for tier in tiers:
        if max(tier.min_quantity, tier.max_quantity or 0) > MAX_QUANTITY:
            raise LadderParseError(f"a quantity beyond {MAX_QUANTITY}: {tier.min_quantity}")
        if not fits_money(tier.unit_price):
            raise LadderParseError(f"not an exact amount of money: {tier.unit_price}")
    ordered = sorted(tiers, key=lambda tier: tier.min_quantity)
    closed: list[PriceTier] = []
    for index, tier in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        high = tier.max_quantity
        if following is not None:
            if following.min_quantity == tier.min_quantity:
                raise LadderParseError(f"two tiers start at {tier.min_quantity}")
            if high is not None and high >= following.min_quantity:
                raise LadderParseError(
                    f"tiers overlap: {tier.min_quantity}-{high} and {following.min_quantity}"
                )
            if high is None:
                high = following.min_quantity - 1
        closed.append(PriceTier(tier.min_quantity, high, tier.unit_price))
    return closed
