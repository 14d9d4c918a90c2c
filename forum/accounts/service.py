"""Account rules: joining, verification, signing in, passwords, email changes, membership.

Functions take the session first, flush but never commit, and queue emails in the
caller's transaction. Answers that could reveal whether an address has an account
(register, login, reset) are the same for known and unknown addresses.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from forum.accounts import credentials, passwords, sessions
from forum.accounts.handles import unique_handle
from forum.accounts.models import ROLES, ApiToken, EmailToken, Membership, User, UserSession
from forum.accounts.tokens import hash_token, new_token
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.errors import PermissionDenied
from forum.core.jobs import enqueue
from forum.core.mail import queue_email
from forum.core.pagination import Page
from forum.core.text import CONTROL_CHARACTERS_MESSAGE, clean_line, has_control_characters
from forum.notifications.service import set_follows
from forum.partnerships.models import Partnership
from forum.taxonomy.forms import TagFieldsError, read_tag_fields

TOKEN_LIFETIMES = {
    "verify": dt.timedelta(days=3),
    "reset": dt.timedelta(hours=1),
    "email-change": dt.timedelta(days=1),
    "invite": dt.timedelta(days=14),
}
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
NAME_MAX = 120


class AccountError(ValueError):
    """A rule was broken; `field` names the form field it is about, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_email(email: str) -> str:
    email = normalize_email(email)
    if len(email) > 320 or has_control_characters(email) or not EMAIL_RE.match(email):
        raise AccountError("Enter an email address like name@example.eu.", "email")
    return email


def validate_name(name: str) -> str:
    if has_control_characters(name):
        raise AccountError(CONTROL_CHARACTERS_MESSAGE, "name")
    name = clean_line(name)
    if not name:
        raise AccountError("Enter your name.", "name")
    if len(name) > NAME_MAX:
        raise AccountError(f"Use at most {NAME_MAX} characters.", "name")
    return name


def require_password_ok(password: str, *, email: str, name: str, field: str = "password") -> None:
    problem = passwords.password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(problem, field)


def valid_timezones() -> set[str]:
    return available_timezones()


def get_user(db: Session, user_id: int) -> User | None:
    return db.scalar(select(User).where(User.id == user_id).options(selectinload(User.membership)))


def get_user_by_email(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    db: Session,
    *,
    email: str,
    name: str,
    password: str | None,
    role: str = "member",
    verified: bool = False,
    password_hash: str | None = None,
) -> User:
    """A new account. Raises AccountError for invalid input or a taken address."""
    email = validate_email(email)
    name = validate_name(name)
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.", "role")
    if password is not None:
        require_password_ok(password, email=email, name=name)
        password_hash = passwords.hash_password(password)
    if get_user_by_email(db, email) is not None:
        raise AccountError("An account with this email address already exists.", "email")
    user = User(
        email=email,
        name=name,
        handle=unique_handle(db, name),
        password_hash=password_hash,
        role=role,
        email_verified_at=utcnow() if verified else None,
    )
    db.add(user)
    db.flush()
    return user


