"""Errors raised by services: each carries a code, a message in Chinese and English, and the field."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, zh: str, en: str, *, field: str | None = None, code: str | None = None):
        self.zh = zh
        self.en = en
        self.field = field
        if code:
            self.code = code
        super().__init__(f"{zh} / {en}")

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": {"zh": self.zh, "en": self.en}, "field": self.field}


class Invalid(ServiceError):
    status = 400
    code = "invalid"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class PreconditionFailed(ServiceError):
    status = 409
    code = "precondition_failed"
