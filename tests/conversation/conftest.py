"""A phone to talk to the engine with, a small city to talk about, and a script player.

Scripts are given/when/then tables: each step is what the resident sends and what the reply
must be (its kind, and words it must show). :func:`shown` flattens a reply the way any
channel would show it, so a step can look for "4. Soupe du soir" without knowing the types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gateway.contacts import phone_hash
from gateway.conversation import Action, Inbound, Reply, ReplyKind, handle
from gateway.db import db
from gateway.models import Contact
from tests.conftest import MONDAY_10H, translated

TZ = ZoneInfo("Europe/Paris")


@dataclass
class Phone:
    """One resident on one channel, with her own clock (each message a minute after the last)."""

    number: str | None
    channel: str = "sms"
    now: datetime = MONDAY_10H
    locale_hint: str | None = None
    replies: list[Reply] = field(default_factory=list)

    def send(
        self,
        text: str | None = None,
        *,
        digits: str | None = None,
        action: Action | None = None,
        wait: timedelta = timedelta(minutes=1),
    ) -> Reply:
        self.now += wait
        inbound = Inbound(
            self.channel, self.number, text, digits, self.locale_hint, self.now, action
        )
        reply = handle(inbound)
        self.replies.append(reply)
        return reply

    def press(self, digits: str, **kwargs: Any) -> Reply:
        return self.send(digits=digits, **kwargs)

    def contact(self) -> Contact | None:
        assert self.number is not None
        digest = phone_hash(self.number, "test-phone-key")
        return db.session.scalars(select(Contact).where(Contact.phone_hash == digest)).first()


def shown(reply: Reply) -> str:
    """Everything a channel would show of ``reply``, one thing a line."""
    lines = [reply.title.text if reply.title else ""]
    lines += [line.text for line in reply.items]
    for choice in reply.choices:
        lines.append(f"{choice.key}. {choice.label}")
        lines += [detail.text for detail in choice.details]
    lines += [f"{control.key}: {control.label}" for control in reply.controls]
    lines += [reply.prompt, reply.note]
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Step:
    """When the resident sends ``send`` (or presses ``press``), the reply is ``kind``, shows
    every one of ``shows`` and is in ``locale`` if given."""

    send: str | None
    kind: ReplyKind
    shows: Sequence[str] = ()
    locale: str | None = None
    press: str | None = None
    wait: timedelta = timedelta(minutes=1)


def play(phone: Phone, script: Sequence[Step]) -> list[Reply]:
    replies = []
    for number, step in enumerate(script, 1):
        if step.press is not None:
            reply = phone.press(step.press, wait=step.wait)
        else:
            reply = phone.send(step.send, wait=step.wait)
        where = f"step {number} {step.send or step.press!r}:\n{shown(reply)}"
        assert reply.kind is step.kind, f"{where}\n(kind {reply.kind})"
        for words in step.shows:
            # An interface string is named by its English source and read in the reply's
            # language; other words (places, numbers) are matched as they are.
            expected = translated(words, reply.locale)
            assert expected in shown(reply), f"{where}\n(missing {expected!r})"
        if step.locale is not None:
            assert reply.locale == step.locale, f"{where}\n(locale {reply.locale})"
        replies.append(reply)
    return replies


@pytest.fixture
def phone(app) -> Callable[..., Phone]:  # type: ignore[no-untyped-def]
    def make(number: str | None = "+33612345678", **kwargs: Any) -> Phone:
        return Phone(number, **kwargs)

    return make


FOOD = [
    # name, weekly hours (Monday 30 November 2026, 10:00 is "now"), extra texts
    ("Restaurant solidaire", [(0, "09:00", "14:00")], {"en": {"name": "Community restaurant"}}),
    ("Épicerie sociale", [(0, "14:00", "18:00")], {"es": {"name": "Tienda social"}}),
    ("Banque alimentaire", [(1, "09:00", "12:00")], {"ar": {"name": "بنك الطعام"}}),
    ("Soupe du soir", [(0, "18:00", "21:00")], {}),
    ("Colis du jeudi", [(3, "09:00", "12:00")], {}),
]


@pytest.fixture
def city(make_service) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Five food places (two SMS pages), a night shelter and a health centre."""
    services = {
        name: make_service(
            name,
            categories=("food",),
            hours=hours,
            texts={"fr": {"summary": f"{name} : repas et colis."}, **texts},
        )
        for name, hours, texts in FOOD
    }
    services["Accueil de nuit"] = make_service(
        "Accueil de nuit", categories=("shelter",), hours=[(d, "19:00", "08:00") for d in range(7)]
    )
    services["Centre de santé"] = make_service(
        "Centre de santé", categories=("health",), hours=[(0, "08:00", "18:00")]
    )
    return services
