"""The catalog on SQLite and PostgreSQL: migrations, and an audit trail whose rows are hash-chained."""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from archiver.archive.catalog import open_catalog
from archiver.archive.catalog.models import Base


def test_migrations_make_the_schema_and_can_run_again(catalog_url: str) -> None:
    catalog = open_catalog(catalog_url, migrate=True)
    again = open_catalog(catalog_url, migrate=True)  # already at head: nothing to do
    with again.transaction() as session:
        tables = {"users", "cases", "case_versions", "documents", "copies", "signatures", "audit_events"}
        for table in tables:
            session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
    catalog.engine.dispose()
    again.engine.dispose()


def test_the_migrations_make_exactly_the_models_schema(catalog_url: str) -> None:
    """A fresh catalog brought to the latest migration has every table, column, type, index and constraint
    the models declare, and nothing else: a model changed without a migration (or a migration that differs
    from the models) is a difference here."""
    catalog = open_catalog(catalog_url, migrate=True)
    try:
        with catalog.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            tables = set(Base.metadata.tables)
            assert tables >= {"users", "cases", "case_versions", "audit_events"}, tables
    finally:
        catalog.engine.dispose()
    assert differences == [], "the models and the migrations differ (add a migration):\n" + "\n".join(
        map(str, differences)
    )


def test_audit_rows_edited_deleted_or_truncated_are_detected(catalog_url: str) -> None:
    catalog = open_catalog(catalog_url, migrate=True)
    with catalog.transaction() as session:
        for n in range(5):
            catalog.record(session, "admin", "archive", f"case-{n}", "success", {"n": n})
    assert catalog.audit_problems() == []
    with catalog.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET outcome = 'refused' WHERE id = 2"))
    assert any("event 2" in p and "edited" in p for p in catalog.audit_problems())
    with catalog.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET outcome = 'success' WHERE id = 2"))
        connection.execute(text("DELETE FROM audit_events WHERE id = 3"))
    assert any("event 4" in p and "removed" in p for p in catalog.audit_problems())
    catalog.engine.dispose()


def test_last_rows_deleted_are_detected(catalog_url: str) -> None:
    catalog = open_catalog(catalog_url, migrate=True)
    with catalog.transaction() as session:
        for n in range(3):
            catalog.record(session, "admin", "archive", f"case-{n}", "success")
    with catalog.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = 3"))
    assert any("missing" in p for p in catalog.audit_problems())
    catalog.engine.dispose()


def test_two_processes_appending_keep_one_chain(catalog_url: str) -> None:
    open_catalog(catalog_url, migrate=True).engine.dispose()
    code = (
        "import sys; from archiver.archive.catalog import open_catalog\n"
        "c = open_catalog(sys.argv[1], migrate=False)\n"
        "for n in range(40):\n"
        "    with c.transaction() as s:\n"
        "        c.record(s, sys.argv[2], 'archive', f'case-{n}', 'success')\n"
    )
    runs = [subprocess.Popen([sys.executable, "-c", code, catalog_url, name]) for name in ("one", "two")]
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    catalog = open_catalog(catalog_url, migrate=True)
    assert catalog.audit_problems() == []
    with catalog.transaction() as session:
        assert session.execute(text("SELECT COUNT(*) FROM audit_events")).scalar_one() == 80
    catalog.engine.dispose()
