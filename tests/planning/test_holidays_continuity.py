"""Swedish public holidays in the roster rules (norm, target hours, demand, fairness) and continuity per care
recipient, each proven with real dates and a real CP-SAT solve."""

from datetime import date

import pytest

from radhus.core.errors import InvalidInput
from radhus.planning.holidays import easter_sunday, holidays_between, public_holidays
from radhus.planning.models import load_roster_input
from radhus.planning.roster import fairness_figures, solve_roster
from radhus.planning.rules import check_roster_rules, target_minutes, uses_rotating_norm

SHIFTS = [
    {"id": "D", "name": "Dag", "start": "07:00", "end": "15:30", "break_minutes": 30},
    {"id": "K", "name": "Kväll", "start": "14:00", "end": "21:30", "break_minutes": 30},
    {"id": "N", "name": "Natt", "start": "21:15", "end": "07:15"},
]


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2008, date(2008, 3, 23)), (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2027, date(2027, 3, 28)),
     (2038, date(2038, 4, 25))],
)  # fmt: skip
def test_easter_by_algorithm(year, easter):
    assert easter_sunday(year) == easter


def test_swedish_holidays_2027():
    days = public_holidays(2027)
    assert days[date(2027, 3, 28)] == "påskdagen"
    assert days[date(2027, 3, 26)] == "långfredagen"
    assert days[date(2027, 3, 29)] == "annandag påsk"
    assert days[date(2027, 5, 6)] == "Kristi himmelsfärdsdag"
    assert days[date(2027, 6, 6)] == "Sveriges nationaldag"
    assert days[date(2027, 6, 26)] == "midsommardagen"  # the Saturday 20-26 June
    assert days[date(2027, 11, 6)] == "alla helgons dag"  # the Saturday 31 October-6 November
    for fixed in ((1, 1), (1, 6), (5, 1), (12, 25), (12, 26)):
        assert date(2027, *fixed) in days
    assert date(2027, 6, 25) not in days  # midsommarafton is an eve, a setting of its own
    with_eves = holidays_between(date(2027, 6, 1), date(2027, 6, 30), eves=True)
    assert with_eves == {
        date(2027, 6, 6): "Sveriges nationaldag",
        date(2027, 6, 25): "midsommarafton",
        date(2027, 6, 26): "midsommardagen",
    }
    assert date(2026, 6, 20) in public_holidays(2026) and date(2026, 10, 31) in public_holidays(2026)


def easter_unit(**over) -> dict:
    """Two weeks over Easter 2027: Monday 22 March to Sunday 4 April (långfredagen, påskdagen, annandag påsk)."""
    data = {
        "unit": "Påskavdelningen",
        "start_date": "2027-03-22",
        "weeks": 2,
        "shift_types": [dict(s) for s in SHIFTS],
        "employees": [
            {"id": "a", "name": "Anna", "competences": ["sjuksköterska"], "night_worker": True},
            {"id": "b", "name": "Bo", "competences": ["undersköterska"]},
            {"id": "c", "name": "Cia", "competences": ["undersköterska"], "shifts": ["D"]},
        ],
        "demand": [
            {"shift": "D", "minimum": 1, "weekdays": [0, 1, 2, 3, 4]},
            {"shift": "K", "minimum": 1, "weekdays": [5, 6]},
            {"shift": "N", "minimum": 1},
        ],
        "rules": {"every_other_weekend_free": False},
    }
    data.update(over)
    return data


def test_holidays_in_the_period_and_demand_like_sunday():
    inp = load_roster_input(easter_unit())
    assert inp.holidays() == {4: "långfredagen", 5: "påskafton", 6: "påskdagen", 7: "annandag påsk"}
    weekday_day = next(d for d in inp.demand if d.shift == "D")
    weekend_evening = next(d for d in inp.demand if d.shift == "K")
    assert 4 not in inp.demand_days(weekday_day) and 7 not in inp.demand_days(weekday_day)
    assert {4, 5, 6, 7} <= set(inp.demand_days(weekend_evening))  # holidays staffed like Sundays
    plain = load_roster_input(
        easter_unit(rules={"holiday_demand_like_sunday": False, "holiday_eves_are_holidays": False})
    )
    assert plain.holidays() == {4: "långfredagen", 6: "påskdagen", 7: "annandag påsk"}
    assert 4 in plain.demand_days(next(d for d in plain.demand if d.shift == "D"))


