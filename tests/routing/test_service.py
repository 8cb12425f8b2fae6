from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.models import Department, Role
from kesu.bootstrap import Kesu
from kesu.cli import demo
from kesu.complaints import service as complaints
from kesu.complaints.errors import InvalidTransition
from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.core.actors import Actor, ActorKind
from kesu.routing import service as routing
from kesu.routing.errors import BadRuleFile, NoMatchingRule
from kesu.routing.models import RoutingRule
from kesu.routing.schemas import RuleDraft, Strategy
from kesu.web.deps import SESSION_COOKIE, csrf_token
from tests.factories import PASSWORD, Personas, file_complaint, see_committed

ADMIN = Actor(kind=ActorKind.USER, id=None, role=Role.ADMIN, name="管理员")
LATE_PARCEL = "快递一周了还没送到，物流信息一直不更新，订单 2026111801"


def _triaged(
    kesu: Kesu, session: Session, personas: Personas, description: str = LATE_PARCEL
) -> Complaint:
    complaint = file_complaint(kesu, session, description=description)
    return complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.TRIAGE,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )


def _rule(session: Session, kesu: Kesu, **fields: object) -> RoutingRule:
    return routing.create_rule(
        session, RuleDraft.model_validate(fields), actor=ADMIN, clock=kesu.clock
    )


def test_the_demo_routes_logistics_to_storage_and_quality_to_quality_management(
    kesu: Kesu, session: Session
) -> None:
    demo.load(kesu)
    see_committed(session)
    rows = session.execute(
        select(Complaint.category, Department.name).join(
            Department, Department.id == Complaint.department_id
        )
    ).all()
    assert {name for category, name in rows if category == "logistics"} == {"储运部"}
    assert {name for category, name in rows if category == "product_quality"} == {"质量管理部"}
    assert len(rows) >= 20


