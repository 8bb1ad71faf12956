"""Domain errors: a Swedish, human-readable message plus the HTTP status it maps to."""


class RadhusError(Exception):
    """Base class of every error a user should see; `message` is Swedish and safe to show."""

    status_code = 400

    def __init__(self, message: str, *, status_code: int | None = None, detail: dict | None = None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.detail = detail or {}


class NotFound(RadhusError):
    status_code = 404


class Forbidden(RadhusError):
    status_code = 403


class Unauthorized(RadhusError):
    status_code = 401


class Conflict(RadhusError):
    status_code = 409


class InvalidInput(RadhusError):
    status_code = 422


class ProviderError(RadhusError):
    """A model provider failed, timed out, or is not configured."""

    status_code = 502


class DataClassRefused(RadhusError):
    """The input's data class is above what the chosen provider may receive."""

    status_code = 403
