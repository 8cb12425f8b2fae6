"""Every route of the app is reached by its own paths: no route placed earlier answers for it.

Routers are tried in the order ``create_app`` includes them, and the first route whose path
pattern and method fit wins. The order is chosen for speed (the most used routers are tried
first), so this guards what the order must never change: which endpoint answers a request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount

from kesu.bootstrap import Kesu
from kesu.web.app import create_app

PARAMETER = re.compile(r"{([^}:]+)(?::[^}]+)?}")
SAMPLES = ("1", "42", "zh-CN", "en", "KS261123-7F3K9Q")
"""Values put in a path parameter: ids, languages, tracking numbers."""


def _flattened(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes in the order requests try them, included routers opened in place."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _flattened(included.routes)
        else:
            yield route


def _answering(ordered: list[BaseRoute], method: str, path: str) -> BaseRoute | None:
    partial = None
    for route in ordered:
        if isinstance(route, Mount):
            if path.startswith(route.path + "/"):
                return route
            continue
        pattern = getattr(route, "path_regex", None)
        if pattern is None or not pattern.match(path):
            continue
        methods = getattr(route, "methods", None)
        if methods is None or method in methods:
            return route
        partial = partial or route
    return partial


def _app(kesu: Kesu) -> FastAPI:
    return create_app(kesu)


def test_each_route_answers_its_own_paths(kesu: Kesu) -> None:
    ordered = list(_flattened(_app(kesu).router.routes))
    api_routes = [route for route in ordered if isinstance(route, APIRoute)]
    assert len(api_routes) > 100  # the whole app, not one router
    shadowed = []
    for route in api_routes:
        for sample in SAMPLES:
            path = PARAMETER.sub(sample, route.path_format)
            for method in sorted(route.methods or ()):
                answering = _answering(ordered, method, path)
                if answering is not route:
                    name = getattr(answering, "path", answering)
                    shadowed.append(f"{method} {path}: {route.path_format} lost to {name}")
            if path == route.path_format:
                break  # no parameter: one path is enough
    assert shadowed == []


def test_the_check_sees_a_route_placed_too_early(kesu: Kesu) -> None:
    """The check above is not empty: a catch-all route placed first shadows the detail page."""
    app = _app(kesu)

    @app.get("/agent/complaints/{anything}")
    def catch_all(anything: str) -> str:
        return anything

    app.router.routes.insert(0, app.router.routes.pop())
    ordered = list(_flattened(app.router.routes))
    detail = next(
        route
        for route in ordered
        if isinstance(route, APIRoute) and route.path_format == "/agent/complaints/{complaint_id}"
    )
    assert _answering(ordered, "GET", "/agent/complaints/1") is not detail