def test_least_loaded_picks_the_handler_with_least_work(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    second = accounts.create_user(
        session,
        username="sunli",
        display_name="孙丽",
        role=Role.HANDLER,
        password=PASSWORD,
        clock=kesu.clock,
        department_id=personas.logistics.id,
    )
    first = accounts.create_user(
        session,
        username="qianhao",
        display_name="钱浩",
        role=Role.HANDLER,
        password=PASSWORD,
        clock=kesu.clock,
        department_id=personas.logistics.id,
    )
    _rule(
        session,
        kesu,
        name="物流",
        category="logistics",
        department_code="LOG",
        strategy=Strategy.LEAST_LOADED,
    )
    assignees = []
    for n in range(3):
        complaint = _triaged(kesu, session, personas, description=f"{LATE_PARCEL}，第 {n} 单")
        routed = routing.route_complaint(
            session,
            complaint_id=complaint.id,
            expected_version=complaint.version,
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
        assert routed.department_id == personas.logistics.id
        assignees.append(routed.assignee_id)
    assert assignees == [second.id, first.id, second.id]
    note = session.scalars(
        select(TimelineEvent.note).where(TimelineEvent.kind == "assigned")
    ).first()
    assert note == "按派单规则“物流”"


def test_round_robin_takes_turns(kesu: Kesu, session: Session, personas: Personas) -> None:
    other = accounts.create_user(
        session,
        username="zhouyu",
        display_name="周瑜",
        role=Role.HANDLER,
        password=PASSWORD,
        clock=kesu.clock,
        department_id=personas.quality.id,
    )
    _rule(session, kesu, name="全部质量", department_code="QA", strategy=Strategy.ROUND_ROBIN)
    turns = []
    for n in range(3):
        complaint = _triaged(
            kesu, session, personas, description=f"热水器打不着火，第 {n} 台，订单 {n}"
        )
        turns.append(
            routing.route_complaint(
                session,
                complaint_id=complaint.id,
                expected_version=complaint.version,
                actor=personas.zhang_min.actor,
                clock=kesu.clock,
            ).assignee_id
        )
    assert turns == [personas.zhao_lei.user.id, other.id, personas.zhao_lei.user.id]


def test_without_a_matching_rule_nothing_changes(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    _rule(session, kesu, name="只管浙江", region_prefix="浙江省宁波市", department_code="LOG")
    complaint = _triaged(kesu, session, personas)
    with pytest.raises(NoMatchingRule):
        routing.route_complaint(
            session,
            complaint_id=complaint.id,
            expected_version=complaint.version,
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    see_committed(session)
    stored = session.get(Complaint, complaint.id)
    assert stored is not None
    assert (stored.status, stored.department_id, stored.version) == (
        "triaged",
        None,
        complaint.version,
    )


def test_csv_import_is_all_or_nothing(kesu: Kesu, session: Session, personas: Personas) -> None:
    good = "name,position,category,department_code,strategy\n物流,10,logistics,LOG,least_loaded\n质量,20,product_quality,QA,round_robin\n"
    assert len(routing.import_rules_csv(session, good, actor=ADMIN, clock=kesu.clock)) == 2
    bad = "name,position,category,department_code,strategy\n财务,30,billing_refund,CS,department\n坏行,abc,other,CS,department\n"
    with pytest.raises(BadRuleFile, match="line 3"):
        routing.import_rules_csv(session, bad, actor=ADMIN, clock=kesu.clock)
    unknown = "name,department_code\n不存在,NOPE\n"
    with pytest.raises(BadRuleFile, match="NOPE"):
        routing.import_rules_csv(session, unknown, actor=ADMIN, clock=kesu.clock)
    see_committed(session)
    assert session.scalar(select(func.count()).select_from(RoutingRule)) == 2


def test_reassignment_keeps_the_reason(kesu: Kesu, session: Session, personas: Personas) -> None:
    complaint = _triaged(kesu, session, personas)
    with pytest.raises(InvalidTransition):
        complaints.reassign_complaint(
            session,
            complaint_id=complaint.id,
            expected_version=complaint.version,
            department_id=personas.quality.id,
            assignee_id=None,
            reason="转质量",
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    assigned = complaints.assign_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        department_id=personas.logistics.id,
        assignee_id=None,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    moved = complaints.reassign_complaint(
        session,
        complaint_id=complaint.id,
        expected_version=assigned.version,
        department_id=None,
        assignee_id=personas.zhao_lei.user.id,
        reason="实为产品缺陷，转质量管理部",
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    assert (moved.status, moved.department_id, moved.assignee_id) == (
        "assigned",
        personas.quality.id,
        personas.zhao_lei.user.id,
    )
    event = session.scalars(select(TimelineEvent).where(TimelineEvent.kind == "reassigned")).one()
    assert event.note == "实为产品缺陷，转质量管理部"
    assert event.data["from"] == {"department_id": personas.logistics.id, "assignee_id": None}


def test_routing_through_the_api(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    agent = personas.zhang_min.headers
    refused = client.post(
        "/api/v1/routing/rules", json={"name": "x", "department_code": "LOG"}, headers=agent
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    _rule(
        session,
        kesu,
        name="物流",
        category="logistics",
        department_code="LOG",
        strategy=Strategy.DEPARTMENT,
    )
    complaint = _triaged(kesu, session, personas)
    suggestion = client.get(f"/api/v1/complaints/{complaint.id}/route", headers=agent).json()
    assert (suggestion["rule_name"], suggestion["department_name"]) == ("物流", "储运部")
    routed = client.post(
        f"/api/v1/complaints/{complaint.id}/route",
        json={"version": complaint.version},
        headers=agent,
    )
    assert routed.status_code == 200
    assert (routed.json()["status"], routed.json()["department_name"]) == ("assigned", "储运部")
    moved = client.post(
        f"/api/v1/complaints/{complaint.id}/reassignment",
        json={
            "version": routed.json()["version"],
            "department_id": personas.quality.id,
            "reason": "转质量",
        },
        headers=agent,
    )
    assert moved.json()["department_name"] == "质量管理部"
    assert [r["name"] for r in client.get("/api/v1/routing/rules", headers=agent).json()] == [
        "物流"
    ]


def test_routing_from_the_agent_page(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    _rule(
        session,
        kesu,
        name="物流",
        category="logistics",
        department_code="LOG",
        strategy=Strategy.DEPARTMENT,
    )
    complaint = _triaged(kesu, session, personas)
    client.post("/login", data={"username": "zhangmin", "password": PASSWORD, "next": "/agent"})
    page = client.get(f"/agent/complaints/{complaint.id}")
    assert "派单规则“物流”建议" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    routed = client.post(
        f"/agent/complaints/{complaint.id}/route",
        data={"csrf": csrf.group(1), "version": str(complaint.version)},
        follow_redirects=True,
    )
    assert "储运部" in routed.text
    see_committed(session)
    stored = session.get(Complaint, complaint.id)
    assert stored is not None
    moved = client.post(
        f"/agent/complaints/{complaint.id}/reassignment",
        data={
            "csrf": csrf.group(1),
            "version": str(stored.version),
            "department_id": str(personas.quality.id),
            "reason": "产品缺陷",
        },
        follow_redirects=True,
    )
    assert "转派" in moved.text
    assert "产品缺陷" in moved.text


def test_by_skill_prefers_a_trained_handler(
    kesu: Kesu, session: Session, personas: Personas
) -> None:
    trained = accounts.create_user(
        session,
        username="wujie",
        display_name="吴杰",
        role=Role.HANDLER,
        password=PASSWORD,
        clock=kesu.clock,
        department_id=personas.logistics.id,
        skills=["logistics"],
    )
    accounts.create_user(
        session,
        username="aaa",
        display_name="甲",
        role=Role.HANDLER,
        password=PASSWORD,
        clock=kesu.clock,
        department_id=personas.logistics.id,
    )
    _rule(session, kesu, name="物流按技能", department_code="LOG", strategy=Strategy.SKILL)
    for n in range(2):
        complaint = _triaged(kesu, session, personas, description=f"{LATE_PARCEL}，第 {n} 单")
        routed = routing.route_complaint(
            session,
            complaint_id=complaint.id,
            expected_version=complaint.version,
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
        assert routed.assignee_id == trained.id


def test_yaml_import(kesu: Kesu, session: Session, personas: Personas) -> None:
    text = "- name: 物流\n  position: 10\n  category: logistics\n  department_code: LOG\n  strategy: skill\n- name: 其他\n  department_code: CS\n"
    rules = routing.import_rules_yaml(session, text, actor=ADMIN, clock=kesu.clock)
    assert [(r.name, r.strategy) for r in rules] == [("物流", "skill"), ("其他", "department")]
    with pytest.raises(BadRuleFile, match="rule 1"):
        routing.import_rules_yaml(
            session,
            "- name: x\n  department_code: CS\n  strategy: telepathy\n",
            actor=ADMIN,
            clock=kesu.clock,
        )
    with pytest.raises(BadRuleFile):
        routing.import_rules_yaml(session, "name: [unclosed", actor=ADMIN, clock=kesu.clock)
    see_committed(session)
    assert session.scalar(select(func.count()).select_from(RoutingRule)) == 2


def test_the_routing_rules_page(
    client: TestClient, kesu: Kesu, session: Session, personas: Personas
) -> None:
    accounts.create_user(
        session,
        username="admin",
        display_name="管理员",
        role=Role.ADMIN,
        password=PASSWORD,
        clock=kesu.clock,
    )
    client.post("/login", data={"username": "admin", "password": PASSWORD, "next": "/agent"})
    page = client.get("/agent/admin/routing")
    assert "还没有派单规则" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    added = client.post(
        "/agent/admin/routing",
        data={
            "csrf": csrf.group(1),
            "name": "物流",
            "position": "10",
            "category": "logistics",
            "department_code": "LOG",
            "strategy": "least_loaded",
        },
        follow_redirects=True,
    )
    assert "储运部" in added.text
    assert "最少在办" in added.text
    imported = client.post(
        "/agent/admin/routing/import",
        data={"csrf": csrf.group(1)},
        files={
            "rules_file": (
                "rules.yaml",
                "- name: 质量\n  category: product_quality\n  department_code: QA\n".encode(),
                "application/yaml",
            )
        },
        follow_redirects=True,
    )
    assert "质量管理部" in imported.text
    refused = client.post(
        "/agent/admin/routing/import",
        data={"csrf": csrf.group(1)},
        files={"rules_file": ("rules.csv", b"name,department_code\nx,NOPE\n", "text/csv")},
    )
    assert refused.status_code == 422
    assert "NOPE" in refused.text
    assert [r.name for r in session.scalars(select(RoutingRule).order_by(RoutingRule.id))] == [
        "物流",
        "质量",
    ]


def test_only_administrators_change_rules_from_the_page(
    client: TestClient, kesu: Kesu, personas: Personas
) -> None:
    client.post("/login", data={"username": "zhangmin", "password": PASSWORD, "next": "/agent"})
    assert client.get("/agent/admin/routing").status_code == 403
    csrf = csrf_token(kesu, client.cookies.get(SESSION_COOKIE) or "")
    refused = client.post(
        "/agent/admin/routing", data={"csrf": csrf, "name": "x", "department_code": "LOG"}
    )
    assert refused.status_code == 403
