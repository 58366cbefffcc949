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
    Index,
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

# The audit log: append-only, hash-chained (see iru.cases.audit); seq is given, not generated.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(1024), nullable=False, index=True),
    Column("before", Text),  # canonical JSON, or NULL
    Column("after", Text),  # canonical JSON, or NULL
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# The evidence manifest: one chained entry per capture or purge (see iru.cases.evidence).
evidence_manifest = Table(
    "evidence_manifest",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("action", String(16), nullable=False),  # capture | purge
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("subject", String(1024), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("mime_type", String(200), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# The case workflow: units, their users, cases per (account, unit), decisions, holds.
units = Table(
    "units",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("contact", Text, nullable=False),  # the desk other units call about a hold
    Column("created_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("role", String(16), nullable=False),  # analyst | supervisor | auditor | admin
    Column("unit", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Web log-in (see iru.engine.services.auth): an Argon2id hash, never the password.
    Column("password_hash", Text),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("first_failed_at", DateTime(timezone=True)),  # of the current run of failures
    Column("locked_until", DateTime(timezone=True)),
)

cases = Table(
    "cases",
    metadata,
    Column("case_id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(64), nullable=False),
    Column("account_id", String(512), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("restricted", Boolean, nullable=False),  # visible to its unit only
    # open | pending_approval | referred | dismissed | monitor | hold
    Column("status", String(32), nullable=False),
    Column("opened_by", String(200), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The case of the removed account this one resurged from (its history travels with it).
    Column("predecessor_case_id", Integer),
    UniqueConstraint("platform", "account_id", "unit", name="uq_cases_account_unit"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, nullable=False, index=True),
    Column("decision", String(16), nullable=False),  # refer | dismiss | monitor | hold
    Column("reason", Text, nullable=False),
    Column("decided_by", String(200), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("approved_by", String(200)),  # a referral under the four-eyes rule
    Column("approved_at", DateTime(timezone=True)),
)

holds = Table(
    "holds",
    metadata,
    Column("hold_id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(64), nullable=False),
    Column("account_id", String(512), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("contact", Text, nullable=False),
    Column("reason", Text, nullable=False),  # the holding unit's only
    Column("placed_by", String(200), nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("lifted_at", DateTime(timezone=True)),
    Index("ix_holds_account", "platform", "account_id"),
)

# Referrals and removal orders: the package as sent, the platform's ticket and what it said.
referrals = Table(
    "referrals",
    metadata,
    Column("referral_id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # referral | removal_order
    Column("case_id", Integer, nullable=False, index=True),
    Column("unit", String(64), nullable=False),
    Column("platform", String(64), nullable=False),
    Column("account_id", String(512), nullable=False),
    # queued | sent | received | clarification | removed | rejected | restored | failed
    Column("status", String(32), nullable=False, index=True),
    Column("connector", String(64), nullable=False),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("package_sha256", String(64), nullable=False),
    Column("package_json", Text, nullable=False),
    Column("html_sha256", String(64)),  # the readable package, in the evidence store
    Column("target_hours", Float, nullable=False),
    Column("ticket", String(200)),  # the platform's reference, from its receipt
    Column("last_seq", Integer, nullable=False, server_default="0"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("received_at", DateTime(timezone=True)),  # starts the deadline clock
    Column("closed_at", DateTime(timezone=True)),
)

referral_events = Table(
    "referral_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("referral_id", Integer, nullable=False, index=True),
    Column("seq", Integer),  # the platform's event number; NULL for iru's own events
    Column("status", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", Text, nullable=False),
    Column("form_json", Text),  # Annex II / III as the platform sent it
    Column("source", String(32), nullable=False),  # connector | poll | callback | analyst | recheck
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("referral_id", "seq", name="uq_referral_events_seq"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", Integer, primary_key=True, autoincrement=True),
    Column("referral_id", Integer, nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("connector", String(64), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", String(16), nullable=False),  # pending | receipt | replayed | error
    Column("http_status", Integer),
    Column("receipt_json", Text),
    Column("error", Text),
)

# The workbench's log-in sessions: only the SHA-256 of the random session id is kept.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_id_sha256", String(64), primary_key=True),
    Column("user", String(200), nullable=False, index=True),
    Column("csrf_token", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("client", String(200), nullable=False, server_default=""),  # address, user agent
)

# API tokens for scripts (``Authorization: Bearer iru_...``): only their SHA-256 is kept.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("user", String(200), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)
