"""platform-admin tokens purge: expired credentials go, everything still usable stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from platform_api.db import utcnow
from platform_api.oauth.models import AuthorizationCode, Token
from platform_api.security import new_secret, secret_hash
from tests.factories.accounts import UserFactory
from tests.factories.base import current_session
from tests.factories.oauth import ClientFactory, make_public_client, make_token

from .helpers import audit_events

DAY = 24 * 3600


def expired_token(client, days_ago: float, *, refresh_days_ago: float | None = None, **kwargs):
    """A token whose access token expired `days_ago`; with a refresh token expiring `refresh_days_ago`
    (negative: still valid) if given."""
    if refresh_days_ago is not None:
        kwargs.update(refresh_token_hash=secret_hash(new_secret()),
                      refresh_expires_at=utcnow() - timedelta(days=refresh_days_ago))
    token, value = make_token(client, ttl=int(-days_ago * DAY), **kwargs)
    return token


def code(client, days_ago: float, *, used: bool = False) -> AuthorizationCode:
    now = utcnow()
    row = AuthorizationCode(
        code_hash=secret_hash(new_secret()), client_pk=client.id, user_id=UserFactory(member=client.member).id,
        redirect_uri=client.redirect_uris[0], scope="members:read", code_challenge="x" * 43,
        code_challenge_method="S256", created_at=now - timedelta(days=days_ago, minutes=10),
        expires_at=now - timedelta(days=days_ago), used_at=now if used else None,
    )
    s = current_session()
    s.add(row)
    s.flush()
    return row


@pytest.fixture
def credentials():
    """Rows on both sides of the default cutoff (7 days), named by what should become of them."""
    client, public = ClientFactory(), make_public_client()
    gone = {
        "access only, 8 days": expired_token(client, 8),
        "access and refresh, 30 days": expired_token(public, 40, refresh_days_ago=30),
        "revoked long ago": expired_token(client, 9, revoked_at=utcnow() - timedelta(days=20)),
    }
    kept = {
        "live": make_token(client)[0],
        "expired 6 days ago": expired_token(client, 6),
        "refresh still valid": expired_token(public, 40, refresh_days_ago=-3),
        "refresh expired 2 days ago": expired_token(public, 40, refresh_days_ago=2),
    }
    codes_gone = [code(public, 8).id, code(public, 8, used=True).id]
    codes_kept = [code(public, 1, used=True).id, code(public, -0.001).id]
    return ({name: t.id for name, t in gone.items()}, {name: t.id for name, t in kept.items()},
            codes_gone, codes_kept)


def ids(session, model) -> set[str]:
    return set(session.scalars(select(model.id)))


def test_purge_deletes_what_expired_before_the_cutoff_and_keeps_the_rest(cli, fresh, credentials):
    gone, kept, codes_gone, codes_kept = credentials
    before_tokens, before_codes = ids(fresh(), Token), ids(fresh(), AuthorizationCode)

    data = cli.json("tokens", "purge")

    assert (data["tokens"], data["authorization_codes"], data["dry_run"]) == (3, 2, False)
    session = fresh()
    assert ids(session, Token) == before_tokens - set(gone.values())
    assert set(kept.values()) <= ids(session, Token)
    assert ids(session, AuthorizationCode) == before_codes - set(codes_gone)
    assert set(codes_kept) <= ids(session, AuthorizationCode)
    [event] = audit_events(session, "tokens.purge")
    assert event.details == {"expired_before": data["expired_before"], "tokens": 3, "authorization_codes": 2,
                             "dpop_proofs": 0}

    assert cli.json("tokens", "purge")["tokens"] == 0  # nothing left to do


def test_dry_run_counts_the_same_rows_and_deletes_nothing(cli, fresh, credentials):
    before = ids(fresh(), Token), ids(fresh(), AuthorizationCode)
    data = cli.json("tokens", "purge", "--dry-run")
    assert (data["tokens"], data["authorization_codes"], data["dry_run"]) == (3, 2, True)
    assert (ids(fresh(), Token), ids(fresh(), AuthorizationCode)) == before
    assert audit_events(fresh(), "tokens.purge") == []
    assert "Would delete 3 tokens and 2 authorization codes" in cli.ok("tokens", "purge", "--dry-run").stdout


def test_keep_days_moves_the_cutoff(cli, fresh, credentials):
    gone, kept, _, _ = credentials
    data = cli.json("tokens", "purge", "--keep-days", "0")
    # now also: expired 6 days ago, refresh expired 2 days ago, and the code that expired a day ago
    assert (data["tokens"], data["authorization_codes"]) == (5, 3)
    assert ids(fresh(), Token) >= {kept["live"], kept["refresh still valid"]}


def test_small_batches_walk_the_whole_table(cli, fresh):
    client = ClientFactory()
    expired = {expired_token(client, 10).id for _ in range(7)}
    live = {make_token(client)[0].id for _ in range(3)}
    data = cli.json("tokens", "purge", "--batch-size", "2")
    assert data["tokens"] == 7
    assert not expired & ids(fresh(), Token) and live <= ids(fresh(), Token)


def test_tokens_kept_still_work_and_a_purged_refresh_token_is_refused(cli, client):
    live_client = ClientFactory(scopes=["members:read"])
    token, value = make_token(live_client)
    public = make_public_client()
    refresh = new_secret()
    make_token(public, ttl=-40 * DAY, refresh_token_hash=secret_hash(refresh),
               refresh_expires_at=utcnow() - timedelta(days=8))
    cli.ok("tokens", "purge")

    assert client.get("/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 200
    resp = client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh,
                                             "client_id": public.client_id})
    assert resp.status_code == 400 and resp.json["error"] == "invalid_grant"


@pytest.mark.parametrize(("args", "option"), [
    (["--keep-days", "-1"], "--keep-days"),
    (["--keep-days", "many"], "--keep-days"),
    (["--batch-size", "0"], "--batch-size"),
])
def test_bad_options_are_usage_errors(cli, fresh, credentials, args, option):
    before = ids(fresh(), Token)
    result = cli.fails(2, "tokens", "purge", *args)
    assert option in result.stderr
    assert ids(fresh(), Token) == before


def test_a_failure_midway_says_what_was_done(cli, fresh, monkeypatch):
    from platform_api.oauth import services

    client = ClientFactory()
    for _ in range(3):
        expired_token(client, 10)
    real = services.purge_expired

    def fails_after_first_batch(**kwargs):
        batches = real(**kwargs)
        yield next(batches)
        raise services.Conflict("the database went away")

    monkeypatch.setattr(services, "purge_expired", fails_after_first_batch)
    result = cli.fails(1, "tokens", "purge", "--batch-size", "2")
    assert "Stopped after deleting 2 tokens, 0 authorization codes" in result.stderr
    assert "the database went away" in result.stderr
    assert audit_events(fresh(), "tokens.purge") == []


def test_purge_deletes_used_dpop_proofs_once_they_are_too_old_whatever_the_cutoff(cli, fresh):
    from platform_api.oauth.models import DPoPProof

    s = current_session()
    s.add_all([DPoPProof(id="old" + "0" * 61, expires_at=utcnow() - timedelta(seconds=1)),
               DPoPProof(id="live" + "0" * 60, expires_at=utcnow() + timedelta(minutes=5))])
    s.flush()
    assert cli.json("tokens", "purge", "--dry-run")["dpop_proofs"] == 1
    data = cli.json("tokens", "purge", "--keep-days", "30")
    assert data["dpop_proofs"] == 1
    assert ids(fresh(), DPoPProof) == {"live" + "0" * 60}
