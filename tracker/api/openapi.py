"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json.

Written by hand next to the code it describes; enumerations come from tracker/taxonomy.py
and the limits from tracker/api/service.py, so codes cannot drift. tests/test_api_schema.py
runs schemathesis against the app with this document to keep the two in step.
"""

from __future__ import annotations

from ..filters import SORTS
from ..taxonomy import (
    AUTHORITIES,
    CONFIDENCES,
    DATE_PRECISIONS,
    DECISIONS,
    GENDERS,
    GEO_PRECISIONS,
    INVOLVEMENTS,
    MEASURES,
    PERPETRATOR_TYPES,
    PUBLIC_LOCATIONS,
    RELIABILITY,
    SECTION_BY_KEY,
    SOURCE_KINDS,
    STATUSES,
    VICTIM_GROUPS,
    VIOLATIONS,
    VISIBILITIES,
)
from .service import DEFAULT_LIMIT, MAX_LIMIT

TEXT = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DAY = {"type": "string", "format": "date"}


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


def _enum(codes) -> dict:
    return {"type": "string", "enum": list(codes)}


def _object(properties: dict, optional: tuple[str, ...] = ()) -> dict:
    """A closed object: every property listed, all required but `optional` ones."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    parameter = {"name": name, "in": "query", "required": required, "schema": schema, "description": description}
    if schema.get("type") == "array":
        parameter |= {"style": "form", "explode": True}
    return parameter


def _filter_parameters(period_required: bool) -> list[dict]:
    """The incident list's filters (docs/api.md, "Filters"): repeat a parameter for alternatives."""
    return [
        _query("from", DAY, "First day of the period (incident date).", period_required),
        _query("to", DAY, "Last day of the period.", period_required),
        _query("section", _array(_enum(SECTION_BY_KEY)), "Report section the incidents are counted in."),
        _query("violation", _array(_enum(VIOLATIONS)), "Violation code."),
        _query("victim_group", _array(_enum(VICTIM_GROUPS)), "Victim group."),
        _query(
            "gender",
            _array(_enum(GENDERS)),
            "Victim gender (with victim_group: a victim of those groups and this gender).",
        ),
        _query("perpetrator", _array(_enum(PERPETRATOR_TYPES)), "Perpetrator type."),
        _query("country", _array({"type": "string", "pattern": "^[A-Za-z]{2}$"}), "ISO 3166-1 alpha-2 code."),
        _query("admin1", _array(TEXT), "Department (region) name."),
        _query("admin2", _array(TEXT), "Province name."),
        _query("status", _array(_enum(STATUSES)), "Workflow status."),
        _query("confidence", _array(_enum(CONFIDENCES)), "Confidence."),
        _query("q", TEXT, "Text in what the caller may read of an incident (needs a token)."),
    ]


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


BAD_REQUEST = _error("A parameter cannot be used; `details` lists each problem.")
UNAUTHORIZED = _error(
    "The Authorization header is malformed, or the token is unknown, revoked, expired (the message gives "
    "the date) or its account deactivated."
)
# Every path: past API_RATE_LIMIT (per token, or per address without one), and while the database is down.
TOO_MANY = {
    **_error("Too many requests from this token or address in a short time."),
    "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
}
UNAVAILABLE = _error("The database is unavailable for a moment; try again.")

LOCATION = _object(
    {
        "country": TEXT,
        "admin1": TEXT,
        "admin2": TEXT,
        "admin3": TEXT,
        "place": {**TEXT, "description": "Empty unless the caller may see the exact location."},
        "latitude": _nullable({"type": "number"}),
        "longitude": _nullable({"type": "number"}),
        "precision": _nullable(
            {
                **_enum(("exact", "admin3", "admin2", "admin1")),
                "description": "What the point is: the incident's own, or the centroid of a region "
                "standing for it; null: no point.",
            }
        ),
        "geo_precision": _nullable(_enum(GEO_PRECISIONS)),
    }
)

