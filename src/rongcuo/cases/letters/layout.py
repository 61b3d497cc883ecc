"""The measures of the page both renderers share (GB/T 9704-2012): fonts, sizes, colour, line pitch, type area."""

from __future__ import annotations

from rongcuo.cases.letters.text import em_width

FANGSONG, HEITI, KAITI, SONGTI = "仿宋", "黑体", "楷体", "宋体"
LATIN = "Times New Roman"
RED = "FF0000"
BODY_PT, TITLE_PT, SMALL_PT = 16.0, 22.0, 14.0  # 3号, 2号, 4号
LINE_PT = 28.95  # 22 lines to the 225 mm type area
TEXT_WIDTH_MM = 210 - 28 - 26  # 156 mm
MM = 72 / 25.4


def logo_size(issuer: str, width_pt: float) -> float:
    """The 发文机关标志's size: large, but the whole name on one line within the type area."""
    return float(max(22, min(48, int(width_pt * 0.95 / max(em_width(issuer), 1)))))
