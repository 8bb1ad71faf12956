"""Block swaps between two rows (nrp_swap): every cell keeps its cover, every row stays feasible, and the requests
the two employees pay only fall; a swap grows past one day when a succession rule asks for it. Rebuilding and
swapping in turn (`_Search.polish`) ends where no swap is left."""

import random
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from radhus.planning.nrp import (
    NrpCover,
    NrpInstance,
    NrpRequest,
    NrpShift,
    NrpStaff,
    _Search,
    parse_nrp_text,
    roster_objective,
)
from radhus.planning.nrp_check import check_roster
from radhus.planning.nrp_construct import OFF, RowBuilder, row_violation
from radhus.planning.nrp_swap import swap_descent
from tests.planning.nrp_tiling import tiled_text

NRP = Path("/work/shared/bench/nrp-curtois")


def _cover(roster: list[list[int]]) -> Counter:
    return Counter((d, s) for row in roster for d, s in enumerate(row) if s != OFF)


def _requests_paid(inst: NrpInstance, roster: list[list[int]]) -> int:
    paid = sum(r.weight for r in inst.on_requests if roster[r.employee][r.day] != r.shift)
    return paid + sum(r.weight for r in inst.off_requests if roster[r.employee][r.day] == r.shift)


@pytest.mark.skipif(not NRP.exists(), reason="shared NRP instances not available")
def test_swaps_on_a_long_roster_keep_the_cover_and_valid_rows_and_lower_only_the_requests():
    inst = parse_nrp_text(tiled_text((NRP / "Instance5.txt").read_text(encoding="utf-8"), 4), name="Instance5x4")
    roster, failed = RowBuilder(inst).roster(list(range(inst.n_staff)), random.Random(2))
    assert not failed
    before = [row[:] for row in roster]
    swaps = swap_descent(inst, roster, random.Random(1), time.monotonic() + 30)
    assert swaps > 0
    assert _cover(roster) == _cover(before)
    assert all(row_violation(inst, e, row) is None for e, row in enumerate(roster))
    gained = _requests_paid(inst, before) - _requests_paid(inst, roster)
    assert gained > 0
    assert roster_objective(inst, before) - roster_objective(inst, roster) == gained
    ids = [s.id for s in inst.shifts]
    named = {st.id: [ids[s] if s != OFF else "" for s in row] for st, row in zip(inst.staff, roster, strict=True)}
    check = check_roster(inst, named)
    assert check.valid and check.objective == roster_objective(inst, roster)


@pytest.mark.skipif(not NRP.exists(), reason="shared NRP instances not available")
def test_polish_rebuilds_and_swaps_in_turn_until_no_swap_is_left():
    inst = parse_nrp_text(tiled_text((NRP / "Instance5.txt").read_text(encoding="utf-8"), 4), name="Instance5x4")
    roster, failed = RowBuilder(inst).roster(list(range(inst.n_staff)), random.Random(2))
    assert not failed
    search = _Search(inst, time.monotonic() + 120, time.monotonic(), 1, 3)
    search.offer(roster)
    start = search.objective
    search.polish(time.monotonic() + 60)
    assert search.objective < start
    assert all(row_violation(inst, e, row) is None for e, row in enumerate(search.roster))
    assert swap_descent(inst, [row[:] for row in search.roster], random.Random(4), time.monotonic() + 30) == 0


def _two_employees(forbidden: list[tuple[int, int]]) -> NrpInstance:
    """Two employees over two weeks, a day shift D (0) and a night shift N (1) of equal length; A wants D on day 3."""
    staff = NrpStaff("A", {"D": 14, "N": 14}, 14 * 480, 0, 14, 1, 1, 2)
    return NrpInstance(
        name="two",
        horizon=14,
        shifts=[NrpShift("D", 480, ()), NrpShift("N", 480, ())],
        staff=[staff, replace(staff, id="B")],
        days_off=[set(), set()],
        on_requests=[NrpRequest(0, 3, 0, 5)],
        off_requests=[],
        cover={(d, s): NrpCover(1, 100, 1) for d in range(14) for s in (0, 1)},
        forbidden_pairs=forbidden,
    )


def _rows(a_days: dict[int, int], b_days: dict[int, int]) -> list[list[int]]:
    return [[a_days.get(d, OFF) for d in range(14)], [b_days.get(d, OFF) for d in range(14)]]


def test_a_one_day_swap_gives_the_employee_the_shift_she_asked_for():
    inst = _two_employees([])
    roster = _rows({2: 1, 3: 1}, {2: 0, 3: 0})
    assert swap_descent(inst, roster, random.Random(0), time.monotonic() + 5) == 1
    assert roster == _rows({2: 1, 3: 0}, {2: 0, 3: 1})


def test_a_swap_takes_the_day_before_too_when_a_night_may_not_precede_a_day_shift():
    inst = _two_employees([(1, 0)])  # N may not be followed by D
    roster = _rows({2: 1, 3: 1}, {2: 0, 3: 0})
    assert swap_descent(inst, roster, random.Random(0), time.monotonic() + 5) == 1
    assert roster == _rows({2: 0, 3: 0}, {2: 1, 3: 1})
    assert row_violation(inst, 0, roster[0]) is None and row_violation(inst, 1, roster[1]) is None
