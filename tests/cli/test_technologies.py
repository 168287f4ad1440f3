"""platform-admin technologies: the review queue, approve and reject (races included), show, list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update
from sqlalchemy.orm.exc import StaleDataError

from platform_api.audit.models import AuditEvent
from platform_api.events.models import Event
from platform_api.admin import main
from platform_api.cli import AdminContext
from platform_api.db import get_db, new_id, utcnow
from platform_api.members.models import Member
from platform_api.technologies import services
from platform_api.technologies.models import Technology
from tests.factories.base import current_session
from tests.factories.members import MemberFactory
from tests.factories.oauth import ClientFactory, make_token
from tests.factories.technologies import make_technology

from .helpers import audit_events

COMMANDS = ["review-queue", "approve", "reject", "show", "list", "import"]


def submitted(owner=None, minutes_ago: int = 0, **kwargs) -> Technology:
    tech = make_technology(owner, status="submitted", **kwargs)
    tech.submitted_at = utcnow() - timedelta(minutes=minutes_ago)
    tech.published_at = None
    current_session().flush()
    return tech


def owner_headers(member) -> dict:
    _token, value = make_token(ClientFactory(member=member), scopes=["technologies:read"])
    return {"Authorization": f"Bearer {value}"}


# --- help -------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself(cli, command):
    result = cli.ok("technologies", command, "--help")
    assert result.stdout.startswith(f"Usage: platform-admin technologies {command}")
    assert "--json" in result.stdout


def test_import_help_documents_both_formats(cli):
    text = cli.ok("technologies", "import", "--help").stdout
    for words in (".jsonl", ".csv", "title_<lang>", "price_amount", "kind|office|number|status", "line N: /pointer",
                  "--publish", "--owner", "1000"):
        assert words in text


# --- review queue -----------------------------------------------------------------------------


def test_review_queue_oldest_submission_first_with_overseas_owners_flagged(cli, db_session):
    home = MemberFactory(name="浙江大学", country="CN")
    abroad = MemberFactory(name="Fraunhofer-Gesellschaft", country="DE")
    newest = submitted(home, 5, title={"en": "Sodium-ion battery hard-carbon anode"})
    oldest = submitted(abroad, 90, title={"de": "Verfahren zur Herstellung sulfidischer Festkörperelektrolyte"})
    middle = submitted(home, 30, title={"zh": "半导体光刻胶配方", "fr": "Formulation de résine photosensible"})
    make_technology(home, status="draft")
    make_technology(home, status="published")
    db_session.flush()

    data = cli.json("technologies", "review-queue")
    assert [t["id"] for t in data] == [oldest.id, middle.id, newest.id]
    assert [t["owner"]["overseas"] for t in data] == [True, False, False]
    assert {t["status"] for t in data} == {"submitted"} and "allowed_actions" not in data[0]
    assert data[0]["submitted_at"] and data[0]["review_note"] is None

    lines = cli.ok("technologies", "review-queue").stdout.splitlines()
    assert lines[0].split() == ["id", "owner", "country", "overseas", "field", "trl", "submitted", "(UTC)", "title"]
    rows = lines[2:]
    assert [r.split()[0] for r in rows] == [oldest.id, middle.id, newest.id]
    assert "Fraunhofer-Gesellschaft  DE       yes" in rows[0]
    assert " yes " not in rows[1] and " yes " not in rows[2]
    assert rows[0].endswith("Verfahren zur Herstellung sulfidischer Fest…")  # no en/zh: the owner's language
    assert rows[1].endswith("半导体光刻胶配方")  # zh before any other language but en
    assert rows[2].endswith("Sodium-ion battery hard-carbon anode")


def test_overseas_means_not_the_configured_home_country(make_app, db_session):
    from .helpers import Cli

    french = submitted(MemberFactory(country="FR"))
    chinese = submitted(MemberFactory(country="CN"))
    db_session.flush()
    data = Cli(make_app(home_country="FR")).json("technologies", "review-queue")
    flags = {t["id"]: t["owner"]["overseas"] for t in data}
    assert flags[french.id] is False and flags[chinese.id] is True


def test_an_empty_queue_says_so(cli):
    assert cli.ok("technologies", "review-queue").stdout.strip() == "No listings awaiting review."
    assert cli.json("technologies", "review-queue") == []


# --- approve and reject -----------------------------------------------------------------------


def test_approve_publishes_and_records_the_decision(cli, fresh):
    tech = submitted(title={"en": "Solid-state lithium battery electrolyte"})
    result = cli.ok("technologies", "approve", tech.id, "--note", "Welcome to the platform.")
    assert result.stdout.strip() == f"Approved listing {tech.id} (Solid-state lithium battery electrolyte): published."
    stored = fresh().get(Technology, tech.id)
    assert stored.status == "published" and stored.published_at is not None
    assert stored.review_note == "Welcome to the platform."
    [event] = audit_events(fresh(), "technologies.approve")
    assert event.target_type == "technology" and event.target_id == tech.id
    assert event.details == {"from": "submitted", "to": "published", "owner_id": tech.owner_id,
                             "note": "Welcome to the platform."}


def test_approve_json_is_the_full_listing(cli):
    tech = submitted()
    data = cli.json("technologies", "approve", tech.id)
    assert data["id"] == tech.id and data["status"] == "published" and data["published_at"]
    assert data["review_note"] is None and data["owner"]["id"] == tech.owner_id
    assert {"title", "summary", "ip_rights", "asking_price", "submitted_at", "created_by_client_id"} <= set(data)


def test_reject_stores_the_reason_for_the_owner_to_see(cli, fresh, client):
    owner = MemberFactory()
    tech = submitted(owner)
    reason = "The CN patent number does not match the title; please attach the granted claims."
    result = cli.ok("technologies", "reject", tech.id, "--reason", f"  {reason}  ")
    assert result.stdout.startswith(f"Rejected listing {tech.id} (")
    stored = fresh().get(Technology, tech.id)
    assert (stored.status, stored.review_note, stored.published_at) == ("rejected", reason, None)
    [event] = audit_events(fresh(), "technologies.reject")
    assert event.details == {"from": "submitted", "to": "rejected", "owner_id": owner.id, "reason": reason}
    seen = client.get(f"/v1/technologies/{tech.id}", headers=owner_headers(owner))
    assert seen.status_code == 200 and seen.json["review_note"] == reason and seen.json["status"] == "rejected"


def test_reject_needs_a_reason_that_is_not_blank(cli, fresh):
    tech = submitted()
    result = cli("technologies", "reject", tech.id)
    assert result.exit_code == 2 and "--reason" in result.stderr
    for blank in ("", "   ", "\t"):
        result = cli("technologies", "reject", tech.id, "--reason", blank)
        assert result.exit_code == 2 and "blank" in result.stderr, result.stderr
    result = cli("technologies", "reject", tech.id, "--reason", "x" * 2001)
    assert result.exit_code == 2 and "at most 2000" in result.stderr
    assert fresh().get(Technology, tech.id).status == "submitted"
    assert audit_events(fresh(), "technologies.reject") == []


@pytest.mark.parametrize("command", [["approve"], ["reject", "--reason", "No."], ["show"]])
def test_unknown_ids_are_refused(cli, command):
    for missing in (new_id(), "no-such-id", "abc\x00"):
        result = cli.fails(1, "technologies", command[0], missing, *command[1:])
        assert "No technology listing with ID" in result.stderr


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("published", "is already published (it was reviewed before); nothing was changed."),
        ("rejected", "is already rejected (it was reviewed before); nothing was changed."),
        ("withdrawn", "was already reviewed: published, since withdrawn by its owner; nothing was changed."),
        ("transacted", "was already reviewed: published, since transacted; nothing was changed."),
        ("draft", "is a draft: its owner has not submitted it for review"),
    ],
)
@pytest.mark.parametrize("action", [["approve"], ["reject", "--reason", "Incomplete."]])
def test_only_submitted_listings_can_be_reviewed(cli, fresh, status, message, action):
    tech = make_technology(status=status)
    before = (tech.status, tech.review_note, tech.version)
    result = cli.fails(1, "technologies", *action[:1], tech.id, *action[1:])
    assert f"Listing {tech.id} {message}" in result.stderr
    stored = fresh().get(Technology, tech.id)
    assert (stored.status, stored.review_note, stored.version) == before
    assert audit_events(fresh(), f"technologies.{action[0]}") == []


def test_a_second_approval_is_told_it_already_happened(cli, fresh):
    tech = submitted()
    cli.ok("technologies", "approve", tech.id)
    result = cli.fails(1, "technologies", "approve", tech.id)
    assert "already published" in result.stderr
    assert len(audit_events(fresh(), "technologies.approve")) == 1


def test_a_listing_of_a_suspended_member_is_not_published(cli, fresh):
    owner = MemberFactory()
    tech = submitted(owner)
    owner.status = "suspended"
    current_session().flush()
    result = cli.fails(1, "technologies", "approve", tech.id)
    assert "is suspended; only an active member's listing can be published" in result.stderr
    assert fresh().get(Technology, tech.id).status == "submitted"
    cli.ok("technologies", "reject", tech.id, "--reason", "The owner's membership is suspended.")


def test_the_audit_event_is_part_of_the_decision(cli, fresh, monkeypatch):
    """If the audit record cannot be written, the listing is not published either."""
    from platform_api.technologies import commands

    tech = submitted()

    def broken(**_kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(commands, "record", broken)
    with pytest.raises(RuntimeError):
        cli("technologies", "approve", tech.id)
    assert fresh().get(Technology, tech.id).status == "submitted"


# --- two reviewers at once ------------------------------------------------------------------


def test_service_level_the_later_of_two_reviewers_fails_on_the_version(app):
    """What the command relies on: a decision based on a stale read updates no row."""
    maker = get_db(app).sessionmaker
    tech_id = submitted().id
    first, second = maker(), maker()
    try:
        slow = second.get(Technology, tech_id)  # reviewer 2 opens the listing...
        fast = first.get(Technology, tech_id)  # ...reviewer 1 too, decides and commits
        services.transition(session=first, tech=fast, action="approve")
        first.commit()
        assert slow.status == "submitted" and slow.version < fast.version
        with pytest.raises(StaleDataError):
            services.transition(session=second, tech=slow, action="reject", note="Too late.")
    finally:
        second.rollback()
        first.close()
        second.close()


def test_a_concurrent_decision_makes_the_command_say_someone_else_reviewed_it(cli, fresh, monkeypatch):
    """Reviewer 2's decision commits between our read of the listing and our write."""
    tech = submitted()
    real = services.transition

    def after_someone_else_decided(*, session, tech, **kwargs):
        table = Technology.__table__  # plain SQL, as another connection would: our loaded object stays stale
        session.execute(update(table).where(table.c.id == tech.id)
                        .values(status="published", published_at=utcnow(), version=table.c.version + 1))
        return real(session=session, tech=tech, **kwargs)

    monkeypatch.setattr(services, "transition", after_someone_else_decided)
    result = cli.fails(1, "technologies", "approve", tech.id, "--json")
    assert f"Listing {tech.id} was already reviewed by someone else in the meantime; nothing was written." in result.stderr
    assert audit_events(fresh(), "technologies.approve") == []
    result = cli.fails(1, "technologies", "reject", tech.id, "--reason", "Duplicate.")
    assert "already reviewed by someone else" in result.stderr