def issue_email_token(
    db: Session, user: User, purpose: str, *, new_email: str | None = None
) -> str:
    """A single-use link token; earlier unused tokens of the same purpose stop working."""
    now = utcnow()
    db.execute(
        update(EmailToken)
        .where(
            EmailToken.user_id == user.id,
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    raw, digest = new_token()
    db.add(
        EmailToken(
            token_hash=digest,
            user_id=user.id,
            purpose=purpose,
            new_email=new_email,
            created_at=now,
            expires_at=now + TOKEN_LIFETIMES[purpose],
        )
    )
    db.flush()
    return raw


def find_email_token(db: Session, raw: str, purpose: str) -> EmailToken | None:
    """The live (unused, unexpired) token for a link, or None."""
    if not raw or len(raw) > 100:
        return None
    token = db.scalar(
        select(EmailToken)
        .where(EmailToken.token_hash == hash_token(raw), EmailToken.purpose == purpose)
        .options(selectinload(EmailToken.user))
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    return token


def _use(token: EmailToken) -> None:
    token.used_at = utcnow()


# --- joining ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    email: str
    created: User | None  # None when the address already had an account


def register(
    db: Session,
    settings: Settings,
    *,
    email: str,
    name: str,
    password: str,
    partnership_id: int | None,
) -> Registration:
    """Create an unverified account and send its verification link.

    For an address that already has an account nothing is created: its owner gets
    an email saying so. The caller shows the same page either way.
    """
    email = validate_email(email)
    name = validate_name(name)
    require_password_ok(password, email=email, name=name)
    partnership = None
    if partnership_id is not None:
        partnership = db.get(Partnership, partnership_id)
        if partnership is None:
            raise AccountError("Choose a partnership from the list, or none.", "partnership")
    existing = get_user_by_email(db, email)
    if existing is not None:
        passwords.dummy_verify(password)  # same work as hashing a new password
        queue_email(db, settings, "account_exists", to=existing.email, context={"user": existing})
        return Registration(email, None)
    user = create_user(db, email=email, name=name, password=password)
    if partnership is not None:
        request_membership(db, user, partnership)
        # New members start with their partnership's targets (DESIGN.md: Follow).
        set_follows(db, user.id, "country", partnership.country_codes)
        set_follows(db, user.id, "sector", [s.slug for s in partnership.sectors])
    send_verification(db, settings, user)
    return Registration(email, user)


def send_verification(
    db: Session, settings: Settings, user: User, *, actor: User | None = None
) -> None:
    """Mail a fresh confirmation link. `actor`, when given, must be the member or an admin."""
    if actor is not None and actor.id != user.id and not actor.is_admin:
        raise PermissionDenied("Only admins resend another member's confirmation link.")
    raw = issue_email_token(db, user, "verify")
    queue_email(
        db,
        settings,
        "verify_email",
        to=user.email,
        context={"user": user, "link": f"{settings.base_url}/verify/{raw}"},
    )


def verify_email(db: Session, raw: str) -> User:
    token = find_email_token(db, raw, "verify")
    if token is None:
        raise AccountError("This confirmation link is invalid, used or expired.")
    _use(token)
    token.user.email_verified_at = token.user.email_verified_at or utcnow()
    db.flush()
    return token.user


def request_membership(db: Session, user: User, partnership: Partnership) -> Membership:
    """Ask to join `partnership` (replacing any earlier request); approval comes later."""
    if user.membership is not None:
        if user.membership.partnership_id == partnership.id:
            return user.membership
        db.delete(user.membership)
        db.flush()
    membership = Membership(user_id=user.id, partnership_id=partnership.id, status="pending")
    db.add(membership)
    db.flush()
    db.refresh(user, ["membership"])
    return membership


def can_decide_membership(actor: User, partnership: Partnership) -> bool:
    return actor.is_admin or partnership.coordinator_id == actor.id


def decide_membership(db: Session, actor: User, membership: Membership, *, approve: bool) -> None:
    """Approve or reject a join request; only the coordinator or an admin may."""
    if not can_decide_membership(actor, membership.partnership):
        raise PermissionDenied("Only the partnership's coordinator or an admin can decide this.")
    membership.status = "approved" if approve else "rejected"
    membership.decided_at = utcnow()
    membership.decided_by_id = actor.id
    db.flush()


def pending_memberships(db: Session, partnership_id: int) -> list[Membership]:
    return list(
        db.scalars(
            select(Membership)
            .where(Membership.partnership_id == partnership_id, Membership.status == "pending")
            .options(selectinload(Membership.user))
            .order_by(Membership.requested_at)
        )
    )


def partnership_members(db: Session, partnership_id: int) -> list[User]:
    return list(
        db.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.partnership_id == partnership_id, Membership.status == "approved")
            .order_by(User.name)
        )
    )


def update_interests(db: Session, user: User, *, places: list[str], sectors: list[str]) -> None:
    """Replace the member's country, region-group and sector follows.

    `places` mixes ISO codes and region-group codes: groups are kept as groups
    (expanded when read), as the joining step does. Raises AccountError naming the
    first unknown code or sector, before anything is changed.
    """
    try:
        tags = read_tag_fields(
            db, countries=places, sectors=sectors, keep_groups=True,
            unknown_country=lambda code: f"{code!r} is not a country or region we know.",
            unknown_sector=lambda slug: f"{slug!r} is not a sector we know.",
        )  # fmt: skip
    except TagFieldsError as exc:
        field, message = exc.first
        raise AccountError(message, field) from exc
    set_follows(db, user.id, "country", tags.countries)
    set_follows(db, user.id, "region_group", tags.groups)
    set_follows(db, user.id, "sector", tags.sector_slugs)


def complete_onboarding(
    db: Session, user: User, *, places: list[str], sectors: list[str], frequency: str
) -> None:
    """The interests step: follows and digest frequency. Raises AccountError, changing nothing."""
    if frequency not in ("weekly", "daily", "off"):
        raise AccountError("Choose weekly, daily or off.", "frequency")
    update_interests(db, user, places=places, sectors=sectors)
    user.digest_frequency = frequency
    user.onboarded_at = utcnow()
    db.flush()


# --- signing in ---------------------------------------------------------------------------

LOGIN_FAILED = "Email or password is not right."


def authenticate(db: Session, email: str, password: str) -> User:
    """The account these credentials open. Raises AccountError with one message for
    an unknown address and a wrong password alike, after the same amount of work."""
    user = get_user_by_email(db, email)
    if user is None:
        passwords.dummy_verify(password)
        raise AccountError(LOGIN_FAILED)
    if not passwords.verify_password(user.password_hash, password):
        raise AccountError(LOGIN_FAILED)
    if user.is_suspended:
        raise AccountError("This account is suspended. Contact the platform team.")
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def request_password_reset(db: Session, settings: Settings, email: str) -> None:
    """Queue a reset request; the worker mails a link when the address has an account.

    The request does the same work (one queued job) for every well-formed address, so
    neither its answer nor its timing says whether the address has an account. One that
    cannot be an address (a NUL, a control character) queues nothing: no account has it.
    """
    try:
        email = validate_email(email)
    except AccountError:
        return
    enqueue(db, "password-reset", {"email": email})


def send_password_reset(db: Session, settings: Settings, email: str) -> bool:
    """Issue a reset token and queue its email; False when there is nobody to send to."""
    user = get_user_by_email(db, email)
    if user is None or user.is_suspended:
        return False
    raw = issue_email_token(db, user, "reset")
    queue_email(
        db,
        settings,
        "password_reset",
        to=user.email,
        context={"user": user, "link": f"{settings.base_url}/password/reset/{raw}"},
    )
    return True


def reset_password(db: Session, settings: Settings, raw: str, new_password: str) -> User:
    token = find_email_token(db, raw, "reset")
    if token is None:
        raise AccountError("This reset link is invalid, used or expired. Ask for a new one.")
    user = token.user
    require_password_ok(new_password, email=user.email, name=user.name)
    _use(token)
    user.password_hash = passwords.hash_password(new_password)
    # Whoever knew the old password is signed out everywhere, browsers and API logins.
    ended = credentials.sign_out_everywhere_else(db, user, keep=None)
    credentials.void_account_links(db, user)
    # The link proves the address, as the verification link does.
    user.email_verified_at = user.email_verified_at or utcnow()
    _notify_password_changed(db, settings, user, ended, reset=True)
    db.flush()
    return user


def _notify_password_changed(
    db: Session, settings: Settings, user: User, ended: credentials.Ended, *, reset: bool
) -> None:
    """Tell the member, at their address, what the change ended and what it kept."""
    queue_email(
        db,
        settings,
        "password_changed",
        to=user.email,
        context={
            "user": user,
            "reset": reset,
            "sessions_ended": ended.sessions,
            "tokens_revoked": ended.tokens,
            "personal_tokens": credentials.count_personal_tokens(db, user),
        },
    )


def change_password(
    db: Session,
    settings: Settings,
    user: User,
    *,
    current: str,
    new: str,
    keep: UserSession | None,
) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise AccountError("Your current password is not right.", "current_password")
    require_password_ok(new, email=user.email, name=user.name, field="new_password")
    user.password_hash = passwords.hash_password(new)
    # The browser that changed it stays signed in; every other one and every API login ends.
    ended = credentials.sign_out_everywhere_else(db, user, keep=keep)
    credentials.void_account_links(db, user)
    _notify_password_changed(db, settings, user, ended, reset=False)
    db.flush()


def request_email_change(
    db: Session, settings: Settings, user: User, *, new_email: str, password: str
) -> None:
    """Send a confirmation link to the new address and a notice to the current one."""
    if not passwords.verify_password(user.password_hash, password):
        raise AccountError("Your password is not right.", "password")
    new_email = validate_email(new_email)
    if new_email == user.email:
        raise AccountError("This is already your address.", "email")
    if get_user_by_email(db, new_email) is not None:
        # Saying so would reveal another member's address: the link just won't work.
        return
    raw = issue_email_token(db, user, "email-change", new_email=new_email)
    queue_email(
        db,
        settings,
        "email_change_confirm",
        to=new_email,
        context={"user": user, "link": f"{settings.base_url}/email/confirm/{raw}"},
    )
    queue_email(
        db,
        settings,
        "email_change_notice",
        to=user.email,
        context={"user": user, "new_email": new_email},
    )


def confirm_email_change(db: Session, raw: str) -> User:
    token = find_email_token(db, raw, "email-change")
    if token is None or token.new_email is None:
        raise AccountError("This confirmation link is invalid, used or expired.")
    if get_user_by_email(db, token.new_email) is not None:
        raise AccountError("This address now belongs to another account.")
    _use(token)
    token.user.email = token.new_email
    token.user.email_verified_at = utcnow()
    db.flush()
    return token.user


# --- invitations -------------------------------------------------------------------------


def invite(
    db: Session,
    settings: Settings,
    actor: User,
    *,
    email: str,
    name: str,
    partnership: Partnership | None,
) -> User | None:
    """Create an account without a password and send its invitation; None if it exists."""
    email = validate_email(email)
    if get_user_by_email(db, email) is not None:
        return None
    user = create_user(db, email=email, name=name, password=None)
    if partnership is not None:
        membership = request_membership(db, user, partnership)
        # The admin's invitation is the approval.
        membership.status = "approved"
        membership.decided_at = utcnow()
        membership.decided_by_id = actor.id
        set_follows(db, user.id, "country", partnership.country_codes)
        set_follows(db, user.id, "sector", [s.slug for s in partnership.sectors])
    raw = issue_email_token(db, user, "invite")
    queue_email(
        db,
        settings,
        "invitation",
        to=user.email,
        context={
            "user": user,
            "inviter": actor,
            "partnership": partnership,
            "link": f"{settings.base_url}/invite/{raw}",
        },
    )
    return user


def accept_invitation(db: Session, raw: str, password: str) -> User:
    token = find_email_token(db, raw, "invite")
    if token is None or token.user.is_suspended:
        raise AccountError("This invitation link is invalid, used or expired.")
    user = token.user
    require_password_ok(password, email=user.email, name=user.name)
    _use(token)
    user.password_hash = passwords.hash_password(password)
    user.email_verified_at = user.email_verified_at or utcnow()
    db.flush()
    return user


# --- admin -----------------------------------------------------------------------------


def page_users(db: Session, *, page: int, query: str = "", per_page: int = 25) -> Page[User]:
    stmt = select(User)
    if query:
        escaped = (
            query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        )
        like = f"%{escaped}%"
        stmt = stmt.where(
            func.lower(User.name).like(like, escape="\\") | User.email.like(like, escape="\\")
        )
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        db.scalars(
            stmt.options(selectinload(User.membership).selectinload(Membership.partnership))
            .order_by(User.created_at.desc(), User.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total, "/admin/users", {"q": query})


def can_see_member(member: User) -> bool:
    """A member's page, contact form and place as a coordinator exist, for every reader,
    while they are not suspended: a suspended member is as good as absent."""
    return not member.is_suspended


def can_moderate(user: User | None) -> bool:
    """Moderators and admins in good standing: the moderation queue and its actions."""
    return user is not None and user.is_moderator and not user.is_suspended


def can_administer(user: User | None) -> bool:
    """Admins in good standing: the admin area."""
    return user is not None and user.is_admin and not user.is_suspended


def require_can_suspend(actor: User, user: User) -> None:
    """A moderator suspends anyone but themselves and admins; an admin, admins too.

    Raises PermissionDenied, or AccountError for oneself.
    """
    if not can_moderate(actor):
        raise PermissionDenied("Only moderators and admins suspend members.")
    if user.id == actor.id:
        raise AccountError("You cannot suspend yourself.")
    if user.is_admin and not actor.is_admin:
        raise PermissionDenied("Only an admin can suspend an admin.")


def can_suspend(actor: User | None, user: User) -> bool:
    """Whether pages offer `actor` to suspend `user`: `require_can_suspend` passes and
    `user` is not suspended already."""
    if actor is None or user.is_suspended:
        return False
    try:
        require_can_suspend(actor, user)
    except (PermissionDenied, AccountError):
        return False
    return True


def set_role(db: Session, actor: User, user: User, role: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins change roles.")
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}.", "role")
    if user.id == actor.id and role != "admin":
        raise AccountError("You cannot remove your own admin role.", "role")
    user.role = role
    db.flush()


def suspend(db: Session, actor: User, user: User, *, reason: str) -> None:
    require_can_suspend(actor, user)
    if not reason.strip():
        raise AccountError("Say why: the reason is recorded in the audit log.", "reason")
    user.suspended_at = utcnow()
    user.suspended_reason = reason.strip()
    sessions.end_all_sessions(db, user.id)
    db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.flush()


def unsuspend(db: Session, actor: User, user: User) -> None:
    if not actor.is_moderator:
        raise PermissionDenied("Only moderators and admins lift suspensions.")
    user.suspended_at = None
    user.suspended_reason = None
    db.flush()


# --- API tokens -----------------------------------------------------------------------------

LOGIN_TOKEN_LIFETIME = dt.timedelta(days=30)
TOKEN_PREFIX = "cf_"  # noqa: S105 - marks our tokens in secret scanners


def create_api_token(
    db: Session, user: User, *, name: str, kind: str = "personal"
) -> tuple[str, ApiToken]:
    """A new bearer token; the raw value is answered once and never stored."""
    name = clean_line(name)[:100]
    if not name:
        raise AccountError("Give the token a name, to recognise it later.", "name")
    raw, digest = new_token(TOKEN_PREFIX)
    token = ApiToken(
        token_hash=digest,
        prefix=raw[:10],
        user_id=user.id,
        name=name,
        kind=kind,
        expires_at=utcnow() + LOGIN_TOKEN_LIFETIME if kind == "login" else None,
    )
    db.add(token)
    db.flush()
    return raw, token


def list_api_tokens(db: Session, user: User) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .where(ApiToken.kind == "personal")
            .order_by(ApiToken.created_at.desc())
        )
    )


def revoke_api_token(db: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the member's own tokens (personal or login); raises AccountError for
    an id that is not a live token of theirs, another member's included."""
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise AccountError("No such token.")
    token.revoked_at = utcnow()
    db.flush()
    return token


def user_for_bearer(db: Session, raw: str) -> User | None:
    """The active member a bearer token belongs to, or None."""
    if not raw or len(raw) > 100:
        return None
    found = db.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(raw))
    ).first()
    if found is None:
        return None
    token, user = found
    now = utcnow()
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if user.is_suspended:
        return None
    if token.last_used_at is None or now - token.last_used_at > sessions.TOUCH_EVERY:
        token.last_used_at = now
    return user


def reader_zone(user: User) -> dt.tzinfo:
    """The zone admin pages show times in: the reader's own, UTC if it is unknown."""
    try:
        return ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC
