"""A window of a long-horizon NRP roster as a sub-instance: its objective is the full one restricted to the window,
its frame stays fixed (also in the row DP), and a dive's rows merge into a roster the independent checker accepts.
A group of employees as a sub-instance: its objective is the full one up to a constant."""

import random
import time
from dataclasses import replace
from pathlib import Path

import pytest

from radhus.planning.nrp import (
    OFF,
    STALLED_PASSES,
    WEEKEND_PRICE_SHARE,
    WIDE_WINDOW_DAYS,
    WINDOW_DAYS,
    WINDOW_NEED,
    NrpInstance,
    NrpRequest,
    _dived,
    _Search,
    parse_nrp_text,
    roster_objective,
    weekend_prices,
    window_dive,
)
from radhus.planning.nrp_check import check_roster
from radhus.planning.nrp_construct import RowBuilder, row_violation, worked_weekends
from radhus.planning.nrp_helper import Helper
from radhus.planning.nrp_window import PIN_WEIGHT, group_instance, merge, window_instance
from tests.planning.nrp_tiling import tiled_text

NRP = Path("/work/shared/bench/nrp-curtois")
pytestmark = pytest.mark.skipif(not NRP.exists(), reason="shared NRP instances not available")
FIRST, LAST = 14, 27  # the window: weeks 3-4 of eight


def _long_instance_and_roster() -> tuple[NrpInstance, list[list[int]]]:
    inst = parse_nrp_text(tiled_text((NRP / "Instance3.txt").read_text(encoding="utf-8"), 4), name="Instance3x4")
    roster, failed = RowBuilder(inst).roster(list(range(inst.n_staff)), random.Random(3))
    assert not failed
    return inst, roster


def _cost_of_days(inst: NrpInstance, roster: list[list[int]], days: range) -> int:
    """Cover and request penalties of the given days, counted plainly from the full roster."""
    cost = 0
    for (d, s), c in inst.cover.items():
        if d in days:
            staffed = sum(row[d] == s for row in roster)
            cost += c.under_weight * max(0, c.requirement - staffed) + c.over_weight * max(0, staffed - c.requirement)
    cost += sum(r.weight for r in inst.on_requests if r.day in days and roster[r.employee][r.day] != r.shift)
    return cost + sum(r.weight for r in inst.off_requests if r.day in days and roster[r.employee][r.day] == r.shift)


def test_window_is_an_instance_whose_objective_is_the_window_part_of_the_full_one():
    inst, roster = _long_instance_and_roster()
    window = window_instance(inst, roster, FIRST, LAST)
    assert (window.lo, window.inst.horizon) == (7, 28)  # one frame week on each side
    assert roster_objective(window.inst, window.roster) == _cost_of_days(inst, roster, range(FIRST, LAST + 1))
    for e, st in enumerate(window.inst.staff):
        assert row_violation(window.inst, e, window.roster[e]) is None
        assert min(st.max_shifts.values()) >= 0 and st.max_weekends >= 0 and st.min_minutes <= st.max_minutes
    frame = [d for d in range(7, 35) if not FIRST <= d <= LAST]
    assert {(e, d - 7) for e in range(inst.n_staff) for d in frame if roster[e][d] != OFF} == set(window.inst.pinned)


def test_a_group_is_an_instance_whose_objective_follows_the_full_one_up_to_a_constant():
    inst, roster = _long_instance_and_roster()
    group = [1, 4, 5, 7]
    sub = group_instance(inst, roster, group)
    assert [st.id for st in sub.staff] == [inst.staff[e].id for e in group]
    offset = roster_objective(inst, roster) - roster_objective(sub, [roster[e] for e in group])
    rng = random.Random(5)
    changed = 0
    for _ in range(60):  # any change to the group's rows changes both objectives alike
        rows = [roster[e][:] for e in group]
        k, d = rng.randrange(len(group)), rng.randrange(inst.horizon)
        rows[k][d] = rng.choice([OFF, *range(inst.n_shifts)])
        full = [row[:] for row in roster]
        for e, row in zip(group, rows, strict=True):
            full[e] = row
        assert roster_objective(inst, full) - roster_objective(sub, rows) == offset
        changed += roster_objective(inst, full) != roster_objective(inst, roster)
    assert changed > 10  # the changes did move the objective


def test_a_priced_window_adds_the_price_of_every_weekend_worked_in_its_horizon():
    plain, roster = _long_instance_and_roster()
    inst = replace(plain, weekend_prices=[7 * (e % 3) for e in range(plain.n_staff)])
    window = window_instance(inst, roster, FIRST, LAST)
    assert window.inst.weekend_prices == inst.weekend_prices
    weekends = sum(7 * (e % 3) * len(worked_weekends(row)) for e, row in enumerate(window.roster))
    assert weekends > 0
    expected = _cost_of_days(plain, roster, range(FIRST, LAST + 1)) + weekends
    assert roster_objective(window.inst, window.roster) == expected


