"""The OpenAPI 3.1 description of the read API under ``/api/v1``, written by hand.

It is the API's contract: ``tests/test_api_schema.py`` runs the API against it, and
``monitor.web.api`` checks query values with the same ``PATTERNS``, so what the
document calls valid is exactly what the API accepts.
"""

from __future__ import annotations

from typing import Any

from alerts.draft import KINDS, SEVERITIES
from alerts.subscriptions import HAZARDS

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_QUERY = 200  # characters of ``q``
MAX_VALUES = 20  # values of one filter parameter
MAX_ID = 2**31 - 1
STATUSES = ("never", "ok", "degraded", "failing", "stale", "needs_config")

# Query values the API accepts, as anchored regular expressions (JSON Schema ``pattern``).
PATTERNS = {
    "jurisdiction": r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$",
    "agency": r"^[A-Za-z0-9 .&'_-]{1,60}$",
    "alert_cursor": r"^[0-9]{1,16}-[0-9]{1,10}$",
    "incident_cursor": r"^[0-9]{1,10}$",
}

_PROBLEM = "application/problem+json"
_JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _array(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **extra}


def _object(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


_TIME = {"type": "string", "format": "date-time"}
_STRINGS = _array({"type": "string"})
_ALERT_LINKS = _object(
    {
        "self": {"type": "string", "description": "This alert in the API."},
        "page": {"type": "string", "description": "This alert's public page."},
        "agency": {"type": "string", "description": "The agency's original."},
    }
)
_ALERT_FACTS: dict[str, Any] = {
    "id": {"type": "integer"},
    "source": {"type": "string", "description": "Key of the source (see /api/v1/sources)."},
    "uid": {"type": "string", "description": "The item's identity within its source."},
    "agency": {"type": "string"},
    "kind": {"type": "string", "enum": list(KINDS)},
    "title": {"type": "string"},
    "url": {"type": "string", "description": "The agency's original."},
    "summary": {"type": "string"},
    "published_at": _nullable("string", format="date-time"),
    "jurisdiction": {"type": "string", "description": "ISO 3166 code, e.g. US or US-FL."},
    "regions": _STRINGS,
    "firms": _STRINGS,
    "products": _array(_object({"name": {"type": "string"}, "lots": _STRINGS, "upcs": _STRINGS})),
    "hazards": _STRINGS,
    "severity": {"type": "string", "enum": list(SEVERITIES)},
    "severity_reason": {"type": "string"},
    "recall_number": _nullable("string"),
    "recall_class": _nullable("string"),
    "status": _nullable("string"),
    "event_id": _nullable("string"),
    "initiated_on": _nullable("string", format="date"),
    "matched_terms": _STRINGS,
    "events": _array(
        {
            "type": "object",
            "properties": {"on": {"type": "string"}, "what": {"type": "string"}},
            "required": ["on", "what"],
        },
        description="Dated regulatory events; left out when there are none.",
    ),
    "details": {
        "type": "object",
        "description": (
            "Facts only some sources have (a warning letter's MARCS-CMS number and cited"
            " claims, a rule's stage and docket, a signal's counts and baseline); left out"
            " when there are none."
        ),
    },
    "revision": {"type": "integer", "minimum": 1},
    "first_seen_at": _TIME,
    "updated_at": _TIME,
    "incident_id": _nullable("integer"),
    "links": _ALERT_LINKS,
}
_CHANGE = {
    "oneOf": [
        _object(
            {
                "field": {"type": "string"},
                "op": {"const": "changed"},
                "old": {"description": "Any JSON value."},
                "new": {"description": "Any JSON value."},
            }
        ),
        _object(
            {
                "field": {"type": "string"},
                "op": {"const": "list"},
                "added": _array({}),
                "removed": _array({}),
            }
        ),
    ]
}
_MEMBER = _object(
    {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "source": {"type": "string"},
        "url": {"type": "string", "description": "The agency's original."},
        "links": _ALERT_LINKS,
    }
)
_INCIDENT_FIELDS: dict[str, Any] = {
    "id": {"type": "integer"},
    "title": {"type": "string"},
    "link_reason": {"type": "string", "description": "Why its alerts were joined."},
    "created_at": _TIME,
    "updated_at": _TIME,
    "links": _object({"self": {"type": "string"}}),
}
_PAGE_LINKS = _object({"self": {"type": "string"}, "next": _nullable("string")})

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "An error (RFC 9457).",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
        },
        "required": ["type", "title", "status", "detail"],
    },
    "Alert": _object(_ALERT_FACTS, optional=("events", "details")),
    "AlertPage": _object(
        {
            "items": _array(_ref("Alert")),
            "next_cursor": _nullable("string", pattern=PATTERNS["alert_cursor"]),
            "links": _PAGE_LINKS,
        }
    ),
    "AlertDetail": _object(
        {
            **_ALERT_FACTS,
            "revisions": _array(
                _object(
                    {
                        "number": {"type": "integer", "minimum": 1},
                        "recorded_at": _TIME,
                        "changes": _array(_CHANGE),
                    }
                ),
                description="Oldest first; the first revision has no changes.",
            ),
            "incident": {
                "oneOf": [
                    {"type": "null"},
                    _object(
                        {
                            "id": {"type": "integer"},
                            "title": {"type": "string"},
                            "link_reason": {"type": "string"},
                            "other_alerts": _array(_MEMBER),
                        }
                    ),
                ],
                "description": "The event this alert belongs to, with its other alerts.",
            },
        },
        optional=("events", "details"),
    ),
    "Incident": _object(_INCIDENT_FIELDS),
    "IncidentPage": _object(
        {
            "items": _array(_ref("Incident")),
            "next_cursor": _nullable("string", pattern=PATTERNS["incident_cursor"]),
            "links": _PAGE_LINKS,
        }
    ),
    "IncidentDetail": _object({**_INCIDENT_FIELDS, "alerts": _array(_ref("Alert"))}),
    "Source": _object(
        {
            "key": {"type": "string"},
            "title": {"type": "string"},
            "agency": {"type": "string"},
            "url": {"type": "string"},
            "cadence_seconds": {"type": "integer", "minimum": 1},
            "health": _object(
                {
                    "status": {"type": "string", "enum": list(STATUSES)},
                    "last_success_at": _nullable("string", format="date-time"),
                    "last_error": _nullable("string"),
                    "last_error_at": _nullable("string", format="date-time"),
                    "consecutive_failures": {"type": "integer", "minimum": 0},
                    "next_poll_at": _nullable("string", format="date-time"),
                }
            ),
        }
    ),
    "SourceList": _object({"items": _array(_ref("Source"))}),
}


