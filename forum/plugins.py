"""The one list of the forum's parts: whose tables, jobs, privacy parts and demo data exist.

Read by the migrations, the runner, privacy and `forum demo`; it sits at the root so that
no lower module imports its plugins back. Adding a domain: its package plus a line here.
"""

from __future__ import annotations

from forum.accounts import activity as _accounts_activity
from forum.accounts import jobs as _accounts_jobs
from forum.accounts import models as _accounts_models
from forum.core import attachments as _core_attachments
from forum.core import audit as _core_audit
from forum.core import jobs as _core_jobs
from forum.core import mail as _core_mail
from forum.core import outbox as _core_outbox
from forum.demo import activity as _demo_activity
from forum.demo import agreements as _demo_agreements
from forum.demo import discussions as _demo_discussions
from forum.demo import events as _demo_events
from forum.demo import feeds as _demo_feeds
from forum.demo import follows as _demo_follows
from forum.demo import intelligence as _demo_intelligence
from forum.demo import partnerships as _demo_partnerships
from forum.demo import synthetic as _demo_synthetic
from forum.demo import synthetic_discussions as _demo_synthetic_discussions
from forum.demo import synthetic_intelligence as _demo_synthetic_intelligence
from forum.demo import taxonomy as _demo_taxonomy
from forum.demo.registry import DEMO_PARTS, DemoPart
from forum.digests import emails as _digests_emails
from forum.digests import jobs as _digests_jobs
from forum.digests import models as _digests_models
from forum.digests import privacy as _digests_privacy
from forum.discovery import jobs as _discovery_jobs
from forum.discovery import models as _discovery_models
from forum.discovery import saved as _discovery_saved
from forum.discussions import attachments as _discussions_attachments
from forum.discussions import models as _discussions_models
from forum.discussions import privacy as _discussions_privacy
from forum.events import models as _events_models
from forum.events import privacy as _events_privacy
from forum.inbound import jobs as _inbound_jobs
from forum.inbound import models as _inbound_models
from forum.inbound import privacy as _inbound_privacy
from forum.insights import jobs as _insights_jobs
from forum.insights import models as _insights_models
from forum.insights import privacy as _insights_privacy
from forum.intelligence import attachments as _intelligence_attachments
from forum.intelligence import jobs as _intelligence_jobs
from forum.intelligence import models as _intelligence_models
from forum.intelligence import privacy as _intelligence_privacy
from forum.notifications import models as _notifications_models
from forum.notifications import privacy as _notifications_privacy
from forum.partnerships import models as _partnerships_models
from forum.taxonomy import models as _taxonomy_models

# The modules that define tables (Base.metadata knows a table once its module is imported).
MODELS = (
    _core_audit,
    _core_jobs,
    _core_outbox,
    _accounts_models,
    _taxonomy_models,
    _partnerships_models,
    _notifications_models,
    _discussions_models,
    _intelligence_models,
    _events_models,
    _discovery_models,
    _digests_models,
    _inbound_models,
    _insights_models,
)

# The modules that register jobs and periodic tasks (`@registry.job`, `@registry.periodic`).
JOBS = (
    _core_attachments,
    _core_mail,
    _accounts_jobs,
    _discussions_attachments,
    _intelligence_attachments,
    _intelligence_jobs,
    _discovery_jobs,
    _digests_emails,
    _digests_jobs,
    _inbound_jobs,
    _insights_jobs,
)

# The parts that add to a member's download and erasure (forum.portal.privacy), in the
# order their erasers run: content first, then what records the member.
PRIVACY = (
    _discussions_privacy,
    _intelligence_privacy,
    _events_privacy,
    _insights_privacy,
    _notifications_privacy,
    _discovery_saved,
    _digests_privacy,
    _inbound_privacy,
    _accounts_activity,
)
for _part in PRIVACY:
    _part.register()

# The parts of `forum demo` and of the synthetic generator (`@demo_part`, `@synthetic_producer`).
DEMO = (
    _demo_taxonomy,
    _demo_partnerships,
    _demo_agreements,
    _demo_events,
    _demo_discussions,
    _demo_intelligence,
    _demo_feeds,
    _demo_follows,
    _demo_activity,
    _demo_synthetic,
    _demo_synthetic_discussions,
    _demo_synthetic_intelligence,
)


def demo_parts() -> list[DemoPart]:
    """Every demo part, in load order."""
    return sorted(DEMO_PARTS.values(), key=lambda part: part.order)