def test_weekend_prices_fall_on_the_employees_who_work_every_weekend_allowed():
    plain, roster = _long_instance_and_roster()
    worked = [len(worked_weekends(row)) for row in roster]
    staff = [replace(st, max_weekends=worked[e] + e % 2) for e, st in enumerate(plain.staff)]
    prices = weekend_prices(replace(plain, staff=staff), roster)
    unit = sum(c.under_weight for c in plain.cover.values()) / len(plain.cover)  # Instance3: every weight > 0
    assert prices == [round(WEEKEND_PRICE_SHARE * unit) if e % 2 == 0 else 0 for e in range(plain.n_staff)]
    assert min(prices[::2]) > 0


def test_merge_keeps_the_frame_or_refuses():
    inst, roster = _long_instance_and_roster()
    window = window_instance(inst, roster, FIRST, LAST)
    assert merge(roster, window, window.roster) == roster
    moved = [row[:] for row in window.roster]
    moved[0][0] = OFF if moved[0][0] != OFF else 0  # day 7 lies in the frame
    assert merge(roster, window, moved) is None


def test_row_dp_never_works_another_shift_on_a_pinned_day_whatever_it_would_gain():
    inst, roster = _long_instance_and_roster()
    window = window_instance(inst, roster, FIRST, LAST)
    builder = RowBuilder(window.inst)
    kept = 0
    for e in range(inst.n_staff):
        shifts = [s for s in range(inst.n_shifts) if builder.max_count[e][s] > 0]
        base = builder.own_cell_costs(e, shifts) - 500.0  # every shift everywhere pays well, the pinned one too,
        for (pinned, d), s in window.inst.pinned.items():  # and the others on a pinned day more than the pin's weight
            if pinned == e:
                base[d, [j for j, t in enumerate(shifts) if t != s]] = -3.0 * PIN_WEIGHT
        for row in builder.lagrange_rows(e, shifts, base, rounds=6)[0]:
            assert all(row[d] == s for (pinned, d), s in window.inst.pinned.items() if pinned == e)
            kept += 1
    assert kept >= inst.n_staff // 2


def test_a_window_dive_merges_into_a_valid_roster_changing_the_objective_by_the_window_gain():
    inst, roster = _long_instance_and_roster()
    window = window_instance(inst, roster, FIRST, LAST)
    rows, _ = _dived(window.inst, window.roster, time.monotonic() + 10, 8, 1, window=True)
    assert rows is not None
    merged = merge(roster, window, rows)
    assert merged is not None
    ids = {inst.staff[e].id: [inst.shifts[s].id if s != OFF else "" for s in row] for e, row in enumerate(merged)}
    check = check_roster(inst, ids)
    assert check.valid, check.violations
    gain = roster_objective(window.inst, window.roster) - roster_objective(window.inst, rows)
    assert roster_objective(inst, roster) - check.objective == gain
    assert all(
        merged[e][:FIRST] == roster[e][:FIRST] and merged[e][LAST + 1 :] == roster[e][LAST + 1 :]
        for e in range(inst.n_staff)
    )


def test_window_passes_widen_once_they_stall_and_end_when_the_wide_ones_stall_too(monkeypatch):
    inst, roster = _long_instance_and_roster()
    search = _Search(inst, time.monotonic() + 600, time.monotonic(), 2, 1)
    search.offer(roster)
    passes: list[tuple[int, int]] = []  # (window width, gain at the weekend prices)
    real_pass = _Search._window_pass

    def recorded_pass(self, priced, working, width, *args):
        before = roster_objective(priced, working)
        converged = real_pass(self, priced, working, width, *args)
        passes.append((width, before - roster_objective(priced, working)))
        return converged

    monkeypatch.setattr(_Search, "_window_pass", recorded_pass)
    search.window_dives(120.0)
    for width in (WINDOW_DAYS, WIDE_WINDOW_DAYS):
        gains = [gain for w, gain in passes if w == width]
        assert gains[-STALLED_PASSES:] == [0] * STALLED_PASSES and min(gains) >= 0
        earlier = gains[:-STALLED_PASSES]  # no earlier run of idle passes as long
        assert all(any(earlier[i : i + STALLED_PASSES]) for i in range(len(earlier) - STALLED_PASSES + 1))
    assert [w for w, _ in passes] == sorted(w for w, _ in passes)  # narrow first, then wide, never back
    assert passes[0][1] > 0
    assert search.objective is not None and search.objective < roster_objective(inst, roster)


