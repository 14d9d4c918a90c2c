"""Invitations: an admin invites one person (an account without a password, its link mailed),
who accepts by choosing a password; or many from a CSV file: every row checked, then all or none.

The file is UTF-8 (with or without a byte-order mark), at most 1 MB, with the header
`email,name,partnership`; the partnership is a name, an alias or a slug, or empty.
Row numbers count the header as row 1, as spreadsheets show them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts import memberships, passwords, service
from forum.accounts.models import User
from forum.core.audit import record
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.errors import NotAllowed
from forum.core.i18n import _
from forum.core.mail import queue_email
from forum.notifications.service import set_follows
from forum.partnerships.models import Partnership
from forum.partnerships.service import find_partnership_by_name, get_partnership_by_slug

MAX_BYTES = 1024 * 1024
MAX_ROWS = 1000
COLUMNS = ("email", "name", "partnership")
REQUIRED_COLUMNS = ("email", "name")


@dataclass(frozen=True)
class InviteRow:
    row: int
    email: str
    name: str
    partnership: Partnership | None


@dataclass(frozen=True)
class RowError:
    row: int | None  # None for a problem with the whole file
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return _("Row %(row)s: %(problem)s", row=self.row, problem=self.message)


@dataclass
class InvitePlan:
    """Who a file would invite (`rows`), who already has an account (`skipped`), and
    what is wrong with it (`errors`): a plan with errors must invite nobody."""

    rows: list[InviteRow] = field(default_factory=list)
    skipped: list[InviteRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row is not None})


@dataclass(frozen=True)
class InviteResult:
    invited: list[InviteRow]
    skipped: list[InviteRow]


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
    email = service.validate_email(email)
    if service.get_user_by_email(db, email) is not None:
        return None
    user = service.create_user(db, email=email, name=name, password=None)
    if partnership is not None:
        membership = memberships.request_membership(db, user, partnership)
        # The admin's invitation is the approval.
        membership.status = "approved"
        membership.decided_at = utcnow()
        membership.decided_by_id = actor.id
        set_follows(db, user.id, "country", partnership.country_codes)
        set_follows(db, user.id, "sector", [s.slug for s in partnership.sectors])
    raw = service.issue_email_token(db, user, "invite")
    queue_email(
        db,
        settings,
        "invitation",
        to=user.email,
        language=user.language,
        timezone=user.timezone,
        context={
            "user": user,
            "inviter": actor,
            "partnership": partnership,
            "link": f"{settings.base_url}/invite/{raw}",
        },
    )
    return user


def accept_invitation(db: Session, raw: str, password: str) -> User:
    token = service.find_email_token(db, raw, "invite")
    if token is None or token.user.is_suspended:
        raise service.AccountError(_("This invitation link is invalid, used or expired."))
    user = token.user
    service.require_password_ok(password, email=user.email, name=user.name)
    service.use_email_token(token)
    user.password_hash = passwords.hash_password(password)
    user.email_verified_at = user.email_verified_at or utcnow()
    db.flush()
    return user


# --- many, from a CSV file ----------------------------------------------------------------


def _decode(data: bytes) -> str:
    """The text of the file; raises UnicodeDecodeError when it is not UTF-8."""
    return data.decode("utf-8-sig")


def _dialect_delimiter(text: str) -> str:
    # Spreadsheets set to a European locale save "CSV" with semicolons.
    first = text.split("\n", 1)[0]
    return ";" if ";" in first and "," not in first else ","


class _PartnershipLookup:
    """Resolves partnership cells, each distinct value once."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.cache: dict[str, Partnership | None] = {}

    def __call__(self, value: str) -> Partnership | None:
        key = value.strip().casefold()
        if key not in self.cache:
            self.cache[key] = find_partnership_by_name(self.db, value) or get_partnership_by_slug(
                self.db, value.strip().lower()
            )
        return self.cache[key]


