"""The one mapping from errors to HTTP: ``{"detail": <message>, "code": <stable code>}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kesu.core.errors import KesuError
from kesu.core.i18n import Language, negotiate
from kesu.web.translation import translate

_VALIDATION_MESSAGE = {
    Language.ZH: "请求内容不符合要求：{fields}",
    Language.EN: "The request is not valid: {fields}",
}
# Errors raised by the framework itself, before any kesu code runs.
_HTTP_ERRORS = {
    400: (
        "malformed_request",
        "请求无法解析（请发送 UTF-8 编码的 JSON）。",
        "The request body could not be parsed (send UTF-8 JSON).",
    ),
    401: ("not_authenticated", "请先登录。", "Please sign in first."),
    404: ("not_found", "未找到。", "Not found."),
    405: ("method_not_allowed", "不支持该请求方法。", "Method not allowed."),
}


def request_language(request: Request) -> Language:
    # An explicit ?lang= (API clients, shared links) wins over the page switch's remembered cookie.
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    if chosen in {Language.ZH.value, Language.EN.value}:
        return Language(chosen)
    return negotiate(request.headers.get("accept-language"))


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, **extra}


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/docs", "/openapi"))


def _page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    from_env = request.app.state.templates
    language = request_language(request)
    html = from_env.get_template("error.html").render(
        title=translate(title, language),
        message=message,
        user=None,
        request=request,
        language=language,
    )
    return HTMLResponse(html, status_code=status_code)


_PAGE_TITLES = {
    401: "请先登录",
    403: "没有权限",
    404: "页面不存在",
    409: "操作冲突",
    422: "输入有误",
}


async def _kesu_error(request: Request, error: KesuError) -> Response:
    if _is_page(request):
        title = _PAGE_TITLES.get(error.http_status, "出错了")
        return _page(request, error.http_status, title, error.message(request_language(request)))
    return JSONResponse(
        error_body(error.code, error.message(request_language(request))),
        status_code=error.http_status,
    )


async def _validation_error(request: Request, error: RequestValidationError) -> Response:
    problems = [
        {"field": ".".join(str(part) for part in item["loc"][1:]), "message": item["msg"]}
        for item in error.errors()
    ]
    fields = ", ".join(problem["field"] or "body" for problem in problems)
    language = request_language(request)
    if _is_page(request):
        return _page(
            request, 422, _PAGE_TITLES[422], _VALIDATION_MESSAGE[language].format(fields=fields)
        )
    return JSONResponse(
        error_body(
            "validation_error", _VALIDATION_MESSAGE[language].format(fields=fields), errors=problems
        ),
        status_code=422,
    )


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    code, message_zh, message_en = _HTTP_ERRORS.get(
        error.status_code, ("http_error", str(error.detail), str(error.detail))
    )
    message = message_zh if request_language(request) is Language.ZH else message_en
    if _is_page(request):
        return _page(
            request, error.status_code, _PAGE_TITLES.get(error.status_code, "出错了"), message
        )
    return JSONResponse(
        error_body(code, message),
        status_code=error.status_code,
        headers=getattr(error, "headers", None),
    )


def install(app: FastAPI) -> None:
    # Starlette types handlers as taking any Exception; each of these is registered for (and
    # only ever called with) its own exception class.
    app.add_exception_handler(KesuError, _kesu_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
