"""Account rules: joining, verification, interests, signing in, email changes. Memberships,
password changes, invitations, API tokens and the admins' actions have modules of their own.

Functions take the session first, flush but never commit, and queue emails in the
caller's transaction. Answers that could reveal whether an address has an account
(register, login, reset) are the same for known and unknown addresses.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import available_timezones

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from forum.accounts import passwords
from forum.accounts.handles import unique_handle
from forum.accounts.memberships import request_membership
from forum.accounts.models import ROLES, EmailToken, User
from forum.accounts.tokens import hash_token, new_token
from forum.core import i18n
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.errors import Invalid, NotAllowed
from forum.core.i18n import _, _l
from forum.core.mail import queue_email
from forum.core.text import clean_line, control_characters_message, has_control_characters
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
R = TypeVar("R")


class AccountError(Invalid):
    """A rule of the accounts was broken; `field` names the form field it is about."""

    def by_field(self) -> dict[str, str]:
        """The messages by form field ("_" for the form as a whole), as forms show them."""
        return {self.field or "_": str(self)}


class AccountErrors(AccountError):
    """Several rules broken at once (`Checks`): every message by its field. The first is
    the error's own message and field, so that code expecting one error still works."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, None if field == "_" else field)
        self.errors = dict(errors)

    def by_field(self) -> dict[str, str]:
        return dict(self.errors)


class Checks:
    """Runs each rule of a form and keeps every field's first message, so that a form
    shows all its errors at once; the rules stay the single-error functions below.

        checks = Checks()
        email = checks.run(validate_email, email)
        name = checks.run(validate_name, name)
        checks.raise_any()
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def run(self, rule: Callable[..., R], *args: Any, **kwargs: Any) -> R | None:
        """`rule`'s answer, or None when it raised an AccountError (kept)."""
        try:
            return rule(*args, **kwargs)
        except AccountError as exc:
            for field, message in exc.by_field().items():
                self.errors.setdefault(field, message)
            return None

    def raise_any(self) -> None:
        if self.errors:
            raise AccountErrors(self.errors)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_email(email: str) -> str:
    email = normalize_email(email)
    if len(email) > 320 or has_control_characters(email) or not EMAIL_RE.match(email):
        raise AccountError(_("Enter an email address like name@example.eu."), "email")
    return email


def validate_name(name: str) -> str:
    if has_control_characters(name):
        raise AccountError(control_characters_message(), "name")
    name = clean_line(name)
    if not name:
        raise AccountError(_("Enter your name."), "name")
    if len(name) > NAME_MAX:
        raise AccountError(_("Use at most %(max)s characters.", max=NAME_MAX), "name")
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
        raise AccountError(
            _("Unknown role %(role)r: use one of %(roles)s.", role=role, roles=", ".join(ROLES)),
            "role",
        )
    if password is not None:
        require_password_ok(password, email=email, name=name)
        password_hash = passwords.hash_password(password)
    if get_user_by_email(db, email) is not None:
        raise AccountError(_("An account with this email address already exists."), "email")
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


def use_email_token(token: EmailToken) -> None:
    """Spend a link token: it works once."""
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
    checks = Checks()
    valid_email = checks.run(validate_email, email)
    valid_name = checks.run(validate_name, name)
    checks.run(
        require_password_ok, password,
        email=valid_email or normalize_email(email), name=valid_name or name,
    )  # fmt: skip
    partnership = checks.run(_chosen_partnership, db, partnership_id)
    checks.raise_any()
    if valid_email is None or valid_name is None:  # raise_any has raised
        raise AssertionError("unreachable")
    email, name = valid_email, valid_name
    existing = get_user_by_email(db, email)
    if existing is not None:
        passwords.dummy_verify(password)  # same work as hashing a new password
        queue_email(
            db, settings, "account_exists", to=existing.email, context={"user": existing},
            language=existing.language, timezone=existing.timezone,
        )  # fmt: skip
        return Registration(email, None)
    user = create_user(db, email=email, name=name, password=password)
    # The language the sign-up page was shown in (the switcher's, else the browser's)
    # becomes the member's choice, and the verification email is written in it.
    user.language = i18n.language()
    if partnership is not None:
        request_membership(db, user, partnership)
        # New members start with their partnership's targets (DESIGN.md: Follow).
        set_follows(db, user.id, "country", partnership.country_codes)
        set_follows(db, user.id, "sector", [s.slug for s in partnership.sectors])
    send_verification(db, settings, user)
    return Registration(email, user)


def _chosen_partnership(db: Session, partnership_id: int | None) -> Partnership | None:
    if partnership_id is None:
        return None
    partnership = db.get(Partnership, partnership_id)
    if partnership is None:
        raise AccountError(_("Choose a partnership from the list, or none."), "partnership")
    return partnership


def send_verification(
    db: Session, settings: Settings, user: User, *, actor: User | None = None
) -> None:
    """Mail a fresh confirmation link. `actor`, when given, must be the member or an admin."""
    if actor is not None and actor.id != user.id and not actor.is_admin:
        raise NotAllowed(_("Only admins resend another member's confirmation link."))
    raw = issue_email_token(db, user, "verify")
    queue_email(
        db,
        settings,
        "verify_email",
        to=user.email,
        language=user.language,
        timezone=user.timezone,
        context={"user": user, "link": f"{settings.base_url}/verify/{raw}"},
    )


