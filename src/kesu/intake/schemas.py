from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class IntakeReceipt(BaseModel):
    """The acknowledgement (受理回执) a complainant gets at once."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tracking_number": "KS261123-R8DJCG",
                    "status": "received",
                    "status_label": "已受理",
                    "received_at": "2026-11-23T01:44:21Z",
                    "first_response_hours": 24,
                    "track_url": "http://127.0.0.1:8000/track",
                }
            ]
        }
    )

    tracking_number: str
    status: str
    status_label: str
    received_at: datetime
    first_response_hours: int
    track_url: str


class FailedSubmissionRead(BaseModel):
    tracking_number: str
    received_at: datetime
    attempts: int
    last_error: str | None


class InboxRead(BaseModel):
    """The API's intake inbox (受理队列): what waits for registration, and what failed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pending": 3,
                    "failed": 1,
                    "oldest_pending": "2026-12-02T01:53:51Z",
                    "failures": [
                        {
                            "tracking_number": "KS261202-EM7ZRC",
                            "received_at": "2026-12-02T01:40:12Z",
                            "attempts": 8,
                            "last_error": "ValidationError: 1 validation error for ComplaintDraft",
                        }
                    ],
                }
            ]
        }
    )

    pending: int
    failed: int
    oldest_pending: datetime | None
    failures: list[FailedSubmissionRead]
    """The newest failed submissions, at most 20."""


class InboxRetried(BaseModel):
    queued: int
