"""Unit rosters: each rule proven by a small case, conflict sets, re-planning, exports and the CLI."""

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from radhus.cli import app
from radhus.core.errors import InvalidInput
from radhus.planning.export import roster_csv, roster_ics, roster_xlsx
from radhus.planning.models import Absence, load_roster_input
from radhus.planning.replan import open_shift_candidates, repair_roster
from radhus.planning.roster import solve_roster
from radhus.planning.rules import check_assignment_change, check_roster_rules

EXAMPLE = Path(__file__).resolve().parents[2] / "src/radhus/planning/examples/avdelning.json"
SHIFTS = [
    {"id": "D", "name": "Dag", "start": "07:00", "end": "15:30", "break_minutes": 30},
    {"id": "K", "name": "Kväll", "start": "14:00", "end": "21:30", "break_minutes": 30},
    {"id": "N", "name": "Natt", "start": "21:15", "end": "07:15"},
]


def small(**over) -> dict:
    """One week, three staff, day + evening demand."""
    data = {
        "unit": "Test",
        "start_date": "2026-03-02",
        "weeks": 1,
        "shift_types": SHIFTS,
        "employees": [
            {"id": "a", "name": "Anna", "competences": ["sjuksköterska", "läkemedelsdelegering"]},
            {"id": "b", "name": "Bo", "competences": ["undersköterska"]},
            {"id": "c", "name": "Cia", "competences": ["undersköterska"], "night_worker": True, "dygnsbryt": "10:00"},
        ],
        "demand": [{"shift": "D", "minimum": 1}, {"shift": "K", "minimum": 1}],
    }
    data.update(over)
    return data


def row(*cells: str) -> list[str]:
    return list(cells) + [""] * (7 - len(cells))


def test_dygnsvila_after_evening_then_day_is_violation():
    inp = load_roster_input(small())
    roster = {"a": row("K", "D"), "b": row(), "c": row()}
    messages = [v.message for v in check_roster_rules(inp, roster) if v.rule == "dygnsvila"]
    assert any("dagpasset 3/3 bryter dygnsvilan efter kvällspasset 2/3" in m for m in messages)


def test_dygnsvila_window_depends_on_dygnsbryt():
    data = small()
    data["employees"][0]["dygnsbryt"] = "00:00"  # 07-15:30 leaves 7 h + 8.5 h inside 00-24: no 11 h block
    inp = load_roster_input(data)
    roster = {"a": row("D"), "b": row(), "c": row()}
    assert any(v.rule == "dygnsvila" and v.day == 0 for v in check_roster_rules(inp, roster))
    data["employees"][0]["dygnsbryt"] = "03:00"
    inp = load_roster_input(data)
    assert not [v for v in check_roster_rules(inp, roster) if v.rule == "dygnsvila"]


def test_veckovila_needs_36_hours():
    inp = load_roster_input(small())
    busy = {
        "a": row("D", "D", "D", "", "D", "D", "D"),
        "b": row(),
        "c": row(),
    }  # longest rest 15:30 -> 07:00 +1 = 39.5 h
    assert not [v for v in check_roster_rules(inp, busy) if v.rule == "veckovila"]
    busy["a"] = row("D", "D", "K", "D", "K", "D", "D")  # no 36 h gap anywhere
    assert [v for v in check_roster_rules(inp, busy) if v.rule == "veckovila"]
    data = small()
    data["rules"] = {"veckovila_includes_dygnsvila": False}  # 47 h needed now
    inp47 = load_roster_input(data)
    busy["a"] = row("D", "D", "D", "", "D", "D", "D")
    assert [v for v in check_roster_rules(inp47, busy) if v.rule == "veckovila"]


def test_hours_above_target_is_violation_and_scaled_by_employment():
    data = small()
    data["employees"][1]["employment_pct"] = 50  # no nights: 40 * 0.5 = 20 h + 4 h tolerance
    inp = load_roster_input(data)
    roster = {"a": row(), "b": row("D", "D", "D", "D"), "c": row()}  # 32 h
    assert any(v.rule == "arbetstid" for v in check_roster_rules(inp, roster))
    roster["b"] = row("D", "D", "D")  # 24 h
    assert not any(v.rule == "arbetstid" for v in check_roster_rules(inp, roster))
    data["employees"][1]["rotating"] = True  # set by the employer: 38.25 * 0.5 = 19.1 h + 4 h
    assert any(v.rule == "arbetstid" for v in check_roster_rules(load_roster_input(data), roster))


