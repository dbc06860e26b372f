"""Search in any language: free text in, ranked service ids out, with why each matched.

See :mod:`gateway.search.api` for the entry points and ``gateway/content/vocabulary/`` for the words
residents use, per language.
"""

from gateway.search.api import Hit, SearchResult, detect_language, record_query, search

__all__ = ["Hit", "SearchResult", "detect_language", "record_query", "search"]
