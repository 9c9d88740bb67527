"""The coordinates of an episode's plot of progress, step reward and return (drawn as inline
SVG by the page's template: no plotting library, nothing to load)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


class SeriesKind(str, Enum):
    """The plotted series; the value names the CSS class that colours it."""

    PROGRESS = "progress"  # the task's progress after each step
    REWARD = "reward"  # the derived step reward r_t
    RETURN = "return"  # the discounted return from each step


@dataclass(frozen=True)
class Series:
    """One line of the plot."""

    kind: SeriesKind
    points: list[tuple[float, float]]

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


@dataclass(frozen=True)
class Column:
    """The strip of the plot that belongs to one step: clicking it selects the step."""

    index: int
    x: float  # the step's centre
    left: float
    width: float


@dataclass(frozen=True)
class PlotView:
    """Everything the template needs to draw the plot."""

    width: int
    height: int
    left: float  # the plotting area
    right: float
    top: float
    bottom: float
    lo: float  # the value range on the y axis
    hi: float
    zero: float  # y of the value 0
    series: list[Series]
    columns: list[Column]


def plot_view(values: dict[SeriesKind, Sequence[float]], width: int = 640, height: int = 150) -> PlotView | None:
    """The plot of per-step values (one value per step in each series); None without steps."""
    n = max((len(v) for v in values.values()), default=0)
    if n == 0:
        return None
    left, right, top, bottom = 40.0, width - 10.0, 10.0, height - 22.0
    flat = [float(x) for v in values.values() for x in v]
    lo, hi = min(0.0, *flat), max(1.0, *flat)
    span = (right - left) / n

    def y(v: float) -> float:
        return bottom - (bottom - top) * (v - lo) / (hi - lo)

    columns = [Column(i, left + span * (i + 0.5), left + span * i, span) for i in range(n)]
    series = [Series(kind, [(columns[i].x, y(float(v))) for i, v in enumerate(vs)]) for kind, vs in values.items()]
    return PlotView(width, height, left, right, top, bottom, lo, hi, y(0.0), series, columns)
