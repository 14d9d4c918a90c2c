"""The one list of the forum's parts: whose tables, jobs, privacy parts and demo data exist.

Read by the migrations, the runner, privacy and `forum demo`; it sits at the root so that
no lower module imports its plugins back. Adding a domain: its package plus a line here.
"""

from __future__ import annotations

from forum.accounts import jobs as _accounts_jobs
from forum.accounts import models as _accounts_models
from forum.admin import models as _admin_models
from forum.core import jobs as _core_jobs
from forum.core import mail as _core_mail
from forum.core import outbox as _core_outbox
from forum.digests import emails as _digests_emails
from forum.digests import jobs as _digests_jobs
from forum.digests import models as _digests_models
from forum.discovery import jobs as _discovery_jobs
from forum.discovery import models as _discovery_models
from forum.discussions import models as _discussions_models
from forum.events import models as _events_models
from forum.intelligence import attachments as _intelligence_attachments
from forum.intelligence import jobs as _intelligence_jobs
from forum.intelligence import models as _intelligence_models
from forum.notifications import models as _notifications_models
from forum.partnerships import models as _partnerships_models
from forum.taxonomy import models as _taxonomy_models

# The modules that define tables (Base.metadata knows a table once its module is imported).
MODELS = (
    _core_jobs,
    _core_outbox,
    _accounts_models,
    _admin_models,
    _taxonomy_models,
    _partnerships_models,
    _notifications_models,
    _discussions_models,
    _intelligence_models,
    _events_models,
    _discovery_models,
    _digests_models,
)

# The modules that register jobs and periodic tasks (`@registry.job`, `@registry.periodic`).
JOBS = (
    _core_mail,
    _accounts_jobs,
    _intelligence_attachments,
    _intelligence_jobs,
    _discovery_jobs,
    _digests_emails,
    _digests_jobs,
)
