"""schemathesis over the JSON API's own OpenAPI document, logged in as each role.

The schema is read from ``/api/openapi.json`` of the fuzz world's app (in-process ASGI);
each operation gets generated and boundary cases, sent with the role's API token. Every
response must be below 500 and match the document: a documented status code, content
type and schema. Deterministic (derandomized, no example database) and bounded.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from .web_world import FuzzWorld


def without_lifespan(app: Any) -> Any:
    """``app`` for schemathesis's client: the fuzz fixture's client runs its lifespan."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    return wrapped


@pytest.fixture(scope="module")
def api_schema(fuzz_app: tuple[Any, Any, Any]) -> Any:
    client, _, _ = fuzz_app
    return schemathesis.openapi.from_asgi("/api/openapi.json", without_lifespan(client.app))


def _breakable(operation: Any) -> bool:
    """Whether a request can break the operation's schema (a string path parameter cannot)."""
    return bool(operation.query or operation.body) or any(
        param.definition.get("schema", {}).get("type") != "string"
        for param in operation.path_parameters
    )


ROLES = ("analyst", "supervisor", "auditor", "admin")
CASE_SETTINGS = settings(
    max_examples=4,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_matches_its_schema_and_never_answers_500(
    role: str, mode: GenerationMode, api_schema: Any, fuzz_world: FuzzWorld
) -> None:
    """Each operation of the document, its cases drawn by schemathesis (valid ones, and ones
    that break the schema), sent with the role's API token and validated against the
    document. (schemathesis's lazy ``from_fixture`` does not run under pytest 9, so the
    operations are walked here, each a hypothesis test of its own.)"""
    headers = {"Authorization": f"Bearer {fuzz_world.tokens[role]}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # The document describes the JSON API and the platforms' callbacks only: the pages
    # and log-in are not in it.
    json_only = ("/api/", "/callbacks/")
    assert all(op.path.startswith(json_only) for op in operations), [
        op.path for op in operations if not op.path.startswith(json_only)
    ]
    assert len(operations) >= 10, [op.path for op in operations]
    if mode is GenerationMode.NEGATIVE:  # only operations with something to break
        operations = [op for op in operations if _breakable(op)]
    tried = 0
    for operation in operations:

        @CASE_SETTINGS
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case: Any) -> None:
            # Business rules (an unknown account, a role without the right, a reason
            # required) refuse schema-valid requests with a documented 4xx: not a failure.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            call()
        except Unsatisfiable:
            # An operation without parameters or body has no schema-breaking cases.
            assert mode is GenerationMode.NEGATIVE, operation.label
            continue
        tried += 1
    assert tried >= 5
