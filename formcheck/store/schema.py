"""The library's tables (SQLAlchemy Core), at the current schema version.

A new library is created from these definitions; an older one is brought here by
:mod:`formcheck.store.migrations`, and a test checks that both roads end at the same
tables, columns and indexes.

Times are stored as naive UTC ``datetime`` (SQLite has no time zones);
:mod:`formcheck.store.library` turns them back into aware ones.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

#: The version these definitions describe; :data:`formcheck.store.migrations.MIGRATIONS`
#: must end here.
SCHEMA_VERSION = 2

metadata = MetaData()

#: One row: the schema version of this library.
schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, nullable=False),
)

athletes = Table(
    "athletes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    # v2: the name case-folded and with its spaces collapsed; "Anna " and "anna" are one athlete.
    Column("name_key", String(200), nullable=False, server_default=""),
    Column("created_at", DateTime, nullable=False),
)
Index("ix_athletes_name_key", athletes.c.name_key, unique=True)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("athlete_id", Integer, ForeignKey("athletes.id", ondelete="CASCADE"), nullable=False),
    # The day of the session, and the moment when known (UTC), for ordering within a day.
    Column("session_date", Date, nullable=False),
    Column("session_time", DateTime, nullable=True),
    # Where the date came from: option | clip_metadata | clip_mtime | analysis_time.
    Column("date_source", String(20), nullable=False),
    Column("condition", String(20), nullable=True),  # treadmill | outdoor
    Column("speed_kmh", Float, nullable=True),
    Column("shoes", String(200), nullable=True),
    Column("notes", Text, nullable=True),
    Column("folder", Text, nullable=False),  # the analysis folder, absolute
    Column("video", Text, nullable=False),  # the clip as the analysis saw it
    Column("analysis_key", String(64), nullable=False, unique=True),
    Column("formcheck_version", String(40), nullable=False),
    Column("view", String(20), nullable=True),
    Column("facing", String(20), nullable=True),
    Column("steps", Integer, nullable=True),
    Column("duration_s", Float, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)
Index("ix_sessions_athlete_date", sessions.c.athlete_id, sessions.c.session_date)

metric_results = Table(
    "metric_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("median", Float, nullable=True),
    Column("p10", Float, nullable=True),
    Column("p90", Float, nullable=True),
    Column("n_steps", Integer, nullable=True),
    Column("unit", String(40), nullable=True),
    Column("measurable", Boolean, nullable=False),
    # v2: why a metric is not measurable (e.g. "needs the runner's height").
    Column("reason", Text, nullable=True),
    UniqueConstraint("session_id", "name", name="uq_metric_results_session_name"),
)

faults = Table(
    "faults",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    # One row per fault formcheck looks for (the analysis's checklist): ``status`` is
    # found | not_found | not_measurable | needs_side_view | too_few_steps; ``severity``
    # (mild | moderate | severe) only for a fault found.
    Column("code", String(40), nullable=False),
    Column("severity", String(20), nullable=True),
    Column("status", String(20), nullable=False),
    UniqueConstraint("session_id", "code", name="uq_faults_session_code"),
)