def test_solver_roster_passes_independent_checker():
    inp = load_roster_input(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    result = solve_roster(inp, time_limit=8)
    assert not [v for v in check_roster_rules(inp, result.roster) if v.hard]
    assert result.roster["e4"][0] == "D"  # pinned
    assert all(result.roster["e3"][d] == "" for d in (3, 4, 5))  # absent
    assert 0 <= result.wishes_granted_pct <= 100
    for line in result.staffing:
        if line["under_ideal"]:
            assert any(line["date"][-2:].lstrip("0") in e for e in result.explanations)


def test_unmet_demand_is_explained_in_swedish():
    data = small(demand=[{"shift": "N", "competence": "läkemedelsdelegering", "minimum": 1, "days": [1]}])
    inp = load_roster_input(data)
    result = solve_roster(inp, time_limit=5)
    text = " ".join(result.explanations)
    assert "Ingen med läkemedelsdelegering kan ta nattpasset 3/3" in text
    assert "inte nattarbetare" in text


def test_infeasible_pins_give_minimal_conflict_set():
    pins = [{"employee": "a", "day": 0, "shift": "K"}, {"employee": "a", "day": 1, "shift": "D"}]
    inp = load_roster_input(small(pins=pins))
    with pytest.raises(InvalidInput) as info:
        solve_roster(inp, time_limit=5)
    conflict = info.value.detail["conflict"]
    assert sorted(conflict) == sorted(["dygnsvila 11 h för Anna", "låst pass för Anna 2/3", "låst pass för Anna 3/3"])


def test_live_check_of_manual_change():
    inp = load_roster_input(small())
    roster = {"a": row("K"), "b": row(), "c": row()}
    problems = check_assignment_change(inp=inp, roster=roster, employee_id="a", day=1, shift_id="D")
    assert any("dygnsvilan" in p for p in problems)
    assert check_assignment_change(inp=inp, roster=roster, employee_id="b", day=1, shift_id="D") == []


def test_repair_after_sick_leave_changes_little_and_keeps_pins():
    # Deterministic and load-independent: one search worker for the published roster, and sick leave on e8's last
    # shift so that the repair (everything before the sick day frozen) is small enough to be proven optimal; the
    # time limits are generous ceilings that an idle or a busy machine both stay far below.
    inp = load_roster_input(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    published = solve_roster(inp, time_limit=6, workers=1).roster
    sick_day = max(d for d in range(3, inp.days) if published["e8"][d])  # e8's last shift: a short repair window
    result = repair_roster(
        inp=inp,
        published=published,
        new_absences=[Absence(employee="e8", first_day=sick_day)],
        frozen_days=sick_day,
        time_limit=60,
        workers=1,
    )
    assert result.status == "optimal"  # proven, so the answer does not depend on the clock
    assert result.roster["e8"][sick_day] == ""
    assert result.roster["e4"][0] == "D"
    assert 1 <= result.changes <= 6
    changed_days = {d for e, r in result.roster.items() for d, s in enumerate(r) if s != published[e][d]}
    assert min(changed_days) >= sick_day  # the past stays as published


def test_open_shift_candidates_only_rule_abiding():
    inp = load_roster_input(small())
    roster = {"a": row("K"), "b": row(), "c": row()}
    ranked = open_shift_candidates(inp=inp, roster=roster, day=1, shift_id="D")
    assert [c["employee"] for c in ranked] == ["b", "c"]
    assert ranked[0]["rank"] == 1


def test_bad_inputs_give_swedish_errors():
    with pytest.raises(InvalidInput, match="bemanningsbehovet är tomt"):
        load_roster_input(small(demand=[{"shift": "D", "minimum": 0}]))
    with pytest.raises(InvalidInput, match="okänd passtyp"):
        load_roster_input(small(demand=[{"shift": "X", "minimum": 1}]))
    with pytest.raises(InvalidInput, match="Tidsgränsen"):
        solve_roster(load_roster_input(small()), time_limit=0)


def test_exports(tmp_path):
    inp = load_roster_input(small())
    roster = {"a": row("D", "K"), "b": row(), "c": row()}
    csv_text = roster_csv(inp, roster)
    assert csv_text.splitlines()[1].startswith("a,Anna,D,K")
    roster_xlsx(inp, roster, tmp_path / "s.xlsx")
    assert load_workbook(tmp_path / "s.xlsx")["Schema"]["C2"].value == "K"
    ics = roster_ics(inp, roster, "a")
    assert ics.count("BEGIN:VEVENT") == 2 and "DTSTART;TZID=Europe/Stockholm:20260302T070000" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))


def test_cli_roster(tmp_path):
    out = tmp_path / "schema.json"
    args = ["plan", "roster", "--input", str(EXAMPLE), "--out", str(out), "--time-limit", "5"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"roster", "staffing", "wishes_granted_pct", "fairness", "explanations"} <= set(data)
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", "roster", "--input", str(bad), "--out", str(out)])
    assert result.exit_code == 2
