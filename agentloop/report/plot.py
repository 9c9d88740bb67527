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

    @property
    def label(self) -> str:
        """The series' name in the plot's key, with its unit."""
        return _LABELS[self]


_LABELS = {
    SeriesKind.PROGRESS: "progress (share of the task, 0–1)",
    SeriesKind.REWARD: "step reward",
    SeriesKind.RETURN: "return (discounted, from the step)",
}


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
    x_ticks: list[tuple[float, int]]  # (x, step) of the labelled steps
    y_ticks: list[tuple[float, float]]  # (y, value)

    @property
    def keys(self) -> list[tuple[float, SeriesKind]]:
        """Where each series' entry of the key starts, one after the other below the axis."""
        out, x = [], self.left
        for s in self.series:
            out.append((x, s.kind))
            x += 30 + 5.5 * len(s.kind.label)
        return out


MAX_X_TICKS = 16  # step labels on the x axis; more steps are labelled every k-th


def plot_view(values: dict[SeriesKind, Sequence[float]], width: int = 640, height: int = 190) -> PlotView | None:
    """The plot of per-step values (one value per step in each series); None without steps.
    Below the plotting area: the steps' labels, the x axis's title, then the key."""
    n = max((len(v) for v in values.values()), default=0)
    if n == 0:
        return None
    left, right, top, bottom = 52.0, width - 10.0, 10.0, height - 58.0
    flat = [float(x) for v in values.values() for x in v]
    lo, hi = min(0.0, *flat), max(1.0, *flat)
    span = (right - left) / n

    def y(v: float) -> float:
        return bottom - (bottom - top) * (v - lo) / (hi - lo)

    columns = [Column(i, left + span * (i + 0.5), left + span * i, span) for i in range(n)]
    series = [Series(kind, [(columns[i].x, y(float(v))) for i, v in enumerate(vs)]) for kind, vs in values.items()]
    every = -(-n // MAX_X_TICKS)
    x_ticks = [(c.x, c.index) for c in columns if c.index % every == 0]
    y_ticks = [(y(v), v) for v in sorted({lo, 0.0, hi})]
    return PlotView(width, height, left, right, top, bottom, lo, hi, y(0.0), series, columns, x_ticks, y_ticks)
