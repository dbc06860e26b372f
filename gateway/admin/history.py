"""The audit trail in words: what each action and field is called, and how a value reads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.admin.forms import (
    ACCESS_LABELS,
    PHONE_KIND_LABELS,
    REASON_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    TEXT_LABELS,
)
from gateway.directory.categories import CATEGORY_NAMES
from gateway.directory.describe import weekday_name
from gateway.i18n import LANGUAGE_NAMES
from gateway.models import AuditEntry

ACTION_LABELS = {
    "service.create": _l("Service created"),
    "service.update": _l("Service edited"),
    "service.verify": _l("Marked as verified today"),
    "service.close_today": _l("Marked as closed today"),
    "service.full_today": _l("Marked as full today"),
    "service.reopen": _l("Reopened"),
    "service.archive": _l("Service archived"),
    "service.restore": _l("Service restored"),
    "organization.create": _l("Organisation created"),
    "organization.update": _l("Organisation edited"),
    "organization.archive": _l("Organisation archived"),
    "organization.restore": _l("Organisation restored"),
    "feedback.review": _l("Resident's report closed"),
    "import": _l("Import"),
    "user.create": _l("Account created"),
    "user.update": _l("Account edited"),
    "user.disable": _l("Account disabled"),
    "user.enable": _l("Account enabled again"),
}

FIELD_LABELS = {
    "organization": _l("Organisation"),
    "status": _l("Status"),
    "url": _l("Web site"),
    "email": _l("Email"),
    "access_conditions": _l("Access conditions"),
    "languages": _l("Languages spoken"),
    "categories": _l("Categories"),
    "verified_at": _l("Last verified"),
    "archived_at": _l("Archived"),
    "hours": _l("Opening hours"),
    "closures": _l("Closures"),
    "phones": _l("Phone numbers"),
    "places": _l("Places"),
    "name": _l("Name"),
    "description": _l("Description"),
    "website": _l("Web site"),
    "role": _l("Role"),
    "all_organizations": _l("All organisations"),
    "organizations": _l("Organisations"),
    "disabled_at": _l("Disabled"),
    "password": _l("Password"),
}

FEEDBACK_LABELS = {"new": _l("New"), "reviewed": _l("Reviewed"), "dismissed": _l("Dismissed")}
TEXT_STATUS_LABELS = {
    "missing": _l("Missing"),
    "needs_review": _l("Needs review"),
    "done": _l("Done"),
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def field_label(key: str) -> str:
    """``texts.en.summary`` → "Summary (English)"; other keys by their label."""
    if key.startswith("texts."):
        _prefix, locale, name = key.split(".", 2)
        label = _("Translation status") if name == "status" else str(TEXT_LABELS.get(name, name))
        return f"{label} ({language_name(locale)})"
    if key.startswith("feedback."):
        return _("Resident's report")
    return str(FIELD_LABELS.get(key, key))


def _moment(value: str) -> str:
    return format_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")), "short")


def _day(value: str) -> str:
    return format_date(date.fromisoformat(value), "short")


def _label(labels: Mapping[Any, Any], value: Any) -> str:
    return str(labels.get(value, value))


def display_value(key: str, value: Any) -> str:
    """A value of field ``key`` as a sentence fragment; "—" for nothing."""
    if value in (None, "", [], {}):
        return "—"
    if key in ("verified_at", "archived_at", "disabled_at"):
        return _moment(value)
    if key == "status":
        labels = {s.value: label for s, label in STATUS_LABELS.items()}
        return _label(labels, value)
    if key.startswith("texts.") and key.endswith(".status"):
        return _label(TEXT_STATUS_LABELS, value)
    if key.startswith("feedback."):
        return _label(FEEDBACK_LABELS, value)
    if key == "role":
        return _label({r.value: label for r, label in ROLE_LABELS.items()}, value)
    if key == "categories":
        return ", ".join(_label(CATEGORY_NAMES, slug) for slug in value)
    if key == "access_conditions":
        labels = {a.value: label for a, label in ACCESS_LABELS.items()}
        return ", ".join(_label(labels, item) for item in value)
    if key == "languages":
        return ", ".join(language_name(code) for code in value)
    if key == "hours":
        return "; ".join(f"{weekday_name(day)} {opens}–{closes}" for day, opens, closes in value)
    if key == "closures":
        return "; ".join(_closure(closure) for closure in value)
    if key == "phones":
        return "; ".join(
            f"{p['number']} ({_label(PHONE_KIND_LABELS, p['kind'])})"
            + (f" {p['description']}" if p.get("description") else "")
            for p in value
        )
    if key == "places":
        return "; ".join(
            ", ".join(
                part
                for part in (p.get("name"), p.get("address"), p.get("postcode"), p.get("city"))
                if part
            )
            for p in value
        )
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _closure(closure: Mapping[str, Any]) -> str:
    reasons = {r.value: label for r, label in REASON_LABELS.items()}
    span = _day(closure["starts_on"])
    if closure["ends_on"] != closure["starts_on"]:
        span += f" – {_day(closure['ends_on'])}"
    text = f"{span} ({_label(reasons, closure['reason'])})"
    message = closure.get("message") or {}
    if message:
        text += ": " + " / ".join(message.values())
    return text


@dataclass(frozen=True)
class ChangeLine:
    label: str
    old: str
    new: str


def change_lines(entry: AuditEntry) -> list[ChangeLine]:
    lines = []
    for key, change in sorted(entry.changes.items()):
        if key == "hsds_extra":
            lines += _feed_lines(change.get("old") or {}, change.get("new") or {})
        else:
            lines.append(ChangeLine(field_label(key), display_value(key, change.get("old")),
                                    display_value(key, change.get("new"))))  # fmt: skip
    return lines


# A feed's own field is shown up to this many characters (a list of contacts can be long).
FEED_VALUE_MAX_CHARS = 200


def _feed_lines(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ChangeLine]:
    """What a feed said beyond Guichet's fields (``hsds_extra``), one line per HSDS field
    that changed, under the feed's own name for it: these fields have no label of ours."""
    return [
        ChangeLine(
            _("%(field)s (from the feed)", field=name),
            _feed_value(old.get(name)),
            _feed_value(new.get(name)),
        )
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


def _feed_value(value: Any) -> str:
    if value in (None, "", [], {}):
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= FEED_VALUE_MAX_CHARS else text[: FEED_VALUE_MAX_CHARS - 1] + "…"


def action_label(entry: AuditEntry) -> str:
    return str(ACTION_LABELS.get(entry.action, entry.action))


def import_summary(entry: AuditEntry) -> str:
    details = entry.details or {}
    return _(
        "%(source)s: %(created)s created, %(updated)s updated",
        source=details.get("source", ""),
        created=details.get("created", 0),
        updated=details.get("updated", 0),
    )
