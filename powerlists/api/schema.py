"""OpenAPI post-processing: every operation documents the errors it can answer, in the one shape."""
from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "The one shape of every error. `message` follows Accept-Language (zh-hans or en).",
    "properties": {
        "code": {"type": "string", "description": "A stable machine-readable code, e.g. `invalid_date`."},
        "message": {"type": "string"},
        "details": {"description": "Further facts about the error, e.g. the invalid fields.",
                    "oneOf": [{"type": "object", "additionalProperties": True}, {"type": "array", "items": {}}]},
    },
    "required": ["code", "message", "details"],
}

DESCRIPTIONS = {
    "400": "Invalid input (a malformed parameter or body).",
    "401": "No credentials, or a bad or expired token.",
    "403": "Not allowed for this user here.",
    "404": "Absent, or not visible to this caller.",
    "405": "Method not allowed.",
    "409": "The request conflicts with the current state (already decided, stale version, …).",
    "412": "If-Match does not match the current ETag: nothing was changed.",
    "428": "This write needs If-Match with the ETag you read.",
    "429": "Too many requests; see the Retry-After header.",
}
READ = ("400", "401", "404", "405", "429")
WRITE = ("400", "401", "403", "404", "405", "409", "412", "428", "429")


def add_error_responses(result, generator, request, public):
    """Add the error responses each operation can give, where a view has not declared its own; every
    operation may answer 401 (a bad token) and 429 (rate limit), every write 400."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            declared = any(code.startswith("4") for code in operation["responses"])
            codes = READ if method in ("get", "head") else WRITE
            if declared:  # the view documents its own errors: add only what applies to every request
                codes = ("400", "401", "404", "429") if method in ("get", "head") else ("400", "401", "429")
            for code in codes:
                response = operation["responses"].setdefault(code, {"description": DESCRIPTIONS[code]})
                response.setdefault("content", {"application/json": {"schema": reference}})
                if code == "429":
                    response.setdefault("headers", {"Retry-After": {
                        "schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}})
    return result
