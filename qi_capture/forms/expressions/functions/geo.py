"""Geo functions: area (alias enclosed-area), distance, geofence, intersects.

A geopoint is ``lat lon [alt [accuracy]]``; a geotrace/geoshape is geopoints separated by
``;``. Arguments may be such text or node-sets (each node a geopoint or a trace). Formulas
are JavaRosa's (GeoUtils), on a sphere of radius 6,378,100 m: distance sums great-circle
segments (spherical law of cosines); area projects each vertex relative to the first
(equirectangular, by the vertex's latitude) and sums the triangle fan; geofence is the
even-odd ray test over the closed shape. ``intersects(trace)`` is true when two
non-adjacent segments of the trace/shape cross (a self-intersecting boundary).
Empty or unreadable input gives NaN (area, distance) or false (geofence, intersects) rather
than an error, so calculations over unanswered geo fields stay quiet.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.coerce import NAN, string_to_number, to_string
from qi_capture.forms.expressions.functions.base import register
from qi_capture.forms.expressions.values import Value

if TYPE_CHECKING:
    from qi_capture.forms.expressions.compiler import Compiler, Fn
    from qi_capture.forms.expressions.context import EvalContext, XNode

EARTH_RADIUS_M = 6_378_100.0
_CIRCUMFERENCE = 2 * math.pi * EARTH_RADIUS_M

Point = tuple[float, float]  # (latitude, longitude) in degrees


def parse_point(text: str) -> Point | None:
    parts = text.split()
    if not 2 <= len(parts) <= 4:
        return None
    lat, lon = string_to_number(parts[0]), string_to_number(parts[1])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # also rejects NaN
        return None
    return lat, lon


def parse_points(text: str) -> list[Point] | None:
    points: list[Point] = []
    for chunk in text.split(";"):
        if not chunk.strip():
            continue
        p = parse_point(chunk)
        if p is None:
            return None
        points.append(p)
    return points


def points_of(values: list[Value]) -> list[Point] | None:
    points: list[Point] = []
    for v in values:
        texts = [x.value() for x in v] if type(v) is list else [to_string(v)]
        for t in texts:
            ps = parse_points(t)
            if ps is None:
                return None
            points.extend(ps)
    return points


def distance(points: list[Point]) -> float:
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(points):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        dl = math.radians(lon1 - lon2)
        cos_angle = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
        total += math.acos(max(-1.0, min(1.0, cos_angle))) * EARTH_RADIUS_M
    return total


def area(points: list[Point]) -> float:
    if len(points) < 3:
        return 0.0
    lat0, lon0 = points[0]
    xs = [
        (lon - lon0) * _CIRCUMFERENCE * math.cos(math.radians(lat)) / 360.0
        for lat, lon in points[1:]
    ]
    ys = [(lat - lat0) * _CIRCUMFERENCE / 360.0 for lat, _ in points[1:]]
    total = 0.0
    for i in range(1, len(xs)):
        total += (ys[i - 1] * xs[i] - xs[i - 1] * ys[i]) / 2
    return abs(total)


def inside(point: Point, shape: list[Point]) -> bool:
    if len(shape) < 3:
        return False
    if shape[0] != shape[-1]:
        shape = [*shape, shape[0]]
    y, x = point
    result = False
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(shape):
        if (lat2 > y) != (lat1 > y) and x < (lon1 - lon2) * (y - lat2) / (lat1 - lat2) + lon2:
            result = not result
    return result


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1])


def _segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    return ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and 0 not in (d1, d2, d3, d4)


def self_intersects(points: list[Point]) -> bool:
    closed = len(points) > 3 and points[0] == points[-1]
    segs = list(itertools.pairwise(points))
    for i in range(len(segs)):
        for j in range(i + 2, len(segs)):
            if closed and i == 0 and j == len(segs) - 1:
                continue  # first and last segments of a shape share its closing vertex
            if _segments_cross(*segs[i], *segs[j]):
                return True
    return False


@register("area", "enclosed-area", returns="number")
def _area(call: ast.Call, comp: Compiler) -> Fn:
    arg = comp.value(call.args[0])

    def run(c: EvalContext, n: XNode) -> Value:
        points = points_of([arg(c, n)])
        return area(points) if points else NAN

    return run


@register("distance", returns="number")
def _distance(call: ast.Call, comp: Compiler) -> Fn:
    args = [comp.value(a) for a in call.args]

    def run(c: EvalContext, n: XNode) -> Value:
        points = points_of([f(c, n) for f in args])
        return distance(points) if points else NAN

    return run


@register("geofence", returns="boolean")
def _geofence(call: ast.Call, comp: Compiler) -> Fn:
    point_f, shape_f = comp.string(call.args[0]), comp.value(call.args[1])

    def run(c: EvalContext, n: XNode) -> Value:
        point = parse_point(point_f(c, n))
        shape = points_of([shape_f(c, n)])
        return point is not None and shape is not None and inside(point, shape)

    return run


@register("intersects", returns="boolean")
def _intersects(call: ast.Call, comp: Compiler) -> Fn:
    arg = comp.value(call.args[0])

    def run(c: EvalContext, n: XNode) -> Value:
        points = points_of([arg(c, n)])
        return bool(points) and self_intersects(points)  # type: ignore[arg-type]

    return run
