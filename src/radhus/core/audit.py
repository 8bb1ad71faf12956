"""Append-only, hash-chained audit log of AI calls, approvals, personal-data reads and administrative changes.

Each record's hash covers its content and the previous record's hash; a head row keeps the newest sequence
number and hash, so an edited, inserted or deleted record (the last one included) breaks verification.
"""

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from radhus.core.db import Base, UTCDateTime, utcnow

GENESIS = "0" * 64
EXCERPT_CHARS = 200


class AuditKind(StrEnum):
    AI_CALL = "ai_call"
    APPROVAL = "approval"
    PERSONAL_DATA_READ = "personal_data_read"
    ADMIN_CHANGE = "admin_change"
    AUTH = "auth"


class AuditRecord(Base):
    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True, default=None)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(Integer, default=None)
    username: Mapped[str | None] = mapped_column(String(200), default=None)
    function: Mapped[str | None] = mapped_column(String(100), default=None)
    provider: Mapped[str | None] = mapped_column(String(100), default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    data_class: Mapped[str | None] = mapped_column(String(20), default=None)
    status: Mapped[str] = mapped_column(String(20), default="ok")
    input_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    output_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    excerpt: Mapped[str | None] = mapped_column(Text, default=None)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


HASHED_FIELDS = (
    "seq",
    "org_id",
    "at",
    "kind",
    "action",
    "user_id",
    "username",
    "function",
    "provider",
    "model",
    "data_class",
    "status",
    "input_digest",
    "output_digest",
    "excerpt",
    "detail",
    "prev_hash",
)


def digest(text: str | bytes | None) -> str | None:
    if text is None:
        return None
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def _record_hash(record: AuditRecord) -> str:
    content = {name: getattr(record, name) for name in HASHED_FIELDS}
    content["at"] = record.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    kind: AuditKind | str,
    action: str,
    org_id: int | None,
    user_id: int | None = None,
    username: str | None = None,
    function: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    data_class: str | None = None,
    status: str = "ok",
    input_text: str | None = None,
    output_text: str | None = None,
    input_digest: str | None = None,
    output_digest: str | None = None,
    excerpt: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one record to the chain (in the caller's transaction; the head row serialises writers)."""
    head = session.scalar(select(AuditHead).where(AuditHead.id == 1).with_for_update())
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    record = AuditRecord(
        seq=head.seq + 1,
        org_id=org_id,
        at=utcnow(),
        kind=str(kind),
        action=action,
        user_id=user_id,
        username=username,
        function=function,
        provider=provider,
        model=model,
        data_class=str(data_class) if data_class else None,
        status=status,
        input_digest=input_digest or digest(input_text),
        output_digest=output_digest or digest(output_text),
        excerpt=(excerpt[:EXCERPT_CHARS] if excerpt else None),
        detail=detail or {},
        prev_hash=head.hash,
    )
    record.hash = _record_hash(record)
    head.seq, head.hash = record.seq, record.hash
    session.add(record)
    session.flush()
    return record


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str]


def verify(session: Session) -> VerifyResult:
    """Walk the whole chain; report every edited, inserted, deleted or reordered record (in Swedish)."""
    problems: list[str] = []
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    for record in session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).yield_per(1000):
        checked += 1
        if record.seq != expected_seq:
            problems.append(f"Post {expected_seq}–{record.seq - 1} saknas (borttagen?) före post {record.seq}.")
        if record.prev_hash != expected_prev:
            problems.append(f"Post {record.seq}: kedjan bryts – föregående post stämmer inte (infogad eller ändrad).")
        if _record_hash(record) != record.hash:
            problems.append(f"Post {record.seq}: innehållet stämmer inte med sin kontrollsumma (ändrad).")
        expected_prev, expected_seq = record.hash, record.seq + 1
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != expected_prev:
        problems.append(
            f"Loggens sista post är {expected_seq - 1} men den senast skrivna var {head_seq} "
            "(poster borttagna eller tillagda i slutet)."
        )
    return VerifyResult(ok=not problems, checked=checked, problems=problems)


@dataclass
class AuditFilter:
    kind: str | None = None
    username: str | None = None
    function: str | None = None
    status: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def query(session: Session, *, org_id: int, flt: AuditFilter, limit: int = 200, offset: int = 0) -> list[AuditRecord]:
    """Records of one organisation, newest first, filtered."""
    stmt = select(AuditRecord).where(AuditRecord.org_id == org_id)
    if flt.kind:
        stmt = stmt.where(AuditRecord.kind == flt.kind)
    if flt.username:
        stmt = stmt.where(AuditRecord.username == flt.username)
    if flt.function:
        stmt = stmt.where(AuditRecord.function == flt.function)
    if flt.status:
        stmt = stmt.where(AuditRecord.status == flt.status)
    if flt.since:
        stmt = stmt.where(AuditRecord.at >= flt.since)
    if flt.until:
        stmt = stmt.where(AuditRecord.at < flt.until)
    return list(session.scalars(stmt.order_by(AuditRecord.seq.desc()).limit(limit).offset(offset)))


EXPORT_FIELDS = [f for f in HASHED_FIELDS if f != "prev_hash"] + ["hash"]


def as_dict(record: AuditRecord) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in EXPORT_FIELDS}
    row["at"] = record.at.isoformat()
    return row


def export_csv(records: list[AuditRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for record in records:
        row = as_dict(record)
        row["detail"] = json.dumps(row["detail"], ensure_ascii=False)
        writer.writerow(row)
    return buffer.getvalue()


def export_json(records: list[AuditRecord]) -> str:
    return json.dumps([as_dict(r) for r in records], ensure_ascii=False, indent=1, default=str)


def iter_all(session: Session) -> Iterator[AuditRecord]:
    yield from session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).yield_per(1000)


def ai_call_recorder(factory, *, org_id: int, user_id: int | None, username: str | None):  # type: ignore[no-untyped-def]
    """An audit callable for the provider hub: writes each AI-call event to the chain in its own transaction,
    so that refused and failed calls are kept even when the caller's work is rolled back."""

    def record(event: dict[str, Any]) -> None:
        with factory() as session:
            append(
                session,
                kind=AuditKind.AI_CALL,
                action=str(event.get("capability") or "ai_call"),
                org_id=org_id,
                user_id=user_id,
                username=username,
                function=event.get("function"),
                provider=event.get("provider"),
                model=event.get("model"),
                data_class=event.get("data_class"),
                status=str(event.get("status") or "ok"),
                input_digest=event.get("input_sha256"),
                output_digest=event.get("output_sha256"),
                excerpt=event.get("input_excerpt"),
                detail={
                    key: event.get(key)
                    for key in ("output_excerpt", "redactions", "error", "duration_ms", "sent_sha256")
                    if event.get(key) is not None
                },
            )
            session.commit()

    return record
