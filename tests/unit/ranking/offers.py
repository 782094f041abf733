"""Concrete offers for the ranking tests, built with only the fields a test cares about."""

from __future__ import annotations

from decimal import Decimal

from services.ranking.domain import Detail, Offer, Supplier
from shared.money import PriceTier

D = Decimal


def tier(min_quantity: int, price: str, max_quantity: int | None = None) -> PriceTier:
    return PriceTier(min_quantity, max_quantity, D(price))


def detail(
    *,
    ladder: tuple[PriceTier, ...] = (),
    min_order: int = 0,
    biz_type: int = 0,
    description: str = "",
    sample_fee: str | None = None,
    attributes: tuple[tuple[str, str], ...] = (),
) -> Detail:
    fee = D(sample_fee) if sample_fee is not None else None
    return Detail(ladder, min_order, biz_type, description, fee, attributes)


def offer(
    offer_id: str = "1",
    *,
    title: str = "纯棉T恤男短袖圆领",
    similarity: float = 80.0,
    price: str | None = "20",
    min_order: int = 10,
    category: str = "c1",
    company: str = "",
    province: str = "",
    city: str = "",
    address: str = "",
    years: int = 0,
    identities: tuple[str, ...] = (),
    certifications: tuple[str, ...] = (),
    ladder: tuple[PriceTier, ...] = (),
    details: Detail | None = None,
    phash: int | None = None,
    rank: int = 0,
    compared: bool | None = None,
    seller: str = "",
) -> Offer:
    """``compared`` defaults to "a similarity was measured" when ``similarity`` > 0."""
    return Offer(
        offer_id=offer_id,
        title=title,
        similarity=similarity,
        price=D(price) if price is not None else None,
        price_ladder=ladder,
        min_order=min_order,
        category_id=category,
        supplier=Supplier(
            company_name=company,
            province=province,
            city=city,
            address=address,
            years_on_platform=years,
            seller_identities=identities,
            certifications=certifications,
            supplier_id=seller,
        ),
        detail=details,
        image_phash=phash,
        upstream_rank=rank,
        compared=similarity > 0 if compared is None else compared,
    )


FACTORY = "广州市白云区永盛服装厂"
MANUFACTURER = "东莞华美制衣有限公司"
TRADER = "义乌市优品贸易有限公司"
BRAND = "森马品牌旗舰店"
