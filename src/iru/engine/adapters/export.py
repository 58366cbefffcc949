"""The export connector: referral packages as files an analyst sends by email.

For platforms without a notice API. :meth:`ExportConnector.deliver` writes under
``outbox/<platform>/`` the package's JSON (``<reference>.json``), its readable page
(``<reference>.html``) and an email-ready message (``<reference>.eml``: a plain-text summary
with the HTML page as alternative, the JSON attached), then records the delivery as a row of
``index.csv``. The row is the commit: delivering the same reference under the same
idempotency key again finds it, writes nothing and returns the same receipt (``replayed``);
a crash before the row leaves files that a retry simply rewrites. A different package under
a reference already exported, or a key reused for another reference, is refused. Every file
is replaced atomically (a temporary file in the same folder, fsync, rename), and deliveries
to one platform's folder are serialised by a lock file.

The Message-ID is derived from the idempotency key (and the sender's domain), so a resent
message carries the same id and the platform can drop the duplicate.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import ClassVar

from iru.cases.chain import rfc3339
from iru.cases.packages import Package
from iru.cases.tco import Referral, render_order_text
from iru.domain import require_zone, utc

INDEX = "index.csv"
INDEX_FIELDS = (
    "reference",
    "kind",
    "platform",
    "account_id",
    "package_sha256",
    "idempotency_key",
    "written_at",
    "eml_file",
)
# References and platform names become file and folder names: keep them plain.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
# CRLF line ends; headers folded only past RFC 5322's hard limit, so hashes stay whole.
_EML_POLICY = SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class ExportReceipt:
    """What an export wrote: the files (relative to the outbox) and the message's id."""

    connector: str
    reference: str
    files: tuple[str, ...]
    message_id: str
    written_at: datetime  # UTC; on a replay, when the first delivery wrote the files
    replayed: bool


def _safe(value: str, what: str) -> str:
    if not _SAFE_NAME.fullmatch(value) or ".." in value:
        raise ValueError(f"{what} {value!r} cannot name a file (letters, digits, . _ - only)")
    return value


def _write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data``: a temporary file beside it, fsync, rename, fsync the folder."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.partial")
    try:
        with partial.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / ".index.lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def read_index(folder: Path) -> list[dict[str, str]]:
    """The rows of a platform folder's ``index.csv``; empty when there is none yet."""
    path = folder / INDEX
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != INDEX_FIELDS:
            raise ValueError(f"{path}: not an export index (header {reader.fieldnames})")
        return list(reader)


