"""Bulk import of complaints from CSV: what is written, what is refused, and re-runs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kesu.audit import service as audit
from kesu.audit.models import AuditEntry
from kesu.bootstrap import Kesu
from kesu.cli.importing import import_group
from kesu.complaints import search
from kesu.complaints.models import Complaint, TimelineEvent
from kesu.complaints.schemas import ComplaintDraft
from kesu.core.i18n import Language
from kesu.customers.models import Customer
from kesu.db.models import Job
from kesu.intake import bulk
from kesu.intake.models import IntakeRequest
from kesu.notifications.models import Notification
from kesu.sla.models import SlaClock
from kesu.triage.models import TriageDecision
from tests.factories import file_complaint

ENGLISH = [
    "external_id",
    "complainant_name",
    "phone",
    "email",
    "channel",
    "target",
    "product_line",
    "description",
    "demands",
    "received_at",
    "status",
    "category",
    "priority",
]
CHINESE = [bulk.COLUMNS[code] for code in ENGLISH]
TABLES = (
    Complaint,
    Customer,
    TimelineEvent,
    AuditEntry,
    IntakeRequest,
    TriageDecision,
    Job,
    Notification,
    SlaClock,
)


def _row(n: int, **changes: str) -> list[str]:
    values = {
        "external_id": f"OLD-{n}",
        "complainant_name": "王芳",
        "phone": f"138{n:08d}",
        "email": "",
        "channel": "phone",
        "target": "澜泉 JSQ25-12 燃气热水器",
        "product_line": "热水器",
        "description": f"热水器第 {n} 次点不着火，师傅上门两次都没修好。",
        "demands": "repair;compensation",
        "received_at": "2025-03-01T10:00:00+08:00",
        "status": "closed",
        "category": "product_quality",
        "priority": "P3",
    }
    values.update(changes)
    return [values[code] for code in ENGLISH]


def _csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = ENGLISH,
    encoding: str = "utf-8",
    bom: bool = False,
) -> Path:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.getvalue().encode(encoding))
    return path


def _import(
    kesu: Kesu, session: Session, path: Path, options: bulk.ImportOptions | None = None
) -> bulk.ImportReport:
    return bulk.import_complaints(
        session,
        path,
        options=options or bulk.ImportOptions(),
        max_description_chars=kesu.intake_policy.max_description_chars,
        clock=kesu.clock,
        engine=kesu.triage_engine,
    )


def _counts(session: Session) -> dict[str, int]:
    session.rollback()
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in TABLES
    }


def test_every_field_of_the_registration_form_is_a_column() -> None:
    assert set(ComplaintDraft.model_fields) <= set(bulk.COLUMNS)


def test_import_writes_complaints_customers_timeline_and_one_audit_entry_per_batch(
    kesu: Kesu, session: Session, tmp_path: Path
) -> None:
    # 250 rows from 125 customers (every phone twice), in batches of 100.
    rows = [_row(n, phone=f"138{n // 2:08d}") for n in range(250)]
    report = _import(
        kesu, session, _csv(tmp_path / "old.csv", rows), bulk.ImportOptions(batch_size=100)
    )

    assert (report.imported, report.skipped, report.rejected) == (250, 0, 0)
    assert (report.customers_created, report.batches) == (125, 3)
    counts = _counts(session)
    assert counts["complaint"] == 250
    assert counts["customer"] == 125
    assert counts["timeline_event"] == 250
    assert counts["intake_request"] == 250
    # Historical: no acknowledgement, no SLA clocks, no timers.
    assert counts["notification"] == counts["job"] == counts["sla_clock"] == 0
    assert set(session.scalars(select(TimelineEvent.kind))) == {"imported"}

    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [entry.action for entry in entries] == [bulk.IMPORT_ACTION] * 3
    assert [entry.data["lines"] for entry in entries] == [[2, 101], [102, 201], [202, 251]]
    assert [entry.data["count"] for entry in entries] == [100, 100, 50]
    assert sum(entry.data["customers_created"] for entry in entries) == 125
    assert entries[0].data["file"] == "old.csv"
    assert audit.verify_chain(session).intact

    complaint = session.scalars(select(Complaint).order_by(Complaint.id)).first()
    assert complaint is not None
    assert complaint.status == "closed"
    assert complaint.received_at == datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    assert complaint.tracking_number.startswith("KS250301-")
    assert (complaint.category, complaint.priority) == ("product_quality", "P3")
    assert complaint.demands == ["repair", "compensation"]
    assert len(set(session.scalars(select(Complaint.tracking_number)))) == 250
    customers = dict(session.execute(select(Complaint.contact_phone, Complaint.customer_id)).all())
    assert len(set(customers.values())) == 125


def test_chinese_headers_labels_bom_and_local_times(
    kesu: Kesu, session: Session, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path / "旧系统.csv",
        [
            _row(
                1,
                channel="电话",
                demands="退款；换货",
                description="热水器点不着火，\n师傅来了两次",
                received_at="2025-03-01 10:00",
                status="已结案",
                category="产品质量",
                priority="紧急",
            ),
            _row(2, external_id="", received_at="", status="", category="", priority=""),
        ],
        header=CHINESE,
        bom=True,
    )
    report = _import(kesu, session, path)

    assert report.imported == 2
    first, second = session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert (first.channel, first.demands, first.status) == (
        "phone",
        ["refund", "exchange"],
        "closed",
    )
    assert (first.category, first.priority) == ("product_quality", "P1")
    assert first.description == "热水器点不着火，\n师傅来了两次"
    assert first.received_at == datetime(2025, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in China
    # Empty cells take the defaults: received now, no category or priority.
    assert (second.status, second.received_at) == ("received", kesu.clock.now())
    assert (second.category, second.priority) == (None, None)
    event = session.scalars(
        select(TimelineEvent).where(TimelineEvent.complaint_id == first.id)
    ).one()
    assert event.data["line"] == 2
    assert event.data["external_id"] == "OLD-1"
    assert event.to_status == "closed"
    # The multi-line description moved the second row to line 4.
    second_event = session.scalars(
        select(TimelineEvent).where(TimelineEvent.complaint_id == second.id)
    ).one()
    assert second_event.data["line"] == 4
    # Found by full-text search like a complaint registered at intake.
    condition = search.matches(session, "师傅来了")
    assert condition is not None
    assert session.scalars(select(Complaint.id).where(condition)).all() == [first.id]


def test_an_invalid_row_refuses_the_whole_file_naming_its_lines(
    kesu: Kesu, session: Session, tmp_path: Path
) -> None:
    file_complaint(kesu, session)
    before = _counts(session)
    rows = [
        _row(1),
        _row(2, phone="12", email=""),
        _row(3),
        _row(4, demands="refund;shout"),
        _row(5, received_at="2030-01-01T00:00:00+08:00"),
        _row(6, status="investigating", priority="P9"),
        _row(7, category="weather"),
    ]
    with pytest.raises(bulk.ImportRefused) as refused:
        _import(kesu, session, _csv(tmp_path / "bad.csv", rows), bulk.ImportOptions(max_errors=4))

    assert refused.value.code == "import_refused"
    assert refused.value.params["count"] == 5
    assert [error.line for error in refused.value.errors] == [3, 5, 6, 7]
    messages = [error.message(Language.EN) for error in refused.value.errors]
    assert messages[0].startswith("line 3: phone: ")
    assert messages[1].startswith("line 5: demands: ")
    assert "received_at is in the future" in messages[2]
    assert "status 'investigating' cannot be imported" in messages[3]
    assert "priority 'P9' is not one of P1 P2 P3 P4" in messages[3]  # every problem of the row
    assert _counts(session) == before


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([*ENGLISH, "mood"], "unknown column 'mood'"),
        ([code for code in ENGLISH if code != "description"], "missing columns description"),
        ([*ENGLISH, "投诉内容"], "the column description appears twice"),
        ([code for code in ENGLISH if code not in {"phone", "email"}], "a phone/联系电话"),
    ],
)
def test_a_bad_header_is_refused_before_anything_is_written(
    kesu: Kesu, session: Session, tmp_path: Path, header: list[str], message: str
) -> None:
    path = _csv(tmp_path / "header.csv", [], header=header)
    with pytest.raises(bulk.ImportFileInvalid) as refused:
        _import(kesu, session, path)
    assert refused.value.params["line"] == 1
    assert message in str(refused.value)
    assert _counts(session)["complaint"] == 0


def test_skip_invalid_imports_the_valid_rows_and_writes_the_rejects(
    kesu: Kesu, session: Session, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path / "mixed.csv",
        [_row(1), _row(2, demands=""), _row(3), _row(4, priority="P9")],
    )
    report = _import(kesu, session, path, bulk.ImportOptions(skip_invalid=True))

    assert (report.imported, report.rejected) == (2, 2)
    assert report.rejects_path == tmp_path / "mixed.rejected.csv"
    rejected = list(csv.reader(report.rejects_path.read_text(encoding="utf-8-sig").splitlines()))
    assert rejected[0] == [*ENGLISH, "line", "error"]
    assert [(row[0], row[-2]) for row in rejected[1:]] == [("OLD-2", "3"), ("OLD-4", "5")]
    assert "demands" in rejected[1][-1]
    assert "priority 'P9'" in rejected[2][-1]
    assert _counts(session)["complaint"] == 2

    # The rejects file, corrected, is imported as it is (its line and error columns ignored).
    demands, priority = ENGLISH.index("demands"), ENGLISH.index("priority")
    rejected[1][demands], rejected[2][priority] = "refund", "P2"
    fixed = _csv(tmp_path / "fixed.csv", rejected[1:], header=rejected[0])
    again = _import(kesu, session, fixed)
    assert (again.imported, again.rejected) == (2, 0)
    assert _counts(session)["complaint"] == 4


def test_running_the_same_file_again_imports_nothing_twice(
    kesu: Kesu, session: Session, tmp_path: Path
) -> None:
    rows = [
        _row(1),
        _row(2),
        _row(2),  # the same external id twice in one file
        _row(3, external_id=""),  # recognised by phone, received time and description
        _row(3, external_id=""),
    ]
    path = _csv(tmp_path / "again.csv", rows)
    first = _import(kesu, session, path)
    assert (first.imported, first.skipped) == (3, 2)
    after_first = _counts(session)

    second = _import(kesu, session, path)
    assert (second.imported, second.skipped) == (0, 5)
    assert _counts(session) == after_first
    assert audit.verify_chain(session).intact


def test_gb18030_file(kesu: Kesu, session: Session, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "gbk.csv",
        [_row(1, complainant_name="欧阳娜娜", description="客服态度恶劣，还挂我电话。")],
        header=CHINESE,
        encoding="gb18030",
    )
    with pytest.raises(bulk.ImportFileInvalid) as wrong:
        _import(kesu, session, path)
    assert "--encoding gb18030" in str(wrong.value)
    assert _counts(session)["complaint"] == 0

    report = _import(kesu, session, path, bulk.ImportOptions(encoding="gb18030"))
    assert report.imported == 1
    complaint = session.scalars(select(Complaint)).one()
    assert complaint.complainant_name == "欧阳娜娜"
    assert complaint.description == "客服态度恶劣，还挂我电话。"


def test_customers_are_matched_by_phone_then_email_as_at_intake(
    kesu: Kesu, session: Session, tmp_path: Path
) -> None:
    known = file_complaint(kesu, session)  # 王芳: 13800138001, wangfang@example.com
    email_only = file_complaint(kesu, session, phone=None, email="lilei@example.com")
    rows = [
        _row(1, phone="13800138001", email="other@example.com"),
        _row(2, phone="", email="wangfang@example.com"),
        _row(3, phone="13900000003", email="lilei@example.com"),
        _row(4, phone="13700000004", email="new@example.com"),
        _row(5, phone="", email="new@example.com"),
    ]
    _import(kesu, session, _csv(tmp_path / "match.csv", rows))

    owners = session.scalars(
        select(Complaint.customer_id)
        .where(Complaint.registered_by == "system")
        .order_by(Complaint.id)
    ).all()
    assert owners[:3] == [known.customer_id, known.customer_id, email_only.customer_id]
    assert owners[3] == owners[4] not in {known.customer_id, email_only.customer_id}
    profile = session.get(Customer, known.customer_id)
    assert profile is not None
    assert profile.email == "wangfang@example.com"  # a known e-mail is never overwritten
    gained = session.get(Customer, email_only.customer_id)
    assert gained is not None
    assert gained.phone == "13900000003"  # a missing phone is added
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == bulk.IMPORT_ACTION)).one()
    assert (entry.data["customers_created"], entry.data["customers_updated"]) == (1, 1)


def test_triage_assesses_the_rows_without_category_or_priority(
    kesu: Kesu, session: Session, tmp_path: Path
) -> None:
    angry = "快递员态度极其恶劣，包裹摔坏了还骂人！再不处理我就去12315投诉，还要找媒体曝光！"
    rows = [
        _row(1),
        _row(2, description=angry, category="", priority="", status="received"),
        _row(3, description=angry, category="logistics", priority=""),
    ]
    report = _import(
        kesu, session, _csv(tmp_path / "triage.csv", rows), bulk.ImportOptions(triage=True)
    )

    assert report.triaged == 2
    given, assessed, partly = session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert (given.category, given.priority) == ("product_quality", "P3")
    decisions = {
        decision.complaint_id: decision for decision in session.scalars(select(TriageDecision))
    }
    assert set(decisions) == {assessed.id, partly.id}
    assert assessed.category == decisions[assessed.id].category
    assert assessed.priority == decisions[assessed.id].priority in {"P1", "P2"}
    assert decisions[assessed.id].has_threat
    assert partly.category == "logistics"  # what the file says wins
    assert partly.priority == decisions[partly.id].priority


@pytest.mark.parametrize(
    "draws",
    [
        # Taken by an earlier complaint: drawn again before the INSERT. Later draws clash
        # again, so a batch that relied on the database refusing it would fail every attempt.
        ["TAKEN", "KS250301-AAAAAA", "KS250301-BBBBBB", *["TAKEN"] * 9],
        # Drawn twice in the batch: the second is drawn again.
        ["KS250301-AAAAAA", "KS250301-AAAAAA", "KS250301-BBBBBB", *["KS250301-BBBBBB"] * 9],
    ],
    ids=["taken-in-database", "twice-in-batch"],
)
def test_tracking_numbers_stay_unique_when_the_generator_repeats(
    kesu: Kesu, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, draws: list[str]
) -> None:
    taken = file_complaint(kesu, session).tracking_number
    numbers: Iterator[str] = iter(taken if draw == "TAKEN" else draw for draw in draws)
    monkeypatch.setattr(bulk, "new_tracking_number", lambda _moment: next(numbers))

    _import(kesu, session, _csv(tmp_path / "clash.csv", [_row(1), _row(2)]))

    imported = session.scalars(
        select(Complaint.tracking_number).where(Complaint.registered_by == "system")
    ).all()
    assert sorted(imported) == ["KS250301-AAAAAA", "KS250301-BBBBBB"]


@pytest.fixture
def runner(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("KESU_DATABASE_URL", database_url)
    monkeypatch.setenv("KESU_DATA_DIR", str(tmp_path / "cli-data"))
    return CliRunner()


def test_cli_imports_and_prints_a_summary(
    runner: CliRunner, kesu: Kesu, session: Session, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "cli.csv", [_row(1), _row(2, demands="bribe")])
    result = runner.invoke(import_group, ["complaints", str(path), "--skip-invalid"])

    assert result.exit_code == 0, result.output
    assert "已导入 imported 1，跳过 skipped 0，拒绝 rejected 1" in result.stdout
    assert "rows/s" in result.stdout
    assert "导入 importing" in result.stderr
    assert str(tmp_path / "cli.rejected.csv") in result.stderr
    assert _counts(session)["complaint"] == 1


def test_cli_refuses_an_invalid_file_listing_its_lines(
    runner: CliRunner, kesu: Kesu, session: Session, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "cli-bad.csv", [_row(1), _row(2, target="")], header=CHINESE)
    result = runner.invoke(import_group, ["complaints", str(path)])

    assert result.exit_code == 1
    assert "第 3 行：投诉对象 无效 | line 3: 投诉对象: " in result.stderr
    assert "导入文件有 1 行无效，未导入任何投诉。" in result.stderr
    assert _counts(session)["complaint"] == 0
