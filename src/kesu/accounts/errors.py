from __future__ import annotations

from kesu.core.errors import Conflict, NotAuthenticated


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
