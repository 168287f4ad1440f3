"""One HTTP attempt: to an address checked just before (urls.py), signed, bounded in time and size.

The request goes to the checked IP address, with the Host header and TLS (SNI, certificate
verification) for the URL's host name, so that a name re-resolved in between (DNS rebinding)
cannot move it elsewhere. Redirects are not followed; at most RESPONSE_BYTES of the answer are
read. A 2xx answer within TIMEOUT seconds is a success; anything else is a failure.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass

import httpx

from . import urls

TIMEOUT = 10.0
RESPONSE_BYTES = 1024
USER_AGENT = "platform-webhooks/1"


@dataclass
class Outcome:
    started_at: object
    duration_ms: int
    status: int | None = None
    body: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def make_client(*, verify=True) -> httpx.Client:
    """One pooled client per worker, shared by its sending threads (`verify`: the CAs trusted,
    certifi's by default)."""
    return httpx.Client(
        timeout=httpx.Timeout(TIMEOUT, connect=5.0), follow_redirects=False, trust_env=False, verify=verify,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
    )


class Clients:
    """Pooled clients, one per TLS host name: requests go to checked addresses, and a pool keyed
    by address would reuse a connection verified for one name for another name that shares its
    address. Plain http (this machine, in development) shares one client. Thread-safe; at most
    `size` names are kept (the least recently used is dropped)."""

    def __init__(self, *, verify=True, size: int = 256):
        self.verify, self.size = verify, size
        self._clients: dict[str, httpx.Client] = {}
        self._lock = threading.Lock()

    def get(self, target: urls.Target) -> httpx.Client:
        key = target.host.lower() if target.scheme == "https" else ""
        with self._lock:
            client = self._clients.pop(key, None) or make_client(verify=self.verify)
            self._clients[key] = client  # now the most recently used
            if len(self._clients) > self.size:
                self._clients.pop(next(iter(self._clients)))  # dropped, not closed: a thread may still use it
            return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


def _url(target: urls.Target, address: str) -> str:
    ip = ipaddress.ip_address(address)
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    return f"{target.scheme}://{host}:{target.port}{target.path}"


def _host_header(target: urls.Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def post(client: httpx.Client, target: urls.Target, headers: dict, body: str, *, started_at) -> Outcome:
    """POST `body` to the target's checked addresses (the next one only when one refuses the connection)."""
    t0 = time.monotonic()
    error = "no address to connect to"
    # identity: the answer is read raw, so that a compressed one cannot expand past the bound.
    headers = {**headers, "Host": _host_header(target), "Content-Type": "application/json", "User-Agent": USER_AGENT,
               "Accept-Encoding": "identity"}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    for address in target.addresses:
        try:
            with client.stream("POST", _url(target, address), content=body.encode(), headers=headers,
                               extensions=extensions) as resp:
                raw = b""
                for chunk in resp.iter_raw():
                    raw += chunk
                    if len(raw) >= RESPONSE_BYTES:
                        break
                elapsed = time.monotonic() - t0
                text = raw[:RESPONSE_BYTES].decode("utf-8", "replace")
                out = Outcome(started_at, int(elapsed * 1000), resp.status_code, text)
                if elapsed > TIMEOUT:
                    out.error = f"answered after {elapsed:.1f} s (over {TIMEOUT:.0f} s)"
                elif resp.is_redirect:
                    out.error = "redirects are not followed"
                return out
        except httpx.ConnectError as exc:
            error = f"cannot connect: {exc}"[:500]
            continue
        except httpx.TimeoutException:
            error = f"no answer within {TIMEOUT:.0f} s"
            break
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            break
    return Outcome(started_at, int((time.monotonic() - t0) * 1000), error=error)
