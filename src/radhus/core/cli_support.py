"""Helpers every domain's commands share: settings, database, principals, and Swedish error exits."""

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from radhus.core.auth import Principal, Role, User, principal_for
from radhus.core.db import make_engine, make_session_factory, migrate, transaction
from radhus.core.errors import NotFound, RadhusError
from radhus.core.orgs import Organisation, get_organisation
from radhus.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"Fel: {message}", err=True)
    raise typer.Exit(code)


def friendly_errors(command: F) -> F:
    """Turn domain errors into a Swedish message on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RadhusError as exc:
            fail(exc.message)

    return wrapper  # type: ignore[return-value]


def settings() -> Settings:
    return load_settings()


def session_factory(current: Settings | None = None) -> sessionmaker[Session]:
    """A session factory on a migrated database."""
    current = current or settings()
    from radhus.catalog import load_all_models

    load_all_models()
    engine = make_engine(current.resolved_database_url)
    migrate(engine)
    return make_session_factory(engine)


@contextmanager
def db_session(current: Settings | None = None) -> Iterator[Session]:
    with transaction(session_factory(current)) as session:
        yield session


def cli_principal(session: Session, *, org_slug: str) -> tuple[Organisation, Principal]:
    """Command-line calls act as the organisation's administrator (whoever runs the server owns it)."""
    org = get_organisation(session, slug=org_slug)
    admin = session.scalar(
        select(User).where(User.org_id == org.id, User.roles.contains(Role.ADMIN.value)).order_by(User.id)
    )
    if admin is None:
        raise NotFound(f"Organisationen '{org_slug}' har ingen administratör. Kör `radhus init --org {org_slug}`.")
    return org, principal_for(admin, via="cli")


def echo_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
