"""Benchmarks for the routing solvers: Solomon VRPTW (distance gap to proven optima) and HHC instances.

Usage:
    python bench/planning_routes.py --solomon [--time-limit 30] [--families c1,r1,rc1] [--size 100] [--jobs 1]
    python bench/planning_routes.py --hhc [--time-limit 10]
    python bench/planning_routes.py --solomon --vrplib DIR --optima FILE.csv [--time-limit 30] [--jobs 2]
Data comes from ../shared/bench (or --data DIR). Every solution is verified by the independent checker.
`--vrplib` solves every `*.vrp` file of DIR instead (Solomon instances in the VRPLIB text format, as PyVRP's
Instances repository holds them), against the optima in `--optima` (CSV `instance,vehicles,distance`, instance names
like C201_100, blank where unknown): a way to measure the families ../shared does not hold.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

DEFAULT_DATA = Path(os.environ.get("RADHUS_SHARED_BENCH", REPO.parent / "shared" / "bench"))


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--solomon", action="store_true")
    p.add_argument("--hhc", action="store_true")
    p.add_argument("--time-limit", type=float, default=None)
    p.add_argument("--families", default="c1,r1,rc1")
    p.add_argument("--size", default="100", help="customers: 25, 50 or 100")
    p.add_argument("--jobs", type=int, default=1, help="instances solved in parallel (1 = sequential)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--only", default="", help="comma-separated instance name filter (substring)")
    p.add_argument("--vrplib", type=Path, default=None, help="folder of Solomon instances in VRPLIB text format")
    p.add_argument("--optima", type=Path, default=None, help="CSV instance,vehicles,distance for --vrplib")
    return p.parse_args(argv)


def _optima(data: Path) -> dict[str, tuple[float, int]]:
    """Distance-only optima (truncated to one decimal) and vehicles, keyed by instance name."""
    out = {}
    with open(data / "solomon" / "optimal_distance_exact_2005.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["opt_distance_trunc1dec"]:
                out[row["instance"]] = (float(row["opt_distance_trunc1dec"]), int(row["vehicles_in_opt"]))
    return out


def _vrplib_optima(path: Path) -> dict[str, tuple[float, int]]:
    """Optima of a `--optima` CSV (instance,vehicles,distance), the known ones only."""
    with open(path, newline="") as fh:
        return {r["instance"]: (float(r["distance"]), int(r["vehicles"])) for r in csv.DictReader(fh) if r["distance"]}


def _read_vrplib(path: Path):
    """A Solomon instance in VRPLIB text format as a VrptwInstance (VRPLIB's node 1 is the depot, node 0 here)."""
    import vrplib

    from radhus.planning.vrptw import VrptwInstance

    raw = vrplib.read_instance(str(path), compute_edge_weights=False)
    nodes = range(int(raw["dimension"]))
    windows = {n: (float(raw["time_window"][n][0]), float(raw["time_window"][n][1])) for n in nodes}
    return VrptwInstance(
        name=f"{raw['name']}_{len(nodes) - 1:03d}",
        coords={n: (float(raw["node_coord"][n][0]), float(raw["node_coord"][n][1])) for n in nodes},
        demand={n: float(raw["demand"][n]) for n in nodes},
        service={n: 0.0 if n == 0 else float(raw["service_time"]) for n in nodes},
        tw=windows,
        capacity=float(raw["capacity"]),
        fleet_size=int(raw["vehicles"]),
        horizon=windows[0][1],
    )


def _solve_solomon(path: Path, time_limit: float) -> tuple[str, dict, list[str], float]:
    """Solve one instance and verify it; returns name, solution, violations and wall time."""
    from radhus.planning.routing_check import check_vrptw
    from radhus.planning.vrptw import parse_vrprep, solve_instance

    inst = _read_vrplib(path) if path.suffix == ".vrp" else parse_vrprep(path)
    started = time.monotonic()
    sol = solve_instance(inst, time_limit=time_limit)
    wall = time.monotonic() - started
    return inst.name, sol, check_vrptw(inst, sol)["violations"], wall


def run_solomon(args: argparse.Namespace) -> float:
    """Print per-instance distance, vehicles, optimum and gap; return the mean gap in percent."""
    limit = args.time_limit or 30.0
    if args.vrplib:
        optima = _vrplib_optima(args.optima) if args.optima else {}
        files = sorted(args.vrplib.glob("*.vrp"))
    else:
        optima = _optima(args.data)
        files = []
        for fam in [f.strip().lower() for f in args.families.split(",") if f.strip()]:
            folder = args.data / "solomon" / f"solomon-1987-{fam}"
            files += sorted(folder.glob(f"*_{int(args.size):03d}.xml"))
    if args.only:
        files = [f for f in files if any(s in f.stem for s in args.only.split(","))]
    print(f"Solomon VRPTW, {len(files)} instances, {limit:g} s each, jobs={args.jobs}")
    header = f"{'instance':<12}{'distance':>11}{'veh':>5}{'optimum':>10}{'opt veh':>8}{'gap %':>8}"
    print(header + f"{'wall s':>8}  check")
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(_solve_solomon, files, [limit] * len(files)))
    gaps = []
    for name, sol, violations, wall in results:
        opt, opt_veh = optima.get(name, (float("nan"), 0))
        gap = 100.0 * (sol["distance"] - opt) / opt if opt == opt else float("nan")
        if gap == gap:
            gaps.append(gap)
        status = "ok" if not violations else "INVALID: " + "; ".join(violations[:2])
        row = f"{name:<12}{sol['distance']:>11.2f}{sol['vehicles']:>5}{opt:>10.1f}{opt_veh:>8}{gap:>8.2f}"
        print(row + f"{wall:>8.1f}  {status}")
    mean_gap = statistics.fmean(gaps) if gaps else float("nan")
    worst = max(gaps, default=float("nan"))
    print(f"mean gap over {len(gaps)} instances: {mean_gap:.3f} %  (max {worst:.3f} %)")
    return mean_gap


