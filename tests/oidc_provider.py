"""A real OpenID Connect provider for tests, built on Authlib's server side: discovery document,
JWKS, the authorization-code flow (with PKCE) and ID tokens signed by a test RSA key, served by a
thread on a local port. It stands in for the Czech NIA or Poland's login.gov.pl.

Whoever the test puts in `provider.person` "signs in" at the authorization endpoint (no form:
the eID's own pages are not ours to test); `provider.person = None` makes the person cancel.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server


@dataclass
class Person:
    sub: str
    national_id: str | None
    name: str = "Jana Testovací"


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in {"openid", "profile"})

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    person: Person
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return "http://eidas.europa.eu/LoA/substantial"

    def get_amr(self):
        return ["pwd", "otp"]


class OidcProvider:
    def __init__(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self.client = Client(client_id, client_secret, redirect_uris)
        self.codes: dict[str, Code] = {}
        self.person: Person | None = None
        self.tokens_issued = 0
        self.app = self._make_app()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> OidcProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _make_app(self) -> Flask:
        provider = self
        app = Flask("test_oidc_provider")

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, request):
                provider.codes[code] = Code(
                    code=code,
                    client_id=request.client.get_client_id(),
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.payload.scope,
                    person=request.user,
                    nonce=request.payload.data.get("nonce"),
                    code_challenge=request.payload.data.get("code_challenge"),
                    code_challenge_method=request.payload.data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code, client):
                found = provider.codes.get(code)
                if found and found.client_id == client.get_client_id():
                    return found
                return None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)  # single use

            def authenticate_user(self, authorization_code):
                return authorization_code.person

        class IdToken(OpenIDCode):
            def resolve_client_private_key(self, client):
                return provider.key

            def get_client_claims(self, client):
                return {"iss": provider.issuer, "aud": [client.get_client_id()]}

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "test-key"}

            def exists_nonce(self, nonce, request):
                return any(code.nonce == nonce for code in provider.codes.values())

            def generate_user_info(self, user, scope):
                info = UserInfo(sub=user.sub, name=user.name)
                if user.national_id is not None:
                    info["national_id"] = user.national_id
                return info

        def save_token(token, request):
            provider.tokens_issued += 1

        server = AuthorizationServer(
            app,
            query_client=lambda client_id: (
                provider.client if client_id == provider.client.client_id else None
            ),
            save_token=save_token,
        )
        server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge()])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=provider.issuer,
                authorization_endpoint=f"{provider.issuer}/authorize",
                token_endpoint=f"{provider.issuer}/token",
                jwks_uri=f"{provider.issuer}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
                scopes_supported=["openid", "profile"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            grant = server.get_consent_grant(end_user=provider.person)
            # grant_user None: the person cancelled at the eID's page (access_denied)
            return server.create_authorization_response(grant=grant, grant_user=provider.person)

        @app.post("/token")
        def token():
            return server.create_token_response()

        return app