def test_the_helper_process_dives_a_window_disjoint_from_the_first_into_rows_that_merge_into_a_valid_roster():
    inst, roster = _long_instance_and_roster()
    search = _Search(inst, time.monotonic() + 60, time.monotonic(), 2, 1)
    helper = search.helper = Helper()
    try:
        first = window_instance(inst, roster, FIRST, LAST)  # sub-horizon days 7-34
        assert search._partner(first, [(0, 13), (28, 41), (42, 55)]) == (42, 55)  # the only one clear of 7-34
        window = window_instance(inst, roster, 42, 55)
        rows = helper.submit(window_dive, window, time.monotonic() + 10, 1).result(timeout=60)
        assert helper.process.poll() is None  # it stays up for the next window
    finally:
        search.close_helper()
    assert helper.process.poll() is not None
    merged = merge(roster, window, rows)
    assert merged is not None and merged != roster
    ids = {inst.staff[e].id: [inst.shifts[s].id if s != OFF else "" for s in row] for e, row in enumerate(merged)}
    check = check_roster(inst, ids)
    assert check.valid, check.violations
    assert roster_objective(inst, roster) - check.objective == roster_objective(
        window.inst, window.roster
    ) - roster_objective(window.inst, rows)


def _extra_shift(inst: NrpInstance, row: list[int], e: int, days: range) -> tuple[int, int] | None:
    """A day off in `days` on which employee e can work a shift with every rule of `inst` kept."""
    for d in days:
        for s in range(inst.n_shifts) if row[d] == OFF else ():
            if row_violation(inst, e, row[:d] + [s] + row[d + 1 :]) is None:
                return d, s
    return None


def test_two_windows_dived_at_once_keep_every_row_valid_the_employee_who_would_overrun_keeps_the_old_row():
    plain, roster = _long_instance_and_roster()
    roomy = replace(plain, staff=[replace(st, max_minutes=10**6) for st in plain.staff])  # every rule but minutes
    rooms = [
        (_extra_shift(roomy, row, e, range(FIRST, LAST + 1)), _extra_shift(roomy, row, e, range(42, 56)))
        for e, row in enumerate(roster)
    ]
    e = next(e for e, (a, b) in enumerate(rooms) if a and b)
    (a_day, a_shift), (b_day, b_shift) = rooms[e]
    other, (o_day, o_shift) = next(
        (k, extra) for k, row in enumerate(roster) if k != e and (extra := _extra_shift(plain, row, k, range(42, 56)))
    )
    minutes = sum(plain.shifts[s].minutes for s in roster[e] if s != OFF)
    room = max(plain.shifts[a_shift].minutes, plain.shifts[b_shift].minutes)  # one more shift, not two
    staff = [replace(st, max_minutes=minutes + room) if k == e else st for k, st in enumerate(plain.staff)]
    requests = [NrpRequest(e, a_day, a_shift, 1000), NrpRequest(e, b_day, b_shift, 1000)]
    inst = replace(
        plain, staff=staff, on_requests=plain.on_requests + requests + [NrpRequest(other, o_day, o_shift, 1000)]
    )
    search = _Search(inst, time.monotonic() + 60, time.monotonic(), 2, 1)
    search.offer([row[:] for row in roster])
    working = [row[:] for row in roster]
    window_a, window_b = window_instance(inst, working, FIRST, LAST), window_instance(inst, working, 42, 55)
    rows_a, rows_b = [row[:] for row in window_a.roster], [row[:] for row in window_b.roster]
    rows_a[e][a_day - window_a.lo] = a_shift  # alone, each window's rows are valid
    rows_b[e][b_day - window_b.lo] = b_shift
    rows_b[other][o_day - window_b.lo] = o_shift
    assert all(row_violation(w.inst, e, rows[e]) is None for w, rows in ((window_a, rows_a), (window_b, rows_b)))
    search._take_window(inst, working, window_a, rows_a)
    search._take_window(inst, working, window_b, rows_b)
    assert working[e][a_day] == a_shift and working[e][b_day] == roster[e][b_day] == OFF
    assert working[other][o_day] == o_shift  # the rest of the second window is taken
    assert all(row_violation(inst, k, row) is None for k, row in enumerate(working))
    assert search.roster == working and search.objective == roster_objective(inst, working)


def test_a_window_gets_at_least_the_time_the_last_windows_took_with_a_margin(monkeypatch):
    inst, roster = _long_instance_and_roster()
    search = _Search(inst, time.monotonic() + 600, time.monotonic(), 2, 1)
    search.offer(roster)
    given: list[float] = []

    def timed_rows(self, batch, deadline, seeds):  # records the time given, leaves the rows as they are
        given.append(deadline - time.monotonic())
        return [window.roster for window in batch]

    monkeypatch.setattr(_Search, "_window_rows", timed_rows)
    working = [row[:] for row in roster]
    assert search._window_pass(inst, working, 14, 0, time.monotonic() + 20) is True  # 4 windows
    assert [round(g) for g in given] == [5, 7, 10, 20]  # an equal share of the time left (the rows take none)
    given.clear()
    search.window_seconds = [6.0, 10.0]
    search._window_pass(inst, working, 14, 0, time.monotonic() + 20)
    assert given and given[0] == pytest.approx(WINDOW_NEED * 8.0, abs=0.05)  # not 5 s: it would be cut short
