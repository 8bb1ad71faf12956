"""The `radhus` command line: a thin layer that parses, authorises, calls services and prints."""

import importlib

import typer

app = typer.Typer(
    name="radhus",
    help="Rådhus – en öppen AI-plattform för kommuner.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Each module exposes `register(root: typer.Typer) -> None` and adds its commands or command groups.
DOMAIN_CLI_MODULES = [
    "radhus.core.cli",
    "radhus.providers.cli",
    "radhus.knowledge.cli",
    "radhus.notes.cli",
    "radhus.planning.cli",
]


def _register_domains() -> None:
    for module_name in DOMAIN_CLI_MODULES:
        importlib.import_module(module_name).register(app)


_register_domains()


def main() -> None:
    app()
