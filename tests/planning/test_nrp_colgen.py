"""Column generation for the NRP benchmark: exact pricing, the quick DP pricing against it, and the dive's roster
checked by the independent checker."""

import itertools
import math
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from radhus.planning import nrp, nrp_colgen
from radhus.planning.nrp import OFF, NrpInstance, parse_nrp_file, roster_objective, solve_instance
from radhus.planning.nrp_check import check_roster
from radhus.planning.nrp_colgen import (
    ColumnPool,
    Diver,
    ExactPricer,
    MasterLP,
    best_combination,
    price,
    tailed_off,
)
from radhus.planning.nrp_construct import RowBuilder, row_violation

NRP = Path("/work/shared/bench/nrp-curtois")
pytestmark = pytest.mark.skipif(not NRP.exists(), reason="shared NRP instances not available")
ROUNDING = 0.05  # CP-SAT prices costs rounded to 1/1000; a row of up to 28 shifts may differ by this much


def _greedy(inst: NrpInstance, seed: int) -> tuple[RowBuilder, list[list[int]]]:
    builder = RowBuilder(inst)
    roster, failed = builder.roster(list(range(inst.n_staff)), random.Random(seed))
    assert not failed
    return builder, roster


def _reduced_cost(builder: RowBuilder, e: int, row: list[int], mu: np.ndarray) -> float:
    return builder.own_cost(e, row) - sum(mu[d, s] for d, s in enumerate(row) if s != OFF)


@pytest.mark.parametrize("weekend_price", [0, 150])  # 150: above most duals, so the weekends priced change rows
def test_exact_pricing_is_never_beaten_by_the_quick_dp_and_both_keep_the_rules(weekend_price):
    plain = parse_nrp_file(NRP / "Instance5.txt")
    inst = replace(plain, weekend_prices=[weekend_price] * plain.n_staff)
    builder, roster = _greedy(inst, 1)
    pricer = ExactPricer(inst, roster)
    rng = np.random.default_rng(5)
    equal = 0
    for e in range(inst.n_staff):
        mu = rng.uniform(-20.0, 120.0, (inst.horizon, inst.n_shifts))
        exact = pricer.price(builder, e, mu, 10.0)
        quick, bound = price(builder, e, mu, rng)
        assert exact, "CP-SAT found no row for a feasible employee"
        for row in exact + quick:
            assert row_violation(inst, e, row) is None
        best = min(_reduced_cost(builder, e, row, mu) for row in exact)
        # the DP's Lagrangian bound never exceeds the optimum by more than its tie-breaking noise
        assert bound <= best + ROUNDING + nrp_colgen.PRICE_NOISE * inst.horizon
        assert _reduced_cost(builder, e, exact[-1], mu) == pytest.approx(best, abs=ROUNDING)  # the last is optimal
        if quick:
            quick_best = min(_reduced_cost(builder, e, row, mu) for row in quick)
            assert quick_best >= best - ROUNDING
            equal += quick_best <= best + ROUNDING
    assert equal >= inst.n_staff // 2  # with minutes exact in the DP, most employees price exactly without CP-SAT


def test_master_lp_duals_price_the_columns_it_holds_at_zero_or_more():
    inst = parse_nrp_file(NRP / "Instance2.txt")
    builder, roster = _greedy(inst, 2)
    master = MasterLP(inst)
    pool = ColumnPool(builder)
    for seed in range(3):
        for e, row in enumerate(_greedy(inst, seed)[1]):
            index = pool.add(e, row)
            if index is not None:
                master.add(e, pool.rows[e][index], pool.cost[e][index])
    solved = master.solve()
    assert solved is not None
    value, pi, mu = solved
    assert value <= roster_objective(inst, roster) + 1e-6  # the LP holds roster 2's columns
    for e in range(inst.n_staff):
        for row in pool.rows[e]:
            assert _reduced_cost(builder, e, list(row), mu) - pi[e] >= -1e-6  # LP optimality
    values = master.values()
    assert values is not None
    for e in range(inst.n_staff):
        assert sum(values[e]) == pytest.approx(1.0)  # one row per employee (convexity)
    master.fix(0, 0)
    assert master.values() is None  # values read after a change would not be the LP's
    assert master.solve() is not None
    assert master.values()[0][0] == pytest.approx(1.0)


