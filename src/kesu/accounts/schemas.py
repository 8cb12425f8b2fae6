"""Departments and staff accounts in and out; a password goes in, never out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from kesu.accounts.models import Role

MIN_PASSWORD_LENGTH = 8
"""NIST SP 800-63B's floor for a password a person chooses."""
STAFF_ROLES = tuple(role for role in Role if role is not Role.CUSTOMER)
"""Roles a staff account may hold; customers file complaints without an account."""


class DepartmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "AFTER", "name": "售后服务部", "parent_id": 1, "region": None}]
        },
    )

    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    parent_id: int | None = None
    region: Annotated[str, Field(max_length=120)] | None = None
    """Consumer-association mode: the area the unit covers, e.g. "浙江省杭州市"."""


class DepartmentRename(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "售后部"}]})

    name: Annotated[str, Field(min_length=1, max_length=120)]


class DepartmentRead(BaseModel):
    id: int
    code: str
    name: str
    parent_id: int | None
    parent_name: str | None
    region: str | None
    active_staff: int
    """Active accounts in the department."""


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "wujie",
                    "display_name": "吴杰",
                    "role": "handler",
                    "department_id": 3,
                    "password": "a long passphrase",
                    "skills": ["logistics"],
                }
            ]
        },
    )

    username: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^\S+$")]
    display_name: Annotated[str, Field(min_length=1, max_length=120)]
    role: Role
    department_id: int | None = None
    password: Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)]
    skills: list[Annotated[str, Field(max_length=32)]] = []
    """Complaint categories the person is trained for (routing "by skill")."""


class UserUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"role": "supervisor", "department_id": 1, "skills": ["logistics"]}]
        },
    )

    role: Role
    department_id: int | None = None
    skills: list[Annotated[str, Field(max_length=32)]] = []


class PasswordReset(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"password": "another passphrase"}]}
    )

    password: Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)]


class UserRead(BaseModel):
    """A staff account as administrators see it; the password hash is never part of it."""

    id: int
    username: str
    display_name: str
    role: str
    department_id: int | None
    department_name: str | None
    skills: list[str]
    is_active: bool
    created_at: datetime
