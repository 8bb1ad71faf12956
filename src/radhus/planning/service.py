"""Public service functions of the planning domain (rosters); routes and commands call only these."""

from radhus.planning.export import roster_csv, roster_ics, roster_xlsx
from radhus.planning.importer import read_roster_input
from radhus.planning.models import Absence, RosterInput, load_roster_input
from radhus.planning.replan import open_shift_candidates, repair_roster
from radhus.planning.roster import RosterResult, conflict_set, count_changes, report, solve_roster, staffing_report
from radhus.planning.rules import Violation, check_assignment_change, check_roster_rules

__all__ = [
    "Absence",
    "RosterInput",
    "RosterResult",
    "Violation",
    "check_assignment_change",
    "check_roster_rules",
    "conflict_set",
    "count_changes",
    "load_roster_input",
    "open_shift_candidates",
    "read_roster_input",
    "repair_roster",
    "report",
    "roster_csv",
    "roster_ics",
    "roster_xlsx",
    "solve_roster",
    "staffing_report",
]
