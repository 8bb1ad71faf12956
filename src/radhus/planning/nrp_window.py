"""A window of days, or a group of employees, of an NRP roster as an instance of its own, for column generation.

Column generation with diving (nrp_colgen) finds near-optimal rosters up to about eight weeks but cannot converge
over a year in the time given. Over a window of days, with the rest of the roster fixed, it can: the window becomes
a sub-instance whose horizon adds a frame of fixed days on each side (whole weeks, so day 0 is still a Monday and no
weekend is cut), the frame keeps the rules that cross the window's edges (successions, runs, days off), and the
employees' limits become what the fixed days outside the sub-horizon leave of them (shift counts, minutes,
weekends). A frame day off is a fixed day off; a frame shift is an on-request of weight PIN_WEIGHT, above anything
the cover could gain, so the sub-instance's rosters keep the frame (the row DP, told by `NrpInstance.pinned`, does
not even try another shift there). Cover and requests count inside the window only; weekend prices stay.
The caller merges the window's rows back and keeps them only when every full row stays feasible.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from radhus.planning.nrp_construct import OFF, worked_weekends

if TYPE_CHECKING:
    from radhus.planning.nrp import NrpInstance

PIN_WEIGHT = 100_000  # above any cover gain a row could make by leaving a frame day (under weights are ~100)
FRAME_DAYS = 7  # fixed days on each side of a window (rounded out to whole weeks)


@dataclass
class Window:
    """A sub-instance over days [lo, lo + horizon) of the full roster, of which [first, last] may change."""

    inst: NrpInstance
    roster: list[list[int]]
    lo: int
    first: int
    last: int


def window_span(inst: NrpInstance, first: int, last: int) -> tuple[int, int]:
    """First and last day of the sub-horizon of the window first..last: its frame rounded out to whole weeks."""
    lo = max(0, first - FRAME_DAYS) // 7 * 7
    return lo, min(inst.horizon - 1, ((last + FRAME_DAYS) // 7 + 1) * 7 - 1)


def window_instance(inst: NrpInstance, roster: list[list[int]], first: int, last: int) -> Window:
    """Days first..last of `roster` as a sub-instance framed by fixed days (see the module's docstring)."""
    from radhus.planning.nrp import NrpInstance, NrpRequest  # nrp imports this module

    lo, hi = window_span(inst, first, last)
    frame = [d for d in range(lo, hi + 1) if not first <= d <= last]
    staff, days_off, pins = [], [], []
    for e, st in enumerate(inst.staff):
        row = roster[e]
        outside = [s for d, s in enumerate(row) if s != OFF and not lo <= d <= hi]
        used = {inst.shifts[s].id: outside.count(s) for s in set(outside)}
        weekends_outside = sum(1 for sat in worked_weekends(row) if not lo <= sat <= hi)
        minutes = sum(inst.shifts[s].minutes for s in outside)
        staff.append(
            replace(
                st,
                max_shifts={sid: most - used.get(sid, 0) for sid, most in st.max_shifts.items()},
                max_minutes=st.max_minutes - minutes,
                min_minutes=max(0, st.min_minutes - minutes),
                max_weekends=st.max_weekends - weekends_outside,
            )
        )
        off = {d - lo for d in inst.days_off[e] if lo <= d <= hi}
        off.update(d - lo for d in frame if row[d] == OFF)
        days_off.append(off)
        pins += [(e, d - lo, row[d]) for d in frame if row[d] != OFF]
    inside = range(first, last + 1)
    sub = NrpInstance(
        name=f"{inst.name} dag {first}-{last}",
        horizon=hi - lo + 1,
        shifts=inst.shifts,
        staff=staff,
        days_off=days_off,
        on_requests=[NrpRequest(e, d, s, PIN_WEIGHT) for e, d, s in pins]
        + [replace(r, day=r.day - lo) for r in inst.on_requests if r.day in inside],
        off_requests=[replace(r, day=r.day - lo) for r in inst.off_requests if r.day in inside],
        cover={(d - lo, s): c for (d, s), c in inst.cover.items() if d in inside},
        forbidden_pairs=inst.forbidden_pairs,
        pinned={(e, d): s for e, d, s in pins},
        weekend_prices=inst.weekend_prices,
    )
    return Window(sub, [row[lo : hi + 1] for row in roster], lo, first, last)


def merge(roster: list[list[int]], window: Window, rows: list[list[int]]) -> list[list[int]] | None:
    """`roster` with the window's days taken from `rows` (a sub-instance roster), or None if a frame day moved."""
    lo, n = window.lo, window.inst.horizon
    for row, new in zip(roster, rows, strict=True):
        for d in range(lo, lo + n):
            if not window.first <= d <= window.last and new[d - lo] != row[d]:
                return None
    return [row[:lo] + list(new) + row[lo + n :] for row, new in zip(roster, rows, strict=True)]


def group_instance(inst: NrpInstance, roster: list[list[int]], group: list[int]) -> NrpInstance:
    """The employees `group` of `roster` as an instance of their own, everyone else fixed. A cell asks the group for
    the cover the others leave; where the others already cover more than asked it asks for nobody, and each more
    still pays the over weight: so a group roster's objective differs from that of the whole roster it makes by a
    constant (the others' requests and the over-cover they cause alone)."""
    where = {e: k for k, e in enumerate(group)}
    others: dict[tuple[int, int], int] = {}
    for e, row in enumerate(roster):
        if e not in where:
            for d, s in enumerate(row):
                if s != OFF:
                    others[d, s] = others.get((d, s), 0) + 1
    return replace(
        inst,
        name=f"{inst.name} grupp",
        staff=[inst.staff[e] for e in group],
        days_off=[inst.days_off[e] for e in group],
        on_requests=[replace(r, employee=where[r.employee]) for r in inst.on_requests if r.employee in where],
        off_requests=[replace(r, employee=where[r.employee]) for r in inst.off_requests if r.employee in where],
        cover={
            cell: replace(c, requirement=max(0, c.requirement - others.get(cell, 0))) for cell, c in inst.cover.items()
        },
        pinned={(where[e], d): s for (e, d), s in inst.pinned.items() if e in where},
        weekend_prices=[inst.weekend_prices[e] for e in group] if inst.weekend_prices else [],
    )