def test_two_reviewers_really_at_once_on_postgresql(settings_overrides, is_postgres, monkeypatch):
    """Two committed transactions on separate connections: one publishes, the other is told."""
    if not is_postgres:
        pytest.skip("SQLite writers take the database lock at BEGIN IMMEDIATE: the second reviewer waits "
                    "and then sees 'already published' (test_a_second_approval_is_told_it_already_happened)")
    from platform_api import create_app

    real_app = create_app(dict(settings_overrides))  # its own engine: these commits are real
    maker = get_db(real_app).sessionmaker
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, list(args), obj=AdminContext(app=real_app), catch_exceptions=False)

    with maker() as s:
        owner = Member(name="Race Test University", kind="university", country="CN", status="active")
        s.add(owner)
        s.flush()
        tech = make_listing(s, owner)
        s.commit()
    outcomes, real = [], services.transition

    def interleaved(**kwargs):
        if not outcomes:  # reviewer 1 has read the listing; reviewer 2 decides and commits now
            outcomes.append(None)
            outcomes[0] = run("technologies", "approve", tech.id)
        return real(**kwargs)

    monkeypatch.setattr(services, "transition", interleaved)
    try:
        first = run("technologies", "approve", tech.id, "--note", "Looks good.")
        second = outcomes[0]
        assert second.exit_code == 0 and second.stdout.startswith(f"Approved listing {tech.id}")
        assert first.exit_code == 1
        assert "already reviewed by someone else" in first.stderr
        with maker() as s:
            stored = s.get(Technology, tech.id)
            assert (stored.status, stored.review_note) == ("published", None)  # reviewer 2 gave no note
            approvals = s.scalars(select(AuditEvent).where(AuditEvent.target_id == tech.id)).all()
            assert [e.action for e in approvals] == ["technologies.approve"]
    finally:
        with maker() as s:
            s.execute(delete(AuditEvent).where(AuditEvent.target_id == tech.id))
            services.remove(session=s, tech=_as_draft(s, tech.id))
            s.commit()  # writes its events: they go next, with the member they were for
            s.execute(delete(Event).where(Event.object_id == tech.id))
            s.execute(delete(Member).where(Member.id == owner.id))
            s.commit()
        get_db(real_app).dispose()


