"""Where messages leave kesu. A notifier either delivers or raises; the job retries on raise."""

from __future__ import annotations

import json
import smtplib
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from kesu.notifications.models import Channel


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: int
    channel: str
    recipient: str
    subject: str
    body: str


class DeliveryFailed(Exception):
    """The channel refused or could not be reached; the delivery job will retry later."""


class Notifier(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...


class LogFileNotifier:
    """Appends each message as one JSON line: the default, and the record an operator can read."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> None:
        line = json.dumps(asdict(message), ensure_ascii=False)
        with self._lock:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")


class SmtpNotifier:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_seconds: float = 20.0,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password, self._starttls = username, password, starttls
        self._timeout = timeout_seconds

    def send(self, message: OutgoingMessage) -> None:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        # Lets the mail server and the customer's client drop a duplicate of a retried send.
        email["Message-ID"] = f"<notification-{message.notification_id}@kesu>"
        email.set_content(message.body)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls()
                if self._username:
                    smtp.login(self._username, self._password or "")
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"smtp {self._host}:{self._port}: {error}") from error


class ChannelRouter:
    """Sends each message through the notifier configured for its channel."""

    def __init__(self, by_channel: Mapping[str, Notifier], fallback: Notifier) -> None:
        self._by_channel = dict(by_channel)
        self._fallback = fallback

    def send(self, message: OutgoingMessage) -> None:
        self._by_channel.get(message.channel, self._fallback).send(message)


__all__ = [
    "Channel",
    "ChannelRouter",
    "DeliveryFailed",
    "LogFileNotifier",
    "Notifier",
    "OutgoingMessage",
    "SmtpNotifier",
]
