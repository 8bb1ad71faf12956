"""Input model for real units' rosters: staff, shift types, demand, absences, wishes, pins and rule settings.

Times are local wall-clock times "HH:MM"; a shift whose end is not after its start ends the next day. Days are
indexed 0..(7*weeks-1) from `start_date`. Every rule is a documented setting with a Swedish default (AB/HÖK 2023).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import cached_property, lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from radhus.core.errors import InvalidInput

NIGHT_START_MIN = 22 * 60  # nattarbete: 22-06 (ATL 13 a)
NIGHT_END_MIN = 6 * 60


def _minutes(value: str) -> int:
    try:
        hours, minutes = value.split(":")
        h, m = int(hours), int(minutes)
    except ValueError as exc:
        raise ValueError(f"ogiltig tid '{value}', ange TT:MM") from exc
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f"ogiltig tid '{value}', ange TT:MM")
    return h * 60 + m


def _weekdays(value: list[int] | None) -> list[int] | None:
    if value is not None and any(not 0 <= d <= 6 for d in value):
        raise ValueError("veckodagar anges 0–6 (0 = måndag, 6 = söndag)")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShiftType(_Strict):
    """A shift type, e.g. Dag 07:00-15:30 with a 30 minute break."""

    id: str
    name: str = ""
    start: str
    end: str
    break_minutes: int = Field(0, ge=0)
    unpopular: bool = False  # counted in the fairness figures (e.g. late evenings)
    recipient: str = ""  # care recipient or group (team) this shift serves, for continuity; empty = none
    competence: str = ""  # only staff holding this competence may work the shift (e.g. sjuksköterska); empty = anyone

    @field_validator("start", "end")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        _minutes(value)
        return value

    @cached_property
    def start_min(self) -> int:
        return _minutes(self.start)

    @cached_property
    def length_min(self) -> int:
        """Length including breaks (presence), in minutes."""
        length = _minutes(self.end) - self.start_min
        return length if length > 0 else length + 1440

    @cached_property
    def work_min(self) -> int:
        """Working time excluding breaks, in minutes."""
        return self.length_min - self.break_minutes

    @cached_property
    def night_min(self) -> int:
        """Minutes of the shift that fall within 22:00-06:00."""
        total = 0
        for offset in (0, 1440):  # night starting the evening before and the same evening
            lo, hi = NIGHT_START_MIN - 1440 + offset, NIGHT_END_MIN + offset
            total += max(0, min(self.start_min + self.length_min, hi) - max(self.start_min, lo))
        return total

    @cached_property
    def is_night(self) -> bool:
        """A night shift has at least 3 hours within 22-06 (ATL's definition of night worker)."""
        return self.night_min >= 180

    @property
    def label(self) -> str:
        return self.name or self.id


class Employee(_Strict):
    """A member of staff."""

    id: str
    name: str = ""
    employment_pct: float = Field(100.0, gt=0, le=100)
    competences: list[str] = Field(default_factory=list)
    night_worker: bool = False
    dygnsbryt: str = "03:00"  # start of the 24-hour period, fixed per schedule period; 03:00 fits day+evening
    # 38.25 h norm for staff who work nights, Sundays and holidays; 40 h otherwise. None = derived from the input
    # (which shifts and days this person can be scheduled on), True/False = set by the employer.
    rotating: bool | None = None
    shifts: list[str] | None = None  # shift types this person may work (None = all)
    available_weekdays: list[int] | None = None  # weekdays this person can work (0 = Monday; None = every day)
    contract: str = ""  # collective agreement / contract (a key of RosterInput.agreements); empty = the unit's rules

    @field_validator("dygnsbryt")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        _minutes(value)
        return value

    @field_validator("available_weekdays")
    @classmethod
    def _valid_weekdays(cls, value: list[int] | None) -> list[int] | None:
        return _weekdays(value)

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def dygnsbryt_min(self) -> int:
        return _minutes(self.dygnsbryt)


class Demand(_Strict):
    """Staff needed on a shift: `minimum` and `ideal` persons holding `competence` (empty = anyone)."""

    shift: str
    competence: str = ""
    minimum: int = Field(ge=0)
    ideal: int | None = Field(None, ge=0)
    weekdays: list[int] | None = None  # 0 = Monday; None = every day
    days: list[int] | None = None  # explicit day indexes; overrides weekdays

    @field_validator("weekdays")
    @classmethod
    def _valid_weekdays(cls, value: list[int] | None) -> list[int] | None:
        return _weekdays(value)

    @model_validator(mode="after")
    def _ideal_at_least_min(self) -> Demand:
        if self.ideal is not None and self.ideal < self.minimum:
            raise ValueError(f"ideal ({self.ideal}) är mindre än minimum ({self.minimum}) för pass {self.shift}")
        return self


class Recipient(_Strict):
    """A care recipient (or a group of them, e.g. a team's clients) served by the shift types that name it.

    Continuity is a soft rule: few distinct staff should meet the recipient, preferably the `preferred_staff`.
    """

    id: str
    name: str = ""
    preferred_staff: list[str] = Field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or self.id


class Absence(_Strict):
    """Approved leave or sick leave for a range of days (inclusive)."""

    employee: str
    first_day: int = Field(ge=0)
    last_day: int | None = None
    reason: str = "frånvaro"


class Wish(_Strict):
    """A weighted wish: want (or avoid) a shift, or a whole day when `shift` is empty."""

    employee: str
    day: int = Field(ge=0)
    shift: str = ""
    want: bool = True
    weight: int = Field(1, ge=1, le=10)


class Pin(_Strict):
    """A fixed assignment the solver may not change; empty shift = pinned day off."""

    employee: str
    day: int = Field(ge=0)
    shift: str = ""


class Weights(_Strict):
    """Objective weights, in priority order: unmet demand, soft rules, wishes, unfairness."""

    unmet_minimum: int = 1000
    unmet_ideal: int = 100
    over_ideal: int = 5
    competence: dict[str, int] = Field(default_factory=dict)  # extra factor per competence, default 1
    weekend_rule: int = 50
    hours_under: int = 20  # per hour below the employee's target
    wish: int = 10  # per wish weight point
    continuity: int = 2  # per change of shift type between consecutive working days
    recipient_continuity: int = 8  # per distinct staff member a care recipient meets (twice outside preferred staff)
    fairness: int = 5  # per unit of spread in weekends / nights / unpopular shifts
    change: int = 200  # re-planning: per changed assignment


def _rule(default: Any, label: str, *, unit: str = "", kind: str = "hård", **limits: Any) -> Any:
    """A rule setting with its Swedish label, unit and kind ("hård", "mjuk" or "inställning") as field metadata,
    which the planning basis page shows (kept next to the setting rather than in a second list)."""
    return Field(default, title=label, json_schema_extra={"unit": unit, "kind": kind}, **limits)


class Rules(_Strict):
    """Working-time rules; defaults follow ATL and AB/HÖK (2023-10-01)."""

    # in every 24-hour period from dygnsbryt, and after every shift
    dygnsvila_hours: float = _rule(11.0, "Dygnsvila", unit="timmar", ge=0, le=24)
    veckovila_hours: float = _rule(36.0, "Veckovila per sjudagarsperiod", unit="timmar", ge=0, le=168)
    veckovila_includes_dygnsvila: bool = _rule(True, "Veckovilan får omfatta dygnsvilan")  # False: 11 h on top
    full_time_hours: float = _rule(40.0, "Heltid per vecka, dagarbete", unit="timmar", kind="inställning", gt=0, le=60)
    rotating_hours: float = _rule(
        38.25, "Heltid per vecka, natt/sön- och helgdag", unit="timmar", kind="inställning", gt=0, le=60
    )
    # hours above the target allowed over the whole period
    hours_tolerance: float = _rule(4.0, "Tillåten övertid mot målet för perioden", unit="timmar", ge=0, le=100)
    max_shift_hours: float = _rule(13.0, "Längsta pass", unit="timmar", gt=0, le=24)
    night_max_avg_hours: float = _rule(8.0, "Nattarbete, högst i snitt per dygn", unit="timmar", gt=0, le=24)
    nights_only_night_workers: bool = _rule(True, "Nattpass bara för nattarbetare")
    max_consecutive_days: int = _rule(6, "Högst arbetsdagar i följd", unit="dagar", ge=1, le=31)
    every_other_weekend_free: bool = _rule(True, "Varannan helg ledig", kind="mjuk")
    weekend_hard: bool = _rule(False, "Varannan helg ledig är en hård regel", kind="inställning")
    minimum_demand_hard: bool = _rule(False, "Minimibemanningen är en hård regel", kind="inställning")
    # påsk-, midsommar-, jul- and nyårsafton count as holidays
    holiday_eves_are_holidays: bool = _rule(True, "Storhelgsaftnar räknas som helgdagar", kind="inställning")
    # demand given per weekday applies Sunday's demand on holidays
    holiday_demand_like_sunday: bool = _rule(True, "Helgdagar bemannas som söndag", kind="inställning")
    # each Mon-Fri holiday lowers the period's target by a fifth of the week
    holidays_shorten_hours: bool = _rule(True, "Helgdagar måndag–fredag minskar arbetstiden", kind="inställning")
    # derived 38.25 h norm needs nights as well as Sundays and holidays
    rotating_norm_needs_nights: bool = _rule(True, "Nattarbete krävs för 38,25-timmarsnormen", kind="inställning")


UNIT_WIDE_RULES = {"holiday_eves_are_holidays", "holiday_demand_like_sunday", "minimum_demand_hard"}


@lru_cache(maxsize=256)
def _cached_rules(base: str, overrides: str) -> Rules:
    return Rules.model_validate({**json.loads(base), **json.loads(overrides)})


def _agreement_rules(base: Rules, name: str, overrides: dict[str, Any]) -> Rules:
    """The unit's rules with an agreement's settings applied (validated like the unit's own)."""
    from pydantic import ValidationError

    try:
        return _cached_rules(base.model_dump_json(), json.dumps(overrides, sort_keys=True))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidInput(f"avtalet {name}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


class RosterInput(_Strict):
    """A complete planning problem for one unit."""

    unit: str
    start_date: date
    weeks: int = Field(4, ge=1, le=16)
    shift_types: list[ShiftType]
    employees: list[Employee]
    demand: list[Demand]
    absences: list[Absence] = Field(default_factory=list)
    wishes: list[Wish] = Field(default_factory=list)
    pins: list[Pin] = Field(default_factory=list)
    recipients: list[Recipient] = Field(default_factory=list)
    rules: Rules = Field(default_factory=Rules)
    # Rule settings that differ per collective agreement or contract (e.g. {"KFO": {"dygnsvila_hours": 9}}): the
    # staff whose `contract` names it get the unit's rules with these changed.
    agreements: dict[str, dict[str, Any]] = Field(default_factory=dict)
    weights: Weights = Field(default_factory=Weights)

    @property
    def days(self) -> int:
        return 7 * self.weeks

    def date_of(self, day: int) -> date:
        return self.start_date + timedelta(days=day)

    def day_label(self, day: int) -> str:
        """Swedish short date, e.g. 12/3."""
        d = self.date_of(day)
        return f"{d.day}/{d.month}"

    def holidays(self) -> dict[int, str]:
        """Day index -> name of every Swedish public holiday (and, by the setting, holiday eve) in the period."""
        from radhus.planning.holidays import holidays_between

        last = self.date_of(self.days - 1)
        found = holidays_between(self.start_date, last, eves=self.rules.holiday_eves_are_holidays)
        return {(d - self.start_date).days: name for d, name in found.items()}

    def is_weekend_or_holiday(self, day: int) -> bool:
        return self.date_of(day).weekday() >= 5 or day in self.holidays()

    def shift(self, shift_id: str) -> ShiftType:
        for s in self.shift_types:
            if s.id == shift_id:
                return s
        raise InvalidInput(f"Okänd passtyp '{shift_id}'.")

    def employee(self, employee_id: str) -> Employee:
        for e in self.employees:
            if e.id == employee_id:
                return e
        raise InvalidInput(f"Okänd personal '{employee_id}'.")

    def demand_days(self, demand: Demand) -> list[int]:
        """Days a demand line applies to. A line with explicit `days` overrides the weekday lines of the same shift
        and competence on those days (a changed demand for one day)."""
        if demand.days is not None:
            return [d for d in demand.days if 0 <= d < self.days]
        weekdays = set(range(7) if demand.weekdays is None else demand.weekdays)
        holidays = self.holidays() if self.rules.holiday_demand_like_sunday else {}
        overridden = {
            d
            for other in self.demand
            if other.days is not None and (other.shift, other.competence) == (demand.shift, demand.competence)
            for d in other.days
        }
        return [
            d
            for d in range(self.days)
            if (6 if d in holidays else self.date_of(d).weekday()) in weekdays and d not in overridden
        ]

    def rules_for(self, employee_id: str) -> Rules:
        """The working-time rules of one employee: the unit's, with the employee's agreement applied."""
        contract = self.employee(employee_id).contract
        if not contract:
            return self.rules
        return _agreement_rules(self.rules, contract, self.agreements[contract])

    def days_off(self, employee_id: str, *, unavailable: bool = True) -> dict[int, str]:
        """Day -> reason for every day an employee cannot work: absences and, with `unavailable`, the weekdays
        outside the person's availability (those do not lower the target hours; absences do)."""
        out: dict[int, str] = {}
        if unavailable:
            weekdays = self.employee(employee_id).available_weekdays
            if weekdays is not None:
                for d in range(self.days):
                    if self.date_of(d).weekday() not in weekdays:
                        out[d] = "inte tillgänglig den veckodagen"
        for a in self.absences:
            if a.employee == employee_id:
                last = a.first_day if a.last_day is None else a.last_day
                for d in range(a.first_day, min(last, self.days - 1) + 1):
                    out[d] = a.reason
        return out

    def recipient(self, recipient_id: str) -> Recipient | None:
        return next((r for r in self.recipients if r.id == recipient_id), None)

    @model_validator(mode="after")
    def _consistent(self) -> RosterInput:
        self._check_references()
        return self

    def _check_references(self) -> None:
        shift_ids = {s.id for s in self.shift_types}
        emp_ids = [e.id for e in self.employees]
        if not self.shift_types:
            raise ValueError("inga passtyper angivna")
        if not self.employees:
            raise ValueError("ingen personal angiven")
        if len(set(emp_ids)) != len(emp_ids):
            raise ValueError("personal-id förekommer flera gånger")
        if not self.demand or all((d.ideal or d.minimum) == 0 for d in self.demand):
            raise ValueError("bemanningsbehovet är tomt")
        for d in self.demand:
            if d.shift not in shift_ids:
                raise ValueError(f"behov för okänd passtyp '{d.shift}'")
        self._check_demand_days()
        if all(len(self.days_off(e.id)) == self.days for e in self.employees):
            raise ValueError(
                "ingen i personalen är tillgänglig någon dag under perioden (frånvaro eller tillgängliga veckodagar)"
            )
        people: list[Absence | Wish | Pin] = [*self.absences, *self.wishes, *self.pins]
        for item in people:
            if item.employee not in emp_ids:
                raise ValueError(f"okänd personal '{item.employee}'")
            shift = getattr(item, "shift", "")
            if shift and shift not in shift_ids:
                raise ValueError(f"okänd passtyp '{shift}'")
            day = getattr(item, "day", getattr(item, "first_day", 0))
            if day >= self.days:
                raise ValueError(f"dag {day} ligger utanför perioden (0–{self.days - 1})")
        for e in self.employees:
            for s in e.shifts or []:
                if s not in shift_ids:
                    raise ValueError(f"{e.id} har okänd passtyp '{s}'")
        self._check_recipients(set(emp_ids))
        self._check_agreements()

    def _check_agreements(self) -> None:
        for name, overrides in self.agreements.items():
            unit_wide = sorted(set(overrides) & UNIT_WIDE_RULES)
            if unit_wide:
                raise ValueError(f"avtalet {name}: {', '.join(unit_wide)} gäller hela enheten och sätts under rules")
            unknown = sorted(set(overrides) - set(Rules.model_fields))
            if unknown:
                raise ValueError(f"avtalet {name} har okända regelinställningar: {', '.join(unknown)}")
            try:
                _agreement_rules(self.rules, name, overrides)
            except InvalidInput as exc:
                raise ValueError(exc.message) from None
        for e in self.employees:
            if e.contract and e.contract not in self.agreements:
                raise ValueError(f"{e.id} har avtalet '{e.contract}', som saknas under agreements")

    def _check_demand_days(self) -> None:
        """Demand that falls outside the period is empty; two lines giving one day and shift different numbers
        contradict each other."""
        seen: dict[tuple[int, str, str], tuple[int, int]] = {}
        total = 0
        for dem in self.demand:
            values = (dem.minimum, dem.ideal if dem.ideal is not None else dem.minimum)
            for day in self.demand_days(dem):
                total += max(values)
                key = (day, dem.shift, dem.competence)
                if key in seen and seen[key] != values:
                    comp = f" ({dem.competence})" if dem.competence else ""
                    raise ValueError(
                        f"motstridigt behov: pass {dem.shift}{comp} {self.day_label(day)} anges både som "
                        f"minimum/önskat {seen[key][0]}/{seen[key][1]} och {values[0]}/{values[1]}; ange det en gång"
                    )
                seen[key] = values
        if total == 0:
            raise ValueError("bemanningsbehovet är tomt: inget behov faller inom perioden")

    def _check_recipients(self, emp_ids: set[str]) -> None:
        recipient_ids = [r.id for r in self.recipients]
        if len(set(recipient_ids)) != len(recipient_ids):
            raise ValueError("brukar-id förekommer flera gånger")
        for r in self.recipients:
            for e in r.preferred_staff:
                if e not in emp_ids:
                    raise ValueError(f"brukaren {r.id} har okänd ordinarie personal '{e}'")
        for s in self.shift_types:
            if s.recipient and s.recipient not in recipient_ids:
                raise ValueError(f"passtypen {s.id} hänvisar till okänd brukare '{s.recipient}'")


_MESSAGES = {  # pydantic's error types in Swedish; other types keep pydantic's own message
    "missing": "saknas",
    "extra_forbidden": "okänd uppgift",
    "int_parsing": "måste vara ett heltal",
    "int_from_float": "måste vara ett heltal",
    "int_type": "måste vara ett heltal",
    "float_parsing": "måste vara ett tal",
    "float_type": "måste vara ett tal",
    "bool_parsing": "måste vara ja eller nej",
    "bool_type": "måste vara ja eller nej",
    "date_from_datetime_parsing": "måste vara ett datum (ÅÅÅÅ-MM-DD)",
    "date_parsing": "måste vara ett datum (ÅÅÅÅ-MM-DD)",
    "greater_than_equal": "måste vara minst {ge}",
    "greater_than": "måste vara större än {gt}",
    "less_than_equal": "får vara högst {le}",
    "less_than": "måste vara mindre än {lt}",
}


_LISTS = {  # the input's lists in Swedish, for "önskemål 2, vikt"
    "employees": "personal",
    "shift_types": "passtyp",
    "demand": "behovsrad",
    "absences": "frånvaro",
    "wishes": "önskemål",
    "pins": "låst pass",
    "recipients": "brukare",
}
_FIELDS = {
    "name": "namn",
    "employment_pct": "sysselsättningsgrad",
    "competences": "kompetenser",
    "night_worker": "nattarbetare",
    "contract": "avtal",
    "available_weekdays": "veckodagar",
    "shifts": "pass",
    "employee": "personal",
    "first_day": "första dag",
    "last_day": "sista dag",
    "reason": "orsak",
    "day": "dag",
    "shift": "pass",
    "want": "önskemål",
    "weight": "vikt",
    "competence": "kompetens",
    "ideal": "önskat",
    "weekdays": "veckodagar",
    "days": "dagar",
}


def _where(loc: tuple[Any, ...]) -> str:
    """The place of an error in Swedish: a rule setting by its label, a list item by its number and field."""
    if len(loc) == 2 and loc[0] == "rules" and loc[1] in Rules.model_fields:
        return Rules.model_fields[str(loc[1])].title or str(loc[1])
    if len(loc) >= 2 and loc[0] in _LISTS and isinstance(loc[1], int):
        return ", ".join([f"{_LISTS[loc[0]]} {loc[1] + 1}", *(_FIELDS.get(str(p), str(p)) for p in loc[2:])])
    return ".".join(str(p) for p in loc)


def swedish_error(err: Any) -> str:
    """One pydantic validation error as Swedish text ("Dygnsvila: får vara högst 24")."""
    template = _MESSAGES.get(err["type"])
    ctx = {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in (err.get("ctx") or {}).items()}
    msg = template.format(**ctx) if template else err["msg"].removeprefix("Value error, ")
    where = _where(tuple(err["loc"]))
    return f"{where}: {msg}" if where else msg


def load_roster_input(data: dict) -> RosterInput:
    """Validate a dict into a RosterInput, turning validation errors into one Swedish message."""
    from pydantic import ValidationError

    try:
        return RosterInput.model_validate(data)
    except ValidationError as exc:
        parts = [swedish_error(err) for err in exc.errors()[:5]]
        raise InvalidInput("Felaktig indata för schemat – " + "; ".join(parts)) from exc
