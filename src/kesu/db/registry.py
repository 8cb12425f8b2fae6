"""Every table of kesu, imported explicitly so the mapper and Alembic see the whole schema.

Import this module (not the domain packages one by one) before configuring mappers or
comparing the schema; nothing else imports it.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from kesu.accounts import models as accounts_models
from kesu.analytics import models as analytics_models
from kesu.audit import models as audit_models
from kesu.complaints import models as complaints_models
from kesu.customers import models as customers_models
from kesu.db import models as db_models
from kesu.db.base import Base
from kesu.escalation import models as escalation_models
from kesu.followup import models as followup_models
from kesu.handling import models as handling_models
from kesu.intake import models as intake_models
from kesu.notifications import models as notifications_models
from kesu.routing import models as routing_models
from kesu.sla import models as sla_models
from kesu.triage import models as triage_models

MODEL_MODULES = (
    db_models,
    accounts_models,
    audit_models,
    customers_models,
    notifications_models,
    sla_models,
    complaints_models,
    triage_models,
    routing_models,
    escalation_models,
    handling_models,
    followup_models,
    intake_models,
    analytics_models,
)


def metadata() -> MetaData:
    return Base.metadata
