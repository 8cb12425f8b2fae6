"""Timeline event kinds and the one helper that writes an event together with its audit row."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from kesu.audit import service as audit
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.core.actors import Actor


class EventKind(StrEnum):
    REGISTERED = "registered"
    STATUS_CHANGED = "status_changed"
    ASSIGNED = "assigned"
    REASSIGNED = "reassigned"
    EVIDENCE_ADDED = "evidence_added"
    ACKNOWLEDGED = "acknowledged"
    DUPLICATE_SUBMISSION = "duplicate_submission"
    TRIAGE_ASSESSED = "triage_assessed"
    TRIAGE_CORRECTED = "triage_corrected"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    ESCALATED = "escalated"
    SENT_BACK = "sent_back"
    TRANSFER_ISSUED = "transfer_issued"
    TRANSFER_URGED = "transfer_urged"
    TRANSFER_ANSWERED = "transfer_answered"
    CONTACT_RECORDED = "contact_recorded"
    FOLLOW_UP_RECORDED = "follow_up_recorded"
    INVESTIGATION_RECORDED = "investigation_recorded"
    ACCOUNTABILITY_PROPOSED = "accountability_proposed"
    ACCOUNTABILITY_DECIDED = "accountability_decided"
    EVALUATED = "evaluated"
    IMPROVEMENT_OVERDUE = "improvement_overdue"
    VOUCHER_OFFERED = "voucher_offered"
    IMPORTED = "imported"
    """Registered from another system's records by a bulk import (``kesu.intake.bulk``)."""


EVENT_LABELS = {
    EventKind.REGISTERED: ("投诉已登记", "Complaint registered"),
    EventKind.STATUS_CHANGED: ("状态变更", "Status changed"),
    EventKind.ASSIGNED: ("已派单", "Assigned"),
    EventKind.REASSIGNED: ("转派", "Reassigned"),
    EventKind.EVIDENCE_ADDED: ("已上传证据", "Evidence added"),
    EventKind.ACKNOWLEDGED: ("已发送受理回执", "Acknowledgement sent"),
    EventKind.DUPLICATE_SUBMISSION: ("重复提交已合并", "Repeated submission merged"),
    EventKind.TRIAGE_ASSESSED: ("系统初步评估", "Assessed automatically"),
    EventKind.TRIAGE_CORRECTED: ("人工更正评估", "Assessment corrected"),
    EventKind.SLA_WARNING: ("时限即将到期提醒", "Deadline reminder"),
    EventKind.SLA_BREACHED: ("超出时限，已催办", "Deadline missed, urged"),
    EventKind.ESCALATED: ("已升级处理", "Escalated"),
    EventKind.SENT_BACK: ("发还下级处理（重点关注）", "Sent back down (special attention)"),
    EventKind.TRANSFER_ISSUED: ("已转办被投诉方", "Transferred to the respondent"),
    EventKind.TRANSFER_URGED: ("催办被投诉方", "Respondent urged"),
    EventKind.TRANSFER_ANSWERED: ("被投诉方已答复", "Respondent answered"),
    EventKind.CONTACT_RECORDED: ("与客户沟通", "Contact with the customer"),
    EventKind.FOLLOW_UP_RECORDED: ("回访", "Follow-up visit"),
    EventKind.INVESTIGATION_RECORDED: ("调查记录", "Investigation recorded"),
    EventKind.ACCOUNTABILITY_PROPOSED: ("提出责任追究", "Accountability proposed"),
    EventKind.ACCOUNTABILITY_DECIDED: ("责任追究决定", "Accountability decided"),
    EventKind.EVALUATED: ("总结评价", "Summary evaluation"),
    EventKind.IMPROVEMENT_OVERDUE: ("改进措施逾期提醒", "Improvement action overdue"),
    EventKind.VOUCHER_OFFERED: ("超时补偿", "Compensation for the delay"),
    EventKind.IMPORTED: ("从原有系统导入", "Imported from an earlier system"),
}


def record_event(
    session: Session,
    complaint: Complaint,
    *,
    kind: EventKind,
    actor: Actor,
    at: datetime,
    is_public: bool,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    """Append a timeline event and the matching audit entry in the caller's transaction."""
    event = TimelineEvent(
        complaint_id=complaint.id,
        at=at,
        kind=kind,
        actor=actor.ref,
        actor_name=actor.name,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data or {},
        is_public=is_public,
    )
    session.add(event)
    audit.record(
        session,
        at=at,
        actor=actor.ref,
        action=f"complaint.{kind.value}",
        subject_type="complaint",
        subject_id=complaint.id,
        data={
            "tracking_number": complaint.tracking_number,
            "from_status": from_status,
            "to_status": to_status,
            "note": note,
            **(data or {}),
        },
    )
    return event
