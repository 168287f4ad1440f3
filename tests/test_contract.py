"""openapi.yaml is valid, describes exactly the app's routes and scopes, and the check bites."""

from __future__ import annotations

import re

import pytest
from flask import Flask, jsonify
from openapi_spec_validator import validate

from platform_api.api.endpoint import AUTHENTICATED
from platform_api.config import DEFAULT_SCOPES
from platform_api.errors import PROBLEM_TYPES
from platform_api.members.models import KINDS, STATUSES
from platform_api.oauth.scopes import SCOPE_DESCRIPTIONS
from platform_api.oauth.server import metadata
from tests.factories.members import MemberFactory
from tests.factories.oauth import ClientFactory, make_token

from .contract import contract, install_contract_check

HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict:
    return contract().document


def _operations(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield path, method, op


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule)


def _resolve(document, node):
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_routes_and_documented_operations_are_the_same(app, document):
    routes = {
        (_openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, method, _op in _operations(document)}
    assert routes - documented == set(), "routes missing from openapi.yaml"
    assert documented - routes == set(), "operations in openapi.yaml the app does not have"


def test_every_v1_operation_requires_exactly_the_scope_its_view_declares(app, document):
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/"):
            continue
        declared = app.view_functions[rule.endpoint].access_scope
        scopes = [] if declared == AUTHENTICATED else [declared]
        expected = [{"oauth2": scopes}, {"dpop": []}]  # a bearer token with the scope, or a DPoP-bound one
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = document["paths"][_openapi_path(rule.rule)][method.lower()]
            assert op.get("security") == expected, f"{method} {rule.rule}"
            checked += 1
    assert checked >= 4


def test_operations_outside_v1_never_take_bearer_tokens(document):
    for path, method, op in _operations(document):
        if not path.startswith("/v1/"):
            assert "security" in op, f"{method} {path} must state its security explicitly"
            assert all("oauth2" not in r and "dpop" not in r for r in op["security"]), f"{method} {path}"
    assert "security" not in document  # no default: every operation says what it needs


def test_scopes_are_those_of_the_server(document):
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert set(flows) == {"clientCredentials", "authorizationCode"}
    for flow in flows.values():
        assert list(flow["scopes"]) == list(DEFAULT_SCOPES)
        for scope, text in flow["scopes"].items():
            assert text.rstrip(".") == SCOPE_DESCRIPTIONS[scope].rstrip(".")
    assert flows["clientCredentials"]["tokenUrl"] == "/oauth/token"
    assert flows["authorizationCode"]["authorizationUrl"] == "/oauth/authorize"
    assert document["components"]["schemas"]["Scope"]["enum"] == list(DEFAULT_SCOPES)


def test_client_authentication_methods_match_the_server_metadata(app, document):
    meta = metadata(app.config["PLATFORM"])
    paths = document["paths"]
    assert paths["/oauth/token"]["post"]["x-client-authentication"] == meta["token_endpoint_auth_methods_supported"]
    assert paths["/oauth/revoke"]["post"]["x-client-authentication"] == meta["revocation_endpoint_auth_methods_supported"]
    assert (
        paths["/oauth/introspect"]["post"]["x-client-authentication"]
        == meta["introspection_endpoint_auth_methods_supported"]
    )


def test_code_lists_match_the_code(document):
    schemas = document["components"]["schemas"]
    assert schemas["ProblemSlug"]["enum"] == list(PROBLEM_TYPES)
    assert schemas["MemberKind"]["enum"] == list(KINDS)
    assert schemas["MemberStatus"]["enum"] == list(STATUSES)


def test_every_response_declares_x_request_id(document):
    for path, method, op in _operations(document):
        for status, response in op["responses"].items():
            headers = _resolve(document, response).get("headers", {})
            assert "X-Request-ID" in headers, f"{method} {path} {status}"


def test_every_v1_operation_documents_the_shared_errors(app, document):
    for path, method, op in _operations(document):
        if not path.startswith("/v1/"):
            continue
        expected = {"400", "401", "429", "500", "503"}
        if op["security"][0] != {"oauth2": []}:  # a scope to lack
            expected.add("403")
        if method in ("patch", "delete"):
            expected |= {"412", "428"}
        if "requestBody" in op:
            expected |= {"413", "415", "422"}
        assert expected <= set(op["responses"]), f"{method} {path} lacks {expected - set(op['responses'])}"


def test_collections_take_limit_and_cursor_and_answer_a_page(document):
    for path, method, op in _operations(document):
        schema = op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        is_page = "next_cursor" in _resolve(document, schema).get("properties", {})
        refs = {p.get("$ref") for p in op.get("parameters", [])}
        takes_page = {"#/components/parameters/limit", "#/components/parameters/cursor"} <= refs
        assert is_page == takes_page, f"{method} {path}"


# --- the check itself -------------------------------------------------------------------------


def test_the_check_leaves_the_body_intact(client):
    resp = client.get("/openapi.yaml")
    assert resp.status_code == 200
    assert resp.data == contract().path.read_bytes()


def test_a_view_breaking_the_contract_is_reported(app, client, monkeypatch):
    """The installed check, on the real app: a member view that leaks and drops fields."""
    member = MemberFactory()
    _t, value = make_token(ClientFactory(member=member))
    other = MemberFactory()

    def leaky_get_member(member_id):
        return jsonify({"id": member_id, "name": "X", "status": "active"})  # no ETag either

    monkeypatch.setitem(app.view_functions, "members.get_member", leaky_get_member)
    resp = client.get(f"/v1/members/{other.id}", headers={"Authorization": f"Bearer {value}"})
    assert resp.status_code == 200

    failures = app.extensions["contract_failures"]
    found = [str(f) for f in failures]
    failures.clear()  # reported as expected: not a failure of this test
    assert found, "the contract check missed a broken response"
    text = "\n".join(found)
    assert f"GET /v1/members/{other.id} -> 200" in text
    assert "'kind' is a required property" in text or "is not valid under any of the given schemas" in text
    assert "ETag" in text


@pytest.fixture
def throwaway():
    """A bare app checked against the same contract, its failures apart from the suite's."""
    bare = Flask("throwaway")
    failures = install_contract_check(bare)
    yield bare, failures
    failures.clear()  # the failures these tests provoke on purpose


def test_a_missing_required_field_is_reported(throwaway):
    bare, failures = throwaway

    @bare.get("/healthz")
    def healthz():
        resp = jsonify({"state": "ok"})
        resp.headers["X-Request-ID"] = "abc"
        return resp

    bare.test_client().get("/healthz")
    assert len(failures) == 1
    assert failures[0].status == 200
    assert "'status' is a required property" in failures[0].message


def test_missing_headers_undocumented_statuses_and_content_types_are_reported(throwaway):
    bare, failures = throwaway

    @bare.get("/readyz")
    def readyz():
        return jsonify({"status": "ready", "database": "ok"})  # no X-Request-ID

    @bare.get("/v1/me")
    def me():
        return "teapot", 418

    @bare.get("/docs")
    def docs():
        return jsonify({"html": False})

    c = bare.test_client()
    c.get("/readyz")
    c.get("/v1/me")
    c.get("/docs")
    messages: dict[str, str] = {}
    for f in failures:
        messages[f.path] = messages.get(f.path, "") + f.message + "\n"
    assert "X-Request-ID" in messages["/readyz"]
    assert "418" in messages["/v1/me"]
    assert "application/json" in messages["/docs"]


def test_undocumented_routes_are_reported_but_generic_404_and_405_pass_when_valid(throwaway, client, app):
    bare, failures = throwaway

    @bare.get("/v1/secret")
    def secret():
        return jsonify({})

    bare.test_client().get("/v1/secret")
    assert len(failures) == 1 and "/v1/secret" in failures[0].message

    failures.clear()
    bare.test_client().get("/nowhere")  # Flask's own HTML 404, not a problem document
    assert failures and "generic 404" in failures[0].message

    # The real app's generic answers are problem documents, and pass.
    assert client.get("/nowhere").status_code == 404
    resp = client.delete("/v1/me")
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]
    assert app.extensions["contract_failures"] == []


