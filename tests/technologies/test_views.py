from platform_api.technologies import services
from tests.factories.members import MemberFactory
from tests.factories.oauth import ClientFactory, make_token
from tests.factories.technologies import make_technology, technology_body

WRITE = ["technologies:read", "technologies:write"]


def auth(value):
    return {"Authorization": f"Bearer {value}"}


def member_token(scopes=WRITE, **member_kwargs):
    member = MemberFactory(**member_kwargs)
    _t, value = make_token(ClientFactory(member=member), scopes=scopes)
    return member, auth(value)


def test_lifecycle_draft_submit_review_publish(client, db_session):
    owner, h = member_token()
    _other, other_h = member_token()
    created = client.post("/v1/technologies", json=technology_body(), headers=h)
    assert created.status_code == 201, created.json
    tech = created.json
    assert tech["status"] == "draft" and tech["owner"]["id"] == owner.id
    assert tech["allowed_actions"] == ["update", "delete", "submit"]
    assert created.headers["Location"].endswith(f"/v1/technologies/{tech['id']}")
    assert tech["ipc"] == ["H01M 10/0562"]
    assert tech["asking_price"] == {"amount": "2500000.00", "currency": "CNY"}
    assert client.get(f"/v1/technologies/{tech['id']}", headers=other_h).status_code == 404
    submitted = client.post(f"/v1/technologies/{tech['id']}/submit", headers=h)
    assert submitted.status_code == 200 and submitted.json["status"] == "submitted"
    assert client.get(f"/v1/technologies/{tech['id']}", headers=other_h).status_code == 404
    row = services.get(session=db_session, technology_id=tech["id"])
    services.transition(session=db_session, tech=row, action="approve")
    seen = client.get(f"/v1/technologies/{tech['id']}", headers=other_h)
    assert seen.status_code == 200 and seen.json["status"] == "published"
    assert "review_note" not in seen.json and "allowed_actions" not in seen.json
    assert seen.json["published_at"]


def test_rejected_listing_is_edited_back_to_draft_and_resubmitted(client, db_session):
    owner, h = member_token()
    tech = make_technology(owner, status="submitted")
    services.transition(session=db_session, tech=tech, action="reject", note="Add the patent number.")
    own = client.get(f"/v1/technologies/{tech.id}", headers=h)
    assert own.json["status"] == "rejected" and own.json["review_note"] == "Add the patent number."
    assert own.json["allowed_actions"] == ["update"]
    assert client.post(f"/v1/technologies/{tech.id}/submit", headers=h).status_code == 409
    patched = client.patch(f"/v1/technologies/{tech.id}", json={"trl": 7}, headers={**h, "If-Match": own.headers["ETag"]})
    assert patched.status_code == 200 and patched.json["status"] == "draft" and patched.json["trl"] == 7
    assert client.post(f"/v1/technologies/{tech.id}/submit", headers=h).json["status"] == "submitted"


def test_actions_the_state_does_not_allow_are_409_naming_what_is(client):
    owner, h = member_token()
    tech = make_technology(owner, status="published")
    resp = client.post(f"/v1/technologies/{tech.id}/submit", headers=h)
    assert resp.status_code == 409
    assert resp.json["allowed_actions"] == ["withdraw"]
    etag = client.get(f"/v1/technologies/{tech.id}", headers=h).headers["ETag"]
    assert client.patch(f"/v1/technologies/{tech.id}", json={"trl": 3}, headers={**h, "If-Match": etag}).status_code == 409
    assert client.delete(f"/v1/technologies/{tech.id}", headers={**h, "If-Match": etag}).status_code == 409
    withdrawn = client.post(f"/v1/technologies/{tech.id}/withdraw", headers=h)
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    assert client.post(f"/v1/technologies/{tech.id}/withdraw", headers=h).status_code == 409


def test_withdrawing_a_draft_is_409(client):
    owner, h = member_token()
    tech = make_technology(owner, status="draft")
    resp = client.post(f"/v1/technologies/{tech.id}/withdraw", headers=h)
    assert resp.status_code == 409 and "submit" in resp.json["allowed_actions"]


