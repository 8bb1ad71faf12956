"""The greedy NRP row builder and the row DP: every row they return keeps the hard rules (the independent checker),
the DP row is never worse than the greedy one and matches CP-SAT's single-row optimum where its prices close."""

import itertools
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from ortools.sat.python import cp_model
from typer.testing import CliRunner

from radhus.cli import app
from radhus.core.errors import InvalidInput
from radhus.planning.nrp import (
    OFF,
    NrpInstance,
    _SubModel,
    parse_nrp_file,
    parse_nrp_text,
    roster_objective,
    solve_instance,
)
from radhus.planning.nrp_check import check_roster
from radhus.planning.nrp_construct import RowBuilder, row_violation, single_day_weekends, worked_weekends
from tests.planning.nrp_tiling import tiled_text

NRP = Path("/work/shared/bench/nrp-curtois")
pytestmark = pytest.mark.skipif(not NRP.exists(), reason="shared NRP instances not available")
# Employee C of Instance1 must work 13 of 14 days, but may work at most 5 days in a row with 2 days off between.
IMPOSSIBLE_C = ("C,D=14,4320,3360,5,2,2,1", "C,D=14,6720,6240,5,2,2,1")


def _shift_ids(inst: NrpInstance, roster: list[list[int]]) -> dict[str, list[str]]:
    return {inst.staff[e].id: [inst.shifts[s].id if s != OFF else "" for s in row] for e, row in enumerate(roster)}


