"""Periodic work: lost jobs are queued again, and a message still goes out only once."""

from datetime import UTC, datetime, timedelta

from gateway.contacts import contact_for
from gateway.models import Direction, Message, MessageKind, MessageStatus
from gateway.schedule import requeue_stale_messages, stale_after


def test_a_row_whose_job_was_lost_is_sent_by_the_sweeper(app, session) -> None:
    # A row committed QUEUED whose job never reached Redis (it was down at the commit).
    message = Message(
        direction=Direction.OUTBOUND,
        kind=MessageKind.HANDOFF,
        contact_id=contact_for(session, "+33639980001").id,
        to_number="+33639980001",
        body="Restos du Coeur, 12 rue des Tanneurs",
        segments=1,
        status=MessageStatus.QUEUED,
    )
    session.add(message)
    session.commit()

    assert requeue_stale_messages(datetime.now(UTC)) == 0  # too recent to call lost
    later = datetime.now(UTC) + stale_after()[1] + timedelta(minutes=1)
    assert requeue_stale_messages(later) == 1
    session.refresh(message)
    assert message.status is MessageStatus.SENT  # in-process: sent through the outbox
    assert requeue_stale_messages(later) == 0
    assert session.query(Message).filter_by(kind=MessageKind.HANDOFF).count() == 1
