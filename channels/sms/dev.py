"""``/dev/phone``: a page that plays a phone against the SMS channel, for developers and trainers.

Registered only with ``DEBUG``, ``TESTING`` or ``DEV_PHONE_PAGE`` (never on a public site:
whoever reaches it can write as any number). A message typed here takes the webhook's path
(:func:`gateway.messaging.inbound.receive`) without HTTP from Twilio or its signature, so it is
stored, counted against the limits and answered exactly as a text would be. The page shows
the answer with its encoding and segments, and the number's recent messages.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from channels.sms import adapter
from channels.sms.cli import local_sid
from gateway.config import settings
from gateway.contacts import normalize_number, phone_hash
from gateway.db import db
from gateway.extensions import csrf
from gateway.i18n import text_direction
from gateway.messaging.inbound import Exchange
from gateway.models import Contact, Message
from gateway.security import blueprint_headers, content_security_policy

blueprint = Blueprint("sms_dev", __name__, template_folder="templates")
DEFAULT_NUMBER = "+33612345678"
THREAD_LENGTH = 20
# The page's few rules are inlined in it; it is never on a public site.
POLICY = content_security_policy(style="'unsafe-inline'", images=False)
blueprint_headers(blueprint, {"Content-Security-Policy": POLICY})


def _thread(number: str) -> list[Message]:
    """The number's last messages, oldest first (none once it has been forgotten)."""
    digest = phone_hash(number, settings().phone_hash_key)
    contact = db.session.scalar(select(Contact).where(Contact.phone_hash == digest))
    if contact is None:
        return []
    messages = db.session.scalars(
        select(Message)
        .where(Message.contact_id == contact.id)
        .order_by(Message.id.desc())
        .limit(THREAD_LENGTH)
    ).all()
    return list(reversed(messages))


@blueprint.route("/dev/phone", methods=["GET", "POST"])
def phone() -> str:
    number = request.values.get("number", DEFAULT_NUMBER).strip()
    text = ""
    error = ""
    exchange: Exchange | None = None
    if request.method == "POST":
        csrf.protect()
        text = request.form.get("text", "")
        try:
            number = normalize_number(number)
        except ValueError:
            error = _("Type an international number, such as %(example)s.", example=DEFAULT_NUMBER)
        else:
            exchange = adapter.receive(adapter.message(local_sid("DV"), number, text))
    thread = [] if error else _thread(number)
    locale = str(get_locale())
    return render_template(
        "sms/phone.html",
        locale=locale,
        direction=text_direction(locale),
        number=number,
        text=text,
        error=error,
        exchange=exchange,
        thread=thread,
    )
