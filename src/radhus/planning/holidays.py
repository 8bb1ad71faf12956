"""Swedish public holidays (helgdagar, lag 1989:253) and the holiday eves that agreements treat like holidays.

Computed, not looked up: Easter by the anonymous Gregorian algorithm (Meeus/Jones/Butcher), the movable feasts
from Easter, midsommardagen as the Saturday 20-26 June and alla helgons dag as the Saturday 31 October-6 November.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


def easter_sunday(year: int) -> date:
    """Påskdagen of a Gregorian year."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _saturday_between(first: date) -> date:
    """The Saturday in the seven days starting at `first`."""
    return first + timedelta(days=(5 - first.weekday()) % 7)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> dict[date, str]:
    """Date -> Swedish name of every public holiday (helgdag) of the year, Sundays such as pingstdagen included."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "nyårsdagen",
        date(year, 1, 6): "trettondedag jul",
        easter - timedelta(days=2): "långfredagen",
        easter: "påskdagen",
        easter + timedelta(days=1): "annandag påsk",
        date(year, 5, 1): "första maj",
        easter + timedelta(days=39): "Kristi himmelsfärdsdag",
        easter + timedelta(days=49): "pingstdagen",
        date(year, 6, 6): "Sveriges nationaldag",
        _saturday_between(date(year, 6, 20)): "midsommardagen",
        _saturday_between(date(year, 10, 31)): "alla helgons dag",
        date(year, 12, 25): "juldagen",
        date(year, 12, 26): "annandag jul",
    }


@lru_cache(maxsize=64)
def holiday_eves(year: int) -> dict[date, str]:
    """Date -> name of the eves that agreements treat like holidays: påsk-, midsommar-, jul- and nyårsafton."""
    easter = easter_sunday(year)
    return {
        easter - timedelta(days=1): "påskafton",
        _saturday_between(date(year, 6, 20)) - timedelta(days=1): "midsommarafton",
        date(year, 12, 24): "julafton",
        date(year, 12, 31): "nyårsafton",
    }


def holidays_between(first: date, last: date, *, eves: bool) -> dict[date, str]:
    """Holidays (and, with `eves`, holiday eves) from `first` to `last` inclusive."""
    out: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        days = dict(public_holidays(year))
        if eves:
            days.update(holiday_eves(year))
        out.update({d: name for d, name in days.items() if first <= d <= last})
    return dict(sorted(out.items()))
