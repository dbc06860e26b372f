"""The directory: organisations, their services, where and when those are open.

Shaped after Open Referral HSDS 3.0 so that import and export are a mapping, not a
translation. Texts residents read are per-locale rows (:class:`ServiceText`); everything else
is language-neutral data.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db import Base, UtcDateTime

CATEGORY_SLUGS = (
    "food",
    "shelter",
    "health",
    "hygiene",
    "rights",
    "admin",
    "jobs",
    "digital",
    "clothing",
    "elderly",
    "family",
    "language",
    "violence",
    "transport",
    "listening",
    "emergency",
)

# What a service is, field for field, declared once: the form edits these (ServiceData), the
# trail compares them (the audit snapshot), HSDS carries them and the channels read them, all
# under these names. A service's own values (beside its organisation and categories):
SERVICE_FIELDS = ("status", "url", "email", "access_conditions", "languages")
# Its texts, one row per locale (ServiceText):
TEXT_FIELDS = ("name", "summary", "description", "eligibility", "how_to_access")
# Its rows: a weekly opening range (Schedule), a dated closure, a phone number, and a place.
SCHEDULE_FIELDS = ("weekday", "opens_at", "closes_at")
CLOSURE_FIELDS = ("starts_on", "ends_on", "reason", "message")
PHONE_FIELDS = ("number", "kind", "description")
PLACE_FIELDS = ("name", "address", "postcode", "city", "district", "latitude", "longitude")
SUMMARY_MAX_CHARS = 140
# What an HSDS feed said about a service, organisation or place that no column of ours holds
# (fees, contacts, accessibility, extensions such as x_data_inclusion…), kept as it came so
# that the export gives it back: JSON, as HSDS is (gateway.directory.hsds owns its shape).
HSDS_EXTRA_DEFAULT = "{}"
# Ids come from partners' feeds as they publish them: data·inclusion's are a source name and
# the source's own id ("soliguide--12345", Mednum's far longer), so 255, as HSDS tools use.
ID_LENGTH = 255


def new_id() -> str:
    return str(uuid.uuid4())


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum by value, as a plain string column with a CHECK (portable, readable)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


class ServiceStatus(enum.StrEnum):
    ACTIVE = "active"
    TEMPORARILY_CLOSED = "temporarily_closed"
    INACTIVE = "inactive"


class AccessCondition(enum.StrEnum):
    FREE = "free"
    APPOINTMENT = "appointment"
    REFERRAL = "referral"
    UNCONDITIONAL = "unconditional"


class ClosureReason(enum.StrEnum):
    HOLIDAY = "holiday"
    WORKS = "works"
    CLOSED_TODAY = "closed_today"
    FULL_TODAY = "full_today"
    OTHER = "other"


class TextStatus(enum.StrEnum):
    DONE = "done"
    NEEDS_REVIEW = "needs_review"


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), onupdate=func.now()
    )


class Organization(Timestamped, Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    hsds_extra: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default=HSDS_EXTRA_DEFAULT
    )

    services: Mapped[list[Service]] = relationship(back_populates="organization")


class Category(Base):
    """One of the fixed taxonomy's entries; its name is an interface string (Babel)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    position: Mapped[int] = mapped_column(SmallInteger)


class ServiceCategory(Base):
    __tablename__ = "service_categories"

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), primary_key=True)


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    address_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    postcode: Mapped[str] = mapped_column(String(16), default="", index=True)
    city: Mapped[str] = mapped_column(String(120), default="")
    district: Mapped[str] = mapped_column(String(120), default="", index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # ISO 3166-1 alpha-2, as the feed gave it; None for the city's own places (its country).
    country: Mapped[str | None] = mapped_column(String(2))
    hsds_extra: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default=HSDS_EXTRA_DEFAULT
    )

    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="lat"),
        CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="lon"
        ),
    )


class ServiceLocation(Base):
    """HSDS ``service_at_location``: a service delivered at a place."""

    __tablename__ = "service_locations"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    position: Mapped[int] = mapped_column(SmallInteger, default=0)

    location: Mapped[Location] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("service_id", "location_id"),)


class Service(Timestamped, Base):
    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[ServiceStatus] = mapped_column(
        _enum(ServiceStatus, "service_status"), default=ServiceStatus.ACTIVE
    )
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    access_conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    hsds_extra: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default=HSDS_EXTRA_DEFAULT
    )

    organization: Mapped[Organization] = relationship(back_populates="services")
    texts: Mapped[list[ServiceText]] = relationship(
        cascade="all, delete-orphan", order_by="ServiceText.locale"
    )
    categories: Mapped[list[Category]] = relationship(
        secondary="service_categories", order_by="Category.position"
    )
    locations: Mapped[list[ServiceLocation]] = relationship(
        cascade="all, delete-orphan", order_by="ServiceLocation.position"
    )
    phones: Mapped[list[Phone]] = relationship(
        cascade="all, delete-orphan", order_by="Phone.position"
    )
    schedules: Mapped[list[Schedule]] = relationship(
        cascade="all, delete-orphan",
        order_by="(Schedule.weekday, Schedule.opens_at)",
    )
    closures: Mapped[list[Closure]] = relationship(
        cascade="all, delete-orphan", order_by="Closure.starts_on"
    )

    def text_by_locale(self) -> dict[str, ServiceText]:
        return {text.locale: text for text in self.texts}


class ServiceText(Base):
    """The fields residents read, in one locale. French is the original."""

    __tablename__ = "service_texts"

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX_CHARS), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    eligibility: Mapped[str] = mapped_column(Text, default="")
    how_to_access: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TextStatus] = mapped_column(
        _enum(TextStatus, "text_status"), default=TextStatus.DONE
    )
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), onupdate=func.now()
    )


class Phone(Base):
    __tablename__ = "phones"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="voice")
    description: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class Schedule(Base):
    """One weekly opening range. ``closes_at <= opens_at`` means it closes the next day."""

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday … 6 = Sunday
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)

    __table_args__ = (CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),)

    @property
    def overnight(self) -> bool:
        return self.closes_at <= self.opens_at


class Closure(Base):
    """A dated exception to the weekly hours: holidays, works, "closed today", "full today"."""

    __tablename__ = "closures"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[ClosureReason] = mapped_column(
        _enum(ClosureReason, "closure_reason"), default=ClosureReason.OTHER
    )
    message: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates"),)

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class DirectoryVersion(Base):
    """A single row bumped on every directory change, so every process knows when to reload."""

    __tablename__ = "directory_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    # The change log holds every version after this one (older rows are pruned).
    log_start: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DirectoryChange(Base):
    """A service a directory version changed, so that each process reloads only those.

    No foreign key: a service deleted since is still named, and drops out of the snapshots.
    """

    __tablename__ = "directory_change"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
