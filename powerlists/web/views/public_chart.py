"""Where powers sit: the geometry of a grouped bar chart drawn as inline SVG by the server.

Two horizontal bars per tier (before: hatched, after: solid), each labelled with its number, so the
chart reads without colour; the page gives the same numbers in a table.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH = 360
LEFT = 8
LABEL_SPACE = 120  # room after the longest bar for its label ("变更后 1234")
LABEL_HEIGHT = 22
BAR_HEIGHT = 18
BAR_GAP = 4
GROUP_GAP = 16


@dataclass
class Bar:
    y: int
    width: int
    value: int
    label: str
    text_x: int
    text_y: int
    pattern: bool


@dataclass
class Group:
    label: str
    label_y: int
    bars: list[Bar]


def bar_chart(rows: list[dict], before_label: str, after_label: str) -> dict:
    """``rows`` of ``{"label", "before", "after"}`` → the chart's size and its groups of bars."""
    top = max([1, *(r["before"] for r in rows), *(r["after"] for r in rows)])
    span = WIDTH - LEFT - LABEL_SPACE
    groups, y = [], 4
    for row in rows:
        label_y = y + LABEL_HEIGHT - 6
        y += LABEL_HEIGHT
        bars = []
        for key, label, pattern in (("before", before_label, True), ("after", after_label, False)):
            value = row[key]
            width = round(span * value / top) if value else 0
            width = max(width, 2) if value else 0
            bars.append(Bar(y=y, width=width, value=value, label=f"{label} {value}", text_x=LEFT + width + 6,
                            text_y=y + BAR_HEIGHT - 4, pattern=pattern))
            y += BAR_HEIGHT + BAR_GAP
        groups.append(Group(label=row["label"], label_y=label_y, bars=bars))
        y += GROUP_GAP - BAR_GAP
    return {"width": WIDTH, "height": y, "left": LEFT, "bar_height": BAR_HEIGHT, "groups": groups}
