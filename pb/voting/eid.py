"""eID: a voter verifies through the national electronic identity by OpenID Connect (Authlib).

The Czech NIA (identitaobcana.cz) and Poland's login.gov.pl hand a city's service, after the
person signed in with their eID, an ID token signed by the provider. We take the national ID
number from one of its claims (`PB_OIDC_ID_CLAIM`) and key it exactly as the register and the
paper desk do, so an eID voter and a registry or paper voter are the same person, and one ballot
each. Only the voter key is kept (in the session, bound to the account, as after any other
verification); the number, the name and the token are not stored.

Settings: `PB_OIDC_ISSUER` (the provider's issuer; its discovery document is at
ISSUER/.well-known/openid-configuration), `PB_OIDC_CLIENT_ID`, `PB_OIDC_CLIENT_SECRET`,
`PB_OIDC_ID_CLAIM` (default `national_id`) and `PB_OIDC_SCOPE` (default `openid profile`). Without
an issuer, eID is off and the edition option does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

EXTENSION = "pb_eid"


@dataclass(frozen=True)
class EidIdentity:
    issuer: str
    subject: str
    national_id: str | None


class EidFailed(Exception):
    """The provider did not vouch for anybody (cancelled, wrong state, bad token)."""


def init_app(app: Flask) -> None:
    issuer = (app.config.get("PB_OIDC_ISSUER") or "").rstrip("/")
    if not issuer:
        return
    oauth = OAuth(app)
    oauth.register(
        "eid",
        client_id=app.config.get("PB_OIDC_CLIENT_ID"),
        client_secret=app.config.get("PB_OIDC_CLIENT_SECRET"),
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": app.config.get("PB_OIDC_SCOPE") or "openid profile",
            "code_challenge_method": "S256",
            "timeout": 10,
        },
    )
    app.extensions[EXTENSION] = oauth


def configured() -> bool:
    return EXTENSION in current_app.extensions


def _client():
    return current_app.extensions[EXTENSION].eid


def authorize_redirect(redirect_uri: str):
    """The response that sends the browser to the provider's sign-in page."""
    return _client().authorize_redirect(redirect_uri)


def identity_from_callback() -> EidIdentity:
    """Exchange the code the provider sent back for a checked ID token (signature by the
    provider's published keys, issuer, audience, expiry, nonce) and read the person from it."""
    try:
        token = _client().authorize_access_token()
    except Exception as error:  # Authlib raises its own errors and requests' ones
        current_app.logger.warning("eID sign-in failed: %s", error.__class__.__name__)
        raise EidFailed(str(error)) from None
    claims = token.get("userinfo") or {}
    issuer = str(claims.get("iss") or "")
    subject = str(claims.get("sub") or "")
    if not subject:
        raise EidFailed("no subject")
    claim = current_app.config.get("PB_OIDC_ID_CLAIM") or "national_id"
    value = claims.get(claim)
    return EidIdentity(issuer, subject, str(value) if value else None)
