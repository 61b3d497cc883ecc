"""Characters no text in Rongcuo may hold, refused alike wherever text comes in (the pages, the API, imports).

- NUL (U+0000): PostgreSQL text columns cannot store it (SQLite can), so the same input would be stored on one
  database and be a server error on the other.
- The bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): invisible, they make a
  name or title display differently from what it is ("Trojan Source"): e.g. a project title that reads as another
  one in a list. Chinese and English text never needs them; text in right-to-left scripts displays without them.
"""

from __future__ import annotations

import re

from rongcuo.common.errors import Invalid

FORBIDDEN = re.compile("[\x00\u202a-\u202e\u2066-\u2069]")


def forbidden_character(text: str) -> str | None:
    """The first character of `text` that no text may hold, or None."""
    found = FORBIDDEN.search(text)
    return found.group() if found else None


def character_texts(char: str) -> tuple[str, str]:
    """(Chinese, English): what `char` is and that it is not allowed, for a message that names the field itself."""
    code = f"U+{ord(char):04X}"
    if char == "\x00":
        return (f"含有不允许的空字符（{code}），请删除后重试",
                f"contains the NUL character ({code}), which is not allowed; remove it and retry")
    return (f"含有不允许的文字方向控制字符（{code}，不可见，会使文字显示得与实际内容不同），请删除后重试",
            f"contains a text-direction control character ({code}: invisible, it makes text display "
            "differently from what it is), which is not allowed; remove it and retry")


def refusal_texts(field: str, char: str) -> tuple[str, str]:
    """(Chinese, English) of the refusal of `char` in `field`."""
    zh, en = character_texts(char)
    return f"{field} {zh}", f"{field} {en}"


def check_text(value: str, field: str) -> str:
    """`value`, or Invalid naming the field and the character (for text that does not come through a request, e.g.
    a spreadsheet's cells)."""
    char = forbidden_character(value)
    if char is not None:
        raise Invalid(*refusal_texts(field, char), field=field)
    return value
