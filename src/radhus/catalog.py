"""The platform's parts in one place: table modules, AI functions, job handlers, web routers and demo content.

This is the only module that knows every domain; `core` never imports one. A listed domain module that does not
exist (yet) is skipped; any other import error is raised.
"""

import importlib
from types import ModuleType
from typing import Any

from radhus.core.jobs import PeriodicJob
from radhus.core.register import AIFunctionSpec

# Modules whose SQLAlchemy tables belong to the schema.
MODEL_MODULES = [
    "radhus.core.orgs",
    "radhus.core.auth",
    "radhus.core.oidc",
    "radhus.core.audit",
    "radhus.core.register",
    "radhus.core.jobs",
    "radhus.knowledge.tables",
    "radhus.notes.tables",
    "radhus.planning.tables",
]

# Each module has `AI_FUNCTIONS: list[AIFunctionSpec]`.
AI_FUNCTION_MODULES = [
    "radhus.knowledge.ai_functions",
    "radhus.notes.ai_functions",
    "radhus.planning.ai_functions",
]

# Each module has `router` (pages) and optionally `api` (REST under /api/v1) and `NAV` (menu entries
# {path, label, description, roles}).
ROUTER_MODULES = [
    "radhus.knowledge.routes",
    "radhus.notes.routes",
    "radhus.planning.routes",
    "radhus.core.routes",
]

# Each module exposes `handlers(ctx) -> dict[str, Handler]` for background jobs, and optionally
# `PERIODIC: list[PeriodicJob]`, job kinds the worker enqueues by itself for every organisation at an interval.
JOB_MODULES = [
    "radhus.knowledge.jobs",
    "radhus.notes.jobs",
    "radhus.planning.jobs",
]

# Each module exposes `install_demo(session, *, org_id, ctx) -> None`, run by `radhus serve --demo`.
DEMO_MODULES = [
    "radhus.knowledge.demo",
    "radhus.notes.demo",
    "radhus.planning.demo",
]


def optional_import(name: str) -> ModuleType | None:
    """Import a domain module, or None when that module does not exist."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def installed(names: list[str]) -> list[ModuleType]:
    return [module for module in map(optional_import, names) if module is not None]


def load_all_models() -> None:
    """Import every table module so that Base.metadata knows all tables."""
    installed(MODEL_MODULES)


def all_ai_functions() -> list[AIFunctionSpec]:
    """Every AI function the installed domains declare."""
    return [spec for module in installed(AI_FUNCTION_MODULES) for spec in module.AI_FUNCTIONS]


def job_handlers(ctx: Any) -> dict:
    """All job handlers of the installed domains, bound to the app context."""
    handlers: dict = {}
    for module in installed(JOB_MODULES):
        handlers.update(module.handlers(ctx))
    return handlers


def periodic_jobs() -> list[PeriodicJob]:
    """The periodic jobs the installed domains declare (e.g. daily retention of recorded audio)."""
    return [job for module in installed(JOB_MODULES) for job in getattr(module, "PERIODIC", [])]


CORE_NAV = [
    {"path": "/ai-register", "label": "AI-register", "roles": []},
    {"path": "/jobb", "label": "Bakgrundsjobb", "roles": []},
    {"path": "/granskning", "label": "Granskningslogg", "roles": ["revisor"]},
    {"path": "/admin/anvandare", "label": "Användare", "roles": ["administrator"]},
]


def nav_sections() -> list[dict]:
    """Menu entries: each domain's NAV list first, then the core ones."""
    sections = [item for module in installed(ROUTER_MODULES) for item in getattr(module, "NAV", [])]
    return sections + CORE_NAV


def ui_strings() -> set[str]:
    """Swedish interface strings that domains produce in code (`UI_STRINGS` of a router module)."""
    return {text for module in installed(ROUTER_MODULES) for text in getattr(module, "UI_STRINGS", [])}
