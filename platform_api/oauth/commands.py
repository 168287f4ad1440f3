"""platform-admin clients: register OAuth clients, rotate their secrets, revoke them; tokens: purge."""

from __future__ import annotations

from datetime import timedelta

import click

from ..api.schemas import rfc3339
from ..audit.services import record
from ..cli import AdminContext, AdminError, AdminGroup, emit, json_option, note, pass_admin, table
from ..config import DEFAULT_SCOPES
from ..db import utcnow
from ..members.commands import get_member
from . import services
from .models import CLIENT_TYPES, GRANT_TYPES, OAuthClient
from .representations import client_admin

ONCE = "Store the secret now: it is shown only this once and cannot be recovered (only its hash is kept)."


@click.group(cls=AdminGroup)
def clients() -> None:
    """OAuth clients: the apps of members."""


def get_client(session, client_id: str) -> OAuthClient:
    """The client with this client_id, or exit 1 saying there is none."""
    client = services.get_client_by_client_id(session=session, client_id=client_id)
    if client is None:
        raise AdminError(f"No client with client_id {client_id!r}.")
    return client


@clients.command("add")
@click.option("--member", "member_id", required=True, metavar="ID", help="The active member that owns the app.")
@click.option("--name", required=True, help="The app's name, shown to people on the consent page.")
@click.option("--type", "client_type", required=True, type=click.Choice(CLIENT_TYPES),
              help="confidential (a server that keeps a secret) or public (browser or native app, PKCE only).")
@click.option("--grant", "grants", multiple=True, required=True, metavar="GRANT",
              help=f"Repeatable. One of: {', '.join(GRANT_TYPES)}.")
@click.option("--scope", "scopes", multiple=True, required=True, metavar="SCOPE",
              help=f"Repeatable. Among: {', '.join(DEFAULT_SCOPES)}.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, metavar="URI",
              help="Repeatable; needed by authorization_code. https, or http on 127.0.0.1, [::1] or localhost; "
                   "exact (no wildcards), no fragment.")
@click.option("--dpop", "dpop", is_flag=True,
              help="Sender-constrained tokens (RFC 9449): every token request must carry a DPoP proof, and "
                   "every token is bound to the client's key (docs/dpop.md). Without it, a client may still "
                   "send proofs and get DPoP-bound tokens; if it sends none it gets bearer tokens.")
@json_option
@pass_admin
def add(admin: AdminContext, member_id, name, client_type, grants, scopes, redirect_uris, dpop: bool,
        as_json: bool) -> None:
    """Register an OAuth client (secret printed once)."""
    with admin.transaction() as session:
        member = get_member(session, member_id)
        client, secret = services.create_client(
            session=session, member=member, name=name, client_type=client_type,
            grant_types=list(grants), scopes=list(scopes), redirect_uris=list(redirect_uris), dpop=dpop,
        )
        record(session=session, action="clients.add", target_type="oauth_client", target_id=client.client_id,
               details={"name": client.name, "type": client.client_type, "member_id": member.id,
                        "grants": client.grant_types, "scopes": client.scopes,
                        "redirect_uris": client.redirect_uris, "dpop": client.dpop_bound_access_tokens})
        view = client_admin(client)
    data = {"client_id": client.client_id}
    if secret:
        data["client_secret"] = secret
    data.update({k: view[k] for k in ("name", "type", "member_id", "grants", "scopes", "redirect_uris", "dpop")})
    if as_json:
        if secret:
            note(ONCE)
        emit(True, data)
        return
    lines = [f"Registered {client_type} client {client.name!r} for member {member.id} ({member.name}).",
             f"client_id:     {client.client_id}"]
    if secret:
        lines += [f"client_secret: {secret}", "", ONCE]
    else:
        lines += ["(public client: no secret; it must use PKCE with S256)"]
    if client.dpop_bound_access_tokens:
        lines += ["(DPoP: every token request must carry a DPoP proof; see docs/dpop.md)"]
    emit(False, data, "\n".join(lines))


