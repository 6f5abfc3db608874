"""Which upstream URLs the Worker may fetch. Pure; the guarded fetch checks every hop with it.

Production: https only, default port, a DNS name (no IP literals), no credentials, no
private-looking names. With `allow_insecure` (tests and the offline demo only), plain http and
loopback (127.0.0.0/8, ::1, localhost) on any port are allowed too; other IP literals stay
forbidden, so a redirect to 10.x or 169.254.169.254 is refused even then.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from rewind_images.config import MAX_URL_LENGTH

# A host must be plain ASCII labels (or a bracketed IPv6 literal). Anything else may be read
# differently by the runtime's WHATWG URL parser than by urlsplit: '\\' counts as '/', '%2E'
# and the ideographic full stops become '.', so a name that looks public here could reach a
# private address there.
_HOST = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.?")
PRIVATE_NAME_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home.arpa", ".intranet")


class ForbiddenUrl(ValueError):
    """The URL may not be fetched; the message says why."""


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # Forms browsers and fetch accept as IPv4 but ip_address does not: 2130706433, 0x7f.1, 127.1
    parts = host.split(".")
    if host and all(p and (p.isdigit() or p.lower().startswith("0x")) for p in parts):
        return ipaddress.IPv4Address("0.0.0.0")
    return None


def check_url(url: str, *, allow_insecure: bool) -> str:
    """Return the URL when it may be fetched; raise ForbiddenUrl otherwise."""
    if len(url) > MAX_URL_LENGTH:
        raise ForbiddenUrl("URL too long")
    if "\\" in url:
        raise ForbiddenUrl("URL has a backslash")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ForbiddenUrl(f"malformed URL: {exc}") from exc
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("https", "http"):
        raise ForbiddenUrl(f"scheme {scheme or '(none)'} not allowed")
    if not host:
        raise ForbiddenUrl("URL has no host")
    # A bracketed host is an IP literal: IPv6, or an IPvFuture one ([v1.x]) that urlsplit takes
    # and the runtime's parser does not; `hostname` has the brackets off.
    bracketed = parts.netloc.rpartition("@")[2].startswith("[")
    if not (bracketed or _HOST.fullmatch(host)):
        raise ForbiddenUrl(f"host {host!r} is not a plain DNS name")
    if parts.username is not None or parts.password is not None:
        raise ForbiddenUrl("credentials in URL not allowed")
    ip = _ip(host)
    if bracketed and not isinstance(ip, ipaddress.IPv6Address):
        raise ForbiddenUrl(f"IP-literal host {host} not allowed")
    loopback = host == "localhost" or (ip is not None and ip.is_loopback)
    if allow_insecure and loopback:
        return url
    if scheme != "https" and not allow_insecure:
        raise ForbiddenUrl("only https URLs are allowed")
    if ip is not None:
        raise ForbiddenUrl(f"IP-literal host {host} not allowed")
    if "." not in host or host == "localhost" or host.endswith(PRIVATE_NAME_SUFFIXES):
        raise ForbiddenUrl(f"private host {host} not allowed")
    if port is not None and port != (443 if scheme == "https" else 80) and not allow_insecure:
        raise ForbiddenUrl(f"port {port} not allowed")
    return url
