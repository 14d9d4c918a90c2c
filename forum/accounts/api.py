"""JSON routes of accounts: bearer tokens (OAuth2 password flow) and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from forum.accounts import api_tokens, credentials, service, throttle
from forum.accounts.deps import ApiUser, oauth2_scheme
from forum.core.web import DbSession

router = APIRouter(tags=["accounts"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class MeOut(BaseModel):
    id: int
    name: str
    email: str
    role: str
    verified: bool
    partnership: str | None
    timezone: str


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses={400: {"description": "Wrong credentials"}, 429: {"description": "Throttled"}},
)
def token(
    request: Request, db: DbSession, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenOut:
    """Exchange email (as `username`) and password for a bearer token valid 30 days."""
    settings = request.app.state.settings
    throttle.hit_ip(db, throttle.client_ip(request, settings.trusted_proxies), "token")
    db.commit()
    wait = throttle.account_delay(db, form.username)
    if wait:
        raise throttle.TooManyRequests(wait, f"Too many failed attempts: retry in {wait} s.")
    try:
        user = service.authenticate(db, form.username, form.password)
    except service.AccountError as exc:
        db.rollback()
        throttle.record_failure(db, form.username)
        db.commit()
        raise HTTPException(400, str(exc)) from exc
    raw, _ = api_tokens.create_api_token(db, user, name="API login", kind="login")
    db.commit()
    return TokenOut(
        access_token=raw, expires_in=int(api_tokens.LOGIN_TOKEN_LIFETIME.total_seconds())
    )


@router.delete(
    "/auth/token",
    status_code=204,
    response_class=Response,
    responses={
        204: {"description": "The token is revoked: every later request with it answers 401"}
    },
)
def revoke_token(
    db: DbSession, user: ApiUser, raw: Annotated[str | None, Depends(oauth2_scheme)]
) -> Response:
    """Log out: revoke the bearer token this request is sent with (a login or a personal
    token alike). The member's other tokens and sessions are not affected."""
    if not credentials.revoke_bearer_token(db, user, raw or ""):
        # Revoked by another request meanwhile: refused like any token that is not live.
        raise HTTPException(
            401, "Invalid or expired token.", headers={"WWW-Authenticate": "Bearer"}
        )
    db.commit()
    return Response(status_code=204)


@router.get("/me", response_model=MeOut, responses={401: {"description": "No valid token"}})
def me(user: ApiUser) -> MeOut:
    partnership = user.partnership
    return MeOut(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role,
        verified=user.is_verified,
        partnership=partnership.name if partnership else None,
        timezone=user.timezone,
    )
