"""The OpenAPI document and the API agree: schemathesis generates requests from
/api/v1/openapi.json, valid and invalid, sends them to the app in-process, and checks that
no answer is a server error or contradicts the document (status, content type, body).
Runs on SQLite and PostgreSQL through the `app` fixture."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import import_departments
from tracker.auth.tokens import issue_token
from tracker.exchange.demo import load_demo

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 20  # per operation, caller and mode: enough to find a drift, quick on both databases


@pytest.mark.parametrize("caller", ["anonymous", "reviewer"])
def test_the_api_keeps_to_its_openapi_document(app, users, caller):
    load_demo(120)
    import_departments()  # so the public get generalised locations, not only empty ones
    headers = (
        {"Authorization": f"Bearer {issue_token(users[caller], 'schemathesis').plaintext}"} if caller in users else {}
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # schemathesis leaves out the operation that serves the document itself
    assert {op.label for op in operations} == {"GET /incidents", "GET /incidents/{ref}", "GET /stats"}

    for operation in operations:
        # Invalid requests need a parameter that can be invalid: a path's text cannot.
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if len(operation.query) else [])
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def conforms(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            conforms()
