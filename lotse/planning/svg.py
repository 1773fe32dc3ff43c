"""Server-rendered SVG: a choropleth of the districts and horizontal bar charts.

Geometry only; the templates draw it. SVG made on the server works without JavaScript, prints,
and goes into the PDF report unchanged. Colours are a colour-blind-safe diverging scale
(ColorBrewer RdBu), and every shape carries a ``<title>``; the same figures are always in a
table next to the picture.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.formats import number_format
from simplification.cutil import simplify_coords

from lotse.directory.models import District

from .models import DistrictMap

MAP_WIDTH = 640
MAP_PADDING = 8

#: (upper bound of seats per 100 children wanting a place, fill colour, CSS-free label key)
CLASSES: list[tuple[float, str]] = [
    (70, "#b2182b"),
    (85, "#ef8a62"),
    (100, "#fddbc7"),
    (115, "#92c5de"),
    (math.inf, "#2166ac"),
]
NO_DATA = "#d9d9d9"


def fill_for(value: float | None) -> str:
    if value is None:
        return NO_DATA
    for upper, colour in CLASSES:
        if value < upper:
            return colour
    return CLASSES[-1][1]


def legend() -> list[dict[str, Any]]:
    """Legend entries: colour and the range of seats per 100 children wanting a place."""
    entries, lower = [], 0.0
    for upper, colour in CLASSES:
        entries.append(
            {"colour": colour, "lower": lower, "upper": None if upper == math.inf else upper}
        )
        lower = upper
    return entries


@dataclass
class MapShape:
    district: District
    path: str
    fill: str
    value: float | None
    label_x: float
    label_y: float
    selected: bool = False


@dataclass
class ChoroplethMap:
    width: int
    height: int
    shapes: list[MapShape] = field(default_factory=list)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def choropleth(
    districts: list[District], values: dict[int, float | None], selected: int | None = None
) -> ChoroplethMap | None:
    """The districts as SVG paths, coloured by ``values`` (see ``_geometry``).

    ``districts`` come without their boundaries (``selectors.districts``): a boundary is read
    only when the projected map is not cached yet.
    """
    height, shapes = _cached_geometry(districts)
    if not shapes:
        return None
    result = ChoroplethMap(width=MAP_WIDTH, height=height)
    for district in districts:
        if district.pk not in shapes:
            continue
        path, label_x, label_y = shapes[district.pk]
        value = values.get(district.pk)
        result.shapes.append(
            MapShape(
                district=district,
                path=path,
                fill=fill_for(value),
                value=value,
                label_x=label_x,
                label_y=label_y,
                selected=district.pk == selected,
            )
        )
    return result


Geometry = tuple[int, dict[int, tuple[str, float, float]]]


def _cached_geometry(districts: list[District]) -> Geometry:
    """Projecting is the costly part and boundaries change only on import: the result is kept
    in the cache and in ``DistrictMap``, keyed by the districts and the stored size of each
    boundary (annotated by ``selectors.districts``: a re-imported outline changes it without
    the outline having to be read)."""
    if not districts:
        return 0, {}
    fingerprint = hashlib.sha1(
        repr([(d.pk, getattr(d, "boundary_size", None)) for d in districts]).encode()
    ).hexdigest()
    key = f"planning:map:{fingerprint}"
    geometry = cache.get(key)
    if geometry is None:
        municipality = districts[0].municipality
        stored = DistrictMap.objects.filter(
            municipality=municipality, fingerprint=fingerprint
        ).first()
        if stored is not None:
            geometry = stored.height, {int(pk): tuple(s) for pk, s in stored.shapes.items()}
        else:
            boundaries = District.objects.filter(
                pk__in=[d.pk for d in districts], boundary__isnull=False
            ).values_list("pk", "boundary")
            geometry = _geometry(dict(boundaries))
            _store_map(municipality, fingerprint, geometry)
        cache.set(key, geometry, timeout=24 * 3600)
    return geometry


def _store_map(municipality: str, fingerprint: str, geometry: Geometry) -> None:
    values = {"fingerprint": fingerprint, "height": geometry[0], "shapes": geometry[1]}
    try:
        with transaction.atomic():
            DistrictMap.objects.update_or_create(municipality=municipality, defaults=values)
    except IntegrityError:  # another request stored it at the same moment
        pass


#: Outline points closer than this (in pixels) to the simplified line are dropped.
SIMPLIFY_PX = 0.5


def _geometry(boundaries: dict[int, Any]) -> Geometry:
    """Project the districts' GeoJSON boundaries (WGS84) onto an SVG canvas.

    Equirectangular projection scaled by the cosine of the mean latitude: true to shape
    within a city. Each ring is simplified (Ramer–Douglas–Peucker, half a pixel) and rounded
    to half pixels: a big city's 96 districts of 400 points each shrink from 330 KB of SVG to
    a tenth, with no visible change. Labels sit at the mean of a district's outline points.
    """
    rings = {
        pk: [ring for ring in (_points(r) for r in _rings(b or {})) if len(ring)]
        for pk, b in boundaries.items()
    }
    rings = {pk: parts for pk, parts in rings.items() if parts}
    if not rings:
        return 0, {}
    points = np.concatenate([ring for parts in rings.values() for ring in parts])
    kx = math.cos(math.radians(float(points[:, 1].mean())))
    min_x, max_x = float(points[:, 0].min()) * kx, float(points[:, 0].max()) * kx
    min_y, max_y = float(points[:, 1].min()), float(points[:, 1].max())
    scale = (MAP_WIDTH - 2 * MAP_PADDING) / ((max_x - min_x) or 1)
    height = int((max_y - min_y) * scale + 2 * MAP_PADDING)

    shapes = {}
    for pk, parts in rings.items():
        projected = [
            np.column_stack(
                (
                    (ring[:, 0] * kx - min_x) * scale + MAP_PADDING,
                    (max_y - ring[:, 1]) * scale + MAP_PADDING,
                )
            )
            for ring in parts
        ]
        outline = np.concatenate(projected)
        shapes[pk] = (
            "".join(_path(ring) for ring in projected),
            round(float(outline[:, 0].mean()), 1),
            round(float(outline[:, 1].mean()), 1),
        )
    return height, shapes


def _points(ring: list[list[float]]) -> np.ndarray:
    # GeoJSON positions may carry an altitude; only longitude and latitude are drawn.
    return np.asarray([pt[:2] for pt in ring], dtype=float).reshape(-1, 2)


def _path(ring: np.ndarray) -> str:
    simple = np.asarray(simplify_coords(ring, SIMPLIFY_PX)) if len(ring) > 3 else ring
    halves = np.round(simple * 2) / 2
    keep = np.ones(len(halves), dtype=bool)
    keep[1:] = np.any(halves[1:] != halves[:-1], axis=1)  # drop repeated points
    return "M" + "L".join(f"{x:g},{y:g}" for x, y in halves[keep].tolist()) + "Z"


# --- Bar charts ---------------------------------------------------------------------------

CHART_WIDTH = 640
LABEL_WIDTH = 150
VALUE_ROOM = 48
BAR_HEIGHT = 11
BAR_GAP = 2
ROW_GAP = 8
AXIS_ROOM = 18
EDGE_ROOM = 16


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: list[Any]  # numbers, or None / "<3" (drawn as no bar, labelled)


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str
    label: str
    label_x: float
    anchor: str = "start"

    @property
    def text_y(self) -> float:
        return round(self.y + self.height - 2, 1)


@dataclass
class ChartRow:
    label: str
    y: float
    label_y: float
    bars: list[Bar]


@dataclass
class BarChart:
    width: int
    height: int
    zero_x: float
    plot_left: int
    plot_right: int
    rows: list[ChartRow]
    series: list[Series]
    ticks: list[tuple[float, str]]
    category_x: int = LABEL_WIDTH - 6


def _nice_step(span: float) -> float:
    raw = span / 4 or 1
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if raw <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    """A chart label as the tables show it: the language's separators (1.300 and 2,5 in
    German), a true minus sign."""
    if value == int(value):
        whole = int(value)
        text = str(whole) if -1000 < whole < 1000 else number_format(whole, force_grouping=True)
    else:
        text = number_format(value, 1)
    return text.replace("-", "−")


def _domain(series: list[Series]) -> tuple[float, float]:
    numbers = [v for s in series for v in s.values if isinstance(v, int | float)]
    return min([0.0, *numbers]), max([0.0, *numbers])


def bar_chart(
    categories: list[str], series: list[Series], domain: tuple[float, float] | None = None
) -> BarChart:
    """Grouped horizontal bars, one group per category; negative values grow leftwards.
    ``domain`` (lowest, highest value) fixes the scale, so the parts of a chart split over
    several pages (``bar_chart_parts``) share one axis."""
    low, high = domain if domain is not None else _domain(series)
    if high == low:
        high = low + 1
    # Room for value labels on the side(s) where bars grow.
    left = LABEL_WIDTH + (VALUE_ROOM if low < 0 else 0)
    # Without positive bars the zero tick's label and a missing value's "–" still stand
    # right of the zero line: they need a little room inside the drawing.
    right = CHART_WIDTH - (VALUE_ROOM if high > 0 else EDGE_ROOM)
    scale = (right - left) / (high - low)
    zero_x = left + (0 - low) * scale
    group_height = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    rows, y = [], float(AXIS_ROOM)
    for index, category in enumerate(categories):
        bars = []
        for n, s in enumerate(series):
            value = s.values[index]
            top = y + n * (BAR_HEIGHT + BAR_GAP)
            number = value if isinstance(value, int | float) else 0
            x0, x1 = sorted((zero_x, zero_x + number * scale))
            if value is None:
                label = "–"
            elif number == value:
                label = _number(number)
            else:
                label = str(value)
            bars.append(
                Bar(
                    x=round(x0, 1),
                    y=round(top, 1),
                    width=round(x1 - x0, 1),
                    height=BAR_HEIGHT,
                    colour=s.colour,
                    title=f"{category} · {s.name}: {label}",
                    label=label,
                    label_x=round(x1 + 3 if number >= 0 else x0 - 3, 1),
                    anchor="start" if number >= 0 else "end",
                )
            )
        rows.append(ChartRow(category, round(y, 1), round(y + group_height / 2 + 4, 1), bars))
        y += group_height + ROW_GAP
    step = _nice_step(high - low)
    ticks, tick = [], math.ceil(low / step) * step
    while tick <= high + 1e-9:
        ticks.append((round(left + (tick - low) * scale, 1), _number(tick)))
        tick += step
    return BarChart(
        width=CHART_WIDTH,
        height=int(y),
        zero_x=round(zero_x, 1),
        plot_left=left,
        plot_right=right,
        rows=rows,
        series=series,
        ticks=ticks,
    )


def bar_chart_parts(categories: list[str], series: list[Series], size: int) -> list[BarChart]:
    """The chart in parts of at most ``size`` categories on one shared scale: a printed chart
    of a city with many districts stays a readable size instead of shrinking to fit a page."""
    domain = _domain(series)
    size = math.ceil(len(categories) / math.ceil(len(categories) / size)) if categories else 1
    return [
        bar_chart(
            categories[start : start + size],
            [Series(s.name, s.colour, s.values[start : start + size]) for s in series],
            domain,
        )
        for start in range(0, len(categories), size)
    ]
