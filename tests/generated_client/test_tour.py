"""The tour, driven by a Python client generated from openapi.yaml as it is (issue 14).

openapi-python-client writes a client from the current contract into a temporary folder; a live
gunicorn serves a committed database of its own; every API step goes through the generated
functions and models only (the admin steps through `platform-admin`, as an operator would), and
each answer must come back parsed as the type the contract promises: a listing as `Technology`,
a 412 as `Problem`, a 422 as `ValidationProblem` with its pointers, pages with typed items,
events as their variants.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from ..browser.live import committed_database
from ..concurrency.conftest import _start, _stop
from ..conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "ip_platform_client"  # the name README's command gives it


def _readme_snippet() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text[text.index("### Generate a client"):]
    block = re.search(r"```python\n(.*?)```", after, re.S).group(1)
    return textwrap.dedent(block)


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    """The client package generated from openapi.yaml, imported."""
    generator = Path(sys.executable).with_name("openapi-python-client")
    if not generator.exists():
        pytest.fail("openapi-python-client is not installed (scripts/bootstrap installs it)", pytrace=False)
    folder = tmp_path_factory.mktemp("generated")
    out = subprocess.run(
        [str(generator), "generate", "--path", str(ROOT / "openapi.yaml"), "--config",
         str(ROOT / "contract" / "openapi-python-client.yaml"), "--meta", "none", "--output-path",
         str(folder / PACKAGE), "--fail-on-warning"],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{generator.parent}{os.pathsep}{os.environ.get('PATH', '')}"},  # its ruff
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "warning" not in (out.stdout + out.stderr).lower(), out.stdout + out.stderr
    sys.path.insert(0, str(folder))
    try:
        def load(name: str):
            return importlib.import_module(f"{PACKAGE}.{name}")

        yield load
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _admin(env: dict, *args: str, stdin: str | None = None):
    out = subprocess.run([str(Path(sys.executable).with_name("platform-admin")), *args], env=env, input=stdin,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"platform-admin {' '.join(args)}:\n{out.stdout}{out.stderr}"
    return json.loads(out.stdout) if "--json" in args else out.stdout


@pytest.fixture(scope="module")
def live(database_url, tmp_path_factory):
    """gunicorn on a database of its own, with three members and their clients made by platform-admin."""
    folder = tmp_path_factory.mktemp("generated-live")
    instance = folder / "instance"
    instance.mkdir()
    with committed_database(database_url, "genclient") as url:
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": TEST_SECRET, "PLATFORM_ENV": "test",
               "PLATFORM_INSTANCE_PATH": str(instance)}
        env.pop("PLATFORM_REDIS_URL", None)

        def member(name, kind, country):
            made = _admin(env, "members", "add", "--name", name, "--kind", kind, "--country", country, "--json")
            _admin(env, "members", "approve", made["id"])
            return made["id"]

        def client(member_id, *scopes):
            args = [a for s in scopes for a in ("--scope", s)]
            made = _admin(env, "clients", "add", "--member", member_id, "--name", f"generated {uuid.uuid4().hex[:6]}",
                          "--type", "confidential", "--grant", "client_credentials", *args, "--json")
            return made["client_id"], made["client_secret"]

        uni = member("Huaxia University TTO", "university", "CN")
        fund = member("Yangtze Hard-Tech Fund", "investor", "CN")
        centre = member("Greater Bay Arbitration and Mediation Centre", "adr_institution", "CN")
        creds = SimpleNamespace(
            uni=client(uni, "technologies:read", "technologies:write", "matches:read", "matches:write",
                       "referrals:read", "referrals:write", "events:read"),
            fund=client(fund, "technologies:read", "investors:read", "investors:write", "matches:read", "matches:write"),
            centre=client(centre, "referrals:read", "referrals:write"),
        )
        proc, port = _start(url, instance, folder / "gunicorn.log", workers=2)
        try:
            yield SimpleNamespace(url=f"http://127.0.0.1:{port}", env=env, creds=creds, centre=centre,
                                  admin=lambda *a: _admin(env, *a))
        finally:
            _stop(proc, port)


def test_the_tour_with_only_the_generated_client(gen, live):
    client_mod = gen("client")
    models = gen("models")
    issue_token = gen("api.oauth.issue_token")

    def token_for(creds) -> str:
        basic = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
        oauth = client_mod.AuthenticatedClient(base_url=live.url, token=basic, prefix="Basic")
        resp = issue_token.sync_detailed(client=oauth, body=models.TokenRequest.from_dict({"grant_type": "client_credentials"}))
        assert resp.status_code == 200 and isinstance(resp.parsed, models.TokenResponse), resp.content
        return resp.parsed.access_token

    uni = client_mod.AuthenticatedClient(base_url=live.url, token=token_for(live.creds.uni))
    fund = client_mod.AuthenticatedClient(base_url=live.url, token=token_for(live.creds.fund))
    centre = client_mod.AuthenticatedClient(base_url=live.url, token=token_for(live.creds.centre))

    # A wrong secret: the token endpoint's own error document, typed.
    wrong = client_mod.AuthenticatedClient(
        base_url=live.url, token=base64.b64encode(f"{live.creds.uni[0]}:wrong".encode()).decode(), prefix="Basic")
    refused = issue_token.sync_detailed(client=wrong, body=models.TokenRequest.from_dict({"grant_type": "client_credentials"}))
    assert refused.status_code == 401 and isinstance(refused.parsed, models.OAuthError)
    assert refused.parsed.error == "invalid_client"

    # A listing, created with an Idempotency-Key; the replay gives the same listing.
    technologies = SimpleNamespace(**{n: gen(f"api.technologies.{n}") for n in (
        "create_technology", "get_technology", "update_technology", "submit_technology", "list_technologies")})
    listing = {
        "title": {"zh": "钠离子电池层状氧化物正极材料", "en": "Layered oxide cathode for sodium-ion batteries"},
        "summary": {"en": "An air-stable Cu-Fe-Mn layered oxide cathode: 130 mAh/g, 90% capacity after 2,000 cycles."},
        "keywords": ["钠离子电池", "sodium-ion battery"], "field": "new_energy", "ipc": ["H01M 4/525"], "trl": 5,
        "deal_types": ["exclusive_license", "equity_investment"],
        "asking_price": {"amount": "5000000.00", "currency": "CNY"}, "origin_country": "CN",
    }
    body = models.TechnologyCreate.from_dict(listing)
    created = technologies.create_technology.sync_detailed(client=uni, body=body, idempotency_key="gen-listing-1")
    assert created.status_code == 201 and isinstance(created.parsed, models.Technology), created.content
    tech = created.parsed
    again = technologies.create_technology.sync_detailed(client=uni, body=body, idempotency_key="gen-listing-1")
    assert again.status_code == 201 and again.parsed.id == tech.id
    assert again.headers.get("Idempotent-Replayed") == "true"

    # If-Match: the ETag of the last read makes the change; a stale one is a typed 412.
    read = technologies.get_technology.sync_detailed(tech.id, client=uni)
    etag = read.headers["ETag"]
    changed = technologies.update_technology.sync_detailed(
        tech.id, client=uni, body=models.TechnologyPatch.from_dict({"trl": 6}), if_match=etag)
    assert changed.status_code == 200 and changed.parsed.trl == 6, changed.content
    stale = technologies.update_technology.sync_detailed(
        tech.id, client=uni, body=models.TechnologyPatch.from_dict({"trl": 7}), if_match=etag)
    assert stale.status_code == 412 and isinstance(stale.parsed, models.Problem) and stale.parsed.status == 412

    # A 422 parsed as ValidationProblem, one pointer per problem.
    bad = models.TechnologyCreate.from_dict({**listing, "trl": 12, "title": {"en": ""}})
    invalid = technologies.create_technology.sync_detailed(client=uni, body=bad)
    assert invalid.status_code == 422 and isinstance(invalid.parsed, models.ValidationProblem), invalid.content
    assert {e.pointer for e in invalid.parsed.errors} >= {"/trl", "/title/en"}

    # Submit; staff approve from the command line; the fund finds it by search, a page at a time.
    submitted = technologies.submit_technology.sync_detailed(tech.id, client=uni)
    assert submitted.status_code == 200 and str(submitted.parsed.status) == "submitted"
    live.admin("technologies", "approve", tech.id, "--note", "Patent family checked.")
    for i in range(3):  # more published listings of the same field, to page through
        extra = dict(listing, title={"en": f"Sodium-ion anode binder {i}"}, ipc=[])
        made = technologies.create_technology.sync_detailed(client=uni, body=models.TechnologyCreate.from_dict(extra))
        technologies.submit_technology.sync_detailed(made.parsed.id, client=uni)
        live.admin("technologies", "approve", made.parsed.id)
    found = technologies.list_technologies.sync_detailed(client=fund, q="钠离子", trl_min=4)
    assert found.status_code == 200 and isinstance(found.parsed, models.TechnologyPage)
    assert [t.id for t in found.parsed.data][:1] == [tech.id] and isinstance(found.parsed.data[0], models.Technology)
    seen, cursor = [], None
    while True:
        page = technologies.list_technologies.sync_detailed(
            client=fund, field=models.TechnologyField("new_energy"), limit=2, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.content
        seen += [t.id for t in page.parsed.data]
        cursor = page.parsed.next_cursor
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 4
    forged = technologies.list_technologies.sync_detailed(client=fund, cursor="bm90LWEtY3Vyc29y")
    assert forged.status_code == 400 and isinstance(forged.parsed, models.Problem) and forged.parsed.status == 400

    # An investor profile and the listings suggested for it, each with its explained factors.
    investors = gen("api.investors.create_investor_profile")
    suggest = gen("api.matches.suggest_technologies")
    profile = investors.sync_detailed(client=fund, idempotency_key="gen-profile-1", body=models.InvestorProfileCreate.from_dict({
        "name": "Energy storage", "fields": ["new_energy"], "trl_min": 4, "trl_max": 7,
        "ticket_min": {"amount": "1000000.00", "currency": "CNY"}, "ticket_max": {"amount": "10000000.00", "currency": "CNY"},
        "countries": ["CN"], "deal_types": ["exclusive_license", "equity_investment"], "keywords": ["钠离子电池"]}))
    assert profile.status_code == 201 and isinstance(profile.parsed, models.InvestorProfile), profile.content
    suggested = suggest.sync_detailed(profile.parsed.id, client=fund, limit=10)
    assert suggested.status_code == 200, suggested.content
    assert tech.id in [s.technology.id for s in suggested.parsed.data]
    for item in suggested.parsed.data:
        assert isinstance(item.technology, models.Technology) and item.factors and all(f.reason for f in item.factors)

    # A match, from proposal to a closed deal.
    matches = SimpleNamespace(**{n: gen(f"api.matches.{n}") for n in ("propose_match", "accept_match", "close_match")})
    proposed = matches.propose_match.sync_detailed(client=fund, idempotency_key="gen-match-1", body=models.MatchCreate.from_dict(
        {"technology_id": tech.id, "investor_profile_id": profile.parsed.id, "message": "Can we talk?"}))
    assert proposed.status_code == 201 and isinstance(proposed.parsed, models.Match), proposed.content
    accepted = matches.accept_match.sync_detailed(proposed.parsed.id, client=uni)
    assert accepted.status_code == 200 and str(accepted.parsed.status) == "accepted", accepted.content
    closed = matches.close_match.sync_detailed(proposed.parsed.id, client=uni, body=models.MatchCloseDeal.from_dict({
        "outcome": "deal_closed", "deal_type": "exclusive_license",
        "amount": {"amount": "4200000.00", "currency": "CNY"}, "signed_on": date.today().isoformat()}))
    assert closed.status_code == 200 and str(closed.parsed.status) == "deal_closed", closed.content

    # A referral to the centre, which acknowledges it; the timeline's events are typed variants.
    referrals = SimpleNamespace(**{n: gen(f"api.referrals.{n}") for n in (
        "create_referral", "create_referral_event", "get_referral", "list_referral_events")})
    referral = referrals.create_referral.sync_detailed(client=uni, idempotency_key="gen-referral-1",
                                                       body=models.ReferralCreate.from_dict({
        "procedure": "mediation", "basis": "agreement", "dispute_type": "licence", "ip_kinds": ["invention_patent"],
        "institution_id": live.centre, "respondent": {"name": "Example Battery GmbH", "country": "DE"},
        "language": "en", "summary": "Royalties under the 2024 licence are unpaid."}))
    assert referral.status_code == 201 and isinstance(referral.parsed, models.Referral), referral.content
    ack = referrals.create_referral_event.sync_detailed(
        referral.parsed.id, client=centre, idempotency_key="gen-ack-1",
        body=models.NewReferralEventAcknowledged.from_dict({"type": "acknowledged", "case_number": "GBIP-M-2026-0101"}))
    assert ack.status_code == 201 and isinstance(ack.parsed, models.ReferralEventAcknowledged), ack.content
    assert str(referrals.get_referral.sync_detailed(referral.parsed.id, client=uni).parsed.status) == "acknowledged"
    timeline = referrals.list_referral_events.sync_detailed(referral.parsed.id, client=uni)
    assert timeline.status_code == 200 and [str(e.type_) for e in timeline.parsed.data][-1] == "acknowledged"

    # The university's event stream, filtered by a prefix; each event parsed as its variant.
    list_events = gen("api.events.list_events")
    get_event = gen("api.events.get_event")
    stream = list_events.sync_detailed(client=uni, type_="match.*")
    assert stream.status_code == 200, stream.content
    types = [str(e.type_) for e in stream.parsed.data]
    assert types == ["match.proposed", "match.accepted", "match.closed"]
    assert all(isinstance(e, models.MatchEvent) for e in stream.parsed.data)
    one = get_event.sync_detailed(stream.parsed.data[-1].id, client=uni)
    assert one.status_code == 200 and str(one.parsed.type_) == "match.closed"


def test_readmes_generated_client_snippet_runs_as_written(gen, live, monkeypatch, capsys):
    gen("client")  # the package is importable under README's name
    monkeypatch.setenv("PLATFORM_URL", live.url)
    monkeypatch.setenv("CLIENT_ID", live.creds.fund[0])
    monkeypatch.setenv("CLIENT_SECRET", live.creds.fund[1])
    exec(compile(_readme_snippet(), "README.md (Generate a client)", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out.splitlines()
    assert out and out[-1].startswith("400 /problems/") and "limit" in out[-1], out
