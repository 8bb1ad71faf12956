"""Seeders for the isolation test: each domain may add `tests/<domain>/isolation_seed.py` with a function
`seed(session, *, org_id, marker, settings)` that creates that domain's data in the organisation with `marker` in
its visible text, so the test can prove none of it leaks to another organisation."""

import importlib

DOMAINS = ["knowledge", "notes", "planning"]


def _seeders() -> list:
    found = []
    for domain in DOMAINS:
        try:
            module = importlib.import_module(f"tests.{domain}.isolation_seed")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.{domain}.isolation_seed":
                raise
            continue
        found.append(module.seed)
    return found


DOMAIN_SEEDERS = _seeders()