def test_rotating_norm_needs_nights_sundays_and_holidays():
    inp = load_roster_input(easter_unit())
    assert uses_rotating_norm(inp, "a")  # nights, and Sunday/holiday demand it can take
    assert not uses_rotating_norm(inp, "b")  # Sundays and holidays, but no nights
    assert not uses_rotating_norm(inp, "c")  # only weekday day shifts
    relaxed = load_roster_input(easter_unit(rules={"rotating_norm_needs_nights": False}))
    assert uses_rotating_norm(relaxed, "b") and not uses_rotating_norm(relaxed, "c")
    # Two Mon-Fri holidays (långfredagen, annandag påsk) shorten the two weeks by 2/5 of a week.
    assert target_minutes(inp, "a") == round(38.25 * 60 * (2 - 2 / 5))
    assert target_minutes(inp, "b") == round(40 * 60 * (2 - 2 / 5))
    no_short = load_roster_input(easter_unit(rules={"holidays_shorten_hours": False}))
    assert target_minutes(no_short, "b") == 40 * 60 * 2
    set_by_employer = easter_unit()
    set_by_employer["employees"][2]["rotating"] = True
    assert uses_rotating_norm(load_roster_input(set_by_employer), "c")


def test_excel_export_names_the_holidays(tmp_path):
    from openpyxl import load_workbook

    from radhus.planning.export import roster_xlsx

    inp = load_roster_input(easter_unit())
    roster_xlsx(inp, {e.id: [""] * 14 for e in inp.employees}, tmp_path / "s.xlsx")
    header = [c.value for c in load_workbook(tmp_path / "s.xlsx")["Schema"][1]]
    assert header[:2] == ["Personal", "22/3"] and header[7] == "28/3 påskdagen" and header[8] == "29/3 annandag påsk"


def test_holiday_counts_like_a_weekend_in_fairness():
    inp = load_roster_input(easter_unit())
    roster = {"a": [""] * 14, "b": [""] * 14, "c": [""] * 14}
    roster["b"][4] = "K"  # långfredagen (a Friday)
    roster["a"][6] = "K"  # påskdagen (a Sunday: already a weekend)
    per = fairness_figures(inp, roster)["per_employee"]
    assert per["b"]["helger"] == 1 and per["b"]["helgdagar"] == 1
    assert per["a"]["helger"] == 1 and per["a"]["helgdagar"] == 1
    assert per["c"]["helger"] == 0


def test_solved_easter_roster_names_the_holiday_and_spreads_holidays():
    data = easter_unit()
    data["absences"] = [{"employee": "a", "first_day": 0, "last_day": 13}]  # nobody left for the nights
    result = solve_roster(load_roster_input(data), time_limit=10)
    assert not [v for v in check_roster_rules(load_roster_input(data), result.roster) if v.hard]
    text = " ".join(result.explanations)
    assert "Natt 28/3 (påskdagen): 1 personal saknas" in text
    assert result.to_dict(load_roster_input(data))["holidays"]["2027-03-28"] == "påskdagen"


