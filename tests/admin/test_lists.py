"""Long lists of the back office come a page at a time, with the same links and filters."""

from __future__ import annotations

import re

from gateway.admin.overview import PAGE_SIZE


def _pages_nav(html: str) -> str:
    found = re.search(r'<nav aria-label="[^"]*" class="pages">(.*?)</nav>', html, re.S)
    return found.group(1) if found else ""


def test_recent_changes_come_a_page_at_a_time(admin, make_organization) -> None:
    for number in range(PAGE_SIZE):  # with the administrator's account: one page and one
        make_organization(f"Association {number:02d}")
    first = _pages_nav(admin.text("/admin/changes"))
    assert "Page 1 of 2" in first
    assert "Older changes" in first and "Newer changes" not in first
    second = admin.text("/admin/changes?page=2")
    assert "Page 2 of 2" in _pages_nav(second)
    assert "Newer changes" in _pages_nav(second) and "Older changes" not in _pages_nav(second)
    assert second.count('class="trail-entry"') == 1  # the oldest: the account's creation
    assert "Page 2 of 2" in _pages_nav(admin.text("/admin/changes?page=99"))  # the last one


def test_a_single_page_has_no_page_links(admin, make_service) -> None:
    make_service("Repas")
    for path in ("/admin/changes", "/admin/services"):
        assert _pages_nav(admin.text(path)) == "", path


def test_the_service_list_pages_keep_the_filters(admin, make_service, make_organization):
    for number in range(PAGE_SIZE + 1):
        make_service(f"Repas {number:02d}")
    make_service("Douches", categories=("hygiene",))
    first = admin.text("/admin/services?category=food")
    assert "51 services" in first
    nav = _pages_nav(first)
    assert "Page 1 of 2" in nav
    link = re.search(r'<a href="([^"]+)">Next page</a>', nav)
    assert link and "category=food" in link.group(1) and "page=2" in link.group(1)
    second = admin.text(link.group(1).replace("&amp;", "&"))
    assert "Page 2 of 2" in _pages_nav(second)
    assert second.count('<li class="card">') == 1
    assert "Douches" not in second
