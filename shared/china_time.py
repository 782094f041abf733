"""China Standard Time (UTC+8): the clock 1688 budgets reset by.

Quota days start at 00:00 China time whatever the host's time zone is, so every
day boundary in the project is computed here and nowhere else.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), name="UTC+08:00")


def china_now(now: datetime | None = None) -> datetime:
    """The current time (or ``now``, which must be aware) in China time."""
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give an aware one")
    return moment.astimezone(CHINA_TZ)


def quota_day(now: datetime | None = None) -> date:
    """The China-time calendar day a call at ``now`` counts against."""
    return china_now(now).date()


def next_reset(now: datetime | None = None) -> datetime:
    """The next 00:00 China time after ``now`` (aware, in China time)."""
    day = quota_day(now)
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ) + timedelta(days=1)
