"""The SQL schema (SQLAlchemy 2 Core): accounts, the quarantine and the ingest ledger.

Migrations under ``migrations/versions`` build exactly this schema; a test compares
the two so neither drifts. Posts, media and interactions live in the Parquet
archive (see :mod:`iru.storage.archive`), not here.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("platform", String(64), primary_key=True),
    Column("account_id", String(512), primary_key=True),
    Column("handle", String(512)),
    Column("display_name", Text),
    Column("description", Text),
    Column("profile_image_url", Text),
    Column("url", Text),
    Column("location", Text),
    Column("language", String(32)),
    Column("created_at", DateTime(timezone=True)),
    Column("followers_count", BigInteger),
    Column("following_count", BigInteger),
    Column("post_count", BigInteger),
    Column("listed_count", BigInteger),
    Column("verified", Boolean),
    Column("protected", Boolean),
    Column("observed_at", DateTime(timezone=True)),
    # What iru knows of the account on its platform: active until told otherwise.
    Column("status", String(32), nullable=False, server_default="active"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("format", String(64), nullable=False),
    Column("locator", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("quarantined_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "locator", name="uq_quarantine_source_locator"),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("inputs", Text, nullable=False),
    Column("records_read", BigInteger, nullable=False, server_default="0"),
    Column("accepted", BigInteger, nullable=False, server_default="0"),
    Column("duplicates", BigInteger, nullable=False, server_default="0"),
    Column("quarantined", BigInteger, nullable=False, server_default="0"),
)

# Knowledge the unit brings in: known-content hashes, indicator files, analysts' labels.
known_hashes = Table(
    "known_hashes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hash_type", String(16), nullable=False),
    Column("value", String(128), nullable=False),
    Column("label", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("list_sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True)),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("hash_type", "value", "label", name="uq_known_hashes_type_value_label"),
)

indicator_sets = Table(
    "indicator_sets",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("version", String(64), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("rules", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

labels = Table(
    "labels",
    metadata,
    Column("platform", String(64), primary_key=True),
    Column("account_id", String(512), primary_key=True),
    # Where the label came from: an imported file, or a review decision.
    Column("source", String(200), primary_key=True),
    Column("label", String(32), nullable=False),
    Column("labelled_at", DateTime(timezone=True), nullable=False),
)

# Detection: which archive files have been scored, and the current view of each account.
detect_files = Table(
    "detect_files",
    metadata,
    Column("path", String(1024), primary_key=True),  # relative to the archive root
    Column("signals", Integer, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

assessments = Table(
    "assessments",
    metadata,
    Column("platform", String(64), primary_key=True),
    Column("account_id", String(512), primary_key=True),
    Column("score", Float, nullable=False),
    Column("label", String(32), nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of one-line reasons
    Column("signals", Integer, nullable=False),
    Column("assessed_at", DateTime(timezone=True), nullable=False),
    # The classifier version that produced the score ("" for the rules-only assessor).
    Column("model", String(64), nullable=False, server_default=""),
    # The model's probability from the account's own content alone, before the network.
    Column("local_score", Float),
    # The account's language from its posts' language signals ("und" when unknown).
    Column("language", String(16)),
)

# Known propaganda texts, for near-duplicate matching (MinHash LSH).
known_texts = Table(
    "known_texts",
    metadata,
    Column("text_sha256", String(64), primary_key=True),  # of the text as imported
    Column("text", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("list_sha256", String(64), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

# Trained account classifiers: the version, where its file is, what it was trained on.
models = Table(
    "models",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("path", String(1024), nullable=False),  # relative to the workspace
    Column("sha256", String(64), nullable=False),  # of the model file
    Column("card", Text, nullable=False),  # JSON: training data summary, metrics, parameters
    Column("trained_at", DateTime(timezone=True), nullable=False),
)

# A new account linked to a suspended one it is suspected to replace.
resurgence_links = Table(
    "resurgence_links",
    metadata,
    Column("platform", String(64), primary_key=True),
    Column("account_id", String(512), primary_key=True),  # the new account
    Column("predecessor_id", String(512), primary_key=True),  # the account it replaces
    Column("confidence", Float, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON: feature -> strength
    Column("explanation", Text, nullable=False),
    Column("first_post_at", DateTime(timezone=True)),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)
