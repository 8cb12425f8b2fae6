"""The one error family of kesu: every refusal has a stable code and a zh-CN and English message.

    KesuError
    ├── NotFound              404  the thing does not exist, or the viewer may not know it does
    ├── PermissionDenied      403  the viewer is known but not allowed
    ├── NotAuthenticated      401  no valid session or token
    ├── InvalidInput          422  the request is well-formed but its content is refused
    ├── Conflict              409  the request collides with the current state
    │   └── ConcurrentUpdate  409  someone else changed the record first (optimistic lock)
    └── PayloadTooLarge       413  an upload or text over its limit

Edges map these to HTTP in one place (``kesu.web.errors``); services raise them before writing,
so a refused command changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, NamedTuple

from kesu.core.i18n import Language


class Bilingual(NamedTuple):
    """A message parameter that reads differently in each language."""

    zh: str
    en: str


class KesuError(Exception):
    """Base of every expected refusal; ``code`` is part of the public API and never changes."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400
    message_zh: ClassVar[str] = "请求无法处理。"
    message_en: ClassVar[str] = "The request could not be processed."

    def __init__(self, **params: object) -> None:
        self.params: Mapping[str, object] = params
        super().__init__(self.message(Language.EN))

    def message(self, language: Language) -> str:
        template = self.message_zh if language is Language.ZH else self.message_en
        if not self.params:
            return template
        values = {
            key: (value.zh if language is Language.ZH else value.en)
            if isinstance(value, Bilingual)
            else value
            for key, value in self.params.items()
        }
        return template.format(**values)


class NotFound(KesuError):
    code = "not_found"
    http_status = 404
    message_zh = "未找到。"
    message_en = "Not found."


class PermissionDenied(KesuError):
    code = "permission_denied"
    http_status = 403
    message_zh = "没有执行此操作的权限。"
    message_en = "You are not allowed to do this."


class NotAuthenticated(KesuError):
    code = "not_authenticated"
    http_status = 401
    message_zh = "请先登录。"
    message_en = "Please sign in first."


class InvalidInput(KesuError):
    code = "invalid_input"
    http_status = 422
    message_zh = "输入内容无效：{reason}"
    message_en = "Invalid input: {reason}"


class Conflict(KesuError):
    code = "conflict"
    http_status = 409
    message_zh = "请求与当前状态冲突。"
    message_en = "The request conflicts with the current state."


class ConcurrentUpdate(Conflict):
    code = "concurrent_update"
    message_zh = "该记录已被他人修改，请刷新后重试。"
    message_en = "Someone else changed this record first; reload and try again."


class PayloadTooLarge(KesuError):
    code = "payload_too_large"
    http_status = 413
    message_zh = "内容超过上限（{limit}）。"
    message_en = "Content exceeds the limit ({limit})."
