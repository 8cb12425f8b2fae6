"""The explicit list of job kinds and their handlers: nothing is discovered by import side effects."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kesu.analytics import jobs as analytics_jobs
from kesu.core.clock import Clock
from kesu.db.outbox import JobHandler
from kesu.escalation import jobs as escalation_jobs
from kesu.followup import evaluation as followup_evaluation
from kesu.followup import jobs as followup_jobs
from kesu.followup import service as followup_service
from kesu.intake import inbox
from kesu.intake.service import Registration
from kesu.jobs.worker import Drain
from kesu.notifications import jobs as notification_jobs
from kesu.notifications.notifiers import Notifier
from kesu.notifications.service import DELIVER_JOB
from kesu.routing import jobs as routing_jobs
from kesu.routing import transfers
from kesu.sla import service as sla

INTAKE_DRAIN = "intake.register"


def build_handlers(
    *,
    notifier: Notifier,
    clock: Clock,
    secret: str = "dev-insecure-secret-change-me",  # noqa: S107 - tests and benchmarks only
    public_url: str = "http://127.0.0.1:8000",
) -> dict[str, JobHandler]:
    """Every job kind and its handler; ``secret`` signs follow-up survey links under ``public_url``."""
    warn, due = escalation_jobs.make_handlers(clock)
    return {
        DELIVER_JOB: notification_jobs.make_deliver_handler(notifier, clock),
        sla.WARN_JOB: warn,
        sla.DUE_JOB: due,
        transfers.URGE_JOB: routing_jobs.make_urge_handler(clock),
        followup_evaluation.ACTION_DUE_JOB: followup_jobs.make_action_due_handler(clock),
        analytics_jobs.REFRESH_JOB: analytics_jobs.make_refresh_handler(clock),
        followup_service.SCHEDULE_JOB: followup_jobs.make_schedule_handler(
            clock, secret=secret, public_url=public_url
        ),
    }


def build_drains(registration: Registration) -> dict[str, Drain]:
    """Work the worker takes from tables of its own each round: the API's intake inbox."""

    def register_pending(session: Session) -> int:
        return inbox.register_pending(session, registration)

    return {INTAKE_DRAIN: register_pending}
