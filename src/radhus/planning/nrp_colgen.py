"""Column generation for the Curtois & Qu nurse-rostering benchmark: column generation over whole rows, then a dive.

Every hard rule concerns one employee, so a roster is one feasible row (column) per employee. The master problem
chooses one column per employee and pays for the cover left under or over:

    min  sum_e,c own_cost(e, c) x_ec + sum_d,s (under_w u_ds + over_w o_ds)
    s.t. sum_c x_ec = 1                                  for every employee e     (dual pi_e)
         sum_e,c [c works s on d] x_ec + u_ds - o_ds = req_ds   for every cover cell (dual mu_ds)

Its linear relaxation (GLOP) gives duals; an employee's row with the lowest reduced cost
own_cost - pi_e - sum mu_ds comes first from the quick row DP of nrp_construct (cell costs = own requests - mu; run
rules and minutes exact, per-shift maxima priced), and where that finds nothing from CP-SAT over the employee's row
model, which is exact. The dive then fixes the columns the LP chooses (value >= FIX_AT, else the largest), prices the
employees still free again, and repeats until every employee has a row: a feasible roster, since every column is a
feasible row. On Instance9 the root LP is 405.7 and the dive reaches the best known 439.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from radhus.planning.nrp_construct import EXACT_STATES, OFF, RowBuilder

if TYPE_CHECKING:
    from radhus.planning.nrp import NrpInstance, _SubModel

PRICE_EPS = 1e-6  # reduced costs above -PRICE_EPS do not enter the master
PRICE_SCALE = 1000  # CP-SAT pricing works on integer costs: duals x PRICE_SCALE, rounded
PRICE_NOISE = 1e-3  # tie-breaking noise on the cell costs of the quick DP pricing (varies its choice among equals)
# multiplier rounds of the quick DP pricing; CP-SAT prices an employee exactly when they found no column and their
# Lagrangian bound does not prove that none exists
PRICE_DP_ROUNDS = 3
PRICING_THREADS = 2  # exact pricings run two at a time (CP-SAT releases the GIL)
PRICE_TIME = 0.25  # seconds for one exact pricing
# column generation stops when the last 5 rounds gained less than 0.2 % of the LP value, from the 20th round on (the
# first rounds may pivot degenerately without any gain; a root LP starting from a good roster, as over a window or
# a group of staff, may stay at its value for more than 20 rounds, so a root's rounds count only from its first gain)
TAIL_ROUNDS, TAIL_GAIN, TAIL_AFTER = 5, 0.002, 20
# in a dive step (after a fix) the rule applies from the 5th round: Instance8 over 56 days at 120 s reached 2 726
# with 5 and 2 932 with 20 (its dive did not end in time)
STEP_TAIL_AFTER = 5
# the quick pricing prices at the duals smoothed over the rounds (SMOOTHING x the last ones priced at + the rest x the
# LP's), falling back to the LP's own duals in a round where that finds no column: the LP's duals jump from round to
# round. Whole-instance root LPs proven in about 35 % less time on Instance8 over 56 days (59.3 / 50.9 s -> 32.6 /
# 37.7 s; 0.3: 35.3 / 37.3, 0.7: 34.2 / 30.9) and 20 % on Instance12 (8.3 / 9.8 -> 6.6 / 6.5 s)
SMOOTHING = 0.5
PARTIAL = 0.34  # a round's quick pricing stops once it added columns for this share of the free employees
MAX_ROUNDS = 1000  # pricing rounds per column generation (the root's, or a dive step's) at the most
FIX_AT = 0.99  # LP value at which the dive fixes a column
DIVE_REST = 6  # employees left free at the end of a dive, for an exact solve of their rows together
ROOT_SHARE = 0.6  # share of a dive's time the first column generation may take
# a proven root LP value (Diver.lower_bound) bounds the optimum up to the pricing's noise and rounding (both under
# 0.03 over 28 days); bounds and reduced costs are used with this tolerance
BOUND_TOLERANCE = 0.1


def tailed_off(values: list[float], tail_after: int, *, root: bool) -> bool:
    """Whether a column generation whose rounds reached the LP `values` so far stops: its last TAIL_ROUNDS rounds
    gained less than TAIL_GAIN together, from round `tail_after` on; a root's rounds count from its first gain."""
    if root:
        values = values[:1] + [v for v in values[1:] if v < values[0] - PRICE_EPS]
    last = values[-1]
    return len(values) > max(tail_after, TAIL_ROUNDS) and values[-TAIL_ROUNDS - 1] - last < TAIL_GAIN * abs(last)


