"""A small inline SVG line plot of step rewards and returns (no plotting library needed)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape


def reward_plot(series: dict[str, Sequence[float]], width: int = 320, height: int = 90) -> Markup:
    colours = ["#1f6feb", "#d9480f", "#2b8a3e"]
    values = [v for s in series.values() for v in s] or [0.0]
    lo, hi = min(min(values), 0.0), max(max(values), 1e-9)
    n = max((len(s) for s in series.values()), default=1)
    def xy(i: int, v: float) -> str:
        x = 30 + (width - 40) * (i / max(n - 1, 1))
        y = height - 15 - (height - 25) * ((v - lo) / (hi - lo))
        return f"{x:.1f},{y:.1f}"
    parts = [f'<svg class="plot" width="{width}" height="{height}" role="img" aria-label="step rewards">',
             f'<line x1="30" y1="{height - 15}" x2="{width - 10}" y2="{height - 15}" stroke="#999"/>',
             f'<text x="0" y="12" font-size="10">{hi:.2f}</text><text x="0" y="{height - 15}" font-size="10">{lo:.2f}</text>']
    for k, (name, s) in enumerate(series.items()):
        c = colours[k % len(colours)]
        pts = " ".join(xy(i, v) for i, v in enumerate(s))
        parts.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{pts}"/>')
        # Dots as well: a one-step episode has no line to draw.
        parts.extend(f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="2.5" fill="{c}"/>' for p in pts.split())
        parts.append(f'<text x="{40 + 90 * k}" y="{height - 2}" font-size="10" fill="{c}">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
