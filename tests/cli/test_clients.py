"""platform-admin clients: registration rules, secrets shown once and stored hashed, revocation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from platform_api.oauth.models import OAuthClient, Token
from platform_api.oauth.services import is_allowed_redirect_uri
from platform_api.security import secret_hash
from tests.factories.members import MemberFactory
from tests.factories.oauth import ClientFactory, make_client, make_public_client, make_token

from .helpers import audit_events, count

JSON_KEYS = {"client_id", "name", "type", "member_id", "grants", "scopes", "redirect_uris", "dpop"}


def add(cli, member_id: str, *args: str):
    return cli("clients", "add", "--member", member_id, "--name", "Tech Transfer Portal", *args)


def stored(session, client_id: str) -> OAuthClient:
    return session.scalars(select(OAuthClient).where(OAuthClient.client_id == client_id)).one()


def test_confidential_client_gets_a_secret_stored_only_as_a_hash(cli, fresh):
    member = MemberFactory()
    result = add(cli, member.id, "--type", "confidential", "--grant", "client_credentials",
                 "--scope", "members:read", "--scope", "technologies:read", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == JSON_KEYS | {"client_secret"}
    assert data["client_id"].startswith("cl_") and data["member_id"] == member.id
    assert (data["type"], data["grants"], data["scopes"], data["redirect_uris"]) == (
        "confidential", ["client_credentials"], ["members:read", "technologies:read"], [])
    assert "only this once" in result.stderr

    secret = data["client_secret"]
    row = fresh().execute(select(OAuthClient.__table__).where(OAuthClient.client_id == data["client_id"])).one()
    assert row.secret_hash == secret_hash(secret)
    assert all(secret not in json.dumps(value, default=str) for value in row)
    client = stored(fresh(), data["client_id"])
    assert client.check_client_secret(secret) and not client.check_client_secret(secret + "x")

    [event] = audit_events(fresh(), "clients.add")
    assert event.target_id == data["client_id"] and secret not in json.dumps(event.details)
    assert event.details["grants"] == ["client_credentials"]


def test_human_output_warns_the_secret_is_shown_once(cli, fresh):
    result = add(cli, MemberFactory().id, "--type", "confidential", "--grant", "client_credentials",
                 "--scope", "members:read")
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if line.startswith("client_"))
    assert "shown only this once" in result.stdout
    assert stored(fresh(), lines["client_id"].strip()).secret_hash == secret_hash(lines["client_secret"].strip())


def test_public_client_for_authorization_code_has_no_secret(cli, fresh):
    data = cli.json("clients", "add", "--member", MemberFactory().id, "--name", "Mobile app", "--type", "public",
                    "--grant", "authorization_code", "--grant", "refresh_token", "--scope", "members:read",
                    "--redirect-uri", "http://127.0.0.1:8765/callback", "--redirect-uri", "https://app.example/cb")
    assert "client_secret" not in data
    assert data["redirect_uris"] == ["http://127.0.0.1:8765/callback", "https://app.example/cb"]
    client = stored(fresh(), data["client_id"])
    assert client.secret_hash is None and client.client_type == "public"
    assert client.grant_types == ["authorization_code", "refresh_token"]


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (["--type", "confidential", "--grant", "implicit", "--scope", "members:read"], "--grant", "not supported"),
        (["--type", "confidential", "--grant", "password", "--scope", "members:read"], "--grant", "not supported"),
        (["--type", "confidential", "--grant", "device_code", "--scope", "members:read"], "--grant", "Unknown grant"),
        (["--type", "public", "--grant", "client_credentials", "--scope", "members:read"], "--grant",
         "public client cannot use client_credentials"),
        (["--type", "confidential", "--grant", "client_credentials", "--grant", "refresh_token",
          "--scope", "members:read"], "--grant", "refresh_token is only issued with authorization_code"),
        (["--type", "confidential", "--grant", "authorization_code", "--scope", "members:read"], "--redirect-uri",
         "needs at least one redirect URI"),
        (["--type", "confidential", "--grant", "client_credentials", "--scope", "members:read",
          "--redirect-uri", "https://app.example/cb"], "--redirect-uri", "only used by authorization_code"),
        (["--type", "confidential", "--grant", "client_credentials", "--scope", "admin"], "--scope", "Unknown scope"),
    ],
)
def test_forbidden_registrations_are_refused(cli, fresh, args, option, message):
    before = count(fresh(), OAuthClient)
    result = add(cli, MemberFactory().id, *args)
    assert result.exit_code == 2, result.output
    assert f"'{option}'" in result.stderr and message in result.stderr
    assert count(fresh(), OAuthClient) == before
    assert audit_events(fresh(), "clients.add") == []


BAD_URIS = [
    "http://app.example/callback",  # plain http off loopback
    "https://app.example/callback#done",  # fragment
    "https://app.example/callback#",
    "https://*.app.example/callback",  # wildcard
    "https://app.example/*",
    "/callback",  # relative
    "app.example/callback",
    "com.example.app:/callback",  # custom scheme
    "javascript:alert(1)",
    "https://user:pw@app.example/cb",  # user info
    "https:///callback",  # no host
    "https://app.example/call back",
    "https://app.example:99999/cb",  # bad port
    "http://127.0.0.2/cb",  # only the three loopback names
    "https://app.example/" + "a" * 2048,
    "",
]


@pytest.mark.parametrize("uri", BAD_URIS)
def test_bad_redirect_uris_are_refused(cli, fresh, uri):
    assert not is_allowed_redirect_uri(uri)
    result = add(cli, MemberFactory().id, "--type", "public", "--grant", "authorization_code",
                 "--scope", "members:read", "--redirect-uri", uri)
    assert result.exit_code == 2 and "'--redirect-uri'" in result.stderr
    assert count(fresh(), OAuthClient) == 0


@pytest.mark.parametrize("uri", [
    "https://app.example/callback",
    "https://app.example:8443/oauth/cb?tenant=cn",
    "http://127.0.0.1:9000/callback",
    "http://[::1]:9000/callback",
    "http://localhost/callback",
    "HTTPS://App.Example/cb",
])
def test_good_redirect_uris_are_allowed(uri):
    assert is_allowed_redirect_uri(uri)


@pytest.mark.parametrize("status", ["pending", "suspended", "terminated"])
def test_only_active_members_get_clients(cli, fresh, status):
    member = MemberFactory(status=status)
    result = add(cli, member.id, "--type", "confidential", "--grant", "client_credentials", "--scope", "members:read")
    assert result.exit_code == 1 and f"is {status}; only active members" in result.stderr
    assert count(fresh(), OAuthClient, OAuthClient.member_id == member.id) == 0


def test_unknown_member_is_refused(cli):
    result = add(cli, "nope", "--type", "confidential", "--grant", "client_credentials", "--scope", "members:read")
    assert result.exit_code == 1 and "No member with ID 'nope'" in result.stderr


def test_rotate_secret_replaces_the_old_one(cli, fresh):
    client, old = make_client()
    result = cli.ok("clients", "rotate-secret", client.client_id)
    new = next(line.split(": ", 1)[1] for line in result.stdout.splitlines() if line.startswith("client_secret"))
    assert "shown only this once" in result.stdout
    row = stored(fresh(), client.client_id)
    assert row.check_client_secret(new) and not row.check_client_secret(old)
    assert row.secret_rotated_at is not None
    [event] = audit_events(fresh(), "clients.rotate_secret")
    assert event.target_id == client.client_id and new not in json.dumps(event.details)

    data = cli.json("clients", "rotate-secret", client.client_id)
    assert set(data) == {"client_id", "client_secret", "secret_rotated_at"}
    assert stored(fresh(), client.client_id).check_client_secret(data["client_secret"])


def test_rotate_secret_refuses_public_revoked_and_unknown_clients(cli):
    assert "public" in cli.fails(1, "clients", "rotate-secret", make_public_client().client_id).stderr
    revoked, _ = make_client()
    cli.ok("clients", "revoke", revoked.client_id)
    assert "revoked" in cli.fails(1, "clients", "rotate-secret", revoked.client_id).stderr
    assert "No client with client_id 'cl_nope'" in cli.fails(1, "clients", "rotate-secret", "cl_nope").stderr
    assert "No client with client_id" in cli.fails(1, "clients", "revoke", "cl_\x00").stderr


def test_revoke_revokes_the_client_and_its_tokens_only(cli, fresh):
    client, _ = make_client()
    t1, _ = make_token(client)
    t2, _ = make_token(client)
    other, _ = make_token(ClientFactory(member=client.member))
    data = cli.json("clients", "revoke", client.client_id)
    assert data["revoked_tokens"] == 2 and data["revoked_at"] is not None
    s = fresh()
    assert stored(s, client.client_id).revoked_at is not None
    assert s.get(Token, t1.id).revoked_at and s.get(Token, t2.id).revoked_at
    assert s.get(Token, other.id).revoked_at is None
    [event] = audit_events(s, "clients.revoke")
    assert event.details == {"member_id": client.member_id, "revoked_tokens": 2}
    assert "already revoked" in cli.fails(1, "clients", "revoke", client.client_id).stderr


def test_list_never_shows_secrets(cli):
    client, secret = make_client()
    make_public_client(member=client.member)
    ClientFactory()
    text = cli.ok("clients", "list", "--member", client.member_id).stdout
    assert client.client_id in text and secret not in text and client.secret_hash not in text
    data = cli.json("clients", "list", "--member", client.member_id)
    assert len(data) == 2 and {c["type"] for c in data} == {"confidential", "public"}
    assert all(not {"client_secret", "secret_hash"} & set(c) for c in data)
    assert secret not in json.dumps(data) and client.secret_hash not in json.dumps(data)
    assert "No member with ID" in cli.fails(1, "clients", "list", "--member", "nope").stderr


def test_a_client_registered_for_dpop(cli, fresh):
    member = MemberFactory()
    result = add(cli, member.id, "--type", "confidential", "--grant", "client_credentials",
                 "--scope", "members:read", "--dpop", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["dpop"] is True
    assert stored(fresh(), data["client_id"]).dpop_bound_access_tokens is True
    [event] = audit_events(fresh(), "clients.add")
    assert event.details["dpop"] is True

    plain = add(cli, member.id, "--type", "confidential", "--grant", "client_credentials", "--scope", "members:read")
    assert "DPoP" not in plain.stdout
    client_id = next(line.split(":", 1)[1].strip() for line in plain.stdout.splitlines() if line.startswith("client_id"))
    assert stored(fresh(), client_id).dpop_bound_access_tokens is False
    human = add(cli, member.id, "--type", "confidential", "--grant", "client_credentials", "--scope", "members:read",
                "--dpop")
    assert "DPoP: every token request must carry a DPoP proof" in human.stdout