INCIDENT = _object(
    {
        "ref": TEXT,
        "title": TEXT,
        "description": TEXT,
        "date": DAY,
        "date_precision": _enum(DATE_PRECISIONS),
        "end_date": _nullable(DAY),
        "status": _enum(STATUSES),
        "confidence": _enum(CONFIDENCES),
        "visibility": _enum(VISIBILITIES),
        "public_location": _enum(PUBLIC_LOCATIONS),
        "location": LOCATION,
        "violations": _array(_enum(VIOLATIONS)),
        "victims": _array(
            _object(
                {
                    "group": _enum(VICTIM_GROUPS),
                    "count": INTEGER,
                    "gender": _enum(GENDERS),
                    "indigenous": BOOLEAN,
                    "lgbtiq": BOOLEAN,
                    "woman_defender": BOOLEAN,
                    "name": TEXT,
                    "organisation": TEXT,
                    "person": _nullable(
                        {
                            **TEXT,
                            "description": "The key of the person or organisation of the register of persons at "
                            "risk this row names (e.g. DEF-0042); null: none. Only with access.identities.",
                        }
                    ),
                },
                optional=("name", "organisation", "person"),
            )
        ),
        "perpetrators": _array(
            _object(
                {"type": _enum(PERPETRATOR_TYPES), "involvement": _enum(INVOLVEMENTS), "name": TEXT}, optional=("name",)
            )
        ),
        "sources": _array(
            _object(
                {
                    "kind": _enum(SOURCE_KINDS),
                    "title": TEXT,
                    "url": TEXT,
                    "publisher": TEXT,
                    "published_on": _nullable(DAY),
                    "reliability": _enum(RELIABILITY),
                    "confidential": BOOLEAN,
                }
            )
        ),
        "killed": _nullable(INTEGER),
        "injured": _nullable(INTEGER),
        "detained": _nullable(INTEGER),
        "event": _nullable(TEXT),
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "access": _object({"identities": BOOLEAN, "exact_location": BOOLEAN}),
        "protection_requests": {
            **_array(
                _object(
                    {
                        "filed_on": DAY,
                        "authority": _enum(AUTHORITIES),
                        "reference": TEXT,
                        "decision": _enum(DECISIONS),
                        "decided_on": _nullable(DAY),
                        "measures": _array(_enum(MEASURES)),
                        "measures_end": _nullable(DAY),
                        "notes": TEXT,
                    }
                )
            ),
            "description": "Requests for protection made after the incident, and the answers. Only with "
            "access.identities.",
        },
    },
    optional=("protection_requests",),
)

ROW = _object({"key": TEXT, "count": INTEGER, "persons": _nullable(INTEGER)})
SECTION = _object(
    {
        "key": _enum(SECTION_BY_KEY),
        "label": TEXT,
        "totals": _object(
            {name: _nullable(INTEGER) for name in ("incidents", "killed", "injured", "detained", "victims")}
        ),
        "breakdowns": _object(
            {
                name: _array(ROW)
                for name in ("violation", "victim_group", "admin1", "admin2", "perpetrator", "month", "gender")
            }
        ),
        "women_defenders": _nullable(ROW),
        "indigenous_defenders": _nullable(ROW),
        "killing_incidents": _nullable(INTEGER),
        "killed_by_admin1": _nullable(_array(ROW)),
        "killings": _nullable(
            _array(
                _object(
                    {
                        "ref": TEXT,
                        "date": DAY,
                        "date_precision": _enum(DATE_PRECISIONS),
                        "place": TEXT,
                        "admin1": TEXT,
                        "admin2": TEXT,
                        "groups": _array(_enum(VICTIM_GROUPS)),
                        "killed": _nullable(INTEGER),
                        "names": _nullable(_array(TEXT)),
                    }
                )
            )
        ),
    }
)


