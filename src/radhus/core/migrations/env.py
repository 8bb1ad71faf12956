"""Alembic environment: the engine comes from Rådhus (config.attributes['engine']), never from alembic.ini."""

from alembic import context

from radhus.catalog import load_all_models
from radhus.core.db import Base

load_all_models()
config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
