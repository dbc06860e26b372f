"""What the back office reads: what needs a social worker's attention, and the service lists.

Every function takes the user and limits what it returns to the services that user may edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from gateway.admin.auth import organization_scope, service_scope
from gateway.i18n import ORIGINAL_LOCALE
from gateway.models import (
    TEXT_FIELDS,
    Category,
    Closure,
    Feedback,
    FeedbackStatus,
    Organization,
    Service,
    ServiceCategory,
    ServiceText,
    TextStatus,
    User,
)

STALE_AFTER = timedelta(days=183)  # "not verified for six months"
CLOSURES_SOON_DAYS = 14
PAGE_SIZE = 50

T = TypeVar("T")


def service_name(service: Service) -> str:
    """The service's French name (else any name it has), as social workers know it."""
    texts = service.text_by_locale()
    original = texts.get(ORIGINAL_LOCALE)
    if original is not None and original.name:
        return original.name
    return next((t.name for t in service.texts if t.name), service.id)


def stale_services(
    session: Session, user: User, now: datetime, limit: int = PAGE_SIZE
) -> list[Service]:
    """Listed services not verified for six months (never verified first)."""
    return list(
        session.scalars(
            select(Service)
            .where(
                service_scope(user),
                Service.archived_at.is_(None),
                or_(Service.verified_at.is_(None), Service.verified_at < now - STALE_AFTER),
            )
            .options(selectinload(Service.texts), selectinload(Service.organization))
            .order_by(Service.verified_at.is_not(None), Service.verified_at, Service.id)
            .limit(limit)
        )
    )


def closures_ending_soon(
    session: Session, user: User, today: date, days: int = CLOSURES_SOON_DAYS
) -> list[tuple[Closure, Service]]:
    """Closures that end within ``days`` days: extend them, or let the service reopen."""
    rows = session.execute(
        select(Closure, Service)
        .join(Service, Service.id == Closure.service_id)
        .where(
            service_scope(user),
            Service.archived_at.is_(None),
            Closure.ends_on >= today,
            Closure.ends_on <= today + timedelta(days=days),
        )
        .options(selectinload(Service.texts))
        .order_by(Closure.ends_on, Closure.starts_on, Service.id)
    )
    return [(closure, service) for closure, service in rows]


def new_feedback(session: Session, user: User, limit: int = PAGE_SIZE) -> list[Feedback]:
    """Residents' reports waiting for someone to read them, oldest first."""
    return list(
        session.scalars(
            select(Feedback)
            .join(Service, Service.id == Feedback.service_id)
            .where(service_scope(user), Feedback.status == FeedbackStatus.NEW)
            .order_by(Feedback.created_at, Feedback.id)
            .limit(limit)
        )
    )


def feedback_services(session: Session, feedback: Sequence[Feedback]) -> dict[str, Service]:
    ids = sorted({f.service_id for f in feedback})
    if not ids:
        return {}
    services = session.scalars(
        select(Service).where(Service.id.in_(ids)).options(selectinload(Service.texts))
    )
    return {s.id: s for s in services}


@dataclass(frozen=True)
class TranslationGap:
    """A service whose texts some locales lack (``missing``) or must re-check (``review``)."""

    service: Service
    missing: tuple[str, ...]
    review: tuple[str, ...]


def text_state(original: ServiceText | None, text: ServiceText | None, field: str) -> str:
    """One field's translation state: "missing", "needs_review" or "done" ("" when the
    French has nothing to translate)."""
    source = getattr(original, field, "") if original is not None else ""
    value = getattr(text, field, "") if text is not None else ""
    if not source:
        return "done" if value else ""
    if not value:
        return "missing"
    if text is not None and text.status is TextStatus.NEEDS_REVIEW:
        return "needs_review"
    return "done"


def translation_gaps(
    session: Session, user: User, locales: Sequence[str], locale: str | None = None
) -> list[TranslationGap]:
    """Listed services with a text missing or to review in one of ``locales`` (or ``locale``)."""
    wanted = [
        code for code in locales if code != ORIGINAL_LOCALE and (locale is None or code == locale)
    ]
    services = session.scalars(
        select(Service)
        .where(service_scope(user), Service.archived_at.is_(None))
        .options(selectinload(Service.texts))
        .order_by(Service.id)
    )
    gaps = []
    for service in services:
        texts = service.text_by_locale()
        original = texts.get(ORIGINAL_LOCALE)
        missing, review = [], []
        for code in wanted:
            states = {text_state(original, texts.get(code), f) for f in TEXT_FIELDS}
            if "missing" in states:
                missing.append(code)
            if "needs_review" in states:
                review.append(code)
        if missing or review:
            gaps.append(TranslationGap(service, tuple(missing), tuple(review)))
    return sorted(gaps, key=lambda g: service_name(g.service).casefold())


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a long list, and where it stands among the others (``number`` from 1)."""

    items: list[T]
    total: int
    number: int
    pages: int


def paginate(session: Session, query: Select[Any], number: int, size: int = PAGE_SIZE) -> Page:
    """Page ``number`` of what ``query`` selects, in its order; a number out of range is the
    nearest page, so that an old link still shows something."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-(total or 0) // size))
    number = min(max(number, 1), pages)
    items = list(session.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(items, total or 0, number, pages)


def search_services(
    session: Session,
    user: User,
    text: str = "",
    organization_id: str | None = None,
    category: str | None = None,
    archived: bool = False,
    page: int = 1,
) -> Page[Service]:
    """The services ``user`` may edit, by organisation then French name, one page."""
    original = aliased(ServiceText)
    query: Select = (
        select(Service)
        .join(Organization, Organization.id == Service.organization_id)
        .outerjoin(
            original, and_(original.service_id == Service.id, original.locale == ORIGINAL_LOCALE)
        )
        .where(service_scope(user))
        .where(Service.archived_at.is_not(None) if archived else Service.archived_at.is_(None))
    )
    if organization_id:
        query = query.where(Service.organization_id == organization_id)
    if category:
        query = query.where(
            Service.id.in_(
                select(ServiceCategory.service_id)
                .join(Category, Category.id == ServiceCategory.category_id)
                .where(Category.slug == category)
            )
        )
    words = text.strip().lower()
    if words:
        matching_text = select(ServiceText.service_id).where(
            or_(
                func.lower(ServiceText.name).contains(words, autoescape=True),
                func.lower(ServiceText.summary).contains(words, autoescape=True),
            )
        )
        query = query.where(
            or_(
                Service.id == text.strip(),
                Service.id.in_(matching_text),
                func.lower(Organization.name).contains(words, autoescape=True),
            )
        )
    return paginate(
        session,
        query.options(
            selectinload(Service.texts),
            selectinload(Service.organization),
            selectinload(Service.categories),
        ).order_by(func.lower(Organization.name), func.lower(original.name), Service.id),
        page,
    )


def organizations_for(session: Session, user: User, archived: bool | None = False) -> list:
    """Organisations ``user`` may edit; ``archived`` None for all, else those archived or not."""
    query = select(Organization).where(organization_scope(user))
    if archived is not None:
        query = query.where(
            Organization.archived_at.is_not(None)
            if archived
            else Organization.archived_at.is_(None)
        )
    return list(session.scalars(query.order_by(func.lower(Organization.name), Organization.id)))


def service_counts(session: Session) -> dict[str, int]:
    """Services not archived, per organisation id."""
    rows = session.execute(
        select(Service.organization_id, func.count(Service.id))
        .where(Service.archived_at.is_(None))
        .group_by(Service.organization_id)
    )
    return {organization_id: count for organization_id, count in rows}
