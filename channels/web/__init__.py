"""The lite web site: the whole directory on 2G, without JavaScript, in every locale.

Served at ``/``: home, categories, search, a page per service (with a report form), what we
keep about residents, and printable sheets for social workers. See :mod:`channels.web.views`
for the pages and :mod:`channels.web.render` for how each one stays under 14 KB and cacheable.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from channels.web.views import blueprint

    app.register_blueprint(blueprint)
