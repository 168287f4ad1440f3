"""https to a name: the worker connects to the address it checked and still does TLS for the name
(SNI and certificate verification), so a certificate for another name is refused."""

from __future__ import annotations

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from platform_api.webhooks import delivery, urls
from platform_api.webhooks.models import WebhookDelivery
from platform_api.webhooks.worker import Worker
from tests.factories.matching import token_for
from tests.factories.members import MemberFactory
from tests.factories.technologies import technology_body

from .conftest import WEBHOOK_SCOPES, create_endpoint


def _certificate(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class TLSReceiver:
    def __init__(self, cert_path, key_path):
        self.seen: list[dict] = []
        self.sni: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.seen.append(dict(self.headers.items()))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_path, key_path)
        ctx.sni_callback = lambda sock, name, _ctx: receiver.sni.append(name)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("certified", ["hooks.receiver.test", "someone-else.test"])
def test_tls_is_for_the_name_while_the_connection_goes_to_the_checked_address(
        app, client, db_session, clock, monkeypatch, tmp_path, certified):
    cert_path, key_path = _certificate(tmp_path, certified)
    receiver = TLSReceiver(cert_path, key_path)
    monkeypatch.setattr(urls, "resolver", lambda host, port: ["127.0.0.1"] if host == "hooks.receiver.test" else [])
    worker = Worker(app, clock=clock, verify=ssl.create_default_context(cafile=str(cert_path)))
    try:
        h = token_for(MemberFactory(), scopes=WEBHOOK_SCOPES + ["technologies:write"])
        ep = create_endpoint(client, h, f"https://hooks.receiver.test:{receiver.port}/in", ["technology.created"])
        assert client.post("/v1/technologies", json=technology_body(), headers=h).status_code == 201
        worker.drain()
        d = db_session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ep["id"])).one()
        assert receiver.sni and set(receiver.sni) == {"hooks.receiver.test"}
        if certified == "hooks.receiver.test":
            assert d.status == "succeeded" and d.last_response_status == 204
            assert [r["Host"] for r in receiver.seen] == [f"hooks.receiver.test:{receiver.port}"]
        else:  # the certificate is not for the URL's name: refused, nothing sent
            assert d.status == "pending" and d.last_response_status is None and receiver.seen == []
            assert "certificate" in d.last_error.lower() or "ssl" in d.last_error.lower(), d.last_error
    finally:
        worker.close()
        receiver.close()


def test_a_connection_verified_for_one_name_is_not_reused_for_another_at_the_same_address(
        app, client, db_session, clock, monkeypatch, tmp_path):
    cert_path, key_path = _certificate(tmp_path, "hooks.receiver.test")
    receiver = TLSReceiver(cert_path, key_path)
    names = {"hooks.receiver.test", "other.receiver.test"}
    monkeypatch.setattr(urls, "resolver", lambda host, port: ["127.0.0.1"] if host in names else [])
    worker = Worker(app, clock=clock, verify=ssl.create_default_context(cafile=str(cert_path)), threads=1)
    try:
        h = token_for(MemberFactory(), scopes=WEBHOOK_SCOPES + ["technologies:write"])
        good = create_endpoint(client, h, f"https://hooks.receiver.test:{receiver.port}/in", ["technology.created"])
        assert client.post("/v1/technologies", json=technology_body(), headers=h).status_code == 201
        worker.drain()  # a kept-alive connection to 127.0.0.1, verified for hooks.receiver.test
        other = create_endpoint(client, h, f"https://other.receiver.test:{receiver.port}/in", ["technology.created"])
        assert client.post("/v1/technologies", json=technology_body(), headers=h).status_code == 201
        worker.drain()
        state = {ep: [d.status for d in db_session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ep).order_by(WebhookDelivery.event_position)
            .execution_options(populate_existing=True))] for ep in (good["id"], other["id"])}
        assert state == {good["id"]: ["succeeded", "succeeded"], other["id"]: ["pending"]}
        assert {r["Host"].split(":")[0] for r in receiver.seen} == {"hooks.receiver.test"}
    finally:
        worker.close()
        receiver.close()