def recipient_unit(**over) -> dict:
    """LSS-style personal assistance: each shift type serves one recipient; Kalle prefers Anna and Bo."""
    data = {
        "unit": "Assistansen",
        "start_date": "2026-03-02",
        "weeks": 1,
        "shift_types": [
            {"id": "KD", "name": "Kalle dag", "start": "08:00", "end": "16:00", "recipient": "kalle"},
            {"id": "LD", "name": "Lisa dag", "start": "08:00", "end": "16:00", "recipient": "lisa"},
        ],
        "employees": [{"id": x, "name": n} for x, n in (("a", "Anna"), ("b", "Bo"), ("c", "Cia"), ("d", "Dan"))],
        "demand": [{"shift": "KD", "minimum": 1}, {"shift": "LD", "minimum": 1}],
        "recipients": [
            {"id": "kalle", "name": "Kalle", "preferred_staff": ["a", "b"]},
            {"id": "lisa", "name": "Lisa", "preferred_staff": ["c", "d"]},
        ],
        "rules": {"every_other_weekend_free": False},
    }
    data.update(over)
    return data


def test_recipient_continuity_keeps_preferred_staff():
    inp = load_roster_input(recipient_unit())
    result = solve_roster(inp, time_limit=10)
    by_recipient = {c["recipient"]: c for c in result.continuity}
    assert by_recipient["kalle"]["distinct_staff"] == 2 and set(by_recipient["kalle"]["staff"]) == {"a", "b"}
    assert by_recipient["lisa"]["preferred_share_pct"] == 100.0
    assert "Kalle mötte 2 olika personal" in by_recipient["kalle"]["summary"]
    assert not [x for x in result.explanations if x.startswith("Kontinuitet")]
    # Without the soft rule the solver has no reason to keep staff with one recipient.
    loose = solve_roster(load_roster_input(recipient_unit(weights={"recipient_continuity": 0})), time_limit=10)
    assert sum(c["distinct_staff"] for c in loose.continuity) >= sum(c["distinct_staff"] for c in result.continuity)


def test_recipient_continuity_explains_absent_preferred_staff():
    # Anna is away all week and Bo may work at most 44 h (5 shifts of 8 h): others must cover Kalle twice or more.
    data = recipient_unit(absences=[{"employee": "a", "first_day": 0, "last_day": 6, "reason": "semester"}])
    data["employees"].append({"id": "e", "name": "Eva"})
    result = solve_roster(load_roster_input(data), time_limit=10)
    kalle = next(c for c in result.continuity if c["recipient"] == "kalle")
    assert kalle["preferred_share_pct"] <= 100 * 5 / 7 and kalle["distinct_staff"] >= 2
    text = next(x for x in result.explanations if x.startswith("Kontinuitet för Kalle"))
    assert "Anna är frånvarande (semester)" in text


def test_recipient_references_are_checked():
    with pytest.raises(InvalidInput, match="okänd brukare 'x'"):
        load_roster_input(recipient_unit(recipients=[], shift_types=[{**SHIFTS[0], "recipient": "x"}],
                                         demand=[{"shift": "D", "minimum": 1}]))  # fmt: skip
    with pytest.raises(InvalidInput, match="okänd ordinarie personal 'zz'"):
        load_roster_input(recipient_unit(recipients=[{"id": "kalle", "preferred_staff": ["zz"]}]))


def test_shift_competence_is_a_hard_rule():
    data = easter_unit()
    data["shift_types"][2]["competence"] = "sjuksköterska"  # nights need a nurse: only Anna
    data["weeks"] = 1
    inp = load_roster_input(data)
    roster = {"a": [""] * 7, "b": ["N"] + [""] * 6, "c": [""] * 7}
    messages = [v.message for v in check_roster_rules(inp, roster) if v.rule == "behorighet"]
    assert messages == ["Bo saknar kompetensen sjuksköterska som nattpasset kräver"]
    result = solve_roster(inp, time_limit=10)
    assert all(s != "N" for e in ("b", "c") for s in result.roster[e])


