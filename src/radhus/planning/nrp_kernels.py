"""Compiled inner loops of the NRP row DP (numba): the cheapest path through one employee's state lattice.

The kernel walks the days backwards over value tables indexed by the lattice state (run state with the succession
class of the shift before; index `size` is the dead end), the weekends used (index `width` is over the limit), the
work units used and the count of one capped shift. Ties prefer a day off, then the lower shift index. It is 3-5
times faster than the same table operations in numpy, whose call overhead dominates on tables of a few thousand
values (per row: Instance12 0.66 against 3.46 ms, Instance9 5.3 against 27 ms). Compiling it takes about 6 s, once:
the machine code is cached beside the module (or in the user's cache folder); where no cache folder is writable,
each process compiles on its first call.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit


def _compiled(function: Callable) -> Callable:
    try:
        return njit(cache=True)(function)
    except RuntimeError:  # numba found no writable cache location
        return njit(function)


@_compiled
def cheapest_path(
    cost,
    workable,
    kinds,
    off_next,
    work_next,
    new_weekend,
    width,
    start,
    units,
    low,
    high,
    capped,
    most,
    weekend_cost,
    single_cost,
):  # pragma: no cover
    """Index of the shift worked each day (-1 = off) on the cheapest path, or an empty array when none exists.
    cost[d, j]: working allowed shift j on day d; off_next[kind, a], work_next[kind, a, j], new_weekend[kind, a]:
    the lattice's transitions per kind of day (kinds[d]). The path's work units (units[j] per shift) are kept in
    [low, high] and the count of shift `capped` (-1: none) at most `most`: both are state dimensions (all units 0,
    high 0 and most 0 leave them out). Each weekend the path starts to work costs `weekend_cost` more, each weekend
    it works on one day only `single_cost` more (kind 3 is a Sunday: new_weekend there says Saturday was off).

    The value tables are flat (state (a, w, m, c) at a * a_step + w * w_step + m * m_step + c) and the inner loops
    branch-free (a select, not a conditional store), runs of 8 or more through contiguous views: on rows captured
    from Instance12 x 13, 0.36 instead of 0.76 ms per four-week window row, 3.1 instead of 11.3 ms per 52-week
    construction row, the same paths."""
    horizon, n_jobs = cost.shape
    size = off_next.shape[1]
    m_step = most + 1
    w_step = (high + 1) * m_step
    a_step = (width + 1) * w_step
    live = width * w_step  # the values of one lattice state within the weekend limit
    after = np.full((size + 1) * a_step, np.inf)
    here = np.full((size + 1) * a_step, np.inf)
    for a in range(size):
        for w in range(width):
            after[a * a_step + w * w_step + low * m_step : a * a_step + (w + 1) * w_step] = 0.0
    policy = np.full((horizon, size * live), -1, np.int8)
    for d in range(horizon - 1, -1, -1):
        k = kinds[d]
        sunday = k == 3
        for a in range(size):  # a day off
            source, target = off_next[k, a] * a_step, a * a_step
            single = single_cost * (1 - new_weekend[k, a]) if sunday else 0.0  # Saturday worked, Sunday off
            for i in range(live):
                here[target + i] = after[source + i] + single
        if workable[d]:
            chosen = policy[d]
            for a in range(size):
                w_from = new_weekend[k, a]
                extra = weekend_cost * w_from + (single_cost * w_from if sunday else 0.0)  # Sunday alone
                for j in range(n_jobs):
                    b = work_next[k, a, j]
                    if b == size or cost[d, j] == np.inf:
                        continue
                    add, shift = cost[d, j] + extra, np.int8(j)
                    u, c_from = units[j], 1 if j == capped else 0
                    for w in range(width - w_from):
                        source = b * a_step + (w + w_from) * w_step + u * m_step + c_from
                        target, slot = a * a_step + w * w_step, a * live + w * w_step
                        # with c_from 0 the (m, c) block is one run (source and target move together); for the
                        # capped shift c moves up by one: one run of `most` values per m
                        runs, count = (1, (high + 1 - u) * m_step) if c_from == 0 else (high + 1 - u, most)
                        if runs * count == 1:  # no units, no cap: a single value
                            value = after[source] + add
                            better = value < here[target]
                            here[target] = value if better else here[target]
                            chosen[slot] = shift if better else chosen[slot]
                            continue
                        for r in range(runs):
                            at, to, note = source + r * m_step, target + r * m_step, slot + r * m_step
                            if count >= 8:  # contiguous views: this loop vectorises
                                values, best = after[at : at + count], here[to : to + count]
                                taken = chosen[note : note + count]
                                for i in range(count):
                                    value = values[i] + add
                                    better = value < best[i]
                                    best[i] = value if better else best[i]
                                    taken[i] = shift if better else taken[i]
                            else:
                                for i in range(count):
                                    value = after[at + i] + add
                                    better = value < here[to + i]
                                    here[to + i] = value if better else here[to + i]
                                    chosen[note + i] = shift if better else chosen[note + i]
        after, here = here, after
    if not after[start * a_step] < np.inf:
        return np.empty(0, np.int64)
    path = np.empty(horizon, np.int64)
    a, w, m, c = start, 0, 0, 0
    for d in range(horizon):
        k = kinds[d]
        j = policy[d, a * live + w * w_step + m * m_step + c]
        path[d] = j
        if j < 0:
            a = off_next[k, a]
        else:
            w += new_weekend[k, a]
            m += units[j]
            if j == capped:
                c += 1
            a = work_next[k, a, j]
    return path


def warm_up() -> None:
    """Compile (or load from the cache) the kernel on a one-day table; setup calls it once. The argument types and
    layouts are those of `_Lattice` in nrp_construct, so that its calls find this compiled version."""
    none = np.zeros((4, 1), np.int64)
    cheapest_path(
        np.zeros((1, 1)),
        np.ones(1, np.bool_),
        np.zeros(1, np.int64),
        none,
        np.zeros((4, 1, 1), np.int64),
        none,
        1,
        0,
        np.zeros(1, np.int64),
        0,
        0,
        -1,
        0,
        0.0,
        0.0,
    )
