"""Every demo service can be reached by keypad within the depth budget, in every language.

The walk is a breadth-first search over key presses, made as Twilio makes it: each press is a
signed POST of ``Digits`` to the ``<Gather>``'s action. A caller with a hidden number carries
her whole place in the menu in that URL, so every screen is a node that can be left and come
back to. A known caller hears the same screens: the deepest path is replayed with a number.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from gateway.config import SUPPORTED_LOCALES
from gateway.db import db
from gateway.directory.queries import listed_clause
from gateway.models import Service
from tests.voice.conftest import TZ, Answer, Caller

pytestmark = pytest.mark.backends("postgresql")

# Key presses after the language choice (ARCHITECTURE.md budgets three; the issue four).
MAX_DEPTH = 4
SUNDAY_23H = datetime(2026, 11, 29, 23, 0, tzinfo=TZ)
SATURDAY_14H = datetime(2026, 12, 5, 14, 0, tzinfo=TZ)
# Keys that lead nowhere new: repeat, back to the menu (or the helpline), the language menu.
NOT_FORWARD = frozenset({"*", "0", "#"})


def _query(action: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(action).query)


def shown_service(answer: Answer) -> str | None:
    """The id of the service a hidden-number call is hearing, from its URL state."""
    assert answer.gather is not None
    verb, _, rest = _query(answer.gather.get("action", ""))["screen"][0].partition(":")
    return rest.rpartition(":")[0] if verb == "service" else None


def walk(caller: Caller, language_key: str) -> dict[str, str]:
    """The shortest key path (after the language) to each service, up to ``MAX_DEPTH``."""
    caller.dial()
    start = caller.press(language_key).gather
    assert start is not None
    found: dict[str, str] = {}
    seen = {start.get("action", "")}
    queue = deque([(start.get("action", ""), "")])
    while queue:
        action, path = queue.popleft()
        if len(path) >= MAX_DEPTH:
            continue
        keys = [entry.partition("~")[0] for entry in _query(action).get("k", [])]
        for key in keys:
            if key in NOT_FORWARD:
                continue
            answer = caller.press_at(action, key)
            service = shown_service(answer)
            if service is not None:
                found.setdefault(service, path + key)
            assert answer.gather is not None
            following = answer.gather.get("action", "")
            if following not in seen:
                seen.add(following)
                queue.append((following, path + key))
    return found


def replay(caller: Caller, language_key: str, path: str) -> Answer:
    caller.dial()
    answer = caller.press(language_key)
    for key in path:
        answer = caller.press(key)
    return answer


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_service_within_the_depth_budget(call, locale: str) -> None:
    language_key = str(SUPPORTED_LOCALES.index(locale) + 1)
    found = walk(call(None), language_key)
    listed = set(db.session.scalars(select(Service.id).where(listed_clause())))
    missing = listed - set(found)
    assert not missing, f"{len(missing)} services need more than {MAX_DEPTH} presses"
    service, path = max(found.items(), key=lambda item: (len(item[1]), item[1]))
    print(f"{locale}: {len(found)} services, worst case {len(path)} presses ({path})")

    hidden = replay(call(None), language_key, path)
    known = replay(call(), language_key, path)
    assert shown_service(hidden) == service
    assert known.says()[0] == hidden.says()[0]  # the service's name, in its own voice


@pytest.mark.parametrize("when", [SUNDAY_23H, SATURDAY_14H], ids=["sunday-night", "saturday"])
def test_the_budget_holds_whatever_is_open(call, clock, when: datetime) -> None:
    """Lists put what is open first, so pages change with the hour: walk at other hours."""
    clock.set(when)
    found = walk(call(None), "1")
    listed = set(db.session.scalars(select(Service.id).where(listed_clause())))
    assert listed <= set(found)
