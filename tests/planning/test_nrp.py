"""NRP parser, solver and independent checker on the Curtois & Qu instances."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radhus.cli import app
from radhus.core.errors import InvalidInput
from radhus.planning import nrp
from radhus.planning.nrp import parse_nrp_file, parse_nrp_text, roster_to_json, solve_instance
from radhus.planning.nrp_check import check_roster, nrp_check
from tests.planning.nrp_tiling import tiled_text

NRP = Path("/work/shared/bench/nrp-curtois")
pytestmark = pytest.mark.skipif(not NRP.exists(), reason="shared NRP instances not available")


def test_parser_reads_instance1():
    inst = parse_nrp_file(NRP / "Instance1.txt")
    assert (inst.horizon, inst.n_staff, inst.n_shifts) == (14, 8, 1)
    assert inst.days_off[0] == {0}
    assert inst.cover[0, 0].requirement == 5


def test_all_off_roster_costs_7137_in_checker():
    inst = parse_nrp_file(NRP / "Instance1.txt")
    check = check_roster(inst, {s.id: [""] * inst.horizon for s in inst.staff})
    assert check.objective == 7137  # value documented in the benchmark README
    assert not check.valid  # min total minutes broken


def test_solver_reaches_optimum_instance1_and_checker_agrees():
    inst = parse_nrp_file(NRP / "Instance1.txt")
    result = solve_instance(inst, time_limit=8)
    check = check_roster(inst, roster_to_json(inst, result)["roster"])
    assert check.valid, check.violations
    assert check.objective == result.objective == 607


def test_small_instance_is_proven_optimal_before_the_dives_take_their_share():
    inst = parse_nrp_file(NRP / "Instance1.txt")
    result = solve_instance(inst, time_limit=60)
    assert result.optimal and result.objective == 607
    assert result.elapsed < 10  # diving again first would take 0.3 of the limit (about 18 s) before any proof


def test_solver_instance2_valid_and_checker_agrees():
    inst = parse_nrp_file(NRP / "Instance2.txt")
    result = solve_instance(inst, time_limit=4)
    check = check_roster(inst, roster_to_json(inst, result)["roster"])
    assert check.valid, check.violations
    assert check.objective == result.objective
    assert result.time_to_first < 4


def test_checker_detects_broken_rules():
    inst = parse_nrp_file(NRP / "Instance1.txt")
    roster = {s.id: ["D"] * inst.horizon for s in inst.staff}
    violations = check_roster(inst, roster).violations
    assert any("ledig dag" in v for v in violations)
    assert any("i följd" in v for v in violations)


def test_malformed_instance_gives_swedish_error():
    with pytest.raises(InvalidInput, match="saknar sektionerna"):
        parse_nrp_text("SECTION_HORIZON\n14\n", name="trasig")
    text = (NRP / "Instance1.txt").read_text(encoding="utf-8").replace("\n14", "\nfjorton", 1)
    with pytest.raises(InvalidInput, match="heltal"):
        parse_nrp_text(text, name="trasig")


def test_cli_nrp_writes_feasible_roster_with_true_objective(tmp_path):
    out = tmp_path / "roster.json"
    args = ["plan", "nrp", "--instance", str(NRP / "Instance2.txt"), "--time-limit", "3", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {"instance", "objective", "roster"}
    assert data["instance"] == "Instance2"
    assert all(len(row) == 14 for row in data["roster"].values())
    check = nrp_check(NRP / "Instance2.txt", out)  # also flags a stated objective that differs from the recomputed
    assert check.valid, check.violations
    assert check.objective == data["objective"]
    assert f"målvärde {data['objective']}" in result.output


def test_cli_nrp_says_when_the_roster_is_proven_optimal(tmp_path):
    args = ["plan", "nrp", "--instance", str(NRP / "Instance1.txt"), "--time-limit", "10", "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "målvärde 607" in result.output and "bevisat optimalt" in result.output


def test_checker_flags_a_wrong_stated_objective(tmp_path):
    inst = parse_nrp_file(NRP / "Instance1.txt")
    result = solve_instance(inst, time_limit=3)
    data = roster_to_json(inst, result)
    data["objective"] -= 1
    out = tmp_path / "roster.json"
    out.write_text(json.dumps(data), encoding="utf-8")
    assert any("omräknat" in v for v in nrp_check(NRP / "Instance1.txt", out).violations)


@pytest.mark.parametrize(
    ("content", "limit", "message"),
    [
        ("nonsens", "5", "Text före första sektionen"),
        ("SECTION_HORIZON\n14\n", "5", "saknar sektionerna"),
        (None, "0", "Tidsgränsen måste vara större än 0"),
        ("missing", "5", "finns inte"),
    ],
)
def test_cli_nrp_bad_inputs_give_swedish_errors(tmp_path, content, limit, message):
    instance = NRP / "Instance1.txt"
    if content == "missing":
        instance = tmp_path / "saknas.txt"
    elif content is not None:
        instance = tmp_path / "bad.txt"
        instance.write_text(content, encoding="utf-8")
    out = tmp_path / "o.json"
    args = ["plan", "nrp", "--instance", str(instance), "--time-limit", limit, "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_long_horizon_lns_valid_and_checker_agrees():
    text = tiled_text((NRP / "Instance2.txt").read_text(encoding="utf-8"), 5)
    inst = parse_nrp_text(text, name="Instance2x5")
    assert inst.horizon == 70
    result = solve_instance(inst, time_limit=8)
    check = check_roster(inst, roster_to_json(inst, result)["roster"])
    assert check.valid, check.violations
    assert check.objective == result.objective
    assert result.elapsed < 8 + 2
    assert result.iterations > 0


def test_an_instance_too_wide_to_dive_dives_by_groups_of_staff_and_gets_a_valid_roster(monkeypatch):
    monkeypatch.setattr(nrp, "DIVE_MAX_CELLS", 0)  # Instance5 (28 days, 16 staff) counts as too wide to dive
    inst = parse_nrp_file(NRP / "Instance5.txt")
    monkeypatch.setattr(nrp, "GROUP_CELLS", nrp.cell_count(inst) // 2)  # two groups of eight
    groups = []
    real_group_instance = nrp.group_instance

    def recorded(inst, roster, group):
        groups.append(group)
        return real_group_instance(inst, roster, group)

    monkeypatch.setattr(nrp, "group_instance", recorded)
    result = solve_instance(inst, time_limit=20)
    assert len(groups) >= 2
    assert sorted(groups[0] + groups[1]) == list(range(16))  # a pass splits the staff
    assert all(len(group) == 8 for group in groups)
    check = check_roster(inst, roster_to_json(inst, result)["roster"])
    assert check.valid, check.violations
    assert check.objective == result.objective
    assert result.elapsed < 20 + 2
