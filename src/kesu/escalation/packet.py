"""The escalation packet (升级资料包): the case as a superior must see it before taking it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.complaints import queries as complaint_queries
from kesu.complaints.models import Complaint
from kesu.core.i18n import Language, label
from kesu.escalation.models import EscalationRecord
from kesu.escalation.schemas import EmotionPoint, EscalationPacket, EscalationRead
from kesu.escalation.service import LEVEL_LABELS
from kesu.handling import queries as handling_queries
from kesu.handling.schemas import CONTACT_CHANNEL_LABELS, DIRECTION_LABELS, REMEDY_LABELS
from kesu.sla import queries as sla_queries
from kesu.text.signals import THREAT_LABELS
from kesu.triage.models import TriageDecision


def build_packet(
    session: Session, complaint: Complaint, *, now: datetime, language: Language
) -> EscalationPacket:
    decisions = session.scalars(
        select(TriageDecision)
        .where(TriageDecision.complaint_id == complaint.id)
        .order_by(TriageDecision.id)
    ).all()
    threats = sorted(
        {
            label(THREAT_LABELS, t["kind"], language)
            for d in decisions
            for t in d.explanation.get("threats", [])
        }
    )
    return EscalationPacket(
        complaint=complaint_queries.staff_view(session, complaint, language),
        level=complaint.escalation_level,
        level_label=label(LEVEL_LABELS, complaint.escalation_level, language),
        special_attention=complaint.special_attention,
        escalations=[
            EscalationRead(
                from_level=r.from_level,
                to_level=r.to_level,
                trigger=r.trigger,
                reason=r.reason,
                actor=r.actor,
                at=r.at,
            )
            for r in session.scalars(
                select(EscalationRecord)
                .where(EscalationRecord.complaint_id == complaint.id)
                .order_by(EscalationRecord.id)
            )
        ],
        clocks=sla_queries.clocks_of(session, complaint.id, now=now, language=language),
        emotion_trend=[
            EmotionPoint(
                at=d.assessed_at,
                anger_level=d.anger_level,
                anger_score=d.anger_score,
                priority=d.priority,
            )
            for d in decisions
        ],
        threats=threats,
        communications=handling_queries.contacts(session, complaint.id),
        offers=handling_queries.remedies(session, complaint.id),
        prepared_at=now,
    )


def render_markdown(packet: EscalationPacket) -> str:
    """The packet as a Markdown document to attach, print or forward."""
    c = packet.complaint
    lines = [
        f"# 升级资料包 · {c.tracking_number}",
        "",
        f"- 当前级别：{packet.level_label}"
        + ("（发还件，重点关注）" if packet.special_attention else ""),
        f"- 状态：{c.status_label}　优先级：{c.priority or '—'}　类别：{c.category or '—'}",
        f"- 投诉人：{c.complainant_name}　电话：{c.contact_phone or '—'}　地区：{c.region or '—'}",
        f"- 投诉对象：{c.target}",
        f"- 诉求：{'、'.join(c.demands)}",
        f"- 受理时间：{c.received_at.isoformat()}　资料生成：{packet.prepared_at.isoformat()}",
        "",
        "## 投诉内容",
        "",
        c.description,
        "",
        "## 升级威胁",
        "",
        "、".join(packet.threats) if packet.threats else "无",
        "",
        "## 情绪变化",
        "",
        "| 时间 | 愤怒程度 | 得分 | 优先级 |",
        "| --- | ---: | ---: | --- |",
        *[
            f"| {p.at.isoformat()} | {p.anger_level} | {p.anger_score} | {p.priority} |"
            for p in packet.emotion_trend
        ],
        "",
        "## 处理方案",
        "",
        *(
            [
                f"- {label(REMEDY_LABELS, o.kind, Language.ZH)}"
                + (f" ¥{o.amount_fen / 100:.2f}" if o.amount_fen is not None else "")
                + f"：{o.description}（{o.status}，{o.proposed_by_name}）"
                for o in packet.offers
            ]
            or ["无"]
        ),
        "",
        "## 沟通记录",
        "",
        *(
            [
                f"- {m.contacted_at.isoformat()} {label(CONTACT_CHANNEL_LABELS, m.channel, Language.ZH)}"
                f"（{label(DIRECTION_LABELS, m.direction, Language.ZH)}，{m.recorded_by_name}）：{m.summary}"
                for m in packet.communications
            ]
            or ["无"]
        ),
        "",
        "## 时限",
        "",
        *[
            f"- {k.label}：截止 {k.due_at.isoformat()}，"
            + ("已超时" if k.breached else "未超时")
            + ("，已完成" if k.met_at else "")
            for k in packet.clocks
        ],
        "",
        "## 升级与发还记录",
        "",
        *[
            f"- {e.at.isoformat()} {e.from_level} → {e.to_level}（{e.trigger}）{e.reason or ''}"
            for e in packet.escalations
        ],
        "",
        "## 处理经过",
        "",
        *[
            f"- {t.at.isoformat()} {t.label}"
            + (f"：{t.from_status} → {t.to_status}" if t.from_status and t.to_status else "")
            + (f"　{t.detail}" if t.detail else "")
            + (f"　说明：{t.note}" if t.note else "")
            + f"（{t.actor_name}）"
            for t in c.timeline
        ],
        "",
    ]
    return "\n".join(lines)
