"""Roster and day-plan exports: CSV, Excel (openpyxl) and iCalendar (RFC 5545, written here)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from radhus.planning.models import RosterInput

PALETTE = ["FFF2CC", "DDEBF7", "E2EFDA", "FCE4D6", "EDEDED", "D9D2E9", "FFD7D7"]


def roster_csv(inp: RosterInput, roster: dict[str, list[str]]) -> str:
    """CSV with one row per employee and one column per date (shift id or empty)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["personal", "namn", *[inp.date_of(d).isoformat() for d in range(inp.days)]])
    for emp in inp.employees:
        writer.writerow([emp.id, emp.label, *roster[emp.id]])
    return buf.getvalue()


def roster_xlsx(inp: RosterInput, roster: dict[str, list[str]], path: Path) -> None:
    """Excel workbook: the roster grid coloured per shift type, and a sheet of shift types."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Schema"
    holidays = inp.holidays()
    ws.append(["Personal", *[f"{inp.day_label(d)} {holidays.get(d, '')}".strip() for d in range(inp.days)]])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for d in holidays:
        ws.cell(row=1, column=d + 2).fill = PatternFill("solid", fgColor="FBE9E7")
    fills = {s.id: PatternFill("solid", fgColor=PALETTE[i % len(PALETTE)]) for i, s in enumerate(inp.shift_types)}
    for emp in inp.employees:
        ws.append([emp.label, *roster[emp.id]])
        for cell in ws[ws.max_row][1:]:
            if cell.value in fills:
                cell.fill = fills[cell.value]
    types = wb.create_sheet("Passtyper")
    types.append(["Pass", "Namn", "Start", "Slut", "Rast (min)"])
    for s in inp.shift_types:
        types.append([s.id, s.label, s.start, s.end, s.break_minutes])
    wb.save(path)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 section 3.1)."""
    raw = line.encode("utf-8")
    parts, start = [], 0
    limit = 75
    while start < len(raw):
        end = min(len(raw), start + limit)
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:  # do not split a UTF-8 sequence
            end -= 1
        parts.append(raw[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(parts)


def roster_ics(
    inp: RosterInput, roster: dict[str, list[str]], employee_id: str, *, tz: str = "Europe/Stockholm"
) -> str:
    """iCalendar feed of one employee's shifts (floating local times with TZID)."""
    emp = inp.employee(employee_id)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Radhus//Schema//SV", "CALSCALE:GREGORIAN"]
    for d, sid in enumerate(roster[employee_id]):
        if not sid:
            continue
        s = inp.shift(sid)
        start = datetime.combine(inp.date_of(d), datetime.min.time()) + timedelta(minutes=s.start_min)
        end = start + timedelta(minutes=s.length_min)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{emp.id}-{inp.date_of(d).isoformat()}-{sid}@radhus",
            f"DTSTAMP:{stamp}",
            f"DTSTART;TZID={tz}:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID={tz}:{end:%Y%m%dT%H%M%S}",
            f"SUMMARY:{_escape(s.label + ' – ' + inp.unit)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


# --- home-care day plans ------------------------------------------------------------------------------------------

ROUTE_COLUMNS = ["personal", "namn", "typ", "besök", "brukare", "start", "slut", "restid före (min)", "dubbelbemanning"]


def _route_rows(routes: dict, staff: dict[str, dict]) -> list[list]:
    """One row per visit or break, staff by staff in plan order."""
    rows = []
    for staff_id, items in routes.items():
        name = staff.get(staff_id, {}).get("name", staff_id)
        for it in items:
            kind = "rast" if it["type"] == "break" else "besök"
            travel = round(it["travel_min"]) if it.get("travel_min") is not None else ""
            double = "ja" if it.get("double") else ""
            rows.append([staff_id, name, kind, it.get("visit_id", ""), it.get("client", ""), it["start"], it["end"],
                         travel, double])  # fmt: skip
    return rows


def routes_csv(plan: dict, staff: dict[str, dict]) -> str:
    """CSV of the day's routes: one row per visit or break."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ROUTE_COLUMNS)
    writer.writerows(_route_rows(plan.get("routes") or {}, staff))
    return buf.getvalue()


def routes_xlsx(plan: dict, staff: dict[str, dict], path: Path) -> None:
    """Excel workbook: the routes, and the unplanned visits with their reasons."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Rutter"
    ws.append([c.capitalize() for c in ROUTE_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in _route_rows(plan.get("routes") or {}, staff):
        ws.append(row)
    unplanned = wb.create_sheet("Ej planerade")
    unplanned.append(["Besök", "Orsak"])
    for u in plan.get("unplanned") or []:
        unplanned.append([u["visit_id"], u["reason"]])
    wb.save(path)


def routes_ics(
    plan: dict, staff: dict[str, dict], day: date, staff_ids: list[str], *, unit: str, tz: str = "Europe/Stockholm"
) -> str:
    """iCalendar of the day's visits and breaks for the given staff members (floating local times with TZID)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    midnight = datetime.combine(day, datetime.min.time())
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Radhus//Rutter//SV", "CALSCALE:GREGORIAN"]
    for staff_id in staff_ids:
        for it in (plan.get("routes") or {}).get(staff_id, []):
            start = midnight + timedelta(minutes=round(it["start_min"]))
            end = midnight + timedelta(minutes=round(it["end_min"]))
            what = "Rast" if it["type"] == "break" else f"Besök {it.get('visit_id', '')} – {it.get('client', '')}"
            who = staff.get(staff_id, {}).get("name", staff_id)
            lines += [
                "BEGIN:VEVENT",
                f"UID:{staff_id}-{day.isoformat()}-{it['task']}@radhus",
                f"DTSTAMP:{stamp}",
                f"DTSTART;TZID={tz}:{start:%Y%m%dT%H%M%S}",
                f"DTEND;TZID={tz}:{end:%Y%m%dT%H%M%S}",
                f"SUMMARY:{_escape(what)}",
                f"DESCRIPTION:{_escape(who + ' – ' + unit)}",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