def make_listing(session, owner) -> Technology:
    from platform_api.technologies.schemas import TechnologyCreateSchema
    from tests.factories.technologies import technology_body

    tech = services.create(session=session, owner=owner, data=TechnologyCreateSchema().load(technology_body()))
    services.transition(session=session, tech=tech, action="submit")
    return tech


def _as_draft(session, tech_id: str) -> Technology:
    tech = session.get(Technology, tech_id)
    tech.status = "draft"
    session.flush()
    return tech


# --- show and list ----------------------------------------------------------------------------


def test_show_prints_everything_including_the_review_note(cli):
    tech = make_technology(status="rejected", title={"en": "Graphene heat-dissipation film", "zh": "石墨烯散热膜"})
    tech.review_note = "Please add the granted claims."
    current_session().flush()
    data = cli.json("technologies", "show", tech.id)
    assert data["status"] == "rejected" and data["review_note"] == "Please add the granted claims."
    assert data["title"] == {"en": "Graphene heat-dissipation film", "zh": "石墨烯散热膜"}
    assert data["asking_price"] == {"amount": "2500000.00", "currency": "CNY"}
    text = cli.ok("technologies", "show", tech.id).stdout
    assert "review_note" in text and "Please add the granted claims." in text and "石墨烯散热膜" in text