def test_only_the_owner_changes_a_listing(client):
    owner, _h = member_token()
    _other, other_h = member_token()
    published = make_technology(owner, status="published")
    draft = make_technology(owner, status="draft")
    etag = client.get(f"/v1/technologies/{published.id}", headers=other_h).headers["ETag"]
    assert client.patch(f"/v1/technologies/{published.id}", json={"trl": 2}, headers={**other_h, "If-Match": etag}).status_code == 403
    assert client.post(f"/v1/technologies/{published.id}/withdraw", headers=other_h).status_code == 403
    hidden = client.patch(f"/v1/technologies/{draft.id}", json={"trl": 2}, headers={**other_h, "If-Match": '"x"'})
    missing = client.patch("/v1/technologies/00000000-0000-4000-8000-000000000000", json={"trl": 2}, headers={**other_h, "If-Match": '"x"'})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["detail"] == missing.json["detail"]
    assert client.post(f"/v1/technologies/{draft.id}/submit", headers=other_h).status_code == 404


def test_delete_a_draft(client):
    owner, h = member_token()
    tech = make_technology(owner, status="draft")
    etag = client.get(f"/v1/technologies/{tech.id}", headers=h).headers["ETag"]
    assert client.delete(f"/v1/technologies/{tech.id}", headers=h).status_code == 428
    assert client.delete(f"/v1/technologies/{tech.id}", headers={**h, "If-Match": etag}).status_code == 204
    assert client.get(f"/v1/technologies/{tech.id}", headers=h).status_code == 404
    assert client.get("/v1/technologies?q=electrolyte&mine=true", headers=h).json["data"] == []


def test_patch_needs_current_etag(client):
    owner, h = member_token()
    tech = make_technology(owner, status="draft")
    etag = client.get(f"/v1/technologies/{tech.id}", headers=h).headers["ETag"]
    assert client.patch(f"/v1/technologies/{tech.id}", json={"trl": 4}, headers={**h, "If-Match": etag}).status_code == 200
    assert client.patch(f"/v1/technologies/{tech.id}", json={"trl": 5}, headers={**h, "If-Match": etag}).status_code == 412
    assert client.patch(f"/v1/technologies/{tech.id}", json={"trl": 5}, headers=h).status_code == 428


def test_if_match_star_is_an_explicit_last_write_wins(client):
    """`If-Match: *` (RFC 9110: any current version) is allowed on purpose, as the caller's own
    choice to overwrite whatever is there (issue 15, finding 9: openapi.yaml's If-Match says so);
    leaving the header out stays a 428, and a weak or stale tag a 412."""
    owner, h = member_token()
    tech = make_technology(owner, status="draft")
    etag = client.get(f"/v1/technologies/{tech.id}", headers=h).headers["ETag"]
    assert client.patch(f"/v1/technologies/{tech.id}", json={"trl": 4}, headers={**h, "If-Match": etag}).status_code == 200
    forced = client.patch(f"/v1/technologies/{tech.id}", json={"trl": 6}, headers={**h, "If-Match": "*"})
    assert forced.status_code == 200 and forced.get_json()["trl"] == 6 and forced.headers["ETag"] != etag
    weak = client.patch(f"/v1/technologies/{tech.id}", json={"trl": 7}, headers={**h, "If-Match": f"W/{forced.headers['ETag']}"})
    assert weak.status_code == 412
    assert client.patch(f"/v1/technologies/{tech.id}", json={"trl": 7}, headers=h).status_code == 428


