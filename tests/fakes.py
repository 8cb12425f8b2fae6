"""Fakes of the outside world only: a notifier that records instead of sending."""

from __future__ import annotations

from kesu.notifications.notifiers import DeliveryFailed, OutgoingMessage


class MemoryNotifier:
    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.failures_left = 0

    def fail_next(self, times: int) -> None:
        """The next ``times`` sends raise, as an unreachable SMS gateway would."""
        self.failures_left = times

    def send(self, message: OutgoingMessage) -> None:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise DeliveryFailed("gateway unreachable")
        self.sent.append(message)