def test_head_is_checked_like_get_without_a_body(client, app):
    resp = client.head("/healthz")
    assert resp.status_code == 200 and resp.data == b""
    assert app.extensions["contract_failures"] == []


def test_a_request_the_app_accepts_but_the_contract_refuses_is_reported(throwaway):
    bare, failures = throwaway

    @bare.get("/v1/members")
    def members():
        resp = jsonify({"data": [], "next_cursor": None})
        resp.headers.update({"X-Request-ID": "r1", "Cache-Control": "no-store"})
        return resp

    bare.test_client().get("/v1/members?limit=500")
    assert len(failures) == 1
    assert "accepted a request the contract refuses" in failures[0].message
    assert "limit" in failures[0].message


def test_an_error_of_another_status_or_kind_than_its_response_allows_is_reported(throwaway):
    """Error schemas are plain Problem documents; the response's x-problem-types still bite."""
    bare, failures = throwaway

    @bare.get("/v1/me")
    def me():
        body = {"type": "/problems/not-found", "title": "Not found", "status": 404, "detail": "No.", "instance": "/v1/me"}
        resp = jsonify(body)
        resp.status_code = 401
        resp.mimetype = "application/problem+json"
        resp.headers.update(
            {"X-Request-ID": "r1", "Cache-Control": "no-store", "WWW-Authenticate": 'Bearer realm="platform"'}
        )
        return resp

    bare.test_client().get("/v1/me")
    text = "\n".join(f.message for f in failures)
    assert "problem status 404 sent with HTTP status 401" in text
    assert "type '/problems/not-found' is not one of this response's x-problem-types" in text


def test_every_request_body_example_is_valid_against_its_schema(document):
    """Generated clients and docs show these examples; tests/fuzz also sends them to the app."""
    checked = 0
    for path, method, op in _operations(document):
        for media_type in op.get("requestBody", {}).get("content", {}).values():
            name = media_type["schema"]["$ref"].rsplit("/", 1)[-1]
            for example_name, example in media_type.get("examples", {}).items():
                errors = contract().schema_errors(name, example["value"])
                assert errors == [], f"{method.upper()} {path} example {example_name}: {errors}"
                checked += 1
    assert checked >= 15
