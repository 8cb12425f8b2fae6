"""The FastAPI application factory: REST API, pages and static files in one app."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from typing_extensions import override

from kesu import bootstrap
from kesu.bootstrap import Kesu
from kesu.core.activity import SHARED_ACTIVITY_ENV, RequestActivity, SharedActivity
from kesu.settings import Settings
from kesu.web import errors
from kesu.web.api import admin as admin_api
from kesu.web.api import analytics as analytics_api
from kesu.web.api import auth as auth_api
from kesu.web.api import complaints as complaints_api
from kesu.web.api import escalation as escalation_api
from kesu.web.api import followup as followup_api
from kesu.web.api import handling as handling_api
from kesu.web.api import routing as routing_api
from kesu.web.api import sla as sla_api
from kesu.web.api import system as system_api
from kesu.web.api import triage as triage_api
from kesu.web.pages import admin as admin_pages
from kesu.web.pages import agent as agent_pages
from kesu.web.pages import analytics as analytics_pages
from kesu.web.pages import language as language_pages
from kesu.web.pages import portal as portal_pages
from kesu.web.pages import rendering

STATIC_DIR = Path(__file__).parent / "static"

DESCRIPTION = """
kesu (客诉) — closed-loop customer complaint handling.

Errors always have the body `{"detail": "<message>", "code": "<stable code>"}`; the message is in
Chinese unless the request prefers English (`Accept-Language: en`).
"""


class _Api(FastAPI):
    """FastAPI, with the schemas of the bodies endpoints read themselves in its OpenAPI
    document (``complaints_api.BODY_MODELS``): FastAPI only knows the bodies it parses."""

    @override
    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            document = super().openapi()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for model in complaints_api.BODY_MODELS:
                schema = model.model_json_schema(ref_template=complaints_api.REF_TEMPLATE)
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
        return self.openapi_schema or {}


def create_app(kesu: Kesu) -> FastAPI:
    app = _Api(title="kesu 客诉", version="0.1.0", description=DESCRIPTION)
    app.state.kesu = kesu
    app.state.templates = rendering.env
    errors.install(app)
    # Requests try the routes in this order, each costing a few microseconds (FastAPI wraps
    # every included route), so the most used come first: health and echo, intake and the
    # complaint lists, the staff workspace, the portal. tests/web/test_routes.py checks that no
    # route shadows another's paths.
    app.include_router(system_api.router)
    app.include_router(complaints_api.router)
    app.include_router(agent_pages.router)
    app.include_router(portal_pages.router)
    app.include_router(auth_api.router)
    app.include_router(admin_api.router)
    app.include_router(analytics_api.router)
    app.include_router(triage_api.router)
    app.include_router(sla_api.router)
    app.include_router(routing_api.router)
    app.include_router(escalation_api.router)
    app.include_router(handling_api.router)
    app.include_router(handling_api.causes_router)
    app.include_router(handling_api.decisions_router)
    app.include_router(followup_api.actions_router)
    app.include_router(followup_api.router)
    app.include_router(admin_pages.router)
    app.include_router(analytics_pages.router)
    app.include_router(language_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(CountRequests, activity=kesu.activity)
    return app


class CountRequests:
    """Counts the requests in progress (``Kesu.activity``): a plain ASGI layer, a few
    microseconds a request."""

    def __init__(self, app: ASGIApp, activity: RequestActivity) -> None:
        self.app = app
        self.activity = activity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.activity.started()
        try:
            await self.app(scope, receive, send)
        finally:
            self.activity.finished()


def freeze_startup_objects() -> None:
    """Keep what start-up loaded (modules, models, the triage vectors) out of garbage collection.

    Those objects live as long as the process; without this every full collection walks them
    all, a pause of ~100 ms that lands on whichever request triggered it.
    """
    gc.collect()
    gc.freeze()


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` with several processes: each builds its own container."""
    kesu = bootstrap.build(Settings())
    if shared := os.environ.get(SHARED_ACTIVITY_ENV):
        # ``kesu serve`` runs the worker in its own process: it rests while these requests run.
        kesu.activity = RequestActivity(SharedActivity(Path(shared)))
    app = create_app(kesu)
    freeze_startup_objects()
    return app
