"""Schemathesis against the live app (in-process WSGI), on the document the API serves.

The official document refers to compiled JSON schemas on GitHub; the tests never reach outside,
so those references point at the copies in tests/data/reference/hsds (see its README), and
those it has no compiled copy of (compiled ``organization.json``, ``taxonomy*.json``) accept any
object. Examples are few and derandomized: the run is short and the same every time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from gateway.opendata import _openapi

pytestmark = pytest.mark.backends("sqlite")

DATA = Path(__file__).parent.parent / "data" / "reference" / "hsds" / "3.0" / "schema" / "compiled"
REMOTE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
LOCAL = {
    "compiled/service_list.json": "service_list.json",
    "compiled/organization_list.json": "organization_list.json",
    "compiled/service_at_location_list.json": "service_at_location_list.json",
    "compiled/service.json": "service_with_definitions.json",
}


def _local(node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith(REMOTE):
            name = LOCAL.get(ref.removeprefix(REMOTE))
            if name is None:
                return {"type": "object"}
            inlined = json.loads((DATA / name).read_text("utf-8"))
            inlined.pop("$schema", None)
            return inlined
        return {key: _local(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_local(value) for value in node]
    return node


schema = schemathesis.openapi.from_dict(_local(_openapi()))


@schema.parametrize()
@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_endpoint_conforms(case, demo_app) -> None:
    # Schemathesis's WSGI calls do not decompress what they asked gzip for, as an HTTP
    # client does; compression is tested on its own (test_hsds_api).
    case.call_and_validate(app=demo_app, headers={"Accept-Encoding": "identity"})
