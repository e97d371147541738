"""An evaluation round at a glance: the geometry of a stacked bar chart drawn as inline SVG by the server.

One horizontal bar per town (or per assessment type), split into the four categories; each category
has its own fill pattern as well as its colour, so the chart reads in black and white; the total
follows each bar, each segment carries its count as a tooltip, and the page gives every number in a
table beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...models import EvaluationCategory

WIDTH = 360
LEFT = 8
LABEL_SPACE = 56  # room after the longest bar for its total
LABEL_HEIGHT = 20
BAR_HEIGHT = 18
GROUP_GAP = 10

# (fill colour, pattern id) of each category; the patterns are defined in the template.
STYLES = {
    EvaluationCategory.PROMOTABLE.value: ("#1f6b3a", "ev-solid"),
    EvaluationCategory.SHOULD_NOT.value: ("#8a1c1c", "ev-hatch"),
    EvaluationCategory.NOT_YET.value: ("#b05a00", "ev-dots"),
    EvaluationCategory.POOR.value: ("#6b3fa0", "ev-lines"),
}


@dataclass
class Segment:
    category: str
    label: str
    x: int
    width: int
    value: int
    pattern: str
    colour: str


@dataclass
class Row:
    label: str
    label_y: int
    y: int
    total: int
    total_x: int
    total_y: int
    segments: list[Segment]


def stacked_chart(rows: list[dict], labels: dict[str, str]) -> dict:
    """``rows`` of ``{"label", "<category>": n, …, "total"}`` → the chart's size and its bars.

    ``labels`` names each category. Widths are proportional to the largest total; a non-zero segment
    is at least 2 px wide so it stays visible."""
    top = max([1, *(r["total"] for r in rows)])
    span = WIDTH - LEFT - LABEL_SPACE
    out, y = [], 4
    for row in rows:
        label_y = y + LABEL_HEIGHT - 6
        y += LABEL_HEIGHT
        x, segments = LEFT, []
        for category in EvaluationCategory.values:
            value = row.get(category, 0) or 0
            if not value:
                continue
            width = max(round(span * value / top), 2)
            colour, pattern = STYLES[category]
            segments.append(Segment(category=category, label=labels[category], x=x, width=width, value=value,
                                    pattern=pattern, colour=colour))
            x += width
        out.append(Row(label=row["label"], label_y=label_y, y=y, total=row["total"], total_x=x + 6,
                       total_y=y + BAR_HEIGHT - 4, segments=segments))
        y += BAR_HEIGHT + GROUP_GAP
    return {"width": WIDTH, "height": max(y, 24), "left": LEFT, "bar_height": BAR_HEIGHT, "rows": out,
            "legend": [{"category": c, "label": labels[c], "colour": STYLES[c][0], "pattern": STYLES[c][1]}
                       for c in EvaluationCategory.values]}
