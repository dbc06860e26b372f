"""Channel adapters: SMS, voice, web.

Each turns its medium's requests into core calls and the core's answers into its medium; the
core never imports from here.
"""
