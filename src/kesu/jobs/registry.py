"""The explicit list of job kinds and their handlers: nothing is discovered by import side effects."""

from __future__ import annotations

from kesu.core.clock import Clock
from kesu.db.outbox import JobHandler
from kesu.notifications import jobs as notification_jobs
from kesu.notifications.notifiers import Notifier
from kesu.notifications.service import DELIVER_JOB


def build_handlers(*, notifier: Notifier, clock: Clock) -> dict[str, JobHandler]:
    return {
        DELIVER_JOB: notification_jobs.make_deliver_handler(notifier, clock),
    }
