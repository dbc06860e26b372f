"""Changing the directory. Every writer (admin form, CLI, import) goes through here.

The caller owns the transaction: operations flush, never commit, so that an import of a
thousand services is one transaction that either lands whole or not at all.
"""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from gateway.models import DirectoryVersion


def bump_directory_version(session: Session) -> None:
    """Tell every process (search index, caches) that the directory changed."""
    session.execute(
        update(DirectoryVersion)
        .where(DirectoryVersion.id == 1)
        .values(version=DirectoryVersion.version + 1, changed_at=func.now())
    )