def _header(description: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


_RATE_HEADERS = {
    "RateLimit-Limit": _header(
        "Requests a client may make at once (absent when unlimited).", {"type": "string"}
    ),
    "RateLimit-Remaining": _header(
        "Requests left before the rate applies (absent when unlimited).", {"type": "string"}
    ),
}
_CACHE_HEADERS = {
    "ETag": _header("Validator for If-None-Match.", {"type": "string"}, required=True),
    "Cache-Control": _header("public, max-age=30", {"type": "string"}, required=True),
}


def _problem(description: str, **headers: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {**_RATE_HEADERS, **headers},
        "content": {_PROBLEM: {"schema": _ref("Problem")}},
    }


def _responses(schema: str, *, bad_request: bool, not_found: bool) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "200": {
            "description": "OK",
            "headers": {**_CACHE_HEADERS, **_RATE_HEADERS},
            "content": {_JSON: {"schema": _ref(schema)}},
        },
        "304": {
            "description": "Not modified: the client's copy (If-None-Match) is current.",
            "headers": {**_CACHE_HEADERS, **_RATE_HEADERS},
        },
    }
    if bad_request:
        answers["400"] = _problem("A query parameter is not valid; `detail` names it.")
    if not_found:
        answers["404"] = _problem("No such item.")
    answers["429"] = _problem(
        "Too many requests from this client.",
        **{"Retry-After": _header("Seconds to wait.", {"type": "string"}, required=True)},
    )
    return answers


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}  # fmt: skip


