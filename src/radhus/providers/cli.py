"""`radhus providers …` commands."""

import json
import os
import tomllib
from pathlib import Path

import typer
from pydantic import ValidationError

from radhus.core.errors import InvalidInput, RadhusError
from radhus.providers.config import ProvidersConfig
from radhus.providers.routing import check_providers

CONFIG_ENV = "RADHUS_CONFIG"


def load_providers_config(path: Path | None = None) -> ProvidersConfig:
    """ProvidersConfig from a radhus.toml (`path`, else $RADHUS_CONFIG); empty config when neither is set."""
    if path is None:
        env = os.environ.get(CONFIG_ENV, "").strip()
        if not env:
            return ProvidersConfig()
        path = Path(env)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(f"Konfigurationsfilen {path} finns inte.", detail={"path": str(path)}) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Konfigurationsfilen {path} kunde inte läsas.", detail={"path": str(path)}) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(
            f"Konfigurationsfilen {path} är inte giltig TOML: {exc}.", detail={"path": str(path)}
        ) from exc
    try:
        return ProvidersConfig.model_validate(
            {"providers": data.get("providers", {}), "defaults": data.get("defaults", {})}
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()[:5]
        )
        raise InvalidInput(f"Fel i modellkonfigurationen i {path}: {problems}.", detail={"path": str(path)}) from exc


def _print_table(rows: list[dict]) -> None:
    headers = ("namn", "förmåga", "typ", "max klass", "standard", "status", "orsak")
    keys = ("name", "capability", "kind", "max_data_class", "default", "status", "reason")
    lines = [[("ja" if row[k] is True else "" if row[k] is False else str(row[k])) for k in keys] for row in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(headers)]
    typer.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for line in lines:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def register(root: typer.Typer) -> None:
    """Add the `providers` command group to the root CLI."""
    group = typer.Typer(help="Modelltjänster: chatt, inbäddningar, tal och översättning.", no_args_is_help=True)

    @group.command("check")
    def check(
        config: Path | None = typer.Option(None, "--config", help="radhus.toml (standard: $RADHUS_CONFIG)."),
        as_json: bool = typer.Option(False, "--json", help="Skriv ut som JSON."),
        timeout: float = typer.Option(2.0, "--timeout", help="Sekunder per kontroll av en server."),
    ) -> None:
        """Lista alla modelltjänster med status och högsta dataklass."""
        try:
            rows = check_providers(load_providers_config(config), timeout_s=timeout)
        except RadhusError as exc:
            typer.echo(f"Fel: {exc.message}", err=True)
            raise typer.Exit(2) from exc
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            _print_table(rows)
        if any(row["status"] != "ok" for row in rows if row["capability"] != "chat" or row["name"] != "-"):
            raise typer.Exit(1)

    root.add_typer(group, name="providers")
