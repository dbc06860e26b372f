"""The SMS channel on Twilio: encoding and packing of replies (``encoding``)."""