def _repeated(name: str, description: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        **_query(
            name, description + " Repeat for alternatives.", _array(item, maxItems=MAX_VALUES)
        ),
        "style": "form",
        "explode": True,
    }


_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETag of a copy the client holds; answered with 304 when still current.",
    "schema": {"type": "string"},
}
_LIMIT = _query(
    "limit",
    f"Items per page (default {DEFAULT_LIMIT}).",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
)
_ID = {
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}

_ALERT_PARAMETERS = [
    _repeated("kind", "Alert kind.", {"type": "string", "enum": list(KINDS)}),
    _repeated(
        "jurisdiction",
        "ISO 3166 country or subdivision (US, US-FL); a state also matches alerts whose "
        "distribution names it.",
        {"type": "string", "pattern": PATTERNS["jurisdiction"]},
    ),
    _repeated(
        "agency", "Agency name, any case.", {"type": "string", "pattern": PATTERNS["agency"]}
    ),
    _repeated("hazard", "Hazard.", {"type": "string", "enum": list(HAZARDS)}),
    _query(
        "min_severity",
        "Only alerts of this severity or higher.",
        {"type": "string", "enum": list(SEVERITIES)},
    ),
    _query(
        "q",
        "Full-text search over title and summary; every word must occur.",
        {"type": "string", "maxLength": MAX_QUERY},
    ),
    _query(
        "cursor",
        "`next_cursor` of the previous page.",
        {"type": "string", "pattern": PATTERNS["alert_cursor"]},
    ),
    _LIMIT,
    _IF_NONE_MATCH,
]


def _get(summary: str, operation: str, responses: dict[str, Any], *params: Any) -> Any:
    return {
        "get": {
            "summary": summary,
            "operationId": operation,
            "parameters": list(params),
            "responses": responses,
        }
    }


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Kratom alert monitor API",
        "version": "1",
        "description": (
            "Read-only access to kratom regulatory and safety alerts collected from agency "
            "sources. Answers are cacheable for 30 seconds and carry ETags; CORS is open to "
            "every origin for GET. Clients are rate limited per address (429 with Retry-After)."
        ),
    },
    "paths": {
        "/api/v1/alerts": _get(
            "Alerts, the most recently changed first",
            "listAlerts",
            _responses("AlertPage", bad_request=True, not_found=False),
            *_ALERT_PARAMETERS,
        ),
        "/api/v1/alerts/{alert_id}": _get(
            "One alert with its revisions and incident",
            "getAlert",
            _responses("AlertDetail", bad_request=False, not_found=True),
            {"name": "alert_id", **_ID},
            _IF_NONE_MATCH,
        ),
        "/api/v1/incidents": _get(
            "Incidents (alerts about one event), the newest first",
            "listIncidents",
            _responses("IncidentPage", bad_request=True, not_found=False),
            _query(
                "cursor",
                "`next_cursor` of the previous page.",
                {"type": "string", "pattern": PATTERNS["incident_cursor"]},
            ),
            _LIMIT,
            _IF_NONE_MATCH,
        ),
        "/api/v1/incidents/{incident_id}": _get(
            "One incident with its alerts",
            "getIncident",
            _responses("IncidentDetail", bad_request=False, not_found=True),
            {"name": "incident_id", **_ID},
            _IF_NONE_MATCH,
        ),
        "/api/v1/sources": _get(
            "The agency sources polled, with their health",
            "listSources",
            _responses("SourceList", bad_request=False, not_found=False),
            _IF_NONE_MATCH,
        ),
        "/api/v1/openapi.json": _get(
            "This document",
            "getOpenApi",
            _responses("OpenApi", bad_request=False, not_found=False),
            _IF_NONE_MATCH,
        ),
    },
    "components": {"schemas": {**SCHEMAS, "OpenApi": {"type": "object"}}},
}