# Published reference objectives (weighted total) for the HHC instances, where known to us.
HHC_REFERENCE: dict[str, float] = {}


def run_hhc(args: argparse.Namespace) -> None:
    """Solve every HHC instance and print objective components, checker verdict and reference if known."""
    from radhus.planning.hhc import load_instance, solve_instance
    from radhus.planning.routing_check import check_hhc

    limit = args.time_limit or 10.0
    files = sorted((args.data / "hhc").glob("*/*.json"))
    if args.only:
        files = [f for f in files if any(s in f.stem for s in args.only.split(","))]
    print(f"HHC, {len(files)} instances, {limit:g} s each")
    header = f"{'instance':<30}{'total':>10}{'travel':>10}{'tardi':>8}{'unvisited':>10}{'ref':>10}"
    print(header + f"{'wall s':>8}  check")
    for path in files:
        inst = load_instance(path)
        started = time.monotonic()
        sol = solve_instance(inst, time_limit=limit)
        wall = time.monotonic() - started
        chk = check_hhc(inst.raw, sol)
        comp = sol["components"]
        ref = HHC_REFERENCE.get(path.stem)
        status = "ok" if not chk["violations"] else "INVALID: " + "; ".join(chk["violations"][:2])
        ref_txt = f"{ref:.2f}" if ref is not None else "-"
        tard = comp.get("total_tardiness", 0.0)
        unv = comp.get("optional_patients", 0)
        print(
            f"{path.stem:<30}{sol['objective']:>10.2f}{comp['travel_time']:>10.2f}{tard:>8.2f}{unv:>10}"
            f"{ref_txt:>10}{wall:>8.1f}  {status}"
        )


def bench_routes(argv: list[str] | None = None) -> None:
    """Entry point used by bench/planning.py and when run standalone."""
    args = _parse_args(argv)
    if not (args.solomon or args.hhc):
        args.solomon = True
    if args.solomon:
        run_solomon(args)
    if args.hhc:
        run_hhc(args)


if __name__ == "__main__":
    bench_routes()
