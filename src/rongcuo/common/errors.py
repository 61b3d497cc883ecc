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
    """A step refused because the case does not meet one of its requirements; `unmet`, when given, names it (a
    material or a precondition id) for programs, since the message names it for people."""

    status = 409
    code = "precondition_failed"

    def __init__(self, zh: str, en: str, *, field: str | None = None, code: str | None = None,
                 unmet: str | None = None):
        super().__init__(zh, en, field=field, code=code)
        self.unmet = unmet

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), **({"unmet": self.unmet} if self.unmet else {})}


def check_page(limit: int, offset: int, *, most: int = 500) -> None:
    """The paging parameters of a list: `limit` 1–`most`, `offset` 0–10⁹ (beyond a database integer is no page)."""
    if not 1 <= limit <= most:
        raise Invalid(f"limit 应在 1–{most} 之间", f"limit must be 1–{most}", field="limit")
    if not 0 <= offset <= 1_000_000_000:
        raise Invalid("offset 应在 0–1000000000 之间", "offset must be 0–1000000000", field="offset")


class Problems(Invalid):
    """Several fields wrong at once (a form checked as a whole): `problems` lists each field with its message in
    Chinese and English; the message names them all, and `field` is the first."""

    def __init__(self, problems: list[tuple[str, str, str]], *, forbidden: bool = False):
        if forbidden:  # every problem is a field the user may not set (403), not a wrong value (400)
            self.status, self.code = Forbidden.status, Forbidden.code
        self.problems = [{"field": f, "message": {"zh": zh, "en": en}} for f, zh, en in problems]
        n = len(problems)
        zh = (f"有 {n} 处需要更正：" if n > 1 else "") + "；".join(zh for _, zh, _ in problems)
        en = (f"{n} entries need correcting: " if n > 1 else "") + "; ".join(en for _, _, en in problems)
        super().__init__(zh, en, field=problems[0][0] if problems else None)

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "problems": self.problems}
