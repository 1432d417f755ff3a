"""Domain errors: what services and selectors raise when a business rule refuses.

They know nothing of HTTP. ``foodxchange.api.errors`` maps them to the error envelope
(status + code), the admin turns them into messages (``message_of``) and operator
commands into exit codes (``exit_code``). Each error carries a machine ``code`` (the
envelope's ``error.code``), a human ``message`` and optional ``details``."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every refusal a service can answer with."""

    default_code: ClassVar[str] = "error"
    default_message: ClassVar[str] = "The request could not be completed."
    # The HTTP status the API answers with; services never look at it.
    http_status: ClassVar[int] = 400
    # The exit code an operator command ends with (sysexits-style).
    exit_status: ClassVar[int] = 1

    def __init__(self, message: str | None = None, *, code: str | None = None, details: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.details: dict[str, Any] = details or {}
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class InvalidInput(DomainError):
    """Bad input: ``details`` maps each field to a list of messages."""

    default_code = "validation_error"
    default_message = "Invalid input."
    http_status = 400
    exit_status = 65  # EX_DATAERR

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        field: str | None = None,
    ):
        if field is not None and message is not None and not details:
            details = {field: [message]}
        super().__init__(message, code=code, details=details)

    @property
    def field_errors(self) -> dict[str, list[str]]:
        return {key: value if isinstance(value, list) else [value] for key, value in self.details.items()}


class NotAuthenticated(DomainError):
    default_code = "not_authenticated"
    default_message = "Authentication credentials were not provided or are not valid."
    http_status = 401
    exit_status = 77  # EX_NOPERM


class PermissionDenied(DomainError):
    default_code = "permission_denied"
    default_message = "You do not have permission to perform this action."
    http_status = 403
    exit_status = 77  # EX_NOPERM


class NotFound(DomainError):
    default_code = "not_found"
    default_message = "Not found."
    http_status = 404
    exit_status = 66  # EX_NOINPUT


class Conflict(DomainError):
    """The request clashes with the current state (already done, out of order…)."""

    default_code = "conflict"
    default_message = "The request conflicts with the current state of the resource."
    http_status = 409
    exit_status = 75  # EX_TEMPFAIL


class PayloadTooLarge(DomainError):
    default_code = "payload_too_large"
    default_message = "The upload is too large."
    http_status = 413
    exit_status = 65


class TooManyAttempts(DomainError):
    """Refused for a while (lockout, rate): ``retry_after_seconds`` says how long."""

    default_code = "locked_out"
    default_message = "Too many attempts."
    http_status = 429
    exit_status = 75

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        retry_after_seconds: int | None = None,
    ):
        super().__init__(message, code=code, details=details)
        self.retry_after_seconds = retry_after_seconds
        if retry_after_seconds is not None:
            self.details.setdefault("retry_after_seconds", retry_after_seconds)


class ServiceUnavailable(DomainError):
    """A dependency (configuration, provider, database state) is not ready."""

    default_code = "service_unavailable"
    default_message = "The service is temporarily unavailable."
    http_status = 503
    exit_status = 69  # EX_UNAVAILABLE


class ExternalServiceError(DomainError):
    """A provider (Stripe, Twilio, SMTP, OpenAI) refused or failed."""

    default_code = "external_service_error"
    default_message = "An external service failed; please try again."
    http_status = 502
    exit_status = 69


def message_of(error: DomainError) -> str:
    """One line for an admin message or a command's stderr: the message plus any field details."""
    if not error.details:
        return error.message
    parts = []
    for field, messages in error.details.items():
        if field == "retry_after_seconds":
            continue
        text = "; ".join(str(m) for m in messages) if isinstance(messages, list | tuple) else str(messages)
        parts.append(text if field in ("non_field_errors", "__all__") else f"{field}: {text}")
    return f"{error.message} ({', '.join(parts)})" if parts else error.message


def exit_code(error: DomainError) -> int:
    return error.exit_status