def test_dive_gives_a_valid_roster_no_better_than_its_root_lp(monkeypatch):
    monkeypatch.setattr(nrp_colgen, "TAIL_GAIN", 0.0)  # converge fully, so that the root LP is a lower bound
    inst = parse_nrp_file(NRP / "Instance2.txt")
    _, roster = _greedy(inst, 3)
    diver = Diver.from_roster(inst, roster)
    dived = diver.dive(time.monotonic() + 30)
    shift_ids = {inst.staff[e].id: [inst.shifts[s].id if s != OFF else "" for s in r] for e, r in enumerate(dived)}
    check = check_roster(inst, shift_ids)
    assert check.valid, check.violations
    assert check.objective == roster_objective(inst, dived)
    assert diver.root is not None
    assert diver.root <= 828 + 1e-6  # exact pricing at the root: the LP is a lower bound of the optimum (828)
    assert diver.lower_bound == diver.root  # and the diver knows it
    assert check.objective >= 828
    assert check.objective < roster_objective(inst, roster)


def test_pricing_at_smoothed_duals_converges_to_the_same_proven_root_lp(monkeypatch):
    monkeypatch.setattr(nrp_colgen, "TAIL_GAIN", 0.0)  # converge fully: only a proof ends the column generation
    inst = parse_nrp_file(NRP / "Instance3.txt")
    roster = _greedy(inst, 5)[1]
    smoothed_gains: list[int] = []
    real_round = Diver._quick_round

    def recorded_round(self, free, pi, mu, mu_price):
        added, hard = real_round(self, free, pi, mu, mu_price)
        if mu_price is not mu:
            smoothed_gains.append(added)
        return added, hard

    monkeypatch.setattr(Diver, "_quick_round", recorded_round)
    values = {}
    for smoothing in (0.0, 0.5):
        monkeypatch.setattr(nrp_colgen, "SMOOTHING", smoothing)
        diver = Diver.from_roster(inst, roster)
        solved = diver.converge(time.monotonic() + 60, nrp_colgen.MAX_ROUNDS)
        assert solved is not None and diver._proven
        values[smoothing] = solved[0]
        assert bool(smoothed_gains) == (smoothing > 0)
    assert values[0.5] == pytest.approx(values[0.0], abs=ROUNDING)
    assert sum(g > 0 for g in smoothed_gains) >= 5  # most smoothed rounds found columns pricing out at the LP duals


def test_dive_gives_up_when_its_root_lp_cannot_converge_in_time():
    inst = parse_nrp_file(NRP / "Instance9.txt")
    diver = Diver.from_roster(inst, _greedy(inst, 4)[1])
    assert diver.dive(time.monotonic() + 0.05) is None  # an unconverged LP's columns would make a poor roster
    assert diver.root is None


def test_best_combination_of_pooled_columns_is_the_cheapest_of_all_combinations():
    inst = parse_nrp_file(NRP / "Instance1.txt")
    builder = RowBuilder(inst)
    pool = ColumnPool(builder)
    orders = [random.Random(seed).sample(range(inst.n_staff), inst.n_staff) for seed in (6, 7, 8)]
    rosters = [builder.roster(order, random.Random(0))[0] for order in orders]
    for roster in rosters:
        for e, row in enumerate(roster):
            pool.add(e, row)
    every = (list(map(list, rows)) for rows in itertools.product(*pool.rows))
    cheapest = min(roster_objective(inst, roster) for roster in every)
    assert cheapest < min(roster_objective(inst, roster) for roster in rosters)  # mixing the rosters pays here

    combined = best_combination(inst, pool, rosters[0], time_limit=10, workers=2, seed=1)
    assert combined is not None
    assert roster_objective(inst, combined) == cheapest
    assert all(tuple(row) in pool.rows[e] for e, row in enumerate(combined))


