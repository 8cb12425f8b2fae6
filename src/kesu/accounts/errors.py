from __future__ import annotations

from kesu.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    message_zh = "用户名或密码错误。"
    message_en = "Wrong username or password."


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    message_zh = "登录已失效，请重新登录。"
    message_en = "The session or token is no longer valid; sign in again."


class UsernameTaken(Conflict):
    code = "username_taken"
    message_zh = "用户名 {username} 已被使用。"
    message_en = "The username {username} is already taken."


class DepartmentCodeTaken(Conflict):
    code = "department_code_taken"
    message_zh = "部门代码 {code} 已被使用。"
    message_en = "The department code {code} is already taken."


class DepartmentNotFound(NotFound):
    code = "department_not_found"
    message_zh = "部门不存在。"
    message_en = "No such department."


class UserNotFound(NotFound):
    code = "user_not_found"
    message_zh = "用户不存在。"
    message_en = "No such user."


class LastAdministrator(Conflict):
    code = "last_administrator"
    message_zh = "至少要保留一名在用的管理员，不能停用或改变最后一名管理员的角色。"
    message_en = (
        "At least one active administrator must remain: the last one cannot be deactivated "
        "or given another role."
    )


class PasswordTooShort(InvalidInput):
    code = "password_too_short"
    message_zh = "密码至少需要 {minimum} 个字符。"
    message_en = "The password needs at least {minimum} characters."
