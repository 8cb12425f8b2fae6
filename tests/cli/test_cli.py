from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from kesu.bootstrap import Kesu
from kesu.cli.main import main
from kesu.complaints.lifecycle import Status
from kesu.complaints.models import Complaint
from kesu.db import migrate
from kesu.db.engine import transaction
from kesu.web.app import create_app
from tests.factories import draft


@pytest.fixture
def runner(
    kesu: Kesu, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.setenv("KESU_DATABASE_URL", database_url)
    monkeypatch.setenv("KESU_DATA_DIR", str(tmp_path / "cli-data"))
    return CliRunner()


def test_demo_loads_complaints_in_every_stage_and_the_audit_chain_verifies(
    runner: CliRunner, kesu: Kesu
) -> None:
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "40 complaints" in result.output
    with kesu.sessions() as session:
        statuses = set(session.scalars(select(Complaint.status)))
    assert statuses == {status.value for status in Status}

    verified = runner.invoke(main, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "audit chain intact" in verified.output

    delivered = runner.invoke(main, ["worker", "--once"])
    assert delivered.exit_code == 0, delivered.output
    assert "jobs done" in delivered.output


def test_audit_verify_fails_on_tampering(runner: CliRunner, kesu: Kesu) -> None:
    assert runner.invoke(main, ["demo"]).exit_code == 0
    with kesu.sessions() as session, transaction(session):
        session.execute(text("UPDATE audit_entry SET actor = 'user:999' WHERE id = 7"))
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at entry 7" in result.output


def test_db_upgrade_and_check(runner: CliRunner, kesu: Kesu) -> None:
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    head = migrate.heads(kesu.engine)[0]
    assert f"revision {head}" in upgraded.output
    checked = runner.invoke(main, ["db", "check"])
    assert checked.exit_code == 0, checked.output


def test_user_create_and_token(runner: CliRunner, kesu: Kesu) -> None:
    created = runner.invoke(
        main,
        [
            "user",
            "create",
            "wangwu",
            "--name",
            "王五",
            "--role",
            "agent",
            "--password",
            "s3cret-pass",
        ],
    )
    assert created.exit_code == 0, created.output
    duplicate = runner.invoke(
        main, ["user", "create", "wangwu", "--name", "王五", "--role", "agent", "--password", "x"]
    )
    assert duplicate.exit_code == 1
    assert "已被使用" in duplicate.output
    token = runner.invoke(main, ["user", "token", "wangwu"])
    assert token.exit_code == 0
    assert len(token.output.strip()) >= 40
    with kesu.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_triage_train_from_the_database_and_explain(
    runner: CliRunner, kesu: Kesu, tmp_path: Path
) -> None:
    assert runner.invoke(main, ["demo"]).exit_code == 0
    trained = runner.invoke(main, ["triage", "train", "--from-db"])
    assert trained.exit_code == 0, trained.output
    model_path = tmp_path / "cli-data" / "models" / "category_model.npz"
    assert model_path.exists()
    assert str(model_path) in trained.output
    explained = runner.invoke(main, ["triage", "explain", "外卖里吃出虫子，我要去12315投诉！！"])
    assert explained.exit_code == 0, explained.output
    assert "P1" in explained.output
    assert "12315" in explained.output


def test_triage_train_needs_examples(runner: CliRunner) -> None:
    result = runner.invoke(main, ["triage", "train"])
    assert result.exit_code == 1
    assert "at least two categories" in result.output


def test_routing_import_list_and_breaches(runner: CliRunner, kesu: Kesu, tmp_path: Path) -> None:
    assert runner.invoke(main, ["demo"]).exit_code == 0
    rules = tmp_path / "rules.csv"
    rules.write_text(
        "name,position,region_prefix,department_code,strategy\n浙江物流,5,浙江省,LOG,least_loaded\n",
        encoding="utf-8",
    )
    imported = runner.invoke(main, ["routing", "import", str(rules)])
    assert imported.exit_code == 0, imported.output
    assert "1 rules added" in imported.output
    listed = runner.invoke(main, ["routing", "list"])
    assert "浙江物流  [region=浙江省] → 储运部 (least_loaded)" in listed.output
    assert "物流运输 → 储运部" in listed.output
    bad = tmp_path / "bad.csv"
    bad.write_text("name,department_code\nx,NOPE\n", encoding="utf-8")
    refused = runner.invoke(main, ["routing", "import", str(bad)])
    assert refused.exit_code == 1
    assert "NOPE" in refused.output
    assert runner.invoke(main, ["worker", "--once"]).exit_code == 0
    breaches = runner.invoke(main, ["sla", "breaches"])
    assert breaches.exit_code == 0
    assert "KS" in breaches.output  # old demo cases that were never answered in time


def test_intake_status_register_and_retry(runner: CliRunner, kesu: Kesu) -> None:
    with TestClient(create_app(kesu)) as client:
        for _ in range(2):
            accepted = client.post("/api/v1/complaints", json=draft().model_dump(mode="json"))
            assert accepted.status_code == 202
    status = runner.invoke(main, ["intake", "status"])
    assert status.exit_code == 0, status.output
    assert "pending 2  failed 0" in status.output
    registered = runner.invoke(main, ["intake", "register"])
    assert registered.exit_code == 0, registered.output
    assert "2 registered; pending 0, failed 0" in registered.output
    with kesu.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 2
    retried = runner.invoke(main, ["intake", "retry"])
    assert "0 submissions queued again" in retried.output
