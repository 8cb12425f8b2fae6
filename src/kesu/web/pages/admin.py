"""Administration pages: routing rules (list, add one, import a CSV or YAML file)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from kesu.accounts.models import User
from kesu.complaints import queries as complaint_queries
from kesu.core.errors import KesuError
from kesu.core.i18n import Language
from kesu.routing import queries as routing_queries
from kesu.routing import service as routing_service
from kesu.routing.schemas import RuleDraft, Strategy
from kesu.text.classify import CATEGORIES
from kesu.web.deps import DbSession, KesuApp, OptionalUser, actor_of
from kesu.web.pages.guards import check_csrf, csrf_for, to_login
from kesu.web.pages.rendering import render

router = APIRouter(include_in_schema=False)
MAX_RULE_FILE_BYTES = 1_000_000


def _page(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: User,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "agent/routing.html",
        {
            "user": user,
            "rules": routing_queries.rules(session),
            "departments": complaint_queries.departments(session),
            "categories": CATEGORIES,
            "strategies": list(Strategy),
            "csrf": csrf_for(request, kesu),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/agent/admin/routing", response_class=HTMLResponse, response_model=None)
def routing_rules(
    request: Request, session: DbSession, kesu: KesuApp, user: OptionalUser
) -> Response:
    if user is None:
        return to_login(request)
    return _page(request, session, kesu, user)


@router.post("/agent/admin/routing", response_model=None)
def add_rule(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    name: Annotated[str, Form(max_length=120)] = "",
    position: Annotated[str, Form(max_length=10)] = "100",
    category: Annotated[str, Form(max_length=32)] = "",
    product_line: Annotated[str, Form(max_length=60)] = "",
    region_prefix: Annotated[str, Form(max_length=120)] = "",
    department_code: Annotated[str, Form(max_length=40)] = "",
    strategy: Annotated[str, Form(max_length=16)] = "department",
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    fields = {
        "name": name,
        "position": position,
        "category": category,
        "product_line": product_line,
        "region_prefix": region_prefix,
        "department_code": department_code,
        "strategy": strategy,
    }
    try:
        draft = RuleDraft.model_validate(
            {key: value.strip() for key, value in fields.items() if value.strip()}
        )
        routing_service.create_rule(session, draft, actor=actor_of(user), clock=kesu.clock)
    except ValidationError as error:
        problem = error.errors()[0]
        message = f"{'.'.join(str(p) for p in problem['loc'])}：格式不正确"
        return _page(request, session, kesu, user, error=message, status_code=422)
    except KesuError as error:
        return _page(
            request,
            session,
            kesu,
            user,
            error=error.message(Language.ZH),
            status_code=error.http_status,
        )
    return RedirectResponse("/agent/admin/routing", status_code=303)


@router.post("/agent/admin/routing/import", response_model=None)
async def import_rules(
    request: Request,
    session: DbSession,
    kesu: KesuApp,
    user: OptionalUser,
    csrf: Annotated[str, Form()],
    rules_file: Annotated[UploadFile, File()],
) -> Response:
    if user is None:
        return to_login(request)
    check_csrf(request, kesu, csrf)
    data = await rules_file.read(MAX_RULE_FILE_BYTES + 1)
    name = (rules_file.filename or "").lower()
    importer = (
        routing_service.import_rules_yaml
        if name.endswith((".yaml", ".yml"))
        else routing_service.import_rules_csv
    )
    try:
        if len(data) > MAX_RULE_FILE_BYTES:
            return _page(request, session, kesu, user, error="文件超过 1 MB。", status_code=413)
        importer(session, data.decode("utf-8"), actor=actor_of(user), clock=kesu.clock)
    except UnicodeDecodeError:
        return _page(request, session, kesu, user, error="文件应为 UTF-8 编码。", status_code=422)
    except KesuError as error:
        return _page(
            request,
            session,
            kesu,
            user,
            error=error.message(Language.ZH),
            status_code=error.http_status,
        )
    return RedirectResponse("/agent/admin/routing", status_code=303)
