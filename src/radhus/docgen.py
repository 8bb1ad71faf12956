"""Reference documentation generated from the code: settings, commands and pages/endpoints.

`python -m radhus.docgen` rewrites the generated parts of docs/; a test fails when they are stale or when a
setting, command or route has no description.
"""

import re
import sys
from collections.abc import Sequence
from pathlib import Path

import typer

BEGIN, END = "<!-- BEGIN GENERATED -->", "<!-- END GENERATED -->"
BUILT_IN_ROUTES = {
    "/api/v1/openapi.json": "The OpenAPI document of the REST API.",
    "/api/v1/docs": "Interactive documentation of the REST API.",
}


def settings_reference() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting."""
    from radhus.settings import SECRET_FIELDS, Settings

    rows = []
    for name, field in Settings.model_fields.items():
        default = "(hemlig)" if name in SECRET_FIELDS else repr(field.get_default(call_default_factory=True))
        rows.append((f"RADHUS_{name.upper()}", default, field.description or ""))
    return rows


def command_reference() -> list[tuple[str, str]]:
    """(full command, first line of its help) for every command and group."""
    from radhus.cli import app

    rows: list[tuple[str, str]] = []

    def walk(command, path: str) -> None:  # type: ignore[no-untyped-def]
        text = (command.help or command.short_help or "").strip().splitlines()
        rows.append((path, text[0] if text else ""))
        if hasattr(command, "commands"):
            for name, child in sorted(command.commands.items()):
                walk(child, f"{path} {name}")

    walk(typer.main.get_command(app), "radhus")
    return rows


def route_reference() -> list[tuple[str, str, str]]:
    """(method, path, description) for every page and API endpoint."""
    import tempfile

    from radhus.app import create_app
    from radhus.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(data_dir=Path(folder), secret_key="docs"), start_worker=False)
        rows = []
        for route in _flat_routes(app.routes):
            doc = (route.endpoint.__doc__ or "").strip().splitlines()
            description = getattr(route, "summary", None) or BUILT_IN_ROUTES.get(route.path) or (doc[0] if doc else "")
            for method in sorted(route.methods - {"HEAD"}):
                rows.append((method, route.path, description))
    return sorted(rows, key=lambda r: (r[1], r[0]))


def _flat_routes(routes: list) -> list:  # type: ignore[type-arg]
    found = []
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            found.extend(_flat_routes(nested.routes))
        elif getattr(route, "methods", None) and hasattr(route, "endpoint"):
            found.append(route)
    return found


def _table(header: list[str], rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def generated_sections() -> dict[str, str]:
    """The generated block of each reference document."""
    settings = [(f"`{env}`", f"`{default}`", text) for env, default, text in settings_reference()]
    commands = [(f"`{path}`", text) for path, text in command_reference()]
    routes = [(method, f"`{path}`", text) for method, path, text in route_reference()]
    return {
        "configuration.md": _table(["Environment variable", "Default", "Description"], settings),
        "cli.md": _table(["Command", "Description"], commands),
        "pages.md": _table(["Method", "Path", "Description"], routes),
    }


def render(existing: str, block: str) -> str:
    if BEGIN not in existing:
        return f"{existing.rstrip()}\n\n{BEGIN}\n{block}\n{END}\n"
    return re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), f"{BEGIN}\n{block}\n{END}", existing, flags=re.S)


def main(docs_dir: Path = Path("docs")) -> None:
    for name, block in generated_sections().items():
        path = docs_dir / name
        existing = path.read_text(encoding="utf-8") if path.exists() else f"# {name}\n"
        path.write_text(render(existing, block), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
