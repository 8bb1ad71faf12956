"""VRPTW solver: real Solomon 25-customer instances, verified by the independent checker."""

import csv
from pathlib import Path

import pytest

from radhus.core.errors import InvalidInput
from radhus.planning.routing_check import check_vrptw
from radhus.planning.vrptw import parse_vrprep, solve_file, solve_instance

SOLOMON = Path(__file__).resolve().parents[3] / "shared" / "bench" / "solomon"
pytestmark = pytest.mark.skipif(not SOLOMON.is_dir(), reason="shared Solomon instances not available")


def _optimum(name: str) -> float:
    with open(SOLOMON / "optimal_distance_exact_2005.csv", newline="") as fh:
        return next(float(r["opt_distance_trunc1dec"]) for r in csv.DictReader(fh) if r["instance"] == name)


@pytest.mark.parametrize("family,name", [("c1", "C101_025"), ("r1", "R102_025"), ("rc1", "RC101_025")])
def test_solution_is_valid_and_near_optimal(family, name):
    path = SOLOMON / f"solomon-1987-{family}" / f"{name}.xml"
    sol = solve_file(path, time_limit=2)
    assert set(sol) == {"routes", "distance", "vehicles"}
    check = check_vrptw(parse_vrprep(path), sol)
    assert check["violations"] == []
    gap = (sol["distance"] - _optimum(name)) / _optimum(name)
    assert gap < 0.02


def test_checker_catches_a_broken_route():
    path = SOLOMON / "solomon-1987-c1" / "C101_025.xml"
    inst = parse_vrprep(path)
    sol = solve_instance(inst, time_limit=1)
    longest = max(sol["routes"], key=len)
    longest.reverse()  # visiting in reverse order breaks the tight C1 time windows
    assert check_vrptw(inst, sol)["violations"]


def test_time_limit_must_be_positive():
    with pytest.raises(InvalidInput, match="större än 0"):
        solve_file(SOLOMON / "solomon-1987-c1" / "C101_025.xml", time_limit=0)


def test_malformed_file_gives_swedish_error(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<instance><network><nodes><node id='0' type='0'><cx>1</cx></node>", encoding="utf-8")
    with pytest.raises(InvalidInput, match="inte giltig XML"):
        solve_file(bad, time_limit=1)
    missing = tmp_path / "missing.xml"
    with pytest.raises(InvalidInput, match="finns inte"):
        solve_file(missing, time_limit=1)


def test_window_ending_before_start_is_refused(tmp_path):
    text = (SOLOMON / "solomon-1987-c1" / "C101_025.xml").read_text(encoding="utf-8")
    broken = tmp_path / "tw.xml"
    broken.write_text(text.replace("<end>967</end>", "<end>1</end>", 1), encoding="utf-8")
    with pytest.raises(InvalidInput, match="slutar före"):
        parse_vrprep(broken)
