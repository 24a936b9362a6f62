"""Alembic environment. The archiver hands in its connection (archiver.archive.catalog.database); Alembic's
own CLI works too, with the shipped alembic.ini and the catalog's URL:

    alembic -c archiver/archive/catalog/alembic.ini -x url=sqlite:///catalog.sqlite check
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from archiver.archive.catalog.models import Base

connection = context.config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the catalog's URL: alembic -x url=postgresql+psycopg://… (or sqlite:///catalog.sqlite)")
    engine = create_engine(url)
    with engine.connect() as own:
        context.configure(connection=own, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