def _built(inst: NrpInstance, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    order = list(range(inst.n_staff))
    rng.shuffle(order)
    roster, failed = RowBuilder(inst).roster(order, rng)
    assert failed == []
    return roster


def _instance(name: str) -> NrpInstance:
    if "x" in name:  # InstanceNxK: instance N repeated K times along the horizon
        base, times = name.split("x")
        return parse_nrp_text(tiled_text((NRP / f"{base}.txt").read_text(encoding="utf-8"), int(times)), name=name)
    return parse_nrp_file(NRP / f"{name}.txt")


@pytest.mark.parametrize("name", ["Instance1", "Instance2", "Instance4", "Instance5", "Instance7", "Instance2x5"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_built_row_passes_the_independent_checker(name, seed):
    inst = _instance(name)
    roster = _built(inst, seed)
    check = check_roster(inst, _shift_ids(inst, roster))
    assert check.valid, check.violations
    assert check.objective == roster_objective(inst, roster)


@pytest.mark.parametrize("name", ["Instance3", "Instance6"])
def test_greedy_improvement_keeps_rows_valid_and_never_worsens(name):
    inst = _instance(name)
    roster = _built(inst, 7)
    before = roster_objective(inst, roster)
    replaced = RowBuilder(inst).improve(roster, random.Random(7), time.monotonic() + 1.0)
    check = check_roster(inst, _shift_ids(inst, roster))
    assert check.valid, check.violations
    assert check.objective == roster_objective(inst, roster)
    assert check.objective <= before
    assert replaced == 0 or check.objective < before


def test_rebuilding_stops_after_the_pass_that_gains_less_than_the_stall_share():
    inst = _instance("Instance12x3")
    start = _built(inst, 5)
    builder = RowBuilder(inst)
    unbounded, stalled = [row[:] for row in start], [row[:] for row in start]
    all_passes = builder.improve(unbounded, random.Random(3), time.monotonic() + 120, dp=True)
    one_pass = builder.improve(stalled, random.Random(3), time.monotonic() + 120, dp=True, stall=1.0)
    assert 0 < one_pass <= inst.n_staff < all_passes  # a pass replaces each row at most once
    assert roster_objective(inst, unbounded) <= roster_objective(inst, stalled) < roster_objective(inst, start)
    for roster in (unbounded, stalled):
        assert check_roster(inst, _shift_ids(inst, roster)).valid


def test_pricing_weekends_worked_on_one_day_rebuilds_fewer_of_them_and_keeps_rows_valid():
    inst = _instance("Instance11x3")
    start = _built(inst, 4)
    builder = RowBuilder(inst)
    plain, priced = [row[:] for row in start], [row[:] for row in start]
    builder.improve(plain, random.Random(2), time.monotonic() + 60, dp=True, passes=2)
    builder.single_weekend_cost = 300
    builder.improve(priced, random.Random(2), time.monotonic() + 60, dp=True, passes=2)
    singles = [sum(len(single_day_weekends(row)) for row in roster) for roster in (start, plain, priced)]
    assert singles[2] < min(singles[:2])
    assert builder.shaped_objective(priced) == roster_objective(inst, priced) + 300 * singles[2]
    for roster in (plain, priced):
        assert check_roster(inst, _shift_ids(inst, roster)).valid


def test_contradictory_employee_gets_no_greedy_row_and_a_swedish_error():
    text = (NRP / "Instance1.txt").read_text(encoding="utf-8").replace(*IMPOSSIBLE_C)
    inst = parse_nrp_text(text, name="omöjlig")
    c = [s.id for s in inst.staff].index("C")
    assert RowBuilder(inst).row(c, [[0] * inst.n_shifts for _ in range(inst.horizon)], random.Random(1)) is None
    with pytest.raises(InvalidInput, match="Personal C kan inte schemaläggas utan att bryta de hårda reglerna"):
        solve_instance(inst, time_limit=10)


def test_cli_reports_a_contradictory_employee_in_swedish(tmp_path):
    instance = tmp_path / "omojlig.txt"
    instance.write_text((NRP / "Instance1.txt").read_text(encoding="utf-8").replace(*IMPOSSIBLE_C), encoding="utf-8")
    out = tmp_path / "o.json"
    args = ["plan", "nrp", "--instance", str(instance), "--time-limit", "10", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "Personal C kan inte schemaläggas" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("name", ["Instance2", "Instance5", "Instance8", "Instance12x2"])
def test_every_dp_row_passes_the_independent_checker_and_never_worsens_the_greedy_row(name):
    inst = _instance(name)
    greedy = _built(inst, 3)
    builder, rng = RowBuilder(inst), random.Random(3)
    dp_rows, better, found = [], 0, 0
    for e in range(inst.n_staff):
        counts = builder.counts(greedy, skip=e)
        alone = builder.optimise(e, counts, rng)  # the DP's own row, no incumbent to fall back to
        if alone is not None:  # None: the prices found no row within the minutes (the caller keeps its own)
            dp_rows.append(alone)
            found += 1
        else:
            dp_rows.append(greedy[e])
        row = builder.optimise(e, counts, rng, greedy[e])
        assert row is not None
        assert builder.row_cost(e, row, counts) <= builder.row_cost(e, greedy[e], counts)
        better += builder.row_cost(e, row, counts) < builder.row_cost(e, greedy[e], counts)
    assert better > 0
    assert found >= inst.n_staff // 2
    check = check_roster(inst, _shift_ids(inst, dp_rows))
    assert check.valid, check.violations
    assert check.objective == roster_objective(inst, dp_rows)


# rows where the minutes price is needed (the unpriced DP row works too much or too little) and still closes
@pytest.mark.parametrize(
    ("name", "e", "weekend_price"),
    [("Instance2", 2, 0), ("Instance2", 10, 0), ("Instance2", 11, 0), ("Instance4", 5, 0), ("Instance4", 5, 150)],
)
def test_dp_row_matches_the_cp_sat_single_row_optimum(name, e, weekend_price):
    plain = _instance(name)
    inst = replace(plain, weekend_prices=[weekend_price] * plain.n_staff)
    roster = _built(inst, 1)
    builder = RowBuilder(inst)
    row = builder.optimise(e, builder.counts(roster, skip=e), random.Random(1))
    assert row is not None
    status, best, _ = _SubModel(inst, roster, [e], 0, inst.horizon - 1).solve(time_limit=30, workers=4, seed=1)
    assert status == cp_model.OPTIMAL and best is not None
    roster[e] = row
    assert roster_objective(inst, roster) == roster_objective(inst, best)


@pytest.mark.parametrize(
    ("seed", "weekend_price", "single_price"), [(1, 0, 0), (2, 0, 0), (1, 12, 0), (2, 25, 0), (4, 0, 30), (3, 12, 15)]
)
def test_compiled_dp_finds_the_cheapest_feasible_row_of_all_rows(seed, weekend_price, single_price):
    # Instance1: 14 days and one shift type, so all 2^14 rows of an employee can be enumerated and checked
    plain = _instance("Instance1")
    inst = replace(plain, weekend_prices=[weekend_price] * plain.n_staff)
    builder = RowBuilder(inst)
    builder.single_weekend_cost = single_price
    costs = np.random.default_rng(seed).normal(0.0, 10.0, (inst.horizon, 1))

    def cost(row: list[int]) -> float:
        weekends = weekend_price * len(worked_weekends(row)) + single_price * len(single_day_weekends(row))
        return sum(costs[d, 0] for d, s in enumerate(row) if s != OFF) + weekends

    for e in range(inst.n_staff):
        every = (list(bits) for bits in itertools.product((OFF, 0), repeat=inst.horizon))
        feasible = [cost(row) for row in every if row_violation(inst, e, row) is None]
        rows, bound = builder.lagrange_rows(e, [0], costs)
        assert feasible and rows  # minutes and the one cap are DP dimensions here: the DP row is exact
        assert all(row_violation(inst, e, row) is None for row in rows)
        assert min(cost(row) for row in rows) == pytest.approx(min(feasible))
        assert bound == pytest.approx(min(feasible))


# Ten days, two shift types (A cannot follow E), staff whose cap on A is binding: the row DP keeps units and A's
# count as state dimensions, E is uncapped, so every path of the compiled kernel (runs of the whole (units, count)
# block, runs of the capped shift of fewer than 8 values and of 8) is exercised and the DP row must be exact. Q must
# work exactly its maximum minutes, so the last value of each run counts.
TWO_SHIFTS = """SECTION_HORIZON
10

SECTION_SHIFTS
A,480,
E,600,A

SECTION_STAFF
P,A=3|E=10,4800,2400,5,1,1,2
Q,A=5|E=10,4800,4800,6,2,1,1
R,A=8|E=10,5400,1200,4,1,2,2

SECTION_DAYS_OFF
Q,4

SECTION_COVER
0,A,1,100,1
"""


@pytest.mark.parametrize("seed", [1, 2])
def test_compiled_dp_with_a_capped_shift_finds_the_cheapest_feasible_row_of_all_rows(seed):
    inst = parse_nrp_text(TWO_SHIFTS, name="two shifts")
    builder = RowBuilder(inst)
    costs = np.random.default_rng(seed).normal(0.0, 10.0, (inst.horizon, inst.n_shifts))
    costs[:, 0] -= 15.0  # A is cheap: the cheapest rows use it as often as the cap allows
    for e in range(inst.n_staff):
        exact = builder._units(e, [0, 1], builder.lattice(e, [0, 1]))
        assert exact is not None and exact[3][0] == 0  # units and A's count are DP dimensions
        every = (list(row) for row in itertools.product((OFF, 0, 1), repeat=inst.horizon))
        feasible = [
            sum(costs[d, s] for d, s in enumerate(row) if s != OFF)
            for row in every
            if row_violation(inst, e, row) is None
        ]
        rows, bound = builder.lagrange_rows(e, [0, 1], costs)
        assert feasible and rows and all(row_violation(inst, e, row) is None for row in rows)
        assert min(sum(costs[d, s] for d, s in enumerate(row) if s != OFF) for row in rows) == pytest.approx(
            min(feasible)
        )
        assert bound == pytest.approx(min(feasible))
