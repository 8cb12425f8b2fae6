"""Consumer-association mode: units by region, delegation, transfer orders urged until answered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.models import Department
from kesu.bootstrap import Kesu
from kesu.complaints import service as complaints
from kesu.complaints.lifecycle import Action
from kesu.complaints.models import Complaint
from kesu.core.clock import FixedClock
from kesu.core.errors import InvalidInput
from kesu.jobs import registry
from kesu.jobs.worker import Worker, WorkerConfig
from kesu.notifications.models import Notification
from kesu.routing import transfers, units
from kesu.routing.errors import NoMatchingRule, TransferAlreadyAnswered
from kesu.routing.models import TransferOrder
from tests.factories import Personas, file_complaint, see_committed
from tests.fakes import MemoryNotifier


@pytest.fixture
def tree(kesu: Kesu, session: Session) -> dict[str, Department]:
    """浙江省消保委 → 杭州市 → 西湖区 / 滨江区; → 宁波市."""

    def unit(code: str, name: str, region: str, parent: Department | None) -> Department:
        return accounts.create_department(
            session,
            code=code,
            name=name,
            region=region,
            clock=kesu.clock,
            parent_id=parent.id if parent else None,
        )

    province = unit("ZJ", "浙江省消保委", "浙江省", None)
    hangzhou = unit("ZJ-HZ", "杭州市消保委", "浙江省杭州市", province)
    return {
        "province": province,
        "hangzhou": hangzhou,
        "xihu": unit("ZJ-HZ-XH", "西湖区消保委", "浙江省杭州市西湖区", hangzhou),
        "binjiang": unit("ZJ-HZ-BJ", "滨江区消保委", "浙江省杭州市滨江区", hangzhou),
        "ningbo": unit("ZJ-NB", "宁波市消保委", "浙江省宁波市", province),
    }


def _triaged(kesu: Kesu, session: Session, personas: Personas) -> Complaint:
    complaint = file_complaint(kesu, session)
    return complaints.transition_complaint(
        session,
        complaint_id=complaint.id,
        action=Action.TRIAGE,
        expected_version=complaint.version,
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        (["浙江省杭州市西湖区"], "xihu"),
        (["浙江省杭州市西湖区文三路 100 号"], "xihu"),
        (["浙江省杭州市西湖区", "浙江省杭州市滨江区"], "hangzhou"),
        (["浙江省杭州市西湖区", "浙江省宁波市鄞州区"], "province"),
        (["浙江省杭州市上城区"], "hangzhou"),
    ],
)
def test_the_unit_for_respondents(
    session: Session, tree: dict[str, Department], regions: list[str], expected: str
) -> None:
    unit = units.unit_for_regions(session, regions)
    assert unit is not None
    assert unit.id == tree[expected].id


def test_routing_by_region_and_delegating_down(
    kesu: Kesu, session: Session, personas: Personas, tree: dict[str, Department]
) -> None:
    complaint = _triaged(kesu, session, personas)
    with pytest.raises(NoMatchingRule):
        units.route_by_region(
            session,
            complaint_id=complaint.id,
            expected_version=complaint.version,
            respondent_regions=["江苏省南京市"],
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    routed = units.route_by_region(
        session,
        complaint_id=complaint.id,
        expected_version=complaint.version,
        respondent_regions=["浙江省杭州市西湖区", "浙江省杭州市滨江区"],
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    assert routed.department_id == tree["hangzhou"].id
    with pytest.raises(InvalidInput):
        units.delegate_down(
            session,
            complaint_id=complaint.id,
            expected_version=routed.version,
            to_unit_id=tree["ningbo"].id,
            reason="x",
            actor=personas.zhang_min.actor,
            clock=kesu.clock,
        )
    delegated = units.delegate_down(
        session,
        complaint_id=complaint.id,
        expected_version=routed.version,
        to_unit_id=tree["xihu"].id,
        reason="主要经营地在西湖区",
        actor=personas.zhang_min.actor,
        clock=kesu.clock,
    )
    assert delegated.department_id == tree["xihu"].id


def test_a_transfer_order_is_urged_until_answered(
    kesu: Kesu, session: Session, personas: Personas, notifier: MemoryNotifier, clock: FixedClock
) -> None:
    complaint = _triaged(kesu, session, personas)
    order = transfers.issue_transfer_order(
        session,
        complaint_id=complaint.id,
        respondent="杭州澜泉电器有限公司",
        respondent_contact="service@example.com",
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    assert order.due_at == complaint.received_at + timedelta(days=15)
    workers = [
        Worker(
            kesu.sessions,
            registry.build_handlers(notifier=notifier, clock=clock),
            clock,
            WorkerConfig(20, 60, 3),
            name=f"w{n}",
        )
        for n in range(2)
    ]

    def run() -> None:
        for worker in workers:
            worker.run_until_idle()

    clock.advance(timedelta(days=14))
    run()
    see_committed(session)
    assert session.get(TransferOrder, order.id).urge_count == 0  # type: ignore[union-attr]
    clock.advance(timedelta(days=1, minutes=1))
    run()
    run()
    see_committed(session)
    assert session.get(TransferOrder, order.id).urge_count == 1  # type: ignore[union-attr]
    clock.advance(transfers.URGE_INTERVAL)
    run()
    see_committed(session)
    assert session.get(TransferOrder, order.id).urge_count == 2  # type: ignore[union-attr]
    urgings = session.scalars(
        select(Notification).where(Notification.kind == "transfer.urging")
    ).all()
    assert [(n.channel, n.recipient) for n in urgings] == [("email", "service@example.com")] * 2
    assert "第 2 次催办" in urgings[1].body

    transfers.answer_transfer_order(
        session,
        order_id=order.id,
        answer="已为消费者换新机。",
        actor=personas.zhang_min.actor,
        clock=clock,
    )
    with pytest.raises(TransferAlreadyAnswered):
        transfers.answer_transfer_order(
            session, order_id=order.id, answer="again", actor=personas.zhang_min.actor, clock=clock
        )
    clock.advance(transfers.URGE_INTERVAL * 3)
    run()
    see_committed(session)
    assert session.get(TransferOrder, order.id).urge_count == 2  # type: ignore[union-attr]


def test_transfer_orders_through_the_api(
    client: TestClient,
    kesu: Kesu,
    session: Session,
    personas: Personas,
    tree: dict[str, Department],
) -> None:
    agent = personas.zhang_min.headers
    complaint = _triaged(kesu, session, personas)
    routed = client.post(
        f"/api/v1/complaints/{complaint.id}/route-by-region",
        json={"version": complaint.version, "respondent_regions": ["浙江省杭州市西湖区"]},
        headers=agent,
    )
    assert routed.json()["department_name"] == "西湖区消保委"
    joint = [
        client.post(
            f"/api/v1/complaints/{complaint.id}/transfer-orders",
            json={"respondent": name},
            headers=agent,
        )
        for name in ("澜泉电器", "城南安装服务部")
    ]
    assert [r.status_code for r in joint] == [201, 201]
    orders = client.get(f"/api/v1/complaints/{complaint.id}/transfer-orders", headers=agent).json()
    assert [o["respondent"] for o in orders] == ["澜泉电器", "城南安装服务部"]
    answered = client.post(
        f"/api/v1/transfer-orders/{orders[0]['id']}/answer",
        json={"answer": "已退款"},
        headers=agent,
    )
    assert answered.json()["answer"] == "已退款"
    again = client.post(
        f"/api/v1/transfer-orders/{orders[0]['id']}/answer", json={"answer": "x"}, headers=agent
    )
    assert (again.status_code, again.json()["code"]) == (409, "transfer_already_answered")
    bad = client.post(
        f"/api/v1/complaints/{complaint.id}/transfer-orders",
        json={"respondent": "x", "days": 0},
        headers=agent,
    )
    assert bad.status_code == 422
    tracked = client.get(
        "/api/v1/complaints/track",
        params={"tracking_number": complaint.tracking_number, "phone": "13800138001"},
    ).json()
    assert "transfer_answered" in [e["kind"] for e in tracked["timeline"]]
