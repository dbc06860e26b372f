"""Outbound messages: a row first, then a job that sends it.

``outbox.queue_send`` stores every non-reply message (voice handoff, alert, confirmation),
at most once per key and within ``limits`` (the hourly policy per number that SMS answers
share) and the queued share of the daily cap, and queues ``jobs.send_message`` after the
commit; ``handoff`` composes and queues the SMS of a service a caller asks for with ``#``;
``provider`` is the one module that talks to Twilio's REST API; ``status`` applies delivery
callbacks; ``retention`` purges old bodies.
``gsm`` is the GSM 03.38 arithmetic the SMS channel shares, so the core never imports a channel.
"""
