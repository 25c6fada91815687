"""Schema versions and the steps between them.

Why a short explicit list rather than Alembic: the library has five tables and changes
rarely; each step is a plain function run inside the same transaction as the version
bump, so an upgrade is all or nothing on SQLite and PostgreSQL alike (both have
transactional DDL). Alembic would add a dependency, a script folder and an ``env.py`` to
ship inside the wheel, for features (autogenerate, branches, downgrades) an embedded
library does not need. The price: a step that SQLite's ``ALTER TABLE`` cannot express
(dropping a constraint, changing a type) must copy the table itself. Every step is tested
from a database made with the frozen DDL of each earlier version (tests/data).

Version history
---------------
1  athletes, sessions, metric_results, faults, schema_version.
2  ``athletes.name_key`` (the name case-folded, spaces collapsed; unique), merging
   athletes whose names differ only in case or spacing; ``metric_results.reason`` (why a
   metric is not measurable).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Connection, String, Text, delete, select, update

from formcheck.store import schema as s

log = logging.getLogger(__name__)


def name_key(name: str) -> str:
    """The identity of an athlete's name: case-folded, inner spaces collapsed, trimmed."""
    return " ".join(name.split()).casefold()


def add_column(conn: Connection, table: str, column: Column) -> None:
    """``ALTER TABLE ... ADD COLUMN`` with the column's type and default spelled by the
    connection's dialect (the same statement works on SQLite and PostgreSQL)."""
    prep = conn.dialect.identifier_preparer
    ddl = f"ALTER TABLE {prep.quote(table)} ADD COLUMN {prep.quote(column.name)} " + str(
        column.type.compile(dialect=conn.dialect)
    )
    if column.server_default is not None:
        ddl += f" DEFAULT '{column.server_default.arg}'"  # type: ignore[attr-defined]
    if not column.nullable:
        ddl += " NOT NULL"
    conn.exec_driver_sql(ddl)


def _v2(conn: Connection) -> None:
    add_column(conn, "athletes", Column("name_key", String(200), nullable=False, server_default=""))
    rows = conn.execute(select(s.athletes.c.id, s.athletes.c.name).order_by(s.athletes.c.id)).all()
    keep: dict[str, int] = {}
    for athlete_id, name in rows:
        key = name_key(name)
        if key in keep:  # "Anna" and "anna": one athlete, the first one made
            log.info("library upgrade: athlete %r merged into athlete %d", name, keep[key])
            conn.execute(update(s.sessions).where(s.sessions.c.athlete_id == athlete_id)
                         .values(athlete_id=keep[key]))
            conn.execute(delete(s.athletes).where(s.athletes.c.id == athlete_id))
        else:
            keep[key] = athlete_id
            conn.execute(update(s.athletes).where(s.athletes.c.id == athlete_id).values(name_key=key))
    next(ix for ix in s.athletes.indexes if ix.name == "ix_athletes_name_key").create(conn)
    add_column(conn, "metric_results", Column("reason", Text, nullable=True))


@dataclass(frozen=True)
class Migration:
    """Brings a library from ``version - 1`` to ``version``."""

    version: int
    summary: str
    apply: Callable[[Connection], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "athlete name keys (case-insensitive names); reasons for unmeasurable metrics", _v2),
)

assert MIGRATIONS[-1].version == s.SCHEMA_VERSION, "schema.py and the migrations disagree"
assert [m.version for m in MIGRATIONS] == list(range(2, s.SCHEMA_VERSION + 1))


def upgrade(conn: Connection, current: int) -> int:
    """Run every step after ``current`` on ``conn`` (inside the caller's transaction) and
    record the new version; return it."""
    for m in MIGRATIONS:
        if m.version > current:
            log.info("library upgrade to schema version %d: %s", m.version, m.summary)
            m.apply(conn)
            current = m.version
    conn.execute(update(s.schema_version).values(version=current))
    return current
