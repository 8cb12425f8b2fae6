"""The real adapters against real endpoints: a log file, and an SMTP server on loopback."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from typing_extensions import override

from kesu.notifications.notifiers import (
    DeliveryFailed,
    LogFileNotifier,
    OutgoingMessage,
    SmtpNotifier,
)

MESSAGE = OutgoingMessage(
    notification_id=7,
    channel="email",
    recipient="wangfang@example.com",
    subject="投诉已受理（KS261123-R8DJCG）",
    body="王芳您好：您的投诉已受理。",
)


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 to accept one message per connection."""

    @override
    def handle(self) -> None:
        server = self.server
        assert isinstance(server, _SmtpServer)
        self.wfile.write(b"220 localhost ESMTP test\r\n")
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250 localhost\r\n")
            elif command.startswith((b"MAIL FROM", b"RCPT TO")):
                server.envelope.append(line.strip().decode())
                self.wfile.write(b"250 OK\r\n")
            elif command == b"DATA":
                self.wfile.write(b"354 end with .\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in {b".\r\n", b""}:
                    data += chunk
                server.messages.append(data)
                self.wfile.write(b"250 queued\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[bytes] = []
        self.envelope: list[str] = []


@pytest.fixture
def smtp_server() -> Iterator[_SmtpServer]:
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_smtp_notifier_sends_a_utf8_message(smtp_server: _SmtpServer) -> None:
    port = smtp_server.server_address[1]
    SmtpNotifier(host="127.0.0.1", port=port, sender="kesu@example.com").send(MESSAGE)
    assert [line.upper() for line in smtp_server.envelope] == [
        "MAIL FROM:<KESU@EXAMPLE.COM>",
        "RCPT TO:<WANGFANG@EXAMPLE.COM>",
    ]
    received = message_from_bytes(smtp_server.messages[0], policy=policy.default)
    assert received["Subject"] == MESSAGE.subject
    assert received["Message-ID"] == "<notification-7@kesu>"
    assert isinstance(received, EmailMessage)
    assert received.get_content().strip() == MESSAGE.body


def test_an_unreachable_smtp_server_is_a_delivery_failure() -> None:
    unused = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
    port = unused.server_address[1]
    unused.server_close()
    with pytest.raises(DeliveryFailed):
        SmtpNotifier(
            host="127.0.0.1", port=port, sender="kesu@example.com", timeout_seconds=2
        ).send(MESSAGE)


def test_log_notifier_appends_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "notifications.jsonl"
    notifier = LogFileNotifier(path)
    notifier.send(MESSAGE)
    notifier.send(MESSAGE)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["subject"] for line in lines] == [MESSAGE.subject, MESSAGE.subject]