def test_a_root_lp_cut_short_is_no_lower_bound(monkeypatch):
    monkeypatch.setattr(nrp_colgen, "TAIL_AFTER", 0)
    monkeypatch.setattr(nrp_colgen, "TAIL_GAIN", 1.0)  # stop after TAIL_ROUNDS rounds, columns still pricing out
    inst = parse_nrp_file(NRP / "Instance4.txt")
    diver = Diver.from_roster(inst, _greedy(inst, 1)[1])
    assert diver.dive(time.monotonic() + 30) is not None
    assert diver.root is not None and diver.lower_bound is None


def test_promising_columns_keep_every_column_of_a_cheaper_roster(monkeypatch):
    monkeypatch.setattr(nrp_colgen, "TAIL_GAIN", 0.0)
    inst = parse_nrp_file(NRP / "Instance1.txt")
    optimum = solve_instance(inst, time_limit=10, workers=2)
    assert optimum.optimal and optimum.objective == 607
    _, start = _greedy(inst, 1)
    diver = Diver.from_roster(inst, start)
    assert diver.dive(time.monotonic() + 30) is not None
    assert diver.lower_bound is not None and diver.lower_bound <= 607 + 1e-6
    for e, row in enumerate(optimum.roster):
        diver.add(e, row)

    kept = diver.promising(start, below=608)  # only rosters of 607 or less may use a kept column
    assert all(tuple(row) in kept.rows[e] for e, row in enumerate(optimum.roster))
    assert all(tuple(row) in kept.rows[e] for e, row in enumerate(start))
    assert kept.size < diver.pool.size
    assert diver.promising(start, below=10**6).size == diver.pool.size


@pytest.mark.parametrize("wide", [False, True])
def test_a_wide_instance_dive_fixes_a_share_of_the_free_staff_each_step_and_still_gives_a_valid_roster(
    monkeypatch, wide
):
    monkeypatch.setattr(nrp, "WIDE_DIVE_CELLS", 0 if wide else 10**9)  # Instance5 (16 staff) counts as wide or not
    inst = parse_nrp_file(NRP / "Instance5.txt")
    _, roster = _greedy(inst, 3)
    fixed_counts = []
    real_converge = Diver.converge

    def recorded(self, *args, **kwargs):
        fixed_counts.append(len(self.fixed))
        return real_converge(self, *args, **kwargs)

    monkeypatch.setattr(Diver, "converge", recorded)
    dived, _ = nrp._dived(inst, roster, time.monotonic() + 30, 2, 1, again=False)
    assert dived is not None
    check = check_roster(
        inst, {inst.staff[e].id: [inst.shifts[s].id if s != OFF else "" for s in r] for e, r in enumerate(dived)}
    )
    assert check.valid, check.violations
    steps = [b - a for a, b in itertools.pairwise(fixed_counts)]
    free = [inst.n_staff - n for n in fixed_counts[:-1]]
    if wide:  # at least WIDE_FIX_SHARE of the free ones, but never into the DIVE_REST left for CP-SAT
        need = [min(math.ceil(nrp.WIDE_FIX_SHARE * f), f - nrp_colgen.DIVE_REST) for f in free]
        assert all(step >= n for step, n in zip(steps, need, strict=True)), (steps, need)
    else:
        assert min(steps) < math.ceil(nrp.WIDE_FIX_SHARE * inst.n_staff)  # some step fixes fewer


def test_column_generation_tails_off_after_flat_rounds_but_a_root_only_counts_from_its_first_gain():
    flat = [100.0] * 30
    assert tailed_off(flat, 20, root=False)
    assert not tailed_off(flat, 20, root=True)  # a root starting from a good roster: degenerate, not tailing off
    assert not tailed_off(flat + [90.0] * 10, 20, root=True)  # 11 rounds counted since the first gain
    assert tailed_off(flat + [90.0] * 25, 20, root=True)
    assert not tailed_off([100.0 - 5 * k for k in range(30)], 20, root=False)  # still gaining
