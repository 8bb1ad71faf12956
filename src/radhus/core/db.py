"""Database access: SQLAlchemy 2 engine and sessions, Alembic migrations; SQLite embedded, PostgreSQL in production."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from radhus.core.errors import RadhusError

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseError(RadhusError):
    status_code = 503


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime, stored as UTC and returned as UTC on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class OrgScoped:
    """Mixin for every table holding municipal data: the row belongs to one organisation."""

    org_id: Mapped[int] = mapped_column(Integer, ForeignKey("organisations.id"), index=True)


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back (writing nothing) on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def check_connection(engine: Engine) -> None:
    """Raise a Swedish DatabaseError when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise DatabaseError(
            f"Databasen går inte att nå ({engine.url.render_as_string(hide_password=True)}). "
            "Kontrollera RADHUS_DATABASE_URL och att databasservern är igång."
        ) from exc


def _alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def database_revisions(engine: Engine) -> set[str]:
    """The schema revisions stamped in the database (one per migration branch)."""
    if not inspect(engine).has_table("alembic_version"):
        return set()
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; refuse a database made by a newer Rådhus."""
    from alembic import command
    from alembic.script import ScriptDirectory

    check_connection(engine)
    config = _alembic_config(engine)
    known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}
    unknown = database_revisions(engine) - known
    if unknown:
        raise DatabaseError(
            f"Databasen har schemaversion {', '.join(sorted(unknown))}, som denna version av Rådhus inte känner "
            "till. Den är troligen skapad av en nyare version: uppgradera Rådhus i stället för att nedgradera "
            "databasen."
        )
    command.upgrade(config, "heads")  # each domain's migrations form their own branch from the core