def verify_email(db: Session, raw: str) -> User:
    token = find_email_token(db, raw, "verify")
    if token is None:
        raise AccountError(_("This confirmation link is invalid, used or expired."))
    use_email_token(token)
    token.user.email_verified_at = token.user.email_verified_at or utcnow()
    db.flush()
    return token.user


def verification_link_state(db: Session, raw: str) -> str:
    """Why a confirmation link does not work, for the page that explains it: "confirmed"
    (used, or the address is confirmed already), "replaced" (a newer link voided it),
    "expired", "unknown" (never issued, or mistyped); "live" when it works."""
    token = None
    if raw and len(raw) <= 100:
        token = db.scalar(
            select(EmailToken).where(
                EmailToken.token_hash == hash_token(raw), EmailToken.purpose == "verify"
            )
        )
    if token is None:
        return "unknown"
    if token.user.is_verified:
        return "confirmed"
    if token.used_at is not None:
        return "replaced"
    if token.expires_at <= utcnow():
        return "expired"
    return "live"


def update_interests(db: Session, user: User, *, places: list[str], sectors: list[str]) -> None:
    """Replace the member's country, region-group and sector follows.

    `places` mixes ISO codes and region-group codes: groups are kept as groups
    (expanded when read), as the joining step does. Raises AccountError naming the
    first unknown code or sector, before anything is changed.
    """
    try:
        tags = read_tag_fields(
            db, countries=places, sectors=sectors, keep_groups=True,
            unknown_country=lambda code: _("%(code)r is not a country or region we know.", code=code),
            unknown_sector=lambda slug: _("%(slug)r is not a sector we know.", slug=slug),
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
        raise AccountError(_("Choose weekly, daily or off."), "frequency")
    update_interests(db, user, places=places, sectors=sectors)
    user.digest_frequency = frequency
    user.onboarded_at = utcnow()
    db.flush()


# --- signing in ---------------------------------------------------------------------------

LOGIN_FAILED = _l("Email or password is not right.")


def authenticate(db: Session, email: str, password: str) -> User:
    """The account these credentials open. Raises AccountError with one message for
    an unknown address and a wrong password alike, after the same amount of work."""
    user = get_user_by_email(db, email)
    if user is None:
        passwords.dummy_verify(password)
        raise AccountError(str(LOGIN_FAILED))
    if not passwords.verify_password(user.password_hash, password):
        raise AccountError(str(LOGIN_FAILED))
    if user.is_suspended:
        raise AccountError(_("This account is suspended. Contact the platform team."))
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def request_email_change(
    db: Session, settings: Settings, user: User, *, new_email: str, password: str
) -> None:
    """Send a confirmation link to the new address and a notice to the current one."""
    checks = Checks()
    if not passwords.verify_password(user.password_hash, password):
        checks.errors["password"] = _("Your password is not right.")
    valid = checks.run(validate_email, new_email)
    if valid is not None and valid == user.email:
        checks.errors["email"] = _("This is already your address.")
    checks.raise_any()
    new_email = valid or new_email
    if get_user_by_email(db, new_email) is not None:
        # Saying so would reveal another member's address: the link just won't work.
        return
    raw = issue_email_token(db, user, "email-change", new_email=new_email)
    queue_email(
        db,
        settings,
        "email_change_confirm",
        to=new_email,
        language=user.language,
        timezone=user.timezone,
        context={"user": user, "link": f"{settings.base_url}/email/confirm/{raw}"},
    )
    queue_email(
        db,
        settings,
        "email_change_notice",
        to=user.email,
        language=user.language,
        timezone=user.timezone,
        context={"user": user, "new_email": new_email},
    )


def confirm_email_change(db: Session, raw: str) -> User:
    token = find_email_token(db, raw, "email-change")
    if token is None or token.new_email is None:
        raise AccountError(_("This confirmation link is invalid, used or expired."))
    if get_user_by_email(db, token.new_email) is not None:
        raise AccountError(_("This address now belongs to another account."))
    use_email_token(token)
    token.user.email = token.new_email
    token.user.email_verified_at = utcnow()
    db.flush()
    return token.user


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

    Raises NotAllowed, or AccountError for oneself.
    """
    if not can_moderate(actor):
        raise NotAllowed(_("Only moderators and admins suspend members."))
    if user.id == actor.id:
        raise AccountError(_("You cannot suspend yourself."))
    if user.is_admin and not actor.is_admin:
        raise NotAllowed(_("Only an admin can suspend an admin."))


def can_suspend(actor: User | None, user: User) -> bool:
    """Whether pages offer `actor` to suspend `user`: `require_can_suspend` passes and
    `user` is not suspended already."""
    if actor is None or user.is_suspended:
        return False
    try:
        require_can_suspend(actor, user)
    except (NotAllowed, AccountError):
        return False
    return True
