"""The metadata schema as SQLAlchemy Core tables.

The migrations in `storage/migrations/versions` create exactly this schema (a test compares them).
Instants are epoch milliseconds (BigInteger). In `latest_metrics` a NaN value is stored as NULL
with `is_nan` true, because SQLite turns NaN into NULL anyway; infinities are stored as they are.
Params and tags keep a `value_num` column holding the value as a number when it is one, so the
query language can compare them numerically with an index and without parsing in SQL.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

ID = String(32)
KEY = String(250)  # MLflow's limit for param, metric and tag keys

experiments = Table(
    "experiments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("workspace", String(64), nullable=False),
    Column("name", String(256), nullable=False),
    Column("description", Text),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("workspace", "name"),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column("experiment_id", ID, ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True),
    Column("key", KEY, primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("experiment_id", ID, ForeignKey("experiments.id", ondelete="CASCADE"), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("name", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger),
    Column("user", String(256)),
    Column("source", Text),
    Column("git_commit", String(64)),
    Column("git_dirty", Boolean),
    Column("parent_run_id", ID),
    Column("artifact_uri", Text, nullable=False),
    Column("lifecycle_stage", String(16), nullable=False),
    Index(None, "experiment_id", "start_time"),
    Index(None, "workspace", "start_time"),
    Index(None, "parent_run_id"),
)

params = Table(
    "params",
    metadata,
    Column("run_id", ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", KEY, primary_key=True),
    Column("value", Text, nullable=False),
    Column("value_num", Float),
    Index(None, "key", "value_num"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", KEY, primary_key=True),
    Column("value", Text, nullable=False),
    Column("value_num", Float),
    Index(None, "key", "value_num"),
)

# Metric points are stored in chunks: one row per (run, key, batch) holding the batch's steps,
# timestamps and values as little-endian int64/int64/float64 arrays. A 1,000-point batch is a few
# rows instead of 1,000, and a 100,000-point history is read as ~100 blobs; NaN and infinities
# are stored as the IEEE values they are. Small chunks are merged as they accumulate
# (`tracking/metric_chunks.py`).
metric_chunks = Table(
    "metric_chunks",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("run_id", ID, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", KEY, nullable=False),
    Column("count", Integer, nullable=False),
    Column("min_step", BigInteger, nullable=False),
    Column("max_step", BigInteger, nullable=False),
    Column("steps", LargeBinary, nullable=False),
    Column("timestamps", LargeBinary, nullable=False),
    Column("values", LargeBinary, nullable=False),
    Index(None, "run_id", "key", "id"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", KEY, primary_key=True),
    Column("value", Float),
    Column("is_nan", Boolean, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("min_value", Float),
    Column("max_value", Float),
    Column("count", Integer, nullable=False),
    Index(None, "key", "value"),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", ID, primary_key=True),
    Column("workspace", String(64), nullable=False),
    Column("name", String(256), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("source", Text),
    Column("source_type", String(64)),
    Column("schema", JSON),
    Column("profile", JSON),
    Column("preview", JSON),
    Column("num_rows", BigInteger),
    UniqueConstraint("workspace", "name", "digest"),
)

run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_id", ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("dataset_id", ID, ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    Column("context", String(64), primary_key=True),
    Column("tags", JSON),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("run_id", ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", Text, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# --- model registry (migration 0002) -------------------------------------------------------------
# Opaque JSON (files, signature, lineage, tags) is stored as JSON; metrics keep NaN and infinities
# as the strings of `core/floats.py`, because PostgreSQL's JSON has no NaN.
registered_models = Table(
    "registered_models",
    metadata,
    Column("id", ID, primary_key=True),
    Column("workspace", String(64), nullable=False),
    Column("name", String(256), nullable=False),
    Column("description", Text),
    Column("tags", JSON, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("workspace", "name"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("model_id", ID, ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("source_uri", Text, nullable=False),
    Column("storage_uri", Text, nullable=False),
    Column("run_id", String(64)),
    Column("files", JSON, nullable=False),
    Column("flavor", String(64)),
    Column("signature", JSON),
    Column("metrics", JSON, nullable=False),
    Column("lineage", JSON, nullable=False),
    Column("status", String(32), nullable=False),
    Column("description", Text),
    Column("tags", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(256)),
    Column("updated_at", BigInteger, nullable=False),
    Index(None, "run_id"),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column("model_id", ID, ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True),
    Column("alias", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_by", String(256), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

registry_audit = Table(
    "registry_audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("model_id", ID, ForeignKey("registered_models.id", ondelete="CASCADE"), nullable=False),
    Column("action", String(32), nullable=False),
    Column("alias", String(64)),
    Column("from_version", Integer),
    Column("to_version", Integer),
    Column("from_status", String(32)),
    Column("to_status", String(32)),
    Column("actor", String(256), nullable=False),
    Column("reason", Text),
    Column("details", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "model_id", "id"),
)

registry_events = Table(
    "registry_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("workspace", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("model_name", String(256), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "workspace", "id"),
)
