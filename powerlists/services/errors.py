"""Domain errors: a stable code, a message in Chinese and in English, and details.

Each interface turns them into its own form: the API into a JSON body with a 400 or 409 status, a web
form into a form error, a management command into a message and a non-zero exit status.
"""
from __future__ import annotations

from django.utils import translation


class DomainError(Exception):
    """A refusal by a rule of the domain. Nothing has been written when one is raised."""

    status = 400

    def __init__(self, code: str, zh: str, en: str, /, **details):
        # Positional-only: a detail may itself be called ``code`` (e.g. the government code refused).
        self.code = code
        self.message_zh = zh
        self.message_en = en
        self.details = details
        super().__init__(f"{code}: {zh} / {en}")

    def message(self, language: str | None = None) -> str:
        """The message in ``language`` (default: the active language); Chinese unless English is asked."""
        language = (language or translation.get_language() or "zh-hans").lower()
        return self.message_en if language.startswith("en") else self.message_zh

    def as_dict(self, language: str | None = None) -> dict:
        return {"code": self.code, "message": self.message(language), "details": self.details}


class InvalidInput(DomainError):
    """The input itself is malformed or incomplete (HTTP 400)."""


class RuleViolation(DomainError):
    """The input is well-formed but a rule of the domain forbids the change (HTTP 400)."""


class TransferError(RuleViolation):
    """A devolution, recall, share, cancel or adjustment that a rule forbids."""


class Conflict(DomainError):
    """The change conflicts with the current state: already done, stale version, scheduled change (409)."""

    status = 409


class Forbidden(DomainError):
    """The user may not do this here (HTTP 403). The message names no data the user may not see."""

    status = 403
