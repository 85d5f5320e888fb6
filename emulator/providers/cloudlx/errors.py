"""CloudLX's error bodies, as the Dingo API package renders them for Laravel:
``{"message": …, "errors": {…}, "status_code": N}`` (``errors`` only for validation failures)."""

from __future__ import annotations

from http import HTTPStatus

from emulator.core.rendering import PHPJSONResponse

NAME = "cloudlx"

BAD_CREDENTIALS = "Failed to authenticate because of bad credentials or an invalid authorization header."
RATE_LIMITED = "You have exceeded your rate limit."
UNKNOWN_VERSION = "The version given was unknown or has no registered routes."
NOT_ACCEPTABLE = "Unable to format response according to Accept header."


class CloudlxError(Exception):
    def __init__(
        self, status_code: int, message: str | None = None, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message or generic_message(status_code)
        self.errors = errors


class ValidationFailed(CloudlxError):
    """Laravel's validator said no: 422 with every failing field's messages."""

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        super().__init__(422, message, errors)


class OAuthError(CloudlxError):
    """The OAuth2 server's (League OAuth2 server) errors, carried in Dingo's body with that server's
    status and message."""

    @classmethod
    def invalid_request(cls, parameter: str) -> OAuthError:
        return cls(
            400,
            "The request is missing a required parameter, includes an invalid parameter value, includes a parameter "
            f'more than once, or is otherwise malformed. Check the "{parameter}" parameter.',
        )

    @classmethod
    def unsupported_grant_type(cls, grant_type: str) -> OAuthError:
        return cls(400, f'The authorization grant type "{grant_type}" is not supported by the authorization server.')

    @classmethod
    def invalid_client(cls) -> OAuthError:
        return cls(401, "Client authentication failed.")

    @classmethod
    def invalid_refresh(cls) -> OAuthError:
        return cls(400, "The refresh token is invalid.")


def generic_message(status_code: int) -> str:
    """Dingo's message for an exception that carries none, e.g. "404 Not Found"."""
    if status_code == 401:
        return BAD_CREDENTIALS
    if status_code == 429:
        return RATE_LIMITED
    return f"{status_code} {HTTPStatus(status_code).phrase}"


def error_body(status_code: int, message: str, errors: dict[str, list[str]] | None = None) -> dict:
    body: dict = {"message": message}
    if errors is not None:
        body["errors"] = errors
    body["status_code"] = status_code
    return body


def render_error(error: CloudlxError) -> PHPJSONResponse:
    return PHPJSONResponse(error_body(error.status_code, error.message, error.errors), status_code=error.status_code)


def error_response(status_code: int) -> PHPJSONResponse:
    return render_error(CloudlxError(status_code))
