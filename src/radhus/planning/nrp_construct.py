"""Fast feasible rows for the Curtois & Qu nurse-rostering benchmark: a randomised day-by-day construction.

Every hard rule of the benchmark concerns one employee (one shift a day, forbidden successions, per-type maxima,
total minutes, consecutive-day limits, weekends, fixed days off), so a feasible roster is one feasible row per
employee. `RowBuilder` builds such a row in a few milliseconds even over a year: it walks the days once, keeps the
state the rules need (current run of work or days off, minutes, shifts and weekends used) and chooses, each day,
between a day off and each shift that keeps the row completable:
- a run of work that started inside the horizon continues until it is long enough, and starts only when the days it
  must then cover are neither fixed days off nor past the weekend budget;
- a run of days off lasts its minimum before work starts again;
- the total minutes are paced towards a target inside [min, max] and work is forced once the days left (at the
  employee's densest pattern) barely reach the minimum.
Among the choices left it prefers the shift that fills the most under-covered slot (cover counted over the rows
built so far), the employee's own requests, and the pace, with a little noise. A row that ends in a dead end is
rebuilt with a higher minutes target and more noise; after `ATTEMPTS` failures the caller falls back to CP-SAT.
Every row returned is re-checked by `row_violation` (the rules written out once more, plainly).

`RowBuilder.optimise` finds an employee's cheapest row against all the others' cover (the row adds at most one to
each cell, so its cover gain is exact) by dynamic programming over (day, run state with the succession class of the
shift before, weekends used; compiled in nrp_kernels), about a millisecond per solve on four weeks; total minutes
and per-shift maxima are priced by Lagrange multipliers searched until the row keeps them. Rows it cannot close
are left to the greedy ones. Where the state stays small (short horizons, EXACT_STATES), the minutes used and the
count of the shift with the tightest maximum are state dimensions instead (`solve_units`), so only the other maxima
are priced. The same DP prices columns for nrp_colgen (`lagrange_rows` with the LP's duals as cell costs).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from radhus.planning.nrp_kernels import cheapest_path

if TYPE_CHECKING:
    from radhus.planning.nrp import NrpInstance

OFF = -1  # same value as radhus.planning.nrp.OFF
ATTEMPTS = 24  # greedy tries per row before the caller's CP-SAT fallback
PACE_WEIGHT = 0.5  # bonus for working, in units of the mean under-cover weight, per day behind the minutes pace
WEEKEND_PACE = 0.3  # penalty for using a weekend ahead of an even spread of the budget, same units
NOISE = 0.15  # random noise on every score, same units; grows with the attempt number
MARGIN_DAYS = 1  # days of the longest shift kept above the minimum minutes; grows with the attempt number
DP_ROUNDS = 24  # Lagrangian DP solves per optimised row (bisection on the minutes multiplier)
DP_GAP = 1.0  # a row the DP prices within this of its Lagrangian bound ends the search for that employee
# DP states x days up to which an employee's minutes (and tightest maximum) are kept exactly, as dimensions; with the
# compiled DP, 16 M (4 M before) let Instance8 over 56 days keep its night cap exactly: its root LP converged in 21 s
# instead of 49 s, with 6 exact CP-SAT pricings instead of 207
EXACT_STATES = 16_000_000
DP_NOISE = 0.3  # random tie-breaking cost per day and shift in the row DP, in objective units (< 1: keeps the order)


class RowBuilder:
    """Builds feasible rows for the employees of one instance, guided by the cover of a partial roster."""

    def __init__(self, inst: NrpInstance, exact_states: int = EXACT_STATES):
        self.inst, self.exact_states = inst, exact_states
        n_shifts, horizon = inst.n_shifts, inst.horizon
        self.length = [s.minutes for s in inst.shifts]
        self.forbid = [[False] * n_shifts for _ in range(n_shifts)]
        for s, t in inst.forbidden_pairs:
            self.forbid[s][t] = True
        self.req = [[0] * n_shifts for _ in range(horizon)]
        self.under = [[0] * n_shifts for _ in range(horizon)]
        self.over = [[0] * n_shifts for _ in range(horizon)]
        for (d, s), c in inst.cover.items():
            self.req[d][s], self.under[d][s], self.over[d][s] = c.requirement, c.under_weight, c.over_weight
        self.unit = mean_under_weight(inst) or 1.0
        # weekend index of each day (Saturday and Sunday of week k share index k), -1 on weekdays
        self.weekend = [d // 7 if d % 7 in (5, 6) else -1 for d in range(horizon)]
        self.n_weekends = max(1, len({w for w in self.weekend if w >= 0}))
        self.fill = _fill_share(inst)
        self.req_np, self.under_np, self.over_np = (np.array(t, dtype=float) for t in (self.req, self.under, self.over))
        self._lattices: dict[tuple, _Lattice] = {}
        self._prices: dict[int, float] = {}  # each employee's last minutes price with a feasible DP row
        self._shift_prices: dict[int, np.ndarray] = {}  # and the per-shift prices with it
        self._charts: dict[tuple, tuple[_Chart, np.ndarray]] = {}
        self.dead_end: tuple[int, str, list[int]] | None = None  # where the last failed build stopped, and why
        self.max_count = [[st.max_shifts.get(s.id, 0) for s in inst.shifts] for st in inst.staff]
        self.weekend_price = inst.weekend_prices or [0] * inst.n_staff
        self.single_weekend_cost = 0  # a price on weekends worked on one day only (see SINGLE_WEEKEND_SHARE)
        self.on: list[dict[int, list[tuple[int, int]]]] = [{} for _ in inst.staff]
        self.off: list[dict[tuple[int, int], int]] = [{} for _ in inst.staff]
        for r in inst.on_requests:
            self.on[r.employee].setdefault(r.day, []).append((r.shift, r.weight))
        for r in inst.off_requests:
            key = (r.day, r.shift)
            self.off[r.employee][key] = self.off[r.employee].get(key, 0) + r.weight
        # days pinned to one shift: the row DP skips every other shift there (the day off stays, at its cost)
        self.blocked: dict[int, np.ndarray] = {}
        for (e, d), s in inst.pinned.items():
            blocked = self.blocked.setdefault(e, np.zeros((horizon, n_shifts), dtype=bool))
            blocked[d] = True
            blocked[d, s] = False

    # ------------------------------------------------------------------------------------------------ cover

    def counts(self, roster: list[list[int]], skip: int = -1) -> list[list[int]]:
        """Staff on each day and shift, leaving out employee `skip`."""
        counts = [[0] * self.inst.n_shifts for _ in range(self.inst.horizon)]
        for e, row in enumerate(roster):
            if e == skip:
                continue
            for d, s in enumerate(row):
                if s != OFF:
                    counts[d][s] += 1
        return counts

    def row_cost(self, e: int, row: list[int], counts: list[list[int]]) -> int:
        """What employee e's row adds to the objective, given the counts of all the other employees."""
        cost = self.own_cost(e, row)
        for d, s in enumerate(row):
            if s != OFF:
                cost += -self.under[d][s] if counts[d][s] < self.req[d][s] else self.over[d][s]
        return cost

    # ------------------------------------------------------------------------------------------------ one row

    def build(self, e: int, counts: list[list[int]], rng: random.Random, attempt: int = 0) -> list[int] | None:
        """One greedy pass over the horizon; a feasible row or None at a dead end (reason in `dead_end`)."""
        inst, st = self.inst, self.inst.staff[e]
        horizon, length, forbid = inst.horizon, self.length, self.forbid
        left = self.max_count[e][:]
        days_off = inst.days_off[e]
        allowed = [s for s in range(inst.n_shifts) if left[s] > 0]
        lo, hi = st.min_minutes, st.max_minutes
        if not allowed or lo > hi:
            self.dead_end = (0, "no shift allowed" if allowed else "min > max minutes", [])
            return [OFF] * horizon if not allowed and lo <= 0 <= hi else None
        max_len = max(length[s] for s in allowed)
        avg_len = sum(length[s] for s in allowed) / len(allowed)
        min_len = min(length[s] for s in allowed)
        chart, reach = self.chart(e)
        max_w = st.max_weekends
        target = lo + min(1.0, self.fill + 0.1 * attempt) * (hi - lo)
        noise = NOISE * (1 + attempt)
        margin = MARGIN_DAYS * (1 + attempt) * max_len  # slack kept above the minimum for successions and counts
        row = [OFF] * horizon
        state, minutes, used = chart.start, 0, 0
        requests, unwanted = self.on[e], self.off[e]
        for d in range(horizon):
            after = reach[d + 1]
            off_state = chart.off[state]
            # (potential minutes at the end, score, choice, next state) of every choice that keeps the row completable
            options: list[tuple[float, float, int, int]] = []
            if off_state >= 0 and after[off_state, used] >= 0:
                potential = minutes + int(after[off_state, used]) * max_len
                options.append((potential, rng.uniform(-noise, noise), OFF, off_state))
            work_state = chart.work_at(state, d)
            counted = used + self._new_weekend(chart, state, d)
            if d not in days_off and work_state >= 0 and counted <= max_w and after[work_state, counted] >= 0:
                more = int(after[work_state, counted]) * max_len
                forced = chart.forced[work_state]
                behind = (target * (d + 1) / horizon - minutes) / avg_len
                wants = requests.get(d, ())
                for s in allowed:
                    if (
                        left[s] <= 0
                        or minutes + length[s] > hi
                        or (d > 0 and row[d - 1] != OFF and forbid[row[d - 1]][s])
                    ):
                        continue
                    if forced and d + 1 < horizon:  # the run must go on: minutes for it, and a shift to follow s
                        if minutes + length[s] + forced * min_len > hi or not any(
                            left[t] - (t == s) > 0 and not forbid[s][t] for t in allowed
                        ):
                            continue
                    gain = self.under[d][s] if counts[d][s] < self.req[d][s] else -self.over[d][s]
                    gain += sum(w for t, w in wants if t == s) - sum(w for t, w in wants if t != s)
                    gain -= unwanted.get((d, s), 0)
                    score = gain / self.unit + PACE_WEIGHT * behind + rng.uniform(-noise, noise)
                    if counted > used and counted > max_w * (self.weekend[d] + 1) / self.n_weekends:
                        score -= WEEKEND_PACE  # ahead of the weekend budget's pace: keep weekends for later
                    options.append((minutes + length[s] + more, score, s, work_state))
            if not options:
                self.dead_end = (d, "no choice keeps the rules", row[:d])
                return None
            safe = [o for o in options if o[0] >= lo + margin] or [o for o in options if o[0] >= lo]
            if safe:
                _, _, choice, state = max(safe, key=lambda o: o[1])
            else:  # the minimum is out of reach at the densest pattern: work as much as possible
                _, _, choice, state = max(options, key=lambda o: (o[0], o[1]))
            if choice != OFF:
                left[choice] -= 1
                minutes += length[choice]
                used = counted
            row[d] = choice
        if minutes < lo:
            self.dead_end = (horizon, f"{minutes} minutes", row)
            return None
        return row

    @staticmethod
    def _new_weekend(chart: _Chart, state: int, d: int) -> int:
        """1 when working on day d starts a weekend not yet worked (a Saturday, or a Sunday after a free Saturday)."""
        day = d % 7
        return int(day == 5 or (day == 6 and not chart.is_work(state)))

    def chart(self, e: int) -> tuple[_Chart, np.ndarray]:
        """Employee e's run automaton and reach table (shared by employees with the same rules and days off)."""
        st = self.inst.staff[e]
        key = (
            st.max_consecutive,
            st.min_consecutive,
            st.min_days_off,
            st.max_weekends,
            frozenset(self.inst.days_off[e]),
        )
        if key not in self._charts:
            chart = _Chart(st.max_consecutive, st.min_consecutive, st.min_days_off)
            workable = [d not in self.inst.days_off[e] for d in range(self.inst.horizon)]
            self._charts[key] = (chart, chart.reach(workable, max(0, st.max_weekends)))
        return self._charts[key]

    def row(self, e: int, counts: list[list[int]], rng: random.Random, attempts: int = ATTEMPTS) -> list[int] | None:
        """A feasible row for employee e, or None when `attempts` greedy tries all fail."""
        for attempt in range(attempts):
            row = self.build(e, counts, rng, attempt)
            if row is not None and row_violation(self.inst, e, row) is None:
                return row
        return None

    # ------------------------------------------------------------------------------------------------ row DP

    def optimise(
        self, e: int, counts: list[list[int]], rng: random.Random, incumbent: list[int] | None = None
    ) -> list[int] | None:
        """Employee e's cheapest row against the others' `counts` by a Lagrangian DP, or `incumbent` when no feasible
        DP row is cheaper (None when there is neither); every row met is priced exactly (`row_cost`)."""
        best = incumbent
        best_cost = self.row_cost(e, incumbent, counts) if incumbent is not None else None
        shifts = [s for s in range(self.inst.n_shifts) if self.max_count[e][s] > 0]
        if not shifts:
            return best
        base = self._shift_costs(e, counts, shifts)
        base += np.random.default_rng(rng.randrange(1 << 30)).uniform(0.0, DP_NOISE, base.shape)
        for row in self.lagrange_rows(e, shifts, base)[0]:
            cost = self.row_cost(e, row, counts)
            if best_cost is None or cost < best_cost:
                best, best_cost = row, cost
        return best

    def lagrange_rows(
        self, e: int, shifts: list[int], base: np.ndarray, rounds: int = DP_ROUNDS
    ) -> tuple[list[list[int]], float]:
        """Feasible rows of employee e met while minimising the cell costs `base[d, j]` (allowed shift j on day d),
        and a lower bound on that minimum over all feasible rows (the best Lagrangian value met; -inf if none).

        The DP over (day, run state with the previous shift's succession class, weekends used) keeps the run rules,
        fixed days off, forbidden successions and the weekend limit exactly; the total minutes and the per-shift
        maxima are priced by multipliers: bisection on the minutes price, a subgradient step on the shift prices.
        Every row returned is re-checked (`row_violation`); the search stops once a row is about optimal."""
        inst, st = self.inst, self.inst.staff[e]
        lattice = self.lattice(e, shifts)
        workable = [d not in inst.days_off[e] for d in range(inst.horizon)]
        length = np.array([self.length[s] for s in shifts], dtype=float)
        cap = np.array([self.max_count[e][s] for s in shifts], dtype=float)
        limit = (float(np.abs(base).max()) + 1.0) / max(1.0, float(length.min()))  # of the minutes price
        low, high = -limit, limit
        if e in self.blocked:
            base = np.where(self.blocked[e][:, shifts], np.inf, base)
        price, step = min(high, max(low, self._prices.get(e, 0.0))), limit / 64
        shift_price = self._shift_prices.get(e, np.zeros(len(shifts)))
        found: list[list[int]] = []
        bound = -math.inf
        exact = self._units(e, shifts, lattice)
        weekend_cost, single_cost = self.weekend_price[e], self.single_weekend_cost
        for _ in range(rounds):
            if exact is not None:
                cost = base + shift_price
                path = lattice.solve_units(cost, workable, *exact, weekend_cost, single_cost)
            else:
                cost = base + price * length + shift_price
                path = lattice.solve(cost, workable, weekend_cost, single_cost)
            if path is None:
                break
            weekends = weekend_cost * len(worked_weekends(path)) + single_cost * len(single_day_weekends(path))
            used = np.bincount([j for j in path if j >= 0], minlength=len(shifts)).astype(float)
            minutes = float(used @ length)
            # Lagrangian value: the relaxed limits enter as prices times their slack at the limit they price
            relaxed = float(shift_price @ cap) + (
                0.0 if exact else price * (st.max_minutes if price > 0 else st.min_minutes)
            )
            bound = max(bound, sum(float(cost[d, j]) for d, j in enumerate(path) if j >= 0) + weekends - relaxed)
            if st.min_minutes <= minutes <= st.max_minutes and not (used > cap).any():
                row = [OFF if j < 0 else shifts[j] for j in path]
                if row_violation(inst, e, row) is None:
                    found.append(row)
                self._prices[e], self._shift_prices[e] = price, shift_price
                # what the prices still hide (complementary slackness): small, and this row is about optimal
                hidden = 0.0 if exact else price * ((st.max_minutes if price > 0 else st.min_minutes) - minutes)
                if hidden + float(shift_price @ (cap - used)) < DP_GAP:
                    break
            shift_price = np.maximum(0.0, shift_price + self.unit * (used - cap) / np.maximum(cap, 1.0))
            if exact is not None:
                continue  # the minutes are a state dimension: no price to search
            if minutes > st.max_minutes or (price < 0 and minutes > st.min_minutes):
                low = price
            elif minutes < st.min_minutes or (price > 0 and minutes < st.max_minutes):
                high = price
            price, step = _next_price(price, low, high, limit, step)
        return found, bound

    def _units(
        self, e: int, shifts: list[int], lattice: _Lattice
    ) -> tuple[list[int], int, int, tuple[int, int]] | None:
        """Shift lengths and employee e's [min, max] minutes in units of their common divisor, and the allowed shift
        with the tightest maximum (fewest times, when below the days that could be worked), for `solve_units`; None
        when that DP would not stay small (EXACT_STATES) and the minutes are priced instead."""
        st = self.inst.staff[e]
        unit = math.gcd(*(self.length[s] for s in shifts))
        if unit <= 0 or st.max_minutes < 0:
            return None
        high = st.max_minutes // unit
        most_days = self.inst.horizon - len(self.inst.days_off[e])
        tight = min(range(len(shifts)), key=lambda j: self.max_count[e][shifts[j]])
        cap = (tight, self.max_count[e][shifts[tight]]) if self.max_count[e][shifts[tight]] < most_days else (-1, 0)
        if (high + 1) * (cap[1] + 1) * lattice.size * lattice.width * self.inst.horizon > self.exact_states:
            cap = (-1, 0)
        if (high + 1) * lattice.size * lattice.width * self.inst.horizon > self.exact_states:
            return None
        return [self.length[s] // unit for s in shifts], min(high, -(-max(0, st.min_minutes) // unit)), high, cap

    def _shift_costs(self, e: int, counts: list[list[int]], shifts: list[int]) -> np.ndarray:
        """cost[d, j]: what working allowed shift j on day d adds to the objective, given the others' counts
        (an unmet on-request on that day counts as saved)."""
        have = np.array(counts, dtype=float)
        cover = np.where(have < self.req_np, -self.under_np, self.over_np)
        return cover[:, shifts] + self.own_cell_costs(e, shifts)

    def own_cell_costs(self, e: int, shifts: list[int]) -> np.ndarray:
        """cost[d, j]: what working allowed shift j on day d changes in employee e's own request penalties."""
        cost = np.zeros((self.inst.horizon, self.inst.n_shifts))
        for d, wants in self.on[e].items():
            for s, w in wants:
                cost[d, s] -= w
        for (d, s), w in self.off[e].items():
            cost[d, s] += w
        return cost[:, shifts]

    def shaped_objective(self, roster: list[list[int]]) -> int:
        """The roster's objective plus the price of its weekends worked on one day (`single_weekend_cost`)."""
        from radhus.planning.nrp import roster_objective  # nrp imports this module

        singles = sum(len(single_day_weekends(row)) for row in roster) if self.single_weekend_cost else 0
        return roster_objective(self.inst, roster) + self.single_weekend_cost * singles

    def own_cost(self, e: int, row: list[int] | tuple[int, ...]) -> int:
        """Employee e's request penalties in `row` (on-requests missed, off-requests worked), and the price of the
        weekends it works where the instance sets one (`NrpInstance.weekend_prices`)."""
        cost = sum(w for d, wants in self.on[e].items() for s, w in wants if row[d] != s)
        cost += sum(w for (d, s), w in self.off[e].items() if row[d] == s)
        if self.single_weekend_cost:
            cost += self.single_weekend_cost * len(single_day_weekends(row))
        return cost + self.weekend_price[e] * len(worked_weekends(row)) if self.weekend_price[e] else cost

    def lattice(self, e: int, shifts: list[int]) -> _Lattice:
        """Employee e's DP states and transitions (shared by employees with the same rules and shifts)."""
        st = self.inst.staff[e]
        weekends = min(st.max_weekends, self.n_weekends)  # a limit above the weekends there are limits nothing
        key = (st.max_consecutive, st.min_consecutive, st.min_days_off, weekends, tuple(shifts))
        if key not in self._lattices:
            chart = _Chart(st.max_consecutive, st.min_consecutive, st.min_days_off)
            self._lattices[key] = _Lattice(chart, self.forbid, shifts, weekends)
        return self._lattices[key]

    # ------------------------------------------------------------------------------------------------ roster

    def roster(self, order: list[int], rng: random.Random) -> tuple[list[list[int]], list[int]]:
        """Rows for every employee in `order`, each against the cover of those before; also the failed ones."""
        inst = self.inst
        roster = [[OFF] * inst.horizon for _ in range(inst.n_staff)]
        counts = [[0] * inst.n_shifts for _ in range(inst.horizon)]
        failed = []
        for e in order:
            row = self.row(e, counts, rng)
            if row is None:
                failed.append(e)
                continue
            roster[e] = row
            for d, s in enumerate(row):
                if s != OFF:
                    counts[d][s] += 1
        return roster, failed

    def improve(
        self,
        roster: list[list[int]],
        rng: random.Random,
        deadline: float,
        tries: int = 3,
        *,
        dp: bool = True,
        stall: float = 0.0,
        passes: int = 0,
    ) -> int:
        """Rebuild rows against all the others while that lowers the objective: the best of a few greedy rows and,
        with `dp`, the row DP's (`optimise`); passes end when one gains nothing or less than `stall` of what the
        roster cost before it, or after `passes` of them (0: no limit); returns rows replaced."""
        inst = self.inst
        counts = self.counts(roster)
        replaced = 0
        objective = self.shaped_objective(roster)
        for _ in itertools.count() if passes <= 0 else range(passes):
            if time.monotonic() >= deadline:
                break
            gained = 0
            for e in rng.sample(range(inst.n_staff), inst.n_staff):
                if time.monotonic() >= deadline:
                    break
                own = roster[e]
                for d, s in enumerate(own):
                    if s != OFF:
                        counts[d][s] -= 1
                best, best_cost = own, self.row_cost(e, own, counts)
                for _ in range(tries):
                    row = self.build(e, counts, rng, rng.randrange(3))
                    if row is None or row_violation(inst, e, row) is not None:
                        continue
                    cost = self.row_cost(e, row, counts)
                    if cost < best_cost:
                        best, best_cost = row, cost
                if dp:
                    best = self.optimise(e, counts, rng, best) or best
                if best is not own:
                    roster[e] = best
                    gained += 1
                for d, s in enumerate(roster[e]):
                    if s != OFF:
                        counts[d][s] += 1
            replaced += gained
            before, objective = objective, self.shaped_objective(roster)
            if not gained or before - objective < stall * before:
                break
        return replaced


def _next_price(price: float, low: float, high: float, bound: float, step: float) -> tuple[float, float]:
    """The next minutes price and step: bisection once both sides are bracketed, else a doubling step away from
    the side already seen (the search starts at the employee's last price)."""
    if high >= bound > low > -bound or low <= -bound < high < bound:
        moved = low + step if high >= bound else high - step
        return min(high, max(low, moved)), 2 * step
    return (low + high) / 2, step


def _fill_share(inst: NrpInstance) -> float:
    """Where in the staff's [min, max] minutes the required cover lies (0 = at the minima, 1 = at the maxima)."""
    demand = sum(c.requirement * inst.shifts[s].minutes for (_, s), c in inst.cover.items())
    lo = sum(st.min_minutes for st in inst.staff)
    hi = sum(st.max_minutes for st in inst.staff)
    return 0.5 if hi <= lo else max(0.0, min(1.0, (demand - lo) / (hi - lo)))


def mean_under_weight(inst: NrpInstance) -> float:
    """The mean of the cover's positive under-cover weights (what one more unit of cover gains), 0 when none is."""
    weights = [c.under_weight for c in inst.cover.values() if c.under_weight > 0]
    return sum(weights) / len(weights) if weights else 0.0


def worked_weekends(row: Sequence[int]) -> list[int]:
    """The Saturday of every weekend the row works (either day; day 0 is a Monday)."""
    end = len(row)
    return [sat for sat in range(5, end, 7) if row[sat] != OFF or (sat + 1 < end and row[sat + 1] != OFF)]


def single_day_weekends(row: Sequence[int]) -> list[int]:
    """The Saturday of every weekend the row works on one day only (the Sunday inside the horizon)."""
    return [sat for sat in range(5, len(row) - 1, 7) if (row[sat] == OFF) != (row[sat + 1] == OFF)]


def row_violation(inst: NrpInstance, e: int, row: list[int]) -> str | None:
    """First hard rule employee e's index row breaks (a short English reason), or None when it is feasible."""
    st, horizon = inst.staff[e], inst.horizon
    if len(row) != horizon:
        return "wrong length"
    forbidden = set(inst.forbidden_pairs)
    for d, s in enumerate(row):
        if s == OFF:
            continue
        if d in inst.days_off[e]:
            return f"works fixed day off {d}"
        if d > 0 and row[d - 1] != OFF and (row[d - 1], s) in forbidden:
            return f"forbidden succession on day {d}"
    for s, shift in enumerate(inst.shifts):
        if row.count(s) > st.max_shifts.get(shift.id, 0):
            return f"too many {shift.id}"
    minutes = sum(inst.shifts[s].minutes for s in row if s != OFF)
    if not st.min_minutes <= minutes <= st.max_minutes:
        return f"{minutes} minutes"
    runs = run_violation(inst, e, row, 0, horizon)
    if runs is not None:
        return runs
    worked = len(worked_weekends(row))
    if worked > st.max_weekends:
        return f"{worked} weekends"
    return None


def run_violation(inst: NrpInstance, e: int, row: list[int], first: int, end: int) -> str | None:
    """First run of work or of days off in row[first:end] that breaks employee e's limits, where `first` starts a run
    and `end` ends one (or is the horizon); a run at either end of the horizon is exempt from its minimum."""
    st, horizon = inst.staff[e], inst.horizon
    start = first
    for d in range(first + 1, end + 1):
        if d < end and (row[d] == OFF) == (row[start] == OFF):
            continue
        size, working = d - start, row[start] != OFF
        if working and size > st.max_consecutive:
            return f"{size} days of work from day {start}"
        if start > 0 and d < horizon:
            if working and size < st.min_consecutive:
                return f"only {size} days of work from day {start}"
            if not working and size < st.min_days_off:
                return f"only {size} days off from day {start}"
        start = d
    return None


class _Chart:
    """The run rules of one employee as a small automaton over the states before a day:
    work run of r days (r = 1..max), the same for a run that started on day 0 (exempt from the minimum),
    days-off run of r days (capped at the minimum), and the exempt start (the days before the horizon)."""

    def __init__(self, max_consecutive: int, min_consecutive: int, min_days_off: int):
        mc, mo = max(1, max_consecutive), max(1, min_days_off)
        self.size = 2 * mc + mo + 1
        self.start = 2 * mc + mo  # exempt start
        self.work = [-1] * self.size  # next state after working a day (d > 0)
        self.off = [-1] * self.size  # next state after a day off
        for r in range(1, mc + 1):
            w, we = r - 1, mc + r - 1
            self.work[w] = r if r < mc else -1  # W r -> W r+1
            self.work[we] = mc + r if r < mc else -1  # WE r -> WE r+1
            self.off[w] = 2 * mc if r >= min_consecutive else -1  # W r -> O 1 once the run is long enough
            self.off[we] = 2 * mc  # an exempt run may stop any time
        for r in range(1, mo + 1):
            o = 2 * mc + r - 1
            self.off[o] = 2 * mc + min(r, mo - 1)  # O r -> O r+1, capped
            self.work[o] = 0 if r >= min_days_off else -1  # O r -> W 1 once the days off are enough
        # work days a state still owes: the rest of a run shorter than its minimum
        self.forced = [max(0, min_consecutive - r) for r in range(1, mc + 1)] + [0] * (mc + mo + 1)
        self.off[self.start] = self.start
        self.work[self.start] = 0
        self.exempt_first = mc  # WE 1: a run that starts on day 0
        self.work_states = 2 * mc  # W 1..mc and WE 1..mc come first

    def work_at(self, state: int, d: int) -> int:
        """Next state after working on day d (a run starting on day 0 is exempt)."""
        if d == 0 and state == self.start:
            return self.exempt_first
        return self.work[state]

    def is_work(self, state: int) -> bool:
        return state < self.work_states

    def reach(self, workable: list[bool], max_weekends: int) -> np.ndarray:
        """reach[d, state, w]: most working days possible from day d on, given the state before day d and w
        weekends already worked (-1 where the rules cannot be kept)."""
        horizon, size, width = len(workable), self.size, max_weekends + 1
        table = np.full((horizon + 1, size, width), -1, dtype=np.int16)
        table[horizon] = 0
        off = np.array(self.off)
        off_ok = off >= 0
        work_states = np.array([self.is_work(i) for i in range(size)])
        for d in range(horizon - 1, -1, -1):
            nxt = table[d + 1]
            best = np.where(off_ok[:, None], nxt[np.where(off_ok, off, 0)], -1)
            if workable[d]:
                work = np.array([self.work_at(i, d) for i in range(size)])
                gain = nxt[np.where(work >= 0, work, 0)].astype(np.int32) + 1
                gain[nxt[np.where(work >= 0, work, 0)] < 0] = -1
                gain[work < 0] = -1
                day = d % 7
                new = (
                    np.zeros(size, dtype=bool) if day < 5 else (np.ones(size, dtype=bool) if day == 5 else ~work_states)
                )
                shifted = np.full((size, width), -1, dtype=np.int32)
                shifted[~new] = gain[~new]
                shifted[new, :-1] = gain[new, 1:]  # working starts a weekend: one more of the budget used
                best = np.maximum(best, shifted)
            table[d] = best
        return table


class _Lattice:
    """The states of one employee's row DP before each day: the run automaton's state, for a work state also the
    forbidden-succession class of the shift worked the day before (shifts that forbid the same successors share a
    class), and the weekends used so far. Transition tables per kind of day (day 0, weekday, Saturday, Sunday)."""

    def __init__(self, chart: _Chart, forbid: list[list[bool]], shifts: list[int], max_weekends: int):
        rows = [tuple(forbid[s][t] for t in shifts) for s in shifts]
        kinds = sorted(set(rows))
        cls = [kinds.index(r) for r in rows]  # class of each allowed shift
        n_cls, n_work = len(kinds), chart.work_states
        self.size = n_work * n_cls + chart.size - n_work  # augmented states; index `size` is the dead end
        self.start = self._index(chart, chart.start, 0, n_cls)
        self.width = max(0, max_weekends) + 1
        # transitions per kind of day: off_next[kind, a], work_next[kind, a, j] (`size` = dead end), new_weekend
        # [kind, a] = 1 where working that day starts a weekend not yet worked
        self.off_next = np.full((4, self.size), self.size, dtype=np.int64)
        self.work_next = np.full((4, self.size, len(shifts)), self.size, dtype=np.int64)
        self.new_weekend = np.zeros((4, self.size), dtype=np.int64)
        for kind in range(4):
            d = (0, 1, 5, 6)[kind]
            for q in range(chart.size):
                for k in range(n_cls if chart.is_work(q) else 1):
                    a = self._index(chart, q, k, n_cls)
                    if chart.off[q] >= 0:
                        self.off_next[kind, a] = self._index(chart, chart.off[q], 0, n_cls)
                    self.new_weekend[kind, a] = int(d % 7 == 5 or (d % 7 == 6 and not chart.is_work(q)))
                    q_next = chart.work_at(q, d) if kind == 0 else chart.work[q]
                    if q_next < 0 or (kind == 0 and q != chart.start):
                        continue
                    for j in range(len(shifts)):
                        if not (chart.is_work(q) and kinds[k][j]):
                            self.work_next[kind, a, j] = self._index(chart, q_next, cls[j], n_cls)

    @staticmethod
    def _index(chart: _Chart, q: int, k: int, n_cls: int) -> int:
        return q * n_cls + k if chart.is_work(q) else chart.work_states * n_cls + q - chart.work_states

    @staticmethod
    def kinds(horizon: int) -> np.ndarray:
        """Kind of each day: 0 = day 0, 1 = weekday, 2 = Saturday, 3 = Sunday (the horizon starts on a Monday)."""
        day = np.arange(horizon) % 7
        kinds = np.where(day == 5, 2, np.where(day == 6, 3, 1))
        kinds[:1] = 0
        return kinds

    def solve(
        self, cost: np.ndarray, workable: list[bool], weekend_cost: float = 0.0, single_cost: float = 0.0
    ) -> list[int] | None:
        """Cheapest path over the horizon (cost[d, j]: working allowed shift j on day d; a day off costs 0; each
        weekend worked costs `weekend_cost`): the index of the allowed shift worked each day or -1, or None when the
        run rules cannot be kept."""
        return self.solve_units(cost, workable, [0] * cost.shape[1], 0, 0, (-1, 0), weekend_cost, single_cost)

    def solve_units(
        self,
        cost: np.ndarray,
        workable: list[bool],
        units: list[int],
        low: int,
        high: int,
        cap: tuple[int, int],
        weekend_cost: float = 0.0,
        single_cost: float = 0.0,
    ) -> list[int] | None:
        """Like `solve`, with the row's total work units (minutes over their common divisor) kept in [low, high]
        and one allowed shift's count (`cap` = (shift, most times)) kept exactly: the units used and that shift's
        count so far are two more dimensions of the state."""
        units_np = np.array(units, dtype=np.int64)
        tables = self._tables(cost, workable)
        path = cheapest_path(*tables, units_np, low, high, cap[0], cap[1], float(weekend_cost), float(single_cost))
        return path.tolist() if len(path) else None

    def _tables(self, cost: np.ndarray, workable: list[bool]) -> tuple:
        costs = np.ascontiguousarray(cost, dtype=np.float64)
        days = self.kinds(len(costs))
        return costs, np.array(workable), days, self.off_next, self.work_next, self.new_weekend, self.width, self.start