def least_objective(bound: float) -> int:
    """The least integer objective a lower bound allows, BOUND_TOLERANCE below it."""
    return math.ceil(bound - BOUND_TOLERANCE)


class ColumnPool:
    """Rows generated per employee (no duplicates) with their own cost (requests only)."""

    def __init__(self, builder: RowBuilder):
        self.builder = builder
        self.rows: list[list[tuple[int, ...]]] = [[] for _ in builder.inst.staff]
        self.cost: list[list[int]] = [[] for _ in builder.inst.staff]
        self._seen: list[set[tuple[int, ...]]] = [set() for _ in builder.inst.staff]

    def add(self, e: int, row: list[int] | tuple[int, ...]) -> int | None:
        """Index of the new column, or None when employee e already has this row."""
        key = tuple(row)
        if key in self._seen[e]:
            return None
        self._seen[e].add(key)
        self.rows[e].append(key)
        self.cost[e].append(self.builder.own_cost(e, key))
        return len(self.rows[e]) - 1

    @property
    def size(self) -> int:
        return sum(len(r) for r in self.rows)


class MasterLP:
    """The master's linear relaxation in GLOP; columns are added as they are priced."""

    def __init__(self, inst: NrpInstance):
        self.inst = inst
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.convexity = [self.solver.Constraint(1.0, 1.0) for _ in inst.staff]
        self.cover: dict[tuple[int, int], pywraplp.Constraint] = {}
        objective = self.solver.Objective()
        for (d, s), c in inst.cover.items():
            row = self.solver.Constraint(c.requirement, c.requirement)
            under = self.solver.NumVar(0.0, self.solver.infinity(), "")
            over = self.solver.NumVar(0.0, self.solver.infinity(), "")
            row.SetCoefficient(under, 1.0)
            row.SetCoefficient(over, -1.0)
            objective.SetCoefficient(under, c.under_weight)
            objective.SetCoefficient(over, c.over_weight)
            self.cover[d, s] = row
        objective.SetMinimization()
        self.columns: list[list[pywraplp.Variable]] = [[] for _ in inst.staff]
        self._synced = False  # solved, and nothing changed since

    def add(self, e: int, row: tuple[int, ...], cost: int) -> None:
        var = self.solver.NumVar(0.0, self.solver.infinity(), "")
        self.solver.Objective().SetCoefficient(var, cost)
        self.convexity[e].SetCoefficient(var, 1.0)
        for d, s in enumerate(row):
            if s != OFF and (d, s) in self.cover:
                self.cover[d, s].SetCoefficient(var, 1.0)
        self.columns[e].append(var)
        self._synced = False

    def fix(self, e: int, index: int) -> None:
        for k, var in enumerate(self.columns[e]):
            var.SetBounds(float(k == index), float(k == index))
        self._synced = False

    def release(self, e: int) -> None:
        for var in self.columns[e]:
            var.SetBounds(0.0, self.solver.infinity())
        self._synced = False

    def values(self) -> list[list[float]] | None:
        """Column values of the last solve; None when it failed or the master changed since. Read only here: most
        solves are followed by pricing, which needs the duals alone."""
        if not self._synced:
            return None
        return [[var.solution_value() for var in columns] for columns in self.columns]

    def solve(self) -> tuple[float, list[float], np.ndarray] | None:
        """LP value, convexity duals and cover duals mu[d, s] (0 where a cell has no cover), or None."""
        if self.solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        self._synced = True
        mu = np.zeros((self.inst.horizon, self.inst.n_shifts))
        for (d, s), row in self.cover.items():
            mu[d, s] = row.dual_value()
        return self.solver.Objective().Value(), [c.dual_value() for c in self.convexity], mu