def parse_invite_csv(db: Session, data: bytes) -> InvitePlan:
    """Check a whole invitation file. Never raises for bad input: every problem is an
    entry of `errors`, with its row number when it is about one row. Addresses that
    already have an account go to `skipped`, which is not an error."""
    plan = InvitePlan()
    if len(data) > MAX_BYTES:
        plan.errors.append(RowError(None, _("The file is larger than 1 MB: split it in parts.")))
        return plan
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        plan.errors.append(
            RowError(None, _("The file is not UTF-8 text: save it as “CSV UTF-8” and try again."))
        )
        return plan
    if "\x00" in text:
        plan.errors.append(RowError(None, _("The file is not a CSV text file.")))
        return plan
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect_delimiter(text))
    try:
        records = list(reader)
    except csv.Error as exc:
        plan.errors.append(
            RowError(reader.line_num or None, _("The file is not valid CSV: %(error)s.", error=exc))
        )
        return plan

    header = [cell.strip().lower() for cell in records[0]] if records else []
    if not header or not any(header):
        plan.errors.append(
            RowError(None, _("The file is empty: its first row must be email,name,partnership."))
        )
        return plan
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        plan.errors.append(
            RowError(
                1,
                _(
                    "The first row must be the header email,name,partnership (found: %(found)s).",
                    found=",".join(records[0]),
                ),
            )
        )
        return plan
    index = {name: header.index(name) for name in header}

    body = [
        (number, cells)
        for number, cells in enumerate(records[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
    if not body:
        plan.errors.append(RowError(None, _("The file lists nobody: add one row per invitee.")))
        return plan
    if len(body) > MAX_ROWS:
        plan.errors.append(
            RowError(
                None,
                _(
                    "The file has %(count)s rows; invite at most %(max)s at once.",
                    count=len(body),
                    max=MAX_ROWS,
                ),
            )
        )
        return plan

    lookup = _PartnershipLookup(db)
    first_row_of: dict[str, int] = {}
    candidates: list[InviteRow] = []
    for number, cells in body:
        if len(cells) > len(header):
            plan.errors.append(
                RowError(
                    number,
                    _(
                        "it has %(count)s values; the header has %(header)s.",
                        count=len(cells),
                        header=len(header),
                    ),
                )
            )
            continue
        cells = cells + [""] * (len(header) - len(cells))

        def cell(name: str, cells: list[str] = cells) -> str:
            return cells[index[name]].strip() if name in index else ""

        row_ok = True
        raw_email = cell("email")
        email = ""
        if not raw_email:
            plan.errors.append(RowError(number, _("the email address is missing.")))
            row_ok = False
        else:
            try:
                email = service.validate_email(raw_email)
            except service.AccountError:
                plan.errors.append(
                    RowError(number, _("“%(email)s” is not an email address.", email=raw_email))
                )
                row_ok = False
        name = ""
        try:
            name = service.validate_name(cell("name"))
        except service.AccountError as exc:
            message = (
                _("the name is missing.")
                if not cell("name")
                else _("the name: %(problem)s", problem=exc)
            )
            plan.errors.append(RowError(number, message))
            row_ok = False
        partnership = None
        if cell("partnership"):
            partnership = lookup(cell("partnership"))
            if partnership is None:
                plan.errors.append(
                    RowError(
                        number,
                        _(
                            "there is no partnership called “%(name)s”.",
                            name=cell("partnership"),
                        ),
                    )
                )
                row_ok = False
        if email:
            if email in first_row_of:
                plan.errors.append(
                    RowError(
                        number,
                        _(
                            "%(email)s is listed twice (also on row %(row)s).",
                            email=email,
                            row=first_row_of[email],
                        ),
                    )
                )
                row_ok = False
            else:
                first_row_of[email] = number
        if row_ok:
            candidates.append(InviteRow(number, email, name, partnership))

    existing = _existing_emails(db, [c.email for c in candidates])
    for candidate in candidates:
        (plan.skipped if candidate.email in existing else plan.rows).append(candidate)
    return plan


def _existing_emails(db: Session, emails: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        found.update(db.scalars(select(User.email).where(User.email.in_(chunk))))
    return found


def send_invitations(
    db: Session, settings: Settings, actor: User, plan: InvitePlan
) -> InviteResult:
    """Invite every row of a checked plan, with one audit entry per invitee.

    Raises NotAllowed for a non-admin and ValueError for a plan with errors.
    An address that got an account since the plan was made is skipped.
    """
    if not actor.is_admin:
        raise NotAllowed(_("Only admins send invitations."))
    if not plan.ok:
        raise ValueError("the invitation file has errors: nobody may be invited from it")
    invited: list[InviteRow] = []
    skipped = list(plan.skipped)
    for row in plan.rows:
        user = invite(
            db, settings, actor, email=row.email, name=row.name, partnership=row.partnership
        )
        if user is None:
            skipped.append(row)
            continue
        invited.append(row)
        record(
            db,
            actor=actor,
            action="user.invite",
            object_type="user",
            object_id=user.id,
            object_label=f"{user.name} <{user.email}>",
            details={
                "source": "csv",
                "row": row.row,
                "partnership": row.partnership.slug if row.partnership else None,
            },
        )
    return InviteResult(invited, sorted(skipped, key=lambda r: r.row))


__all__ = [
    "MAX_BYTES",
    "InvitePlan",
    "InviteResult",
    "InviteRow",
    "RowError",
    "parse_invite_csv",
    "send_invitations",
]
