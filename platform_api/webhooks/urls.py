"""Which URLs a webhook may be sent to (SSRF): checked when an endpoint is saved, and again
before every attempt, on the addresses the name resolves to then.

A URL must be https (http only to this machine, in development and test), without user
information. Every address its host resolves to must be public: private, loopback (allowed in
development and test), link-local (which holds the cloud metadata address 169.254.169.254),
CGNAT (100.64.0.0/10), multicast, reserved, unspecified and the IPv6 forms of these (unique
local, IPv4-mapped, NAT64 of a private address) are refused, unless the operator allows a range
with PLATFORM_WEBHOOK_ALLOW_NETWORKS. The worker then connects to an address it checked, not
to whatever the name resolves to a moment later (DNS rebinding), keeping the Host header and
TLS (SNI and certificate verification) for the host name.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL = 2048
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """The URL may not be used; the message says why, for the member."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (a name, or an address without brackets)
    port: int
    path: str  # path and query, at least "/"
    addresses: tuple[str, ...]  # checked addresses, in resolver order


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = info[4][0].split("%", 1)[0]
        if address not in seen:
            seen.append(address)
    return seen


#: How names are resolved; tests replace it to make a name resolve where they need.
resolver = _resolve


def _is_loopback(ip) -> bool:
    return ip.is_loopback or (ip.version == 6 and ip.ipv4_mapped is not None and ip.ipv4_mapped.is_loopback)


def address_refusal(ip, *, allow_loopback: bool, allow: tuple = ()) -> str | None:
    """Why a webhook may not go to this address, or None when it may."""
    if any(ip.version == net.version and ip in net for net in allow):
        return None
    inner = ip
    if ip.version == 6 and ip.ipv4_mapped is not None:
        inner = ip.ipv4_mapped
    elif ip.version == 6 and ip in _NAT64:
        inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if _is_loopback(inner):
        return None if allow_loopback else "a loopback address"
    if inner.is_multicast:
        return "a multicast address"
    if inner.is_link_local:
        return "a link-local address (such as the cloud metadata service)"
    if inner.version == 4 and inner in ipaddress.ip_network("100.64.0.0/10"):
        return "a carrier-grade NAT address"
    if inner.is_unspecified or inner.is_reserved:
        return "a reserved address"
    if inner.is_private or not inner.is_global:
        return "a private address"
    return None


def parse(url: str, *, allow_loopback: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a URL a webhook may name; UnsafeURL otherwise."""
    if len(url) > MAX_URL:
        raise UnsafeURL(f"The URL is longer than {MAX_URL} characters.")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise UnsafeURL("The URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UnsafeURL("The URL must start with https://.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("The URL may not hold a user name or password.")
    if parts.fragment:
        raise UnsafeURL("The URL may not have a fragment (#...).")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL("The URL has no host.")
    port = port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if scheme == "http" and not allow_loopback:
        raise UnsafeURL("The URL must start with https://.")
    return scheme, host, port, path


def check(url: str, *, allow_loopback: bool, allow: tuple = ()) -> Target:
    """The URL's target with every address its host resolves to now, each checked; UnsafeURL
    when the URL is malformed, does not resolve, or any address is refused."""
    scheme, host, port, path = parse(url, allow_loopback=allow_loopback)
    try:
        addresses = [host] if _literal(host) else resolver(host, port)
    except (OSError, UnicodeError):
        raise UnsafeURL(f"The host name {host[:100]} does not resolve.") from None
    if not addresses:
        raise UnsafeURL(f"The host name {host[:100]} does not resolve.")
    for address in addresses:
        ip = ipaddress.ip_address(address)
        why = address_refusal(ip, allow_loopback=allow_loopback, allow=allow)
        if why is not None:
            raise UnsafeURL(f"The URL's host resolves to {why} ({ip}); webhooks go to public addresses only.")
        if scheme == "http" and not _is_loopback(ip):
            raise UnsafeURL("The URL must start with https:// (http is allowed only to this machine, in development).")
    return Target(scheme, host, port, path, tuple(addresses))


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False
