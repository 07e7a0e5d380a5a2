"""The append-only, hash-chained audit log (R17)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text, cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hozen.db import Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))  # ISO-8601 UTC text: hashed exactly as stored
    actor: Mapped[str] = mapped_column(String(100))
    tag: Mapped[str] = mapped_column(String(100), index=True)  # area:resource:verb
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str | None] = mapped_column(String(100), index=True)
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON, no personal data in clear
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# Decisions by the person they name, for the time-to-access report (migration 0022).
Index("ix_audit_event_decisions",
      cast(AuditEvent.__table__.c.details, JSONB).label("decisions"), postgresql_using="gin",
      postgresql_ops={"decisions": "jsonb_path_ops"},
      postgresql_where=AuditEvent.__table__.c.tag == "access:decision",
      ).ddl_if(dialect="postgresql")


class AuditCheckpoint(Base):
    """An Ed25519 signature over (seq, hash) of the chain head at a moment."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: a truncated tail must not be able to take its checkpoints with it.
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    public_key: Mapped[str] = mapped_column(String(64))  # hex of the raw Ed25519 key
    signature: Mapped[str] = mapped_column(String(128))
