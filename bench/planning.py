"""Planning benchmarks. NRP: `python bench/planning.py --nrp [--time-limit 60] [--instances 1-12]`.

`--tile K` repeats each instance K times along the horizon (limits scaled; gap against K x the best known, an
upper bound of the tiled optimum) to measure long horizons like the held-out instances 13-24. `--staff-copies M`
widens it: every employee M times (same rules, days off and requests) and M x the cover; the gap is then against
K x M x the best known, again an upper bound (the copies can work the original roster M times over).
`--shift-copies N` copies every shift type N times (cover split over the copies), for instances with many shift
types; the gap stays against K x M x the best known (near an upper bound: only shift-on requests name one copy).
Prints per instance: objective, best known, gap, time to first feasible roster, and the mean gap; every roster is
verified by the independent checker (radhus.planning.nrp_check). `--routes` / `--all` also run the routing
benchmarks from bench/planning_routes.py when that file exists.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" if (ROOT.parent / "shared").exists() else Path("/work/shared")
NRP_DIR = SHARED / "bench" / "nrp-curtois"
sys.path.insert(0, str(ROOT))

from tests.planning.nrp_tiling import tiled_text  # noqa: E402


def _copies(name: str, copies: int) -> list[str]:
    """`name` and its copies: name, name_2, name_3..."""
    return [name if k == 1 else f"{name}_{k}" for k in range(1, copies + 1)]


def _rewritten(text: str, kept: tuple[str, ...], rewrite: Callable[[str, str], list[str]]) -> str:
    """Instance text with every data line outside the `kept` sections replaced by rewrite(section, line)."""
    out, section = [], ""
    for line in (raw.strip() for raw in text.splitlines()):
        if line.startswith("SECTION_"):
            section = line
        if not line or line.startswith(("#", "SECTION_")) or section in kept:
            out.append(line)
        else:
            out += rewrite(section, line)
    return "\n".join(out) + "\n"


def widened_text(text: str, copies: int) -> str:
    """Instance text with every employee `copies` times (ids suffixed _2, _3...) and the cover multiplied."""

    def rewrite(section: str, line: str) -> list[str]:
        if section == "SECTION_COVER":
            day, shift, requirement, *weights = line.split(",")
            return [",".join([day, shift, str(int(requirement) * copies), *weights])]
        eid, rest = line.split(",", 1)  # staff, days off and requests start with the employee id
        return [f"{copy},{rest}" for copy in _copies(eid, copies)]

    return _rewritten(text, ("SECTION_HORIZON", "SECTION_SHIFTS"), rewrite)


def shift_copied_text(text: str, copies: int) -> str:
    """Instance text with every shift type `copies` times (ids suffixed _2, _3...): same length, and a copy may not
    follow where its original may not; an employee may work each copy as often as the original; each day's cover is
    split over the copies (the first ones get the remainder); shift-on requests ask for the first copy, shift-off
    requests avoid every copy. Like the many shift types of held-out instances 13 and 21-24."""

    def rewrite(section: str, line: str) -> list[str]:
        if section == "SECTION_SHIFTS":
            shift, length, barred = (line.split(",") + [""])[:3]
            after = "|".join(c for b in barred.split("|") if b for c in _copies(b, copies))
            return [f"{c},{length},{after}" for c in _copies(shift, copies)]
        if section == "SECTION_STAFF":
            eid, limits, rest = line.split(",", 2)
            pairs = [pair.split("=") for pair in limits.split("|") if pair]
            return [f"{eid},{'|'.join(f'{c}={m}' for s, m in pairs for c in _copies(s, copies))},{rest}"]
        if section == "SECTION_SHIFT_OFF_REQUESTS":
            eid, day, shift, weight = line.split(",")
            return [f"{eid},{day},{c},{weight}" for c in _copies(shift, copies)]
        day, shift, requirement, *weights = line.split(",")  # cover: day, shift, requirement, weights
        share, extra = divmod(int(requirement), copies)
        return [",".join([day, c, str(share + (k < extra)), *weights]) for k, c in enumerate(_copies(shift, copies))]

    return _rewritten(text, ("SECTION_HORIZON", "SECTION_DAYS_OFF", "SECTION_SHIFT_ON_REQUESTS"), rewrite)


def _instances(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def _best_known() -> dict[str, int]:
    with open(NRP_DIR / "best_known.csv", encoding="utf-8") as fh:
        return {row["instance"]: int(row["ub_2026_page"]) for row in csv.DictReader(fh)}


def _scaled_name(n: int, args: argparse.Namespace) -> str:
    return (
        f"Instance{n}"
        + (f"x{args.tile}" if args.tile > 1 else "")
        + (f"s{args.staff_copies}" if args.staff_copies > 1 else "")
        + (f"t{args.shift_copies}" if args.shift_copies > 1 else "")
    )


def bench_nrp(args: argparse.Namespace) -> float:
    """Solve the NRP instances and print figures; returns the mean gap in percent."""
    from radhus.planning.nrp import parse_nrp_file, parse_nrp_text, roster_to_json, solve_instance
    from radhus.planning.nrp_check import check_roster

    best = _best_known()
    gaps = []
    tiled = f", each instance tiled {args.tile}x along the horizon" if args.tile > 1 else ""
    tiled += f", staff copied {args.staff_copies}x" if args.staff_copies > 1 else ""
    tiled += f", shift types copied {args.shift_copies}x" if args.shift_copies > 1 else ""
    print(f"NRP, time limit {args.time_limit} s, workers {args.workers}{tiled}")
    print(f"{'instance':<16}{'objective':>10}{'best':>8}{'gap %':>8}{'first s':>9}{'total s':>9}  valid")
    for n in _instances(args.instances):
        path = NRP_DIR / f"Instance{n}.txt"
        if not path.exists():
            print(f"Instance{n}: file missing, skipped")
            continue
        started = time.monotonic()
        if args.tile > 1 or args.staff_copies > 1 or args.shift_copies > 1:
            text = widened_text(tiled_text(path.read_text(encoding="utf-8"), args.tile), args.staff_copies)
            inst = parse_nrp_text(shift_copied_text(text, args.shift_copies), name=_scaled_name(n, args))
        else:
            inst = parse_nrp_file(path)
        result = solve_instance(inst, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
        total = time.monotonic() - started
        check = check_roster(inst, roster_to_json(inst, result)["roster"])
        valid = check.valid and check.objective == result.objective
        ref = best.get(f"Instance{n}", 0) * args.tile * args.staff_copies or None  # k x m x the best known
        gap = 100.0 * (result.objective - ref) / ref if ref else float("nan")
        if ref:
            gaps.append(gap)
        print(
            f"{inst.name:<16}{result.objective:>10}{ref or '-':>8}{gap:>8.2f}{result.time_to_first:>9.2f}"
            f"{total:>9.1f}  {'ok' if valid else 'INVALID ' + '; '.join(check.violations[:2])}",
            flush=True,
        )
    mean = sum(gaps) / len(gaps) if gaps else float("nan")
    print(f"mean gap {mean:.2f} % over {len(gaps)} instances")
    return mean


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nrp", action="store_true")
    parser.add_argument("--routes", action="store_true")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--instances", default="1-12")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tile", type=int, default=1, help="repeat each NRP instance k times along the horizon")
    parser.add_argument("--staff-copies", type=int, default=1, help="copy each NRP employee m times, cover m times")
    parser.add_argument("--shift-copies", type=int, default=1, help="copy each NRP shift type n times, cover split")
    args, rest = parser.parse_known_args(argv)
    if not (args.nrp or args.routes or args.all):
        parser.error("choose --nrp, --routes or --all")
    limit = args.time_limit
    if args.nrp or args.all:
        args.time_limit = 60.0 if limit is None else limit
        bench_nrp(args)
    if args.routes or args.all:
        sys.path.insert(0, str(ROOT / "bench"))
        try:
            from planning_routes import bench_routes
        except ImportError:
            print("bench/planning_routes.py not available; routes skipped")
            return
        bench_routes(rest + ([] if limit is None else ["--time-limit", str(limit)]))


if __name__ == "__main__":
    main()
