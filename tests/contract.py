"""Checks every response the test app sends against openapi.yaml.

The check runs inside the app, as the last `after_request` hook (after the security and
request-ID headers are set), on the real response object - never on the test client's copy,
whose body has been consumed. A request the app accepted (2xx) must match the contract too.
Each mismatch is recorded in app.extensions["contract_failures"];
conftest collects them from every checked app (drain_failures) and fails the test that caused
them.
"""

from __future__ import annotations

import functools
import json
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import yaml
from flask import Flask, Request, Response, request
from jsonschema_path import SchemaPath
from openapi_core.contrib.flask import FlaskOpenAPIRequest
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.validation.request.validators import V31RequestBodyValidator, V31RequestParametersValidator
from openapi_core.validation.response.validators import V31ResponseHeadersValidator, V31ResponseValidator
from openapi_core.validation.schemas import oas31_schema_validators_factory
from rfc3339_validator import validate_rfc3339

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"

# What the app answers by itself when no route matches the request.
_UNROUTED = {404: "/problems/not-found", 405: "/problems/method-not-allowed"}


@dataclass(frozen=True)
class ContractFailure:
    method: str
    path: str
    status: int
    message: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}: {self.message}"


# --- what openapi-core needs to be told ------------------------------------------------------


def _json(value: bytes, **_params) -> object:
    return json.loads(value)


def _yaml(value: bytes, **_params) -> object:
    return yaml.safe_load(value)


def _is_email(value) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) is not None


def _is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc) and not re.search(r"\s", value)


def _is_uri_reference(value) -> bool:
    return not isinstance(value, str) or not re.search(r"\s", value)


def _is_date_time(value) -> bool:
    return not isinstance(value, str) or validate_rfc3339(value)


# openapi-core's OAS 3.1 validator checks no string formats by default.
FORMATS = {"email": _is_email, "uri": _is_uri, "uri-reference": _is_uri_reference, "date-time": _is_date_time}
MEDIA_TYPES = {"application/problem+json": _json, "application/yaml": _yaml}


class _NoCasting:
    """Validate JSON values as they are.

    openapi-core casts data to the schema's type before validating (python-openapi/openapi-core
    #706): "404" would pass as an integer and "false" as a boolean. Header values are strings
    in our schemas, so nothing needs casting.
    """

    def create(self, _schema):
        return self

    def cast(self, value):
        return value


class Contract:
    """openapi.yaml, loaded once, and the validators built from it."""

    def __init__(self, path: Path = SPEC_PATH):
        self.path = Path(path)
        self.document = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        self.spec = SchemaPath.from_dict(self.document)
        options = dict(
            schema_casters_factory=_NoCasting(),
            extra_format_validators=FORMATS,
            extra_media_type_deserializers=MEDIA_TYPES,
        )
        self.responses = V31ResponseValidator(self.spec, **options)
        self.headers_only = V31ResponseHeadersValidator(self.spec, **options)
        # Query strings and forms arrive as text: requests are cast to the schema's types.
        request_options = dict(extra_format_validators=FORMATS, extra_media_type_deserializers=MEDIA_TYPES)
        self.request_checks = (
            V31RequestParametersValidator(self.spec, **request_options),
            V31RequestBodyValidator(self.spec, **request_options),
        )

    def schema_errors(self, schema_name: str, value) -> list[str]:
        schema = self.spec / "components" / "schemas" / schema_name
        validator = oas31_schema_validators_factory.create(schema, extra_format_validators=FORMATS)
        return [_schema_error(e) for e in validator.validator.iter_errors(value)]

    def check(self, req: Request, resp: Response) -> list[str]:
        """Every way this response breaks the contract (empty when it keeps it)."""
        if req.url_rule is None:
            return self._check_unrouted(resp)
        if req.url_rule.endpoint == "static":
            return []  # files, not API
        # Flask answers HEAD (as GET without a body) and OPTIONS (with Allow) on every route.
        if req.method == "OPTIONS":
            ok = resp.status_code == 200 and "Allow" in resp.headers
            return [] if ok else ["automatic OPTIONS answer without 200 and Allow"]
        if req.method == "HEAD":
            return [_describe(e) for e in self.headers_only.iter_errors(_AsGet(req), WerkzeugOpenAPIResponse(resp))]
        received = _Received(req)
        problems = [_describe(e) for e in self.responses.iter_errors(received, WerkzeugOpenAPIResponse(resp))]
        problems += self._error_kinds(req, resp)
        if 200 <= resp.status_code < 300 and not problems:
            # The app accepted the request: the contract must accept it too.
            for check in self.request_checks:
                problems += [f"accepted a request the contract refuses: {_describe(e)}" for e in check.iter_errors(received)]
        return problems

    def _error_kinds(self, req: Request, resp: Response) -> list[str]:
        """An error body names the status it is sent with, and a kind its response allows.

        The schemas are plain `Problem` and `OAuthError` (what client generators read); each
        documented error response lists the `type`s (`x-problem-types`) or OAuth `error`s
        (`x-oauth-errors`) it may carry.
        """
        if resp.status_code < 400 or resp.mimetype not in ("application/json", "application/problem+json"):
            return []
        path = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", req.url_rule.rule)
        operation = self.document["paths"].get(path, {}).get(req.method.lower(), {})
        documented = operation.get("responses", {}).get(str(resp.status_code))
        if documented is None:
            return []  # an undocumented status: the response check reports it
        while "$ref" in documented:
            documented = self.document["components"]["responses"][documented["$ref"].rsplit("/", 1)[-1]]
        try:
            body = json.loads(resp.get_data())
        except ValueError:
            return []  # the response check reports it
        if not isinstance(body, dict):
            return []
        found = []
        if resp.mimetype == "application/problem+json" and body.get("status") != resp.status_code:
            found.append(f"problem status {body.get('status')!r} sent with HTTP status {resp.status_code}")
        for key, field in (("x-problem-types", "type"), ("x-oauth-errors", "error")):
            allowed = documented.get(key)
            if allowed is not None and body.get(field) not in allowed:
                found.append(f"{field} {body.get(field)!r} is not one of this response's {key} {allowed}")
        return found

    def _check_unrouted(self, resp: Response) -> list[str]:
        """No route matched: only the app's generic 404/405 problem may answer."""
        expected_type = _UNROUTED.get(resp.status_code)
        if expected_type is None:
            return [f"a request that matched no route was answered {resp.status_code}, not the generic 404/405"]
        problems = []
        if resp.mimetype != "application/problem+json":
            problems.append(f"generic {resp.status_code} is {resp.mimetype}, not application/problem+json")
        try:
            body = json.loads(resp.get_data())
        except ValueError:
            return problems + ["generic error body is not JSON"]
        problems += [f"generic error body: {e}" for e in self.schema_errors("Problem", body)]
        if isinstance(body, dict) and (body.get("status"), body.get("type")) != (resp.status_code, expected_type):
            problems.append(f"generic error body has status/type {body.get('status')!r}/{body.get('type')!r}")
        if resp.status_code == 405 and "Allow" not in resp.headers:
            problems.append("405 without an Allow header")
        if not re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", resp.headers.get("X-Request-ID", "")):
            problems.append("missing or malformed X-Request-ID")
        return problems


