"""`radhus plan ...` commands: benchmark solvers (nrp, vrptw, hhc) and unit rosters."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from radhus.core.errors import InvalidInput, RadhusError

plan = typer.Typer(help="Schemaläggning och ruttplanering.", no_args_is_help=True)


def _fail(exc: RadhusError) -> None:
    typer.echo(exc.message, err=True)
    raise typer.Exit(code=2)


def _check_limit(time_limit: float) -> None:
    if time_limit <= 0:
        raise InvalidInput("Tidsgränsen måste vara större än 0 sekunder.")


def _write(data: dict, out: Path) -> None:
    try:
        Path(out).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"Kan inte skriva {out}: {exc}") from exc


@plan.command("nrp")
def nrp_command(
    instance: Path = typer.Option(..., "--instance", help="Curtois & Qu-instans (.txt)"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Tidsgräns i sekunder"),
    out: Path = typer.Option(..., "--out", help="Resultatfil (JSON)"),
) -> None:
    """Lös en sjuksköterskeschema-instans (Shift Scheduling Benchmark)."""
    from radhus.planning.nrp import solve_file
    from radhus.planning.nrp_colgen import least_objective

    try:
        _check_limit(time_limit)
        data, result = solve_file(instance, time_limit=time_limit)
        _write(data, out)
    except RadhusError as exc:
        _fail(exc)
    if result.optimal:
        proof = ", bevisat optimalt"
    elif result.lower_bound > 0:
        proof = f", undre gräns {least_objective(result.lower_bound)}"
    else:
        proof = ""
    typer.echo(f"{data['instance']}: målvärde {data['objective']} ({result.elapsed:.1f} s{proof})")


@plan.command("vrptw")
def vrptw_command(
    instance: Path = typer.Option(..., "--instance", help="Solomon-instans i VRP-REP XML"),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Tidsgräns i sekunder"),
    out: Path = typer.Option(..., "--out", help="Resultatfil (JSON)"),
) -> None:
    """Lös ett ruttproblem med tidsfönster (VRPTW)."""
    from radhus.planning.vrptw import solve_file

    _solve_to_file(solve_file, instance, time_limit, out)


@plan.command("hhc")
def hhc_command(
    instance: Path = typer.Option(..., "--instance", help="Hemsjukvårdsinstans (JSON)"),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Tidsgräns i sekunder"),
    out: Path = typer.Option(..., "--out", help="Resultatfil (JSON)"),
) -> None:
    """Lös ett hemsjukvårds-/hemtjänstproblem."""
    from radhus.planning.hhc import solve_file

    _solve_to_file(solve_file, instance, time_limit, out)


def _solve_to_file(solve_file, instance: Path, time_limit: float, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Solve a benchmark instance within the time limit and write the solver's JSON result."""
    try:
        _check_limit(time_limit)
        _write(solve_file(instance, time_limit=time_limit), out)
    except RadhusError as exc:
        _fail(exc)


@plan.command("roster")
def roster_command(
    input_path: Path = typer.Option(..., "--input", help="Indata (.json eller .xlsx)"),
    out: Path = typer.Option(..., "--out", help="Schema med rapporter (JSON)"),
    time_limit: float = typer.Option(20.0, "--time-limit", help="Tidsgräns i sekunder"),
    org: str | None = typer.Option(None, "--org", help="Spara förslaget som utkast i organisationen (kortnamn)"),
) -> None:
    """Lägg ett schema för en enhet enligt svenska arbetstidsregler."""
    from radhus.planning.importer import read_roster_input
    from radhus.planning.roster import solve_roster

    try:
        _check_limit(time_limit)
        inp = read_roster_input(input_path)
        result = solve_roster(inp, time_limit=time_limit)
        _write(result.to_dict(inp), out)
        stored = _store(org, inp, result.to_dict(inp), time_limit) if org else None
    except RadhusError as exc:
        _fail(exc)
    typer.echo(f"Schema klart ({result.status}); önskemål uppfyllda {result.wishes_granted_pct} %.")
    if stored is not None:
        typer.echo(f"Sparat som utkast {stored} i {org}; en schemaläggare godkänner det innan publicering.")


def _store(org_slug: str, inp, proposal: dict, time_limit: float) -> int:  # type: ignore[no-untyped-def]
    """Save the proposal in the organisation as a draft (returns the plan id)."""
    from radhus.core.cli_support import cli_principal, db_session
    from radhus.planning.workflow import store_solved_roster

    with db_session() as session:
        _, who = cli_principal(session, org_slug=org_slug)
        plan = store_solved_roster(session, who=who, inp=inp, proposal=proposal, time_limit=time_limit)
        return plan.id


def register(root: typer.Typer) -> None:
    """Add the `plan` group to the root command."""
    root.add_typer(plan, name="plan")