def test_list_filters_by_status_owner_field_and_text(cli, db_session):
    uni = MemberFactory(name="Zhejiang University")
    lab = MemberFactory(name="CNRS Innovation", country="FR")
    resist = make_technology(uni, title={"zh": "半导体光刻胶配方"}, field="new_materials", summary={"zh": "光刻胶"})
    draft = make_technology(uni, status="draft", title={"en": "Sodium-ion battery cathode"})
    recycling = make_technology(lab, status="submitted", field="green_low_carbon",
                                title={"fr": "Procédé de recyclage de composites carbone"})
    db_session.flush()

    ids = lambda *args: [t["id"] for t in cli.json("technologies", "list", *args)]  # noqa: E731
    assert set(ids("--owner", uni.id)) == {resist.id, draft.id}
    assert ids("--owner", uni.id, "--status", "draft") == [draft.id]
    assert ids("--field", "green_low_carbon") == [recycling.id]
    assert ids("--search", "光刻") == [resist.id]
    assert ids("--search", "procede recyclage") == [recycling.id]  # accents folded, any status
    assert ids("--search", "cathode", "--status", "published") == []
    assert cli.ok("technologies", "list", "--owner", lab.id).stdout.splitlines()[2].split()[:2] == [recycling.id, "submitted"]
    assert "No member with ID" in cli.fails(1, "technologies", "list", "--owner", new_id()).stderr


def test_list_is_newest_first_and_says_when_it_is_cut(cli, db_session):
    owner = MemberFactory()
    made = [make_technology(owner) for _ in range(3)]
    for i, tech in enumerate(made):
        tech.created_at = utcnow() - timedelta(days=3 - i)
    db_session.flush()
    result = cli.ok("technologies", "list", "--owner", owner.id, "--limit", "2", "--json")
    import json

    assert [t["id"] for t in json.loads(result.stdout)] == [made[2].id, made[1].id]
    assert "Showing 2 of 3 listings; use --limit to see more." in result.stderr
    assert cli.ok("technologies", "list", "--status", "transacted").stdout.strip() == "No listings."
