"""A ratio chart of a results file, as a dependency-free SVG: one bar per metric on a log scale,
with the target marked, so a reader sees at a glance how far past (or short of) each target it is."""

from __future__ import annotations

import json
import math
import sys
from html import escape
from pathlib import Path
from typing import Any

ROW_H, LEFT, WIDTH, MAX_DECADES = 34, 230, 760, 4.0


def _x(ratio: float) -> float:
    """Position of a ratio on a log axis from 1x (left edge) to 10^MAX_DECADES x."""
    decades = min(max(math.log10(max(ratio, 1e-9)), 0.0), MAX_DECADES)
    return LEFT + decades / MAX_DECADES * (WIDTH - LEFT - 90)


def ratio_chart_svg(results: dict[str, Any]) -> str:
    metrics = results["metrics"]
    height = 60 + ROW_H * len(metrics) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        'font-family="sans-serif" font-size="13">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(results["benchmark"])}: '
        f"opsloop vs {escape(results['baseline']['name'])} {escape(results['baseline']['version'])} "
        "(ratio, log scale; > 1x favours opsloop)</text>",
    ]
    for decade in range(int(MAX_DECADES) + 1):
        x = _x(10.0**decade)
        parts.append(f'<line x1="{x:.1f}" y1="40" x2="{x:.1f}" y2="{height - 30}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle" fill="#666">{10**decade:,}x</text>'
        )
    for row, (name, entry) in enumerate(metrics.items()):
        y = 50 + row * ROW_H
        ratio = float(entry["ratio"])
        target = entry.get("target_ratio")
        met = entry.get("met")
        colour = "#2e7d32" if met or met is None else "#c62828"
        parts.append(f'<text x="10" y="{y + 16}">{escape(name)}</text>')
        bar = max(_x(ratio) - LEFT, 1)
        parts.append(f'<rect x="{LEFT}" y="{y + 3}" width="{bar:.1f}" height="18" fill="{colour}"/>')
        parts.append(f'<text x="{_x(ratio) + 6:.1f}" y="{y + 16}">{ratio:,.1f}x</text>')
        if target is not None:
            tx = _x(float(target))
            parts.append(
                f'<line x1="{tx:.1f}" y1="{y}" x2="{tx:.1f}" y2="{y + 24}" stroke="black" stroke-width="2"/>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_ratio_chart(json_path: Path) -> Path:
    svg_path = json_path.with_suffix(".svg")
    svg_path.write_text(ratio_chart_svg(json.loads(json_path.read_text())))
    return svg_path


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(write_ratio_chart(Path(argument)))
