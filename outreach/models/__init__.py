"""The domain model: one module per aggregate, all imported here so metadata is complete."""

from outreach.models.audit import AuditEvent
from outreach.models.base import MAX_ID, Base, UTCDateTime, utcnow
from outreach.models.call import Call, CallAttempt, CallStatus
from outreach.models.callback import (
    AttemptOutcome,
    CallbackAttempt,
    CallbackChannel,
    CallbackRequest,
    CallbackRequestSource,
    CallbackStatus,
    CallbackTopic,
)
from outreach.models.campaign import (
    Campaign,
    CampaignRun,
    CampaignStatus,
    Channel,
    Recurrence,
    RunStatus,
)
from outreach.models.contact import (
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentState,
    Contact,
    ContactList,
    list_members,
)
from outreach.models.imports import ImportJob
from outreach.models.job import Job, JobStatus
from outreach.models.message import Direction, Message, MessageStatus
from outreach.models.pricing import SegmentPrice
from outreach.models.recording import Recording
from outreach.models.region import HotlineMode, Region
from outreach.models.response import Response, ResponseKind
from outreach.models.test_phone import TestPhone
from outreach.models.user import ApiToken, Role, User, user_regions
from outreach.models.worker import WorkerHeartbeat

__all__ = [
    "MAX_ID",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Call",
    "CallAttempt",
    "CallStatus",
    "AttemptOutcome",
    "CallbackAttempt",
    "CallbackChannel",
    "CallbackRequest",
    "CallbackRequestSource",
    "CallbackStatus",
    "CallbackTopic",
    "Campaign",
    "CampaignRun",
    "CampaignStatus",
    "Channel",
    "ConsentAction",
    "ConsentChannel",
    "ConsentEvent",
    "ConsentState",
    "Contact",
    "ContactList",
    "Direction",
    "HotlineMode",
    "ImportJob",
    "Job",
    "JobStatus",
    "Message",
    "MessageStatus",
    "Recording",
    "Recurrence",
    "Region",
    "Response",
    "ResponseKind",
    "SegmentPrice",
    "WorkerHeartbeat",
    "Role",
    "TestPhone",
    "RunStatus",
    "UTCDateTime",
    "User",
    "list_members",
    "user_regions",
    "utcnow",
]