MUST_ENROL = _error(
    "The token's account must set up a second factor on the web pages before its tokens work "
    "(roles in TRACKER_REQUIRE_2FA_ROLES)."
)


def _with_common_responses(paths: dict) -> dict:
    """Every operation may answer 403 (a token whose account must enrol a second factor), 429
    (rate limit) and 503 (database down)."""
    for operations in paths.values():
        for operation in operations.values():
            operation["responses"].setdefault("403", MUST_ENROL)
            operation["responses"].update({"429": TOO_MANY, "503": UNAVAILABLE})
    return paths


def openapi_document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Civic-space incident tracker API",
            "version": "1",
            "description": "Incidents against defenders, protesters and journalists, and the report figures. "
            "Send `Authorization: Bearer <token>` (tokens: /account/tokens) to read what your "
            "account may read; without a token, published public incidents only.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{}, {"token": []}],
        "paths": _with_common_responses(
            {
                "/incidents": {
                    "get": {
                        "operationId": "listIncidents",
                        "summary": "Incidents matching the filters, newest first, a page at a time.",
                        "parameters": [
                            *_filter_parameters(period_required=False),
                            _query("sort", {**_enum(SORTS), "default": SORTS[0]}, "Order (date, then id)."),
                            _query(
                                "limit",
                                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                                "Incidents per page.",
                            ),
                            _query("cursor", TEXT, "`next_cursor` of the previous page."),
                        ],
                        "responses": {
                            "200": _ok("A page of incidents.", _ref("IncidentPage")),
                            "400": BAD_REQUEST,
                            "401": UNAUTHORIZED,
                        },
                    }
                },
                "/incidents/{ref}": {
                    "get": {
                        "operationId": "getIncident",
                        "summary": "One incident.",
                        "parameters": [
                            {
                                "name": "ref",
                                "in": "path",
                                "required": True,
                                "schema": TEXT,
                                "description": "The incident's reference, e.g. PE-2024-00042.",
                            }
                        ],
                        "responses": {
                            "200": _ok("The incident.", _ref("Incident")),
                            "400": BAD_REQUEST,
                            "401": UNAUTHORIZED,
                            "404": _error("No such incident, or the caller may not see it."),
                        },
                    }
                },
                "/stats": {
                    "get": {
                        "operationId": "getStats",
                        "summary": "The report sections' figures for a period (report authors, reviewers, admins).",
                        "parameters": _filter_parameters(period_required=True),
                        "responses": {
                            "200": _ok("Figures per section.", _ref("Stats")),
                            "400": BAD_REQUEST,
                            "401": _error("No token, or a bad, expired or revoked one."),
                            "403": _error(
                                "The token's account may not read reports, or must set up a second factor first."
                            ),
                        },
                    }
                },
                "/openapi.json": {
                    "get": {
                        "operationId": "getOpenapi",
                        "summary": "This document.",
                        "responses": {"200": _ok("OpenAPI 3 document.", {"type": "object"}), "401": UNAUTHORIZED},
                    }
                },
            }
        ),
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "A personal API token (/account/tokens)."}
            },
            "schemas": {
                "Error": _object({"error": TEXT, "message": TEXT, "details": _array(TEXT)}),
                "Incident": INCIDENT,
                "IncidentPage": _object(
                    {
                        "items": _array(_ref("Incident")),
                        "limit": INTEGER,
                        "next_cursor": _nullable(
                            {**TEXT, "description": "Pass as `cursor` for the next page; null on the last page."}
                        ),
                        "next": _nullable({**TEXT, "description": "URL of the next page."}),
                    }
                ),
                "Stats": _object(
                    {
                        "period": _object({"from": DAY, "to": DAY}),
                        "statuses": _array(_enum(STATUSES)),
                        "incidents": INTEGER,
                        "sources": INTEGER,
                        "sections": _array(SECTION),
                    }
                ),
            },
        },
    }