class Diver:
    """Column generation with diving: converge the master LP, fix the columns the LP (almost) chooses, re-price
    the employees still free, and so on until every employee has a row."""

    def __init__(self, inst: NrpInstance, builder: RowBuilder, pool: ColumnPool, exact: ExactPricer):
        self.inst, self.builder, self.pool, self.exact = inst, builder, pool, exact
        self.master = MasterLP(inst)
        for e in range(inst.n_staff):
            for row, cost in zip(pool.rows[e], pool.cost[e], strict=True):
                self.master.add(e, row, cost)
        self.fixed: dict[int, int] = {}
        self.rng = np.random.default_rng(7)
        self.rounds = 0
        self._next = 0  # where the next round's quick pricing starts (partial pricing)
        self.root: float | None = None  # LP value before the first fix
        self.lower_bound: float | None = None  # a root LP value where pricing proved that no column prices out
        self._proven = False  # whether the last column generation ended with that proof
        self._bound_duals: tuple[list[float], np.ndarray] | None = None  # the duals of that root LP

    @classmethod
    def from_roster(cls, inst: NrpInstance, roster: list[list[int]], exact_states: int = EXACT_STATES) -> Diver:
        """A diver whose column pool starts with the rows of `roster` (a feasible roster); its row DP keeps minutes
        and the tightest shift maximum exactly up to `exact_states` states (see nrp_construct.EXACT_STATES)."""
        builder = RowBuilder(inst, exact_states)
        pool = ColumnPool(builder)
        for e, row in enumerate(roster):
            pool.add(e, row)
        return cls(inst, builder, pool, ExactPricer(inst, roster))

    def add(self, e: int, row: list[int]) -> bool:
        """Add a feasible row of employee e to the pool and the master; False when it is there already."""
        index = self.pool.add(e, row)
        if index is None:
            return False
        self.master.add(e, self.pool.rows[e][index], self.pool.cost[e][index])
        return True

    def converge(
        self, deadline: float, max_rounds: int, *, exact: bool = True, tail_after: int = TAIL_AFTER
    ) -> tuple[float, list[float], np.ndarray] | None:
        """Price and re-solve until no free employee's row prices out, the LP value stalls (TAIL_ROUNDS rounds
        gaining less than TAIL_GAIN together, from round `tail_after` on), `max_rounds` or the deadline. The quick DP
        prices first (at smoothed duals first, see SMOOTHING); CP-SAT prices exactly the employees it found nothing
        for and whose Lagrangian bound does not rule a column out, two at a time (the solver releases the GIL)."""
        solved = None
        history: list[float] = []
        self._proven = False
        center: np.ndarray | None = None  # smoothed cover duals, afresh each call (a fix since moved them)
        for _ in range(max_rounds):
            solved = self.master.solve()
            if solved is None or time.monotonic() >= deadline:
                return solved
            value, pi, mu = solved
            history.append(value)
            if tailed_off(history, tail_after, root=not self.fixed):
                return solved
            self.rounds += 1
            free = [e for e in range(self.inst.n_staff) if e not in self.fixed]
            if SMOOTHING and center is not None:
                center = SMOOTHING * center + (1.0 - SMOOTHING) * mu
                if self._quick_round(free, pi, mu, center)[0]:
                    continue
            center = mu
            added, hard = self._quick_round(free, pi, mu, mu)
            priced_exactly = exact and hard and time.monotonic() < deadline
            if priced_exactly:
                limit = min(PRICE_TIME, deadline - time.monotonic())
                with ThreadPoolExecutor(PRICING_THREADS) as pool:
                    priced = pool.map(partial(self.exact.price, self.builder, mu=mu, time_limit=limit), hard)
                    for e, rows in zip(hard, priced, strict=True):
                        added += sum(self.add(e, r) for r in rows if self._reduced(e, r, pi, mu) < -PRICE_EPS)
            if not added:
                self._proven = not hard or bool(priced_exactly and not self.exact.timed_out.intersection(hard))
                return solved
        return self.master.solve()

    def _quick_round(
        self, free: list[int], pi: list[float], mu: np.ndarray, mu_price: np.ndarray
    ) -> tuple[int, list[int]]:
        """The row DP's pricing of the free employees at the cover duals `mu_price`, from where the last round
        stopped, until columns that price out at the LP's duals (pi, mu) were added for PARTIAL of them. Returns how
        many were added, and the employees it found none for whose Lagrangian bound does not prove that none exists
        (only when pricing at the LP's own duals: a bound at other duals proves nothing)."""
        start = self._next % len(free)
        added, hard = 0, []
        for e in free[start:] + free[:start]:
            if added >= PARTIAL * len(free):
                break
            self._next += 1
            rows, bound = price(self.builder, e, mu_price, self.rng)
            rows = [r for r in rows if self._reduced(e, r, pi, mu) < -PRICE_EPS]
            added += sum(self.add(e, r) for r in rows)
            if not rows and mu_price is mu and bound - pi[e] < -PRICE_EPS:  # CP-SAT will price e exactly
                hard.append(e)
        return added, hard

    def _reduced(self, e: int, row: list[int] | tuple[int, ...], pi: list[float], mu: np.ndarray) -> float:
        return self.builder.own_cost(e, row) - pi[e] - _dual_sum(row, mu)

    def dive(self, deadline: float, fix_share: float = 0.0, noise: float = 0.0) -> list[list[int]] | None:
        """One roster: fix every free employee whose column has LP value >= FIX_AT (at least the largest, and at
        least `fix_share` of the free ones, largest values first, each value with up to `noise` added at random),
        re-converge, repeat until DIVE_REST employees are free (the caller solves those together: a dive's last
        fixes are its worst) or time runs out; the free ones take their largest column. None when the first column
        generation does not converge within ROOT_SHARE of the time, or an LP fails. Diving again after `release`
        starts from all the columns met so far."""
        root_deadline = time.monotonic() + ROOT_SHARE * max(0.0, deadline - time.monotonic())
        solved = self.converge(root_deadline, MAX_ROUNDS)
        if solved is None or time.monotonic() >= root_deadline:
            return None  # the LP is not converged: fixing its columns now gives a poor roster
        self.root = solved[0]
        if self._proven and (self.lower_bound is None or self.root > self.lower_bound):
            self.lower_bound, self._bound_duals = self.root, (solved[1], solved[2])
        while self.inst.n_staff - len(self.fixed) > DIVE_REST:
            solved_values = self.master.values()
            if solved_values is None:
                return None
            values = solved_values  # narrowed for the lambda below
            choice = {
                e: max(range(len(values[e])), key=values[e].__getitem__)
                for e in range(self.inst.n_staff)
                if e not in self.fixed
            }
            late = time.monotonic() >= deadline
            ranked = sorted(choice, key=lambda e: -values[e][choice[e]] - noise * self.rng.random())
            sure = sum(values[e][choice[e]] >= FIX_AT for e in ranked)
            count = max(1, sure, min(math.ceil(fix_share * len(ranked)), len(ranked) - DIVE_REST))
            for e in ranked if late else ranked[:count]:
                self.fixed[e] = choice[e]
                self.master.fix(e, choice[e])
            if len(self.fixed) < self.inst.n_staff:
                exact = 3 * len(self.fixed) >= 2 * self.inst.n_staff
                self.converge(deadline, MAX_ROUNDS, exact=exact, tail_after=STEP_TAIL_AFTER)
        last = self.master.values() if len(self.fixed) < self.inst.n_staff else []
        if last is None:
            return None
        return [
            list(self.pool.rows[e][self.fixed[e] if e in self.fixed else int(np.argmax(last[e]))])
            for e in range(self.inst.n_staff)
        ]

    def promising(self, hint: list[list[int]], below: float) -> ColumnPool:
        """The pooled columns that can be part of a roster cheaper than `below`, and the rows of `hint`. At the duals
        of a root LP where no column priced out, every roster costs at least its value plus the reduced costs of its
        columns (all >= 0), so a column whose reduced cost exceeds `below` - 1 - that value cannot. Without such a
        root, the whole pool."""
        if self._bound_duals is None or self.lower_bound is None:
            return self.pool
        pi, mu = self._bound_duals
        slack = below - 1 - self.lower_bound + BOUND_TOLERANCE
        kept = ColumnPool(self.builder)
        for e, rows in enumerate(self.pool.rows):
            kept.add(e, hint[e])
            for row in rows:
                if self._reduced(e, row, pi, mu) <= slack:
                    kept.add(e, row)
        return kept

    def release(self) -> None:
        """Free every employee the last dive fixed."""
        for e in self.fixed:
            self.master.release(e)
        self.fixed = {}