def test_validation_points_at_each_bad_field(client):
    _owner, h = member_token()
    cases = [
        ({"trl": 0}, "/trl"),
        ({"trl": "6"}, "/trl"),
        ({"field": "nanotech"}, "/field"),
        ({"ipc": ["not-ipc"]}, "/ipc/0"),
        ({"deal_types": []}, "/deal_types"),
        ({"deal_types": ["sale"]}, "/deal_types/0"),
        ({"deal_types": ["assignment", "assignment"]}, "/deal_types"),
        ({"asking_price": {"amount": 100, "currency": "CNY"}}, "/asking_price/amount"),
        ({"asking_price": {"amount": "1.005", "currency": "CNY"}}, "/asking_price/amount"),
        ({"asking_price": {"amount": "100.00", "currency": "XYZ"}}, "/asking_price/currency"),
        ({"origin_country": "China"}, "/origin_country"),
        ({"countries_available": ["DE", "de"]}, "/countries_available/1"),
        ({"title": {}}, "/title"),
        ({"title": {"en": "x" * 301}}, "/title/en"),
        ({"ip_rights": [{"kind": "invention_patent", "number": "ZL2019", "office": "CN", "status": "granted"}]}, "/ip_rights/0/number"),
        ({"ip_rights": [{"kind": "invention_patent", "number": "EP3456789", "office": "EP", "status": "granted",
                         "filed_on": "2020-01-01", "expires_on": "2019-01-01"}]}, "/ip_rights/0/expires_on"),
        ({"ip_rights": [{"kind": "patent", "number": "EP3456789", "office": "ZZ", "status": "granted"}]}, "/ip_rights/0/kind"),
        ({"status": "published"}, "/status"),
        ({"owner": {"id": "x"}}, "/owner"),
    ]
    for override, pointer in cases:
        resp = client.post("/v1/technologies", json=technology_body(**override), headers=h)
        assert resp.status_code == 422, (override, resp.json)
        pointers = [e["pointer"] for e in resp.json["errors"]]
        assert pointer in pointers, (override, pointers)
    missing = client.post("/v1/technologies", json={"title": {"en": "x"}}, headers=h)
    assert {"/summary", "/field", "/trl", "/deal_types", "/origin_country"} <= {e["pointer"] for e in missing.json["errors"]}
    assert client.get("/v1/technologies?mine=true", headers=h).json["data"] == []


def test_read_scope_cannot_write(client):
    _owner, h = member_token(scopes=["technologies:read"])
    resp = client.post("/v1/technologies", json=technology_body(), headers=h)
    assert resp.status_code == 403 and "technologies:write" in resp.json["detail"]


def test_idempotent_create_never_makes_two_listings(client):
    _owner, h = member_token()
    body = technology_body()
    first = client.post("/v1/technologies", json=body, headers={**h, "Idempotency-Key": "import-42"})
    retry = client.post("/v1/technologies", json=body, headers={**h, "Idempotency-Key": "import-42"})
    assert first.status_code == retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json["id"] == first.json["id"]
    assert len(client.get("/v1/technologies?mine=true", headers=h).json["data"]) == 1


def test_overseas_partner_submits_through_client_credentials(client):
    import base64

    from tests.factories.oauth import make_client

    partner = MemberFactory(name="Fraunhofer Partner Office", kind="research_institute", country="DE")
    oc, secret = make_client(member=partner, scopes=WRITE)
    basic = base64.b64encode(f"{oc.client_id}:{secret}".encode()).decode()
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}).json["access_token"]
    h = auth(token)
    body = technology_body(title={"de": "Recycling von Carbonfaser-Verbundwerkstoffen", "en": "Recycling of carbon fibre composites"},
                           field="new_materials", origin_country="DE")
    created = client.post("/v1/technologies", json=body, headers=h)
    assert created.status_code == 201 and created.json["owner"]["overseas"] is True
    assert client.post(f"/v1/technologies/{created.json['id']}/submit", headers=h).json["status"] == "submitted"


def test_overseas_partner_submits_through_an_app_approved_by_its_person(client):
    from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
    from tests.factories.oauth import make_public_client
    from tests.oauth.helpers import exchange, get_code

    partner = MemberFactory(name="KAIST Technology Licensing", kind="university", country="KR")
    person = UserFactory(member=partner)
    app_client = make_public_client(member=partner, scopes=WRITE)
    code, verifier = get_code(client, app_client, person.email, DEFAULT_PASSWORD, scope="technologies:read technologies:write")
    token = exchange(client, app_client, code, verifier).json["access_token"]
    created = client.post("/v1/technologies", json=technology_body(origin_country="KR"), headers=auth(token))
    assert created.status_code == 201 and created.json["owner"]["id"] == partner.id
    assert client.post(f"/v1/technologies/{created.json['id']}/submit", headers=auth(token)).status_code == 200