@clients.command("rotate-secret")
@click.argument("client_id")
@json_option
@pass_admin
def rotate_secret(admin: AdminContext, client_id: str, as_json: bool) -> None:
    """Replace a client's secret (printed once)."""
    with admin.transaction() as session:
        client = get_client(session, client_id)
        secret = services.rotate_secret(session=session, client=client)
        record(session=session, action="clients.rotate_secret", target_type="oauth_client",
               target_id=client.client_id, details={"member_id": client.member_id})
    if as_json:
        note(ONCE)
        emit(True, {"client_id": client.client_id, "client_secret": secret,
                    "secret_rotated_at": rfc3339(client.secret_rotated_at)})
        return
    emit(False, None, "\n".join([f"New secret for client {client.client_id} ({client.name}); "
                                 "the old secret no longer works.",
                                 f"client_secret: {secret}", "", ONCE]))


@clients.command("revoke")
@click.argument("client_id")
@json_option
@pass_admin
def revoke(admin: AdminContext, client_id: str, as_json: bool) -> None:
    """Revoke a client and all its tokens, for good."""
    with admin.transaction() as session:
        client = get_client(session, client_id)
        revoked = services.revoke_client(session=session, client=client)
        record(session=session, action="clients.revoke", target_type="oauth_client", target_id=client.client_id,
               details={"member_id": client.member_id, "revoked_tokens": revoked})
        view = {**client_admin(client), "revoked_tokens": revoked}
    emit(as_json, view, f"Revoked client {client.client_id} ({client.name}); revoked tokens: {revoked}.")


@clients.command("list")
@click.option("--member", "member_id", metavar="ID", help="Only the clients of this member.")
@json_option
@pass_admin
def list_clients(admin: AdminContext, member_id: str | None, as_json: bool) -> None:
    """List clients, oldest first (no secrets)."""
    with admin.transaction(write=False) as session:
        if member_id:
            get_member(session, member_id)
        views = [client_admin(c) for c in services.get_all(session=session, member_id=member_id)]
    text = table(
        ("client_id", "name", "type", "member_id", "grants", "status"),
        [(v["client_id"], v["name"], v["type"], v["member_id"], " ".join(v["grants"]),
          "revoked" if v["revoked_at"] else "active") for v in views],
    ) if views else "No clients."
    emit(as_json, views, text)


@click.group(cls=AdminGroup)
def tokens() -> None:
    """Issued tokens and authorization codes (stored only as hashes)."""


@tokens.command("purge")
@click.option("--keep-days", type=click.IntRange(0, 3650), default=7, show_default=True,
              help="Keep credentials for this many days after they expired.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=2000, show_default=True,
              help="Rows deleted per transaction.")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@json_option
@pass_admin
def purge(admin: AdminContext, keep_days: int, batch_size: int, dry_run: bool, as_json: bool) -> None:
    """Delete tokens and authorization codes that expired more than --keep-days ago.

    Nothing can use them any more. Run it regularly (from cron, say): every client-credentials
    request stores a token, and without a purge the table only grows. Tokens whose refresh token
    is still valid stay, so that a replayed refresh token still revokes its family. The records
    of used DPoP proofs go as soon as the proofs are too old to be accepted (six minutes).
    """
    cutoff = utcnow() - timedelta(days=keep_days)
    if dry_run:
        with admin.transaction(write=False) as session:
            counts = services.count_purgeable(session=session, cutoff=cutoff)
    else:
        counts = {"tokens": 0, "authorization_codes": 0, "dpop_proofs": 0}
        try:
            for kind, deleted in services.purge_expired(
                transaction=admin.transaction, cutoff=cutoff, batch_size=batch_size
            ):
                counts[kind] += deleted
        except Exception:
            done = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())
            note(f"Stopped after deleting {done}; running the command again finishes the purge.")
            raise
        with admin.transaction() as session:
            record(session=session, action="tokens.purge", target_type="database", target_id=None,
                   details={"expired_before": rfc3339(cutoff), **counts})
    data = {"expired_before": rfc3339(cutoff), "dry_run": dry_run, **counts}
    verb = "Would delete" if dry_run else "Deleted"
    emit(as_json, data, f"{verb} {counts['tokens']} tokens and {counts['authorization_codes']} authorization "
                        f"codes that expired before {rfc3339(cutoff)}.")
