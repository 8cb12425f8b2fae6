from __future__ import annotations

from kesu.core.errors import Conflict, InvalidInput


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message_zh = "该幂等键已用于另一份不同的投诉。"
    message_en = "This Idempotency-Key was already used for a different complaint."


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    message_zh = "幂等键应为 1 到 200 个可见字符。"
    message_en = "An Idempotency-Key must be 1 to 200 visible characters."
