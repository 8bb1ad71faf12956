"""The planning migrations create exactly the tables the models describe (also after planning_0002)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from radhus.catalog import load_all_models
from radhus.core.db import Base, make_engine, migrate


def _planning_diffs(diffs: list) -> list:
    def table_of(diff) -> str:  # type: ignore[no-untyped-def]
        item = diff[0] if isinstance(diff, list) else diff
        for part in item[1:]:
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            if table is not None:
                return str(table.name)
            if isinstance(name, str) and name.startswith("planning_"):
                return name
        return ""

    return [d for d in diffs if table_of(d).startswith("planning_")]


def test_migrated_planning_tables_match_the_models(database_url):  # type: ignore[no-untyped-def]
    """On the test run's migrated database: SQLite, or PostgreSQL when RADHUS_TEST_DATABASE_URL is set."""
    engine = make_engine(database_url)
    migrate(engine)  # already at the newest revision: a no-op that must not fail
    load_all_models()
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert _planning_diffs(diffs) == []
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("planning_routes")}
    assert {"approved_by", "approved_by_name", "approved_at", "published_at", "published_version"} <= columns
    assert "published_plan" in columns
