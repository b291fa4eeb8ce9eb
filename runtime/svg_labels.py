"""Reads a Graphviz SVG back as boxes: every line of text and every node, in SVG points
(runtime/svg.py keeps the first layout in which nothing overlaps; tests/test_diagram_layout.py
checks every view).

Text extents come from the very font the SVG names (DejaVu Sans, found through
fontconfig like Graphviz and Chromium find it) and its advance widths, read with
reportlab's TrueType reader: the same metrics Graphviz laid the labels out with,
so a box here is where a browser paints the text, give or take hinting.
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache

from reportlab.pdfbase.ttfonts import TTFont

SVG = "{http://www.w3.org/2000/svg}"
_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlap(self, other: Box, slack: float = 0.0) -> bool:
        """Whether the boxes share more than `slack` points in both directions."""
        return (
            min(self.x1, other.x1) - max(self.x0, other.x0) > slack
            and min(self.y1, other.y1) - max(self.y0, other.y0) > slack
        )


@dataclass(frozen=True)
class Text:
    owner: str  # the id of the node, edge or cluster group the text belongs to
    kind: str  # "node", "edge", "cluster" or "graph"
    text: str
    box: Box
    family: str


@dataclass(frozen=True)
class Shape:
    owner: str
    title: str
    box: Box


@cache
def font(family: str, style: str = "", weight: str = "") -> TTFont:
    """The TrueType font fontconfig picks for the SVG's family and style (as Chromium does)."""
    pattern = family + (":italic" if style == "italic" else "") + (":bold" if weight == "bold" else "")
    found = subprocess.run(
        ["fc-match", "-f", "%{family}\n%{file}", pattern], capture_output=True, text=True, check=True
    )
    families, path = found.stdout.split("\n", 1)
    if family not in families.split(","):
        raise RuntimeError(f"font {family!r} not installed (fontconfig offers {families!r} from {path})")
    return TTFont(f"{family}-{style}-{weight}", path)


def text_box(x: float, y: float, anchor: str, size: float, text: str, face: TTFont) -> Box:
    width = face.stringWidth(text, size)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    ascent, descent = face.face.ascent / 1000 * size, -face.face.descent / 1000 * size
    return Box(left, y - ascent, left + width, y + descent)


def _bbox(points: list[float]) -> Box:
    xs, ys = points[0::2], points[1::2]
    return Box(min(xs), min(ys), max(xs), max(ys))


def _shape_box(element: ET.Element) -> Box | None:
    tag = element.tag.removeprefix(SVG)
    if tag == "ellipse":
        cx, cy, rx, ry = (float(element.get(a)) for a in ("cx", "cy", "rx", "ry"))
        return Box(cx - rx, cy - ry, cx + rx, cy + ry)
    if tag == "polygon":
        return _bbox([float(n) for n in _NUMBERS.findall(element.get("points", ""))])
    if tag == "path":  # Graphviz writes absolute M/C commands only: every number is a coordinate
        return _bbox([float(n) for n in _NUMBERS.findall(element.get("d", ""))])
    return None


def read(svg: str) -> tuple[list[Text], list[Shape]]:
    """Every text line (with its owner) and every node's outline box."""
    root = ET.fromstring(svg.encode("utf-8"))
    graph = root.find(f"{SVG}g")
    texts: list[Text] = []
    shapes: list[Shape] = []
    for element in graph.iter():
        if element.tag != f"{SVG}g" or element.get("class") is None:
            continue
        kind = element.get("class").split()[0]
        if kind not in ("node", "edge", "cluster", "graph"):
            continue
        owner = element.get("id")
        title = element.findtext(f"{SVG}title") or ""
        scope = [element] if kind != "graph" else [child for child in element if child.tag == f"{SVG}text"]
        for item in scope[0].iter() if kind != "graph" else scope:
            if item.tag == f"{SVG}text" and (item.text or "").strip():
                face = font(item.get("font-family"), item.get("font-style", ""), item.get("font-weight", ""))
                box = text_box(
                    float(item.get("x")),
                    float(item.get("y")),
                    item.get("text-anchor", "start"),
                    float(item.get("font-size")),
                    item.text,
                    face,
                )
                texts.append(Text(owner, kind, item.text, box, item.get("font-family")))
        if kind == "node":
            boxes = [b for item in element.iter() if (b := _shape_box(item)) is not None]
            if boxes:
                shapes.append(
                    Shape(
                        owner,
                        title,
                        Box(
                            min(b.x0 for b in boxes),
                            min(b.y0 for b in boxes),
                            max(b.x1 for b in boxes),
                            max(b.y1 for b in boxes),
                        ),
                    )
                )
    return texts, shapes


def collisions(svg: str, slack: float = 0.5) -> list[str]:
    """Edge or cluster labels printed over another label or over a node, as readable lines."""
    texts, shapes = read(svg)
    labels = [t for t in texts if t.kind in ("edge", "cluster", "graph")]
    found = []
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            if a.owner != b.owner and a.box.overlap(b.box, slack):
                found.append(f"label {a.text!r} ({a.owner}) over label {b.text!r} ({b.owner})")
        for shape in shapes:
            if a.box.overlap(shape.box, slack):
                found.append(f"label {a.text!r} ({a.owner}) over node {shape.title!r}")
    return found


def missing_glyphs(svg: str) -> dict[str, set[str]]:
    """Characters of the SVG's text that its named font cannot draw (a browser shows a box or
    a fallback glyph for them), by font family."""
    texts, _ = read(svg)
    missing: dict[str, set[str]] = {}
    for t in texts:
        table = font(t.family).face.charToGlyph
        gaps = {c for c in t.text if ord(c) not in table and not c.isspace()}
        if gaps:
            missing.setdefault(t.family, set()).update(gaps)
    return missing


def _cubic_points(d: str, steps: int = 24) -> list[tuple[float, float]]:
    numbers = [float(n) for n in _NUMBERS.findall(d)]
    pts = list(zip(numbers[0::2], numbers[1::2], strict=True))
    out = [pts[0]]
    for i in range(1, len(pts) - 2, 3):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for k in range(1, steps + 1):
            t = k / steps
            u = 1 - t
            out.append(
                (
                    u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                    u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
                )
            )
    return out


def edge_paths(svg: str) -> list[tuple[str, list[tuple[float, float]]]]:
    root = ET.fromstring(svg.encode("utf-8"))
    found = []
    for element in root.iter(f"{SVG}g"):
        if (element.get("class") or "").split()[:1] in (["edge"], ["cluster"]):
            for path in element.iter(f"{SVG}path"):
                found.append((element.get("id"), _cubic_points(path.get("d"))))
    return found


def crossings(svg: str, slack: float = 1.0) -> list[str]:
    """Edge labels that another edge's line or a cluster's frame runs through."""
    texts, _ = read(svg)
    found = []
    for owner, points in edge_paths(svg):
        for t in texts:
            if t.kind == "edge" and t.owner != owner:
                b = t.box
                if any(b.x0 + slack < x < b.x1 - slack and b.y0 + slack < y < b.y1 - slack for x, y in points):
                    found.append(f"edge {owner} runs through label {t.text!r} ({t.owner})")
    return found
