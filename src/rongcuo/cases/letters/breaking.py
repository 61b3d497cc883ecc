"""Chinese line breaking (避头尾): no line starts with a closing punctuation mark, none ends with an opening one.

GB/T 15834-2011 (标点符号用法) and the usual typesetting rules (GB/T 9704-2012 is set by them): a full stop, comma,
colon, closing quotation mark or bracket never begins a line (避头点), an opening quotation mark or bracket never ends
one (避尾点). reportlab's own CJK wrapping knows only some of these marks (not '，', '：', '；', '”', '》') and hangs at
most one of them, so the PDF renderer breaks lines here and draws them itself.

The rule applied when a mark would begin a line: the character before it goes down with it (推出), so the line
is one character short and justified; a run of Latin letters and digits (a case number, a year) is never split.
Only when the line holds nothing that could go down (one long Latin run) does the mark hang in the margin (悬挂).
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: Marks that never begin a line (full-width and ASCII closing punctuation, the ellipsis and the dash halves).
NO_LINE_START = frozenset("，。、：；！？）》」』】〕〉”’…—·%‰℃,.:;!?)]}>" + "\uff09\uff3d\uff5d")
#: Marks that never end a line (opening quotation marks and brackets).
NO_LINE_END = frozenset("（《「『【〔〈“‘([{<" + "\uff08\uff3b\uff5b")

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_./@#&+]*|.", re.S)


def tokens(text: str) -> list[str]:
    """The units a line may break between: one CJK character or mark each, a run of Latin letters and digits whole."""
    return _TOKEN.findall(text)


def break_lines(text: str, width: Callable[[str], float], first: float, rest: float) -> list[str]:
    """Break `text` into lines no wider than `first` (the first line) and `rest` (the others), by `width` (the
    width of a string), keeping the line-start and line-end rules. A single token wider than a line is cut."""
    units: list[str] = []
    for tok in tokens(text):
        if len(tok) > 1 and width(tok) > rest:
            units.extend(tok)  # an overlong Latin run is cut by characters
        else:
            units.append(tok)
    lines: list[str] = []
    line: list[str] = []
    used = 0.0
    limit = first
    i = 0
    while i < len(units):
        u = units[i]
        w = width(u)
        if not line or used + w <= limit + 0.01:
            line.append(u)
            used += w
            i += 1
            continue
        # `u` does not fit: the line ends before it. Keep the rules by moving characters down with it; the unit
        # that would begin the next line is units[i - n + cut] (line[cut], or `u` itself while cut == n).
        n = len(line)
        cut = n
        while cut > 1 and units[i - n + cut][0] in NO_LINE_START:
            cut -= 1  # the next line would begin with a closing mark: the character before it goes down too
        if units[i - n + cut][0] in NO_LINE_START:
            # nothing can go down (the line is one long Latin run): the marks hang in the margin (悬挂) instead
            while i < len(units) and units[i][0] in NO_LINE_START:
                line.append(units[i])
                i += 1
            cut = len(line)
        while cut > 1 and line[cut - 1][-1] in NO_LINE_END:
            cut -= 1  # the line would end with an opening mark: it goes down
        i -= len(line) - cut
        line = line[:cut]
        lines.append("".join(line))
        line, used, limit = [], 0.0, rest
    if line:
        lines.append("".join(line))
    return lines


def breaks_ok(lines: list[str]) -> bool:
    """Whether no line but the first starts with a closing mark and no line but the last ends with an opening one."""
    return all(not ln or ln[0] not in NO_LINE_START for ln in lines[1:]) and \
        all(not ln or ln[-1] not in NO_LINE_END for ln in lines[:-1])
