"""Excel import of roster input and the vrptw/hhc CLI argument checks that need no solver."""

from openpyxl import Workbook
from typer.testing import CliRunner

from radhus.cli import app
from radhus.planning.importer import read_roster_input


def _sheet(wb, title, header, rows):
    ws = wb.create_sheet(title)
    ws.append(header)
    for r in rows:
        ws.append(r)


def test_xlsx_roster_input_is_read(tmp_path):
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        "Inställningar",
        ["nyckel", "värde"],
        [
            ["unit", "Hemtjänst Norr"],
            ["start_date", "2026-03-02"],
            ["weeks", 2],
            ["rules.dygnsvila_hours", 11],
            ["rules.holiday_eves_are_holidays", "nej"],
            ["weights.wish", 20],
        ],
    )
    _sheet(
        wb,
        "Pass",
        ["id", "namn", "start", "slut", "rast", "obekvämt", "brukare"],
        [["D", "Dag", "07:00", "15:30", 30, "nej", "kalle"]],
    )
    _sheet(
        wb,
        "Personal",
        ["id", "namn", "sysselsättningsgrad", "kompetenser", "nattarbetare", "dygnsbryt", "roterande", "veckodagar"],
        [
            ["a", "Åsa", 80, "undersköterska, läkemedelsdelegering", "nej", "03:00"],
            ["b", "Björn", 100, "", "ja", None, None, "0,1,2"],
        ],
    )
    _sheet(wb, "Brukare", ["id", "namn", "ordinarie"], [["kalle", "Kalle", "a"]])
    _sheet(wb, "Behov", ["pass", "kompetens", "minimum", "ideal", "veckodagar"], [["D", "", 1, 2, "0,1,2,3,4"]])
    _sheet(wb, "Frånvaro", ["personal", "första", "sista", "orsak"], [["a", 2, 3, "sjuk"]])
    path = tmp_path / "in.xlsx"
    wb.save(path)
    inp = read_roster_input(path)
    assert inp.unit == "Hemtjänst Norr" and inp.weeks == 2
    assert inp.employees[0].competences == ["undersköterska", "läkemedelsdelegering"]
    assert inp.employees[0].employment_pct == 80 and inp.employees[1].night_worker
    assert inp.demand[0].weekdays == [0, 1, 2, 3, 4] and inp.demand[0].ideal == 2
    assert inp.absences[0].last_day == 3
    assert inp.rules.holiday_eves_are_holidays is False and inp.weights.wish == 20
    assert inp.recipients[0].preferred_staff == ["a"] and inp.shift_types[0].recipient == "kalle"
    assert inp.employees[1].available_weekdays == [0, 1, 2] and inp.employees[0].rotating is None


def test_cli_vrptw_hhc_reject_zero_time_limit(tmp_path):
    for command in ("vrptw", "hhc"):
        args = ["plan", command, "--instance", str(tmp_path / "x"), "--time-limit", "0", "--out", str(tmp_path / "o")]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2
        assert "Tidsgränsen" in result.output