def best_combination(
    inst: NrpInstance, pool: ColumnPool, hint: list[list[int]], time_limit: float, workers: int, seed: int
) -> list[list[int]] | None:
    """The best roster that takes one pooled column per employee (the master as an integer program, CP-SAT),
    warm-started from `hint`, whose rows must be in the pool; None when no roster is found in time. The dives fix
    one column at a time and may miss a combination of columns they met: on Instance5 the pool of 17 s of dives held
    the best known 1 143 in two of three runs where the dives' own best was 1 146 or more."""
    model = cp_model.CpModel()
    chosen = [[model.new_bool_var("") for _ in rows] for rows in pool.rows]
    working: dict[tuple[int, int], list[cp_model.IntVar]] = {cell: [] for cell in inst.cover}
    costs = []
    for e, columns in enumerate(chosen):
        model.add_exactly_one(columns)
        hinted = tuple(hint[e])
        for var, row, cost in zip(columns, pool.rows[e], pool.cost[e], strict=True):
            model.add_hint(var, row == hinted)
            costs.append(cost * var)
            for d, s in enumerate(row):
                if (d, s) in working:
                    working[d, s].append(var)
    for cell, cover in inst.cover.items():
        under = model.new_int_var(0, cover.requirement, "")
        over = model.new_int_var(0, len(working[cell]), "")
        model.add(sum(working[cell]) + under - over == cover.requirement)
        costs += [cover.under_weight * under, cover.over_weight * over]
    model.minimize(sum(costs))
    solver = sat_solver(time_limit, workers, seed)
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [
        list(next(row for row, var in zip(pool.rows[e], columns, strict=True) if solver.boolean_value(var)))
        for e, columns in enumerate(chosen)
    ]


