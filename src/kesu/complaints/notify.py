"""Messages to the complainant, through the outbox, on every channel they gave us."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kesu.complaints.lifecycle import Status
from kesu.complaints.models import Complaint
from kesu.notifications import service as notifications
from kesu.notifications.models import Channel


def notify_customer(
    session: Session, complaint: Complaint, *, kind: str, subject: str, body: str, now: datetime
) -> list[Channel]:
    """Queue the message by SMS and/or e-mail; returns the channels used."""
    messages = [
        notifications.Message("complaint", complaint.id, kind, channel, recipient, subject, body)
        for channel, recipient in (
            (Channel.SMS, complaint.contact_phone),
            (Channel.EMAIL, complaint.contact_email),
        )
        if recipient
    ]
    notifications.queue_notifications(session, messages, now=now)
    return [Channel(message.channel) for message in messages]


# The milestones a complainant hears about, and what they are told (the note, when given, follows).
MILESTONES: dict[Status, str] = {
    Status.ASSIGNED: "已转交责任部门处理",
    Status.CARRYING_OUT: "处理方案已确定，正在落实",
    Status.RESOLVED: "已处理完毕，我们会尽快回访",
    Status.REJECTED: "经核实暂不予受理",
    Status.REOPENED: "已重新处理",
}


def notify_milestone(
    session: Session, complaint: Complaint, status: Status, note: str | None, now: datetime
) -> None:
    message = MILESTONES.get(status)
    if message is None:
        return
    body = (
        f"{complaint.complainant_name}您好：您关于“{complaint.target}”的投诉（受理编号 "
        f"{complaint.tracking_number}）{message}。" + (f"说明：{note}" if note else "")
    )
    notify_customer(
        session,
        complaint,
        kind=f"complaint.{status.value}",
        subject=f"投诉进展（{complaint.tracking_number}）",
        body=body,
        now=now,
    )
