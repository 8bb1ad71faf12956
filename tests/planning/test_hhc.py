"""HHC solver on Mankowska and UHHC generated instances, verified by the independent checker."""

import json
from pathlib import Path

import pytest

from radhus.core.errors import InvalidInput
from radhus.planning.hhc import load_instance, solve_file, solve_instance
from radhus.planning.routing_check import check_hhc

HHC = Path(__file__).resolve().parents[3] / "shared" / "bench" / "hhc"
pytestmark = pytest.mark.skipif(not HHC.is_dir(), reason="shared HHC instances not available")


@pytest.mark.parametrize("rel", ["mankowska/InstanzCPLEX_HCSRP_10_1.json", "mankowska/InstanzCPLEX_HCSRP_25_2.json"])
def test_mankowska_all_patients_served_and_synchronised(rel):
    inst = load_instance(HHC / rel)
    sol = solve_instance(inst, time_limit=2)
    check = check_hhc(inst.raw, sol)
    assert check["violations"] == []
    assert sol["unvisited_patients"] == []
    expected = check["travel_time"] + check["total_tardiness"] + sol["components"]["highest_tardiness"]
    assert sol["objective"] == pytest.approx(expected, abs=1e-3)


def test_generated_instance_respects_hard_windows():
    inst = load_instance(HHC / "generated_small" / "instance-000.json")
    sol = solve_instance(inst, time_limit=2)
    assert check_hhc(inst.raw, sol)["violations"] == []
    assert set(sol["components"]) == set(inst.weights)


def test_checker_detects_broken_synchronisation():
    inst = load_instance(HHC / "mankowska" / "InstanzCPLEX_HCSRP_10_1.json")
    sol = solve_instance(inst, time_limit=1)
    for route in sol["routes"]:
        for v in route["locations"]:
            if v["patient"] == "p8":  # simultaneous double service
                v["start_service_time"] += 5 if route["caregiver_id"] == "c2" else 0
    assert any("p8" in v for v in check_hhc(inst.raw, sol)["violations"])


def test_bad_inputs(tmp_path):
    with pytest.raises(InvalidInput, match="större än 0"):
        solve_file(HHC / "mankowska" / "InstanzCPLEX_HCSRP_10_1.json", time_limit=-1)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInput, match="JSON"):
        solve_file(bad, time_limit=1)
    bad.write_text(json.dumps({"distances": [[0]], "caregivers": []}), encoding="utf-8")
    with pytest.raises(InvalidInput, match="saknar fältet"):
        solve_file(bad, time_limit=1)