def test_availability_and_contradictory_or_empty_demand():
    data = easter_unit()
    data["employees"][1]["available_weekdays"] = [0, 1, 2]  # Bo works Monday-Wednesday only
    inp = load_roster_input(data)
    result = solve_roster(inp, time_limit=10)
    assert all(not s or inp.date_of(d).weekday() <= 2 for d, s in enumerate(result.roster["b"]))
    assert target_minutes(inp, "b") == target_minutes(load_roster_input(easter_unit()), "b")  # hours unchanged
    everyone_away = easter_unit(absences=[{"employee": e, "first_day": 0, "last_day": 13} for e in "abc"])
    with pytest.raises(InvalidInput, match="ingen i personalen är tillgänglig"):
        load_roster_input(everyone_away)
    one_away = easter_unit(absences=[{"employee": "c", "first_day": 0, "last_day": 13}])
    result = solve_roster(load_roster_input(one_away), time_limit=10)
    assert "Cia är inte tillgänglig någon dag under perioden och har inga pass." in result.explanations
    contradictory = easter_unit(demand=[{"shift": "D", "minimum": 1}, {"shift": "D", "minimum": 2, "weekdays": [0]}])
    with pytest.raises(InvalidInput, match="motstridigt behov: pass D 22/3"):
        load_roster_input(contradictory)
    with pytest.raises(InvalidInput, match="inget behov faller inom perioden"):
        load_roster_input(easter_unit(demand=[{"shift": "D", "minimum": 1, "days": [40]}]))
    with pytest.raises(InvalidInput, match="veckodagar anges 0–6"):
        load_roster_input(easter_unit(demand=[{"shift": "D", "minimum": 1, "weekdays": [7]}]))


def test_rules_per_agreement():
    """A private-sector agreement with 9 h daily rest (e.g. KFO) next to AB's 11 h in one unit."""
    data = easter_unit(agreements={"KFO": {"dygnsvila_hours": 9, "full_time_hours": 38}})
    data["employees"][1]["contract"] = "KFO"
    inp = load_roster_input(data)
    evening_then_day = ["K", "D"] + [""] * 12  # 21:30 -> 07:00 is 9.5 h of rest
    roster = {"a": evening_then_day, "b": evening_then_day, "c": [""] * 14}
    broken = {v.employee for v in check_roster_rules(inp, roster) if v.rule == "dygnsvila"}
    assert broken == {"a"}
    assert target_minutes(inp, "b") == round(38 * 60 * (2 - 2 / 5))
    with pytest.raises(InvalidInput, match="avtalet KFO: holiday_eves_are_holidays gäller hela enheten"):
        load_roster_input(easter_unit(agreements={"KFO": {"holiday_eves_are_holidays": False}}))
    with pytest.raises(InvalidInput, match="okända regelinställningar: vila"):
        load_roster_input(easter_unit(agreements={"KFO": {"vila": 9}}))
    with pytest.raises(InvalidInput, match="avtalet KFO: max_consecutive_days"):
        load_roster_input(easter_unit(agreements={"KFO": {"max_consecutive_days": 0}}))
    missing = easter_unit()
    missing["employees"][0]["contract"] = "PAN"
    with pytest.raises(InvalidInput, match="avtalet 'PAN', som saknas"):
        load_roster_input(missing)
    pins = [{"employee": "b", "day": 0, "shift": "K"}, {"employee": "b", "day": 1, "shift": "D"}]
    result = solve_roster(load_roster_input({**data, "pins": pins}), time_limit=10)  # allowed under KFO
    assert result.roster["b"][:2] == ["K", "D"]


def test_a_one_day_line_overrides_the_weekday_lines():
    inp = load_roster_input(
        easter_unit(demand=[{"shift": "D", "minimum": 1}, {"shift": "D", "minimum": 2, "days": [0]}])
    )
    every_day, one_day = inp.demand
    assert 0 not in inp.demand_days(every_day) and inp.demand_days(one_day) == [0]
    twice = [{"shift": "D", "minimum": 1, "days": [0]}, {"shift": "D", "minimum": 2, "days": [0]}]
    with pytest.raises(InvalidInput, match="motstridigt behov"):
        load_roster_input(easter_unit(demand=twice))
