"""The platform's parts in one place: table modules, AI functions, job handlers and web routers.

This is the only module that knows every domain; `core` never imports one.
"""

import importlib

from radhus.core.register import AIFunctionSpec

MODEL_MODULES = [
    "radhus.core.orgs",
    "radhus.core.auth",
    "radhus.core.oidc",
    "radhus.core.audit",
    "radhus.core.register",
    "radhus.core.jobs",
]

AI_FUNCTION_MODULES = [
    "radhus.knowledge.ai_functions",
    "radhus.assistant.ai_functions",
    "radhus.notes.ai_functions",
    "radhus.planning.ai_functions",
    "radhus.language.ai_functions",
]


def load_all_models() -> None:
    """Import every table module so that Base.metadata knows all tables."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def all_ai_functions() -> list[AIFunctionSpec]:
    """Every AI function the installed domains declare."""
    specs: list[AIFunctionSpec] = []
    for name in AI_FUNCTION_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        specs.extend(module.AI_FUNCTIONS)
    return specs


# Each module has `router` (pages) and optionally `api` (REST under /api/v1) and `NAV` (menu entries).
ROUTER_MODULES = [
    "radhus.core.routes",
]

# Each module exposes `handlers(ctx) -> dict[str, Handler]` for background jobs.
JOB_MODULES: list[str] = []

# Each module exposes `install_demo(session, *, org_id, ctx) -> None`, run by `radhus serve --demo`.
DEMO_MODULES: list[str] = ["radhus.knowledge.demo"]


def job_handlers(ctx) -> dict:  # type: ignore[no-untyped-def]
    """All job handlers of the installed domains, bound to the app context."""
    handlers: dict = {}
    for name in JOB_MODULES:
        handlers.update(importlib.import_module(name).handlers(ctx))
    return handlers


def nav_sections() -> list[dict]:
    """Menu entries: the core ones, then each domain's NAV list of {path, label, roles}."""
    sections = [
        {"path": "/ai-register", "label": "AI-register", "roles": []},
        {"path": "/jobb", "label": "Bakgrundsjobb", "roles": []},
        {"path": "/granskning", "label": "Granskningslogg", "roles": ["revisor"]},
        {"path": "/admin/anvandare", "label": "Användare", "roles": ["administrator"]},
    ]
    for name in ROUTER_MODULES:
        sections.extend(getattr(importlib.import_module(name), "NAV", []))
    return sections
