"""Key 0 on the main menu: a person while the helpline is staffed, else when it opens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.db import db
from gateway.models import Call
from tests.voice.conftest import SUNDAY_10H, Caller

pytestmark = pytest.mark.backends("postgresql")


def test_zero_on_the_main_menu_puts_the_caller_through(call) -> None:
    caller: Caller = call()
    caller.dial()
    menu = caller.press("2")
    assert "To talk to someone, press 0." in menu.text()
    transfer = caller.press("0")
    assert transfer.verbs() == ["Say", "Dial", "Say", "Redirect"]
    assert transfer.root.find("Dial").text == "+33261910000"
    assert transfer.says()[0].text == "Putting you through to the city helpline."
    assert transfer.says()[1].text == "The call with the helpline has ended."
    back = caller.wait()  # Twilio goes on after the call with the helpline: the main menu
    assert back.says()[0].text == "What do you need?"
    record = db.session.scalars(select(Call).where(Call.call_sid == caller.call_sid)).one()
    assert record.transferred


def test_outside_its_hours_say_when_it_opens_and_offer_a_text(call, clock) -> None:
    clock.set(SUNDAY_10H)
    caller: Caller = call(None)
    caller.dial()
    caller.press("2")
    closed = caller.press("0")
    assert "Dial" not in closed.verbs()
    said = [line.text for line in closed.says()]
    assert said == [
        "The helpline is closed now.",
        "Opens tomorrow at 9:00\u202fAM",
        "You can also send us your question by text message, at any time, to the number you "
        "called.",
    ]
    back = caller.wait()
    assert back.says()[0].text == "What do you need?"
    assert back.gather is not None
    record = db.session.scalars(select(Call).where(Call.call_sid == caller.call_sid)).one()
    assert not record.transferred


def test_zero_on_the_second_menu_page_is_back_not_the_helpline(call) -> None:
    caller: Caller = call()
    caller.dial()
    caller.press("2")
    caller.press("9")
    assert "Dial" not in caller.press("0").verbs()