class _Received(FlaskOpenAPIRequest):
    """The request as the app received it, even after the view consumed a form body."""

    @property
    def body(self) -> bytes | None:
        if self.request.mimetype == "application/x-www-form-urlencoded":
            return urlencode(list(self.request.form.items(multi=True))).encode()
        return self.request.get_data(cache=True)


class _AsGet(FlaskOpenAPIRequest):
    """A HEAD request, checked against the GET operation it is answered by."""

    @property
    def method(self) -> str:
        return "get"


def _schema_error(err) -> str:
    where = "/" + "/".join(str(p) for p in err.absolute_path)
    return f"{where}: {err.message[:300]}"


def _describe(exc: BaseException) -> str:
    """openapi-core wraps the useful message (and jsonschema's errors) in a chain of causes."""
    details: list[str] = []
    cause = exc.__cause__
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            details.extend(_schema_error(e) for e in schema_errors)
        elif not details:
            details.append(str(cause)[:300])
        cause = cause.__cause__
    if not details:
        return f"{type(exc).__name__}: {exc}"[:300]
    header = getattr(exc, "name", None)
    return f"{type(exc).__name__}{f' {header}' if header else ''}: " + " | ".join(details)


@functools.cache
def contract(path: Path = SPEC_PATH) -> Contract:
    """The contract, built once per test session."""
    return Contract(path)


# Every app with the check installed, so that conftest sees failures of apps made in a test too.
_checked_apps: weakref.WeakKeyDictionary[Flask, list[ContractFailure]] = weakref.WeakKeyDictionary()


def install_contract_check(app: Flask, spec: Contract | None = None) -> list[ContractFailure]:
    """Check every response of `app` against the contract; returns the list failures go to."""
    checker = spec or contract()
    failures: list[ContractFailure] = app.extensions.setdefault("contract_failures", [])
    _checked_apps[app] = failures

    def _check_contract(resp: Response) -> Response:
        try:
            messages = checker.check(request, resp)
        except Exception as exc:  # a crash in the check is a failure, never a broken response
            messages = [f"contract check crashed: {type(exc).__name__}: {exc}"]
        failures.extend(ContractFailure(request.method, request.full_path.rstrip("?"), resp.status_code, m) for m in messages)
        return resp

    # after_request hooks run in reverse order of registration: first in the list runs last,
    # so the check sees the response exactly as the client will.
    app.after_request_funcs.setdefault(None, []).insert(0, _check_contract)
    return failures


def drain_failures() -> list[ContractFailure]:
    """Every failure recorded so far by any checked app; the records are emptied."""
    found: list[ContractFailure] = []
    for failures in list(_checked_apps.values()):
        found.extend(failures)
        failures.clear()
    return found
