"""Departments and accounts from the command line, run by the operator of the installation."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.accounts import service as accounts
from kesu.accounts.models import Department, Role, User
from kesu.bootstrap import Kesu
from kesu.cli.main import main
from tests.factories import PASSWORD, see_committed


@pytest.fixture
def runner(
    kesu: Kesu, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.setenv("KESU_DATABASE_URL", database_url)
    monkeypatch.setenv("KESU_DATA_DIR", str(tmp_path / "cli-data"))
    return CliRunner()


def _user(session: Session, username: str) -> User:
    see_committed(session)
    found = session.scalar(select(User).where(User.username == username))
    assert found is not None
    return found


def test_departments_and_accounts_from_the_command_line(
    runner: CliRunner, kesu: Kesu, session: Session
) -> None:
    def run(*args: str, password: str | None = None) -> str:
        given = f"{password}\n{password}\n" if password is not None else None
        result = runner.invoke(main, list(args), input=given)
        assert result.exit_code == 0, result.output
        return result.output

    run("department", "create", "LOG", "--name", "储运部")
    run(
        "department",
        "create",
        "LOG-HZ",
        "--name",
        "杭州仓",
        "--parent",
        "LOG",
        "--region",
        "浙江省杭州市",
    )
    run("department", "rename", "LOG", "物流部")
    listed = run("department", "list")
    assert "LOG-HZ  杭州仓  parent 物流部  region 浙江省杭州市  0 active" in listed

    run("user", "create", "admin", "--name", "管理员", "--role", "admin", password=PASSWORD)
    run(
        "user",
        "create",
        "sunli",
        "--name",
        "孙丽",
        "--role",
        "handler",
        "--department",
        "LOG-HZ",
        password=PASSWORD,
    )
    assert "sunli  孙丽  handler  杭州仓  active" in run("user", "list")
    run("user", "update", "sunli", "--role", "supervisor", "--department", "")
    sunli = _user(session, "sunli")
    assert (sunli.role, sunli.department_id) == ("supervisor", None)
    run("user", "deactivate", "sunli")
    assert "sunli  孙丽  supervisor  -  deactivated" in run("user", "list")
    run("user", "reactivate", "sunli")
    run("user", "password", "sunli", password="a brand new passphrase")
    see_committed(session)
    assert (
        accounts.check_credentials(
            session, username="sunli", password="a brand new passphrase"
        ).username
        == "sunli"
    )


def test_the_command_line_refuses_what_the_pages_refuse(
    runner: CliRunner, kesu: Kesu, session: Session
) -> None:
    accounts.create_user(
        session,
        username="admin",
        display_name="管理员",
        role=Role.ADMIN,
        password=PASSWORD,
        clock=kesu.clock,
    )
    for args, given, message in (
        (["user", "deactivate", "admin"], None, "最后一名管理员"),
        (["user", "update", "admin", "--role", "agent"], None, "最后一名管理员"),
        (["user", "password", "admin"], "short\nshort\n", "至少需要 8 个字符"),
        (["user", "deactivate", "nobody"], None, "no user nobody"),
        (
            ["department", "create", "X", "--name", "x", "--parent", "NOPE"],
            None,
            "no department NOPE",
        ),
    ):
        result = runner.invoke(main, args, input=given)
        assert result.exit_code == 1, result.output
        assert message in result.output
    admin = _user(session, "admin")
    assert (admin.role, admin.is_active) == ("admin", True)
    assert (
        accounts.check_credentials(session, username="admin", password=PASSWORD).username == "admin"
    )
    see_committed(session)
    assert session.scalar(select(Department.id)) is None