def _index_bytes(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=INDEX_FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _account_label(package: Package) -> str:
    handle = (package.handle or "").strip().lstrip("@")
    return f"@{handle}" if handle else package.account_id


def _summary(package: Package) -> str:
    """The plain-text part: what is attached and, for an order, the order's full text."""
    form = package.form
    title = "Referral" if package.kind == "referral" else "Removal order"
    lines = [
        f"{title} {package.reference}",
        f"Platform: {package.platform}    Account: {_account_label(package)}"
        f" (id {package.account_id})",
        f"Package SHA-256: {package.sha256}",
        f"Attached: {package.reference}.json (the form as sent); the HTML part is the readable"
        " package.",
        "",
    ]
    if isinstance(form, Referral):
        lines += [
            "Reported for review under the platform's terms of service (not a removal order).",
            f"Terms-of-service clause: {form.tos_clause}",
            f"Response requested within {form.target_response_hours} hours.",
            "",
            "Content:",
            *(f"  {url}" for url in form.urls),
            "",
            f"Evidence: {len(form.evidence)} preserved item(s), listed with their SHA-256 in"
            " the HTML part.",
        ]
        return "\n".join(lines) + "\n"
    return "\n".join(lines) + "\n" + render_order_text(form)


class ExportConnector:
    """Writes packages as files and email messages under ``outbox/<platform>/``."""

    name: ClassVar[str] = "export"

    def __init__(self, outbox: Path, *, sender: str, recipients: Mapping[str, str]) -> None:
        self.outbox = Path(outbox)
        self.sender = sender
        self.recipients = dict(recipients)

    def recipient(self, platform: str) -> str:
        """Where the platform's messages go: configured, or a placeholder to fill in."""
        return self.recipients.get(platform, f"abuse@{platform}.invalid")

    def message_id(self, idempotency_key: str) -> str:
        """The Message-ID of the delivery with this key: the same on every resend."""
        digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:40]
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "iru.invalid"
        return f"<iru.{digest}@{domain}>"

    def deliver(self, package: Package, *, idempotency_key: str, now: datetime) -> ExportReceipt:
        """Write the package's files and message, then index them; idempotent per key.

        Raises ValueError when the reference was exported before with another package or
        another key, or the key was used for another reference.
        """
        platform = _safe(package.platform, "platform")
        reference = _safe(package.reference, "reference")
        if not idempotency_key.strip() or any(c in idempotency_key for c in "\r\n"):
            raise ValueError(f"export of {reference}: an idempotency key is required")
        folder = self.outbox / platform
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            rows = read_index(folder)
            for row in rows:
                if row["reference"] == reference:
                    if row["package_sha256"] != package.sha256:
                        raise ValueError(
                            f"reference {reference} was already exported with another package"
                            f" (SHA-256 {row['package_sha256']}, not {package.sha256})"
                        )
                    if row["idempotency_key"] != idempotency_key:
                        raise ValueError(
                            f"reference {reference} was already exported under another"
                            " idempotency key"
                        )
                    return self._receipt(row, replayed=True)
                if row["idempotency_key"] == idempotency_key:
                    raise ValueError(
                        f"idempotency key of {reference} was already used for {row['reference']}"
                    )
            written_at = utc(require_zone(now))
            message = self._message(package, idempotency_key, written_at)
            _write_atomic(folder / f"{reference}.json", package.json_bytes)
            _write_atomic(folder / f"{reference}.html", package.html.encode("utf-8"))
            _write_atomic(folder / f"{reference}.eml", message.as_bytes(policy=_EML_POLICY))
            row = {
                "reference": reference,
                "kind": package.kind,
                "platform": platform,
                "account_id": package.account_id,
                "package_sha256": package.sha256,
                "idempotency_key": idempotency_key,
                "written_at": rfc3339(written_at),
                "eml_file": f"{reference}.eml",
            }
            _write_atomic(folder / INDEX, _index_bytes([*rows, row]))
        return self._receipt(row, replayed=False)

    def _receipt(self, row: Mapping[str, str], *, replayed: bool) -> ExportReceipt:
        platform, reference = row["platform"], row["reference"]
        return ExportReceipt(
            connector=self.name,
            reference=reference,
            files=(
                f"{platform}/{reference}.json",
                f"{platform}/{reference}.html",
                f"{platform}/{row['eml_file']}",
            ),
            message_id=self.message_id(row["idempotency_key"]),
            written_at=datetime.fromisoformat(row["written_at"]),
            replayed=replayed,
        )

    def _message(self, package: Package, key: str, written_at: datetime) -> EmailMessage:
        kind = package.kind
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.recipient(package.platform)
        message["Subject"] = (
            f"[{kind}] {package.reference} — {package.platform} account {_account_label(package)}"
        )
        message["Date"] = format_datetime(written_at)
        message["Message-ID"] = self.message_id(key)
        message["X-Iru-Reference"] = package.reference
        message["X-Iru-Kind"] = kind
        message["X-Iru-Package-SHA256"] = package.sha256
        message.set_content(_summary(package))
        message.add_alternative(package.html, subtype="html")
        message.add_attachment(
            package.json_bytes,
            maintype="application",
            subtype="json",
            filename=f"{package.reference}.json",
        )
        # Boundaries from the key, not random: the same delivery gives the same bytes.
        seed = hashlib.sha256(f"{key}\0{package.sha256}".encode()).hexdigest()[:24]
        for i, part in enumerate(p for p in message.walk() if p.is_multipart()):
            part.set_boundary(f"=_iru_{seed}_{i}")
        return message