def sat_solver(time_limit: float, workers: int, seed: int) -> cp_model.CpSolver:
    """A CP-SAT solver with a time limit (at least 0.05 s), its number of workers and a random seed."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    return solver


def _dual_sum(row: list[int] | tuple[int, ...], mu: np.ndarray) -> float:
    return float(sum(mu[d, s] for d, s in enumerate(row) if s != OFF))


def price(builder: RowBuilder, e: int, mu: np.ndarray, rng: np.random.Generator) -> tuple[list[list[int]], float]:
    """Rows of employee e met while minimising own cost minus the cover duals (the row DP's multiplier search),
    and a lower bound on that minimum over all of e's feasible rows (its Lagrangian bound), up to the tie-breaking
    noise (less than PRICE_NOISE a day): a column whose reduced cost is that close to 0 may be missed."""
    inst = builder.inst
    shifts = [s for s in range(inst.n_shifts) if builder.max_count[e][s] > 0]
    if not shifts:
        return [], -math.inf
    base = builder.own_cell_costs(e, shifts) - mu[:, shifts]
    base += rng.uniform(0.0, PRICE_NOISE, base.shape)
    rows, bound = builder.lagrange_rows(e, shifts, base, PRICE_DP_ROUNDS)
    # own_cost(row) is the all-off row's cost plus the row's own cell costs
    return rows, builder.own_cost(e, [OFF] * inst.horizon) + bound


class _Collector(cp_model.CpSolverSolutionCallback):
    """Keeps every row CP-SAT meets while pricing one employee (each improving one is a candidate column)."""

    def __init__(self, cells: list[tuple[int, int, cp_model.IntVar]], horizon: int):
        super().__init__()
        self.cells, self.horizon = cells, horizon
        self.rows: list[list[int]] = []

    def on_solution_callback(self) -> None:
        row = [OFF] * self.horizon
        for d, s, var in self.cells:
            if self.boolean_value(var):
                row[d] = s
        self.rows.append(row)


class ExactPricer:
    """Exact pricing by CP-SAT: each employee's row model (all hard rules) is built once; only the objective
    changes with the duals."""

    def __init__(self, inst: NrpInstance, roster: list[list[int]]):
        self.inst, self.roster = inst, roster
        self.models: dict[int, _SubModel] = {}  # built on an employee's first exact pricing (most never need one)
        self.timed_out: set[int] = set()  # employees whose last pricing ended before CP-SAT proved its minimum

    def price(self, builder: RowBuilder, e: int, mu: np.ndarray, time_limit: float) -> list[list[int]]:
        from radhus.planning.nrp import _SubModel

        if e not in self.models:
            self.models[e] = _SubModel(self.inst, self.roster, [e], 0, self.inst.horizon - 1, objective=False)
        sub = self.models[e]
        own = builder.own_cell_costs(e, list(range(self.inst.n_shifts)))
        cells = [(d, s, var) for (_, d, s), var in sub.x.items()]
        weekends = round(PRICE_SCALE * builder.weekend_price[e]) * sum(sub.weekends[e])
        sub.model.minimize(sum(round(PRICE_SCALE * (own[d, s] - mu[d, s])) * var for d, s, var in cells) + weekends)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = max(0.01, time_limit)
        collector = _Collector(cells, self.inst.horizon)
        if solver.solve(sub.model, collector) == cp_model.OPTIMAL:
            self.timed_out.discard(e)
        else:
            self.timed_out.add(e)
        return collector.rows
