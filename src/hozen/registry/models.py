"""Registry: countries, organisations, ownership, people (R2, R4)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hozen.db import Base, UTCDateTime, new_id, utcnow

ORG_KINDS = (
    "government_body",
    "company",
    "university",
    "research_institute",
    "foreign_government",
    "foreign_company",
)


class Country(Base):
    """ISO 3166-1 alpha-3 country with its Japanese and English names (from pycountry)."""

    __tablename__ = "country"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    alpha_2: Mapped[str] = mapped_column(String(2), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ja: Mapped[str] = mapped_column(String(200))


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint("kind IN ('" + "','".join(ORG_KINDS) + "')", name="kind"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    # 法人番号: 13 digits with a check digit; unique where present.
    corporate_number: Mapped[str | None] = mapped_column(String(13), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    country: Mapped[Country] = relationship(lazy="joined")
    parent: Mapped[Organisation | None] = relationship(remote_side=[id])

    __mapper_args__ = {"version_id_col": version}


class OwnershipEdge(Base):
    """An owner (organisation or person) holds share and voting percentages of an organisation."""

    __tablename__ = "ownership_edge"
    __table_args__ = (
        CheckConstraint(
            "(owner_organisation_id IS NULL) <> (owner_person_id IS NULL)", name="one_owner"
        ),
        CheckConstraint("share_pct >= 0 AND share_pct <= 100", name="share_range"),
        CheckConstraint("voting_pct >= 0 AND voting_pct <= 100", name="voting_range"),
        CheckConstraint("share_pct > 0 OR voting_pct > 0", name="some_holding"),
        CheckConstraint("owner_organisation_id IS NULL OR owner_organisation_id <> owned_id",
                        name="not_self"),
        UniqueConstraint("owned_id", "owner_organisation_id", "owner_person_id"),
        # one organisation's owners, or holdings, a page at a time (hozen.paging)
        Index("ix_ownership_edge_owned_id_id", "owned_id", "id"),
        Index("ix_ownership_edge_owner_organisation_id_id", "owner_organisation_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owned_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    owner_organisation_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    owner_person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"), index=True)
    share_pct: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    voting_pct: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Person(Base):
    """A natural person. Names, birth date, department and title live only in `pii`,
    encrypted with AES-GCM bound to the person's id; search goes through keyed hashes."""

    __tablename__ = "person"
    # One employer's people in the lists' order (person id), read as a range of this
    # index alone: a page of its staff, or where it meets a search token's range
    # (migration 0029; it replaced the index on employer_id alone).
    __table_args__ = (Index("ix_person_employer_id_id", "employer_id", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    employer_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"))
    pii: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    employer: Mapped[Organisation | None] = relationship()
    nationalities: Mapped[list[PersonNationality]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PersonNationality.country_code"
    )

    __mapper_args__ = {"version_id_col": version}


class PersonNationality(Base):
    """Current and former nationalities; kept in clear because access rules query them."""

    __tablename__ = "person_nationality"
    __table_args__ = (CheckConstraint("status IN ('current','former')", name="status"),)

    person_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), primary_key=True)
    status: Mapped[str] = mapped_column(String(8))


class PersonSearchToken(Base):
    """Keyed hash (HMAC, 16 bytes) of a normalised name or birth date, to find a person
    without decrypting everyone.

    A derived index, written and replaced with its person in one transaction by the
    registry alone (people are never deleted). It carries no foreign key: checking one
    for each of a person's tokens was half the cost of importing a national register,
    and an orphan token could only point a search at an id that joins no one."""

    __tablename__ = "person_search_token"
    # A search reads one page of a token's people as a range of (token, person_id) in
    # the list's order (person id), stopping at the page's end, however many share the
    # name (migration 0025). The primary key leads with the (time-ordered) person id, so
    # it grows at its end and serves replacing one person's tokens.
    __table_args__ = (Index("ix_person_search_token_token_person_id", "token", "person_id"),)

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16))


class ImportJob(Base):
    """One bulk import of a file (people from a legacy system), keyed by the file's
    SHA-256: the progress of its committed batches, so that running the same file again
    resumes where it stopped and a finished file is never imported twice."""

    __tablename__ = "import_job"
    __table_args__ = (
        CheckConstraint("status IN ('running','done')", name="status"),
        UniqueConstraint("kind", "file_sha256"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(8), default="running")
    batch_size: Mapped[int] = mapped_column(Integer)
    batches: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportReject(Base):
    """A rejected row of an import: its line in the file, the column and the reason code
    (never the row's values: they may be personal data)."""

    __tablename__ = "import_reject"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("import_job.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
