"""urlguard.check_url: which upstream URLs the Worker may fetch (production and insecure mode)."""

from __future__ import annotations

import re

import pytest

from rewind_images.urlguard import MAX_URL_LENGTH, ForbiddenUrl, check_url

ALLOWED_IN_PRODUCTION = [
    "https://api.deezer.com/search/album?q=ok+computer",
    "https://coverartarchive.org/release/abc/front",
    "https://is1-ssl.mzstatic.com/image/thumb/a.jpg/600x600bb.jpg",
    "https://EXAMPLE.com/upper-case-host",
    "https://example.com:443/explicit-default-port",
    "https://example.com./trailing-dot",
    "HTTPS://example.com/upper-case-scheme",
]


@pytest.mark.parametrize("url", ALLOWED_IN_PRODUCTION)
def test_public_https_urls_are_allowed(url):
    assert check_url(url, allow_insecure=False) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/", "only https"),
        ("ftp://example.com/file", "scheme ftp not allowed"),
        ("file:///etc/passwd", "scheme file not allowed"),
        ("javascript:alert(1)", "scheme javascript not allowed"),
        ("data:image/png;base64,AAAA", "scheme data not allowed"),
        ("//example.com/no-scheme", "scheme (none) not allowed"),
        ("https:///no-host", "no host"),
        ("https://user:pass@example.com/", "credentials"),
        ("https://user@example.com/", "credentials"),
        ("https://@example.com/", "credentials"),
        ("https://example.com:8443/", "port 8443"),
        ("https://example.com:80/", "port 80"),
        ("https://example.com:99999/", "malformed URL"),
        ("https://example.com:abc/", "malformed URL"),
        ("https://[::1/", "malformed URL"),
    ],
)
def test_refused_with_a_reason(url, reason):
    with pytest.raises(ForbiddenUrl, match=re.escape(reason)):
        check_url(url, allow_insecure=False)


IP_LITERALS = [
    "127.0.0.1",
    "10.0.0.1",
    "192.168.1.1",
    "172.16.0.1",
    "169.254.169.254",
    "8.8.8.8",  # public IPs too: sources are named hosts
    "0.0.0.0",
    "2130706433",  # decimal 127.0.0.1
    "0x7f000001",  # hex 127.0.0.1
    "0X7F000001",
    "0x7f.1",
    "0x7f.0.0.1",
    "0177.0.0.1",  # octal
    "127.1",  # short form
    "10.1",
    "127.0.0.1.",  # trailing dot
    "[::1]",
    "[::]",
    "[::ffff:10.0.0.1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:a9fe:a9fe]",  # 169.254.169.254 mapped
    "[fe80::1]",
    "[fd00::1]",
    "[2001:4860:4860::8888]",
    # IPvFuture literals: urlsplit gives `v1.x` as the host name, a fetch refuses the URL
    "[v1.x]",
    "[v7.example.com]",
]


@pytest.mark.parametrize("host", IP_LITERALS)
def test_ip_literal_hosts_are_refused_in_production(host):
    with pytest.raises(ForbiddenUrl, match="IP-literal host"):
        check_url(f"https://{host}/x", allow_insecure=False)


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST",
        "localhost.",
        "printer.local",
        "app.localhost",
        "metadata.google.internal",
        "router.lan",
        "nas.home.arpa",
        "wiki.intranet",
        "NAS.Local",
        "intranet-host",  # no dot: a single-label name
    ],
)
def test_private_names_are_refused(host):
    with pytest.raises(ForbiddenUrl, match="private host"):
        check_url(f"https://{host}/", allow_insecure=False)


def test_private_suffix_matches_whole_labels_only():
    # "local" as part of a label is an ordinary public name.
    assert check_url("https://mylocal.com/", allow_insecure=False)
    assert check_url("https://internal.example.com/", allow_insecure=False)


def test_url_length_limit():
    base = "https://example.com/"
    exact = base + "a" * (MAX_URL_LENGTH - len(base))
    assert check_url(exact, allow_insecure=False) == exact
    with pytest.raises(ForbiddenUrl, match="too long"):
        check_url(exact + "a", allow_insecure=False)


# --- allow_insecure (tests and the offline demo) -------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8790/deezer/search",
        "http://127.0.0.1/",
        "http://127.5.6.7:1/",  # all of 127.0.0.0/8
        "https://127.0.0.1:9/",
        "http://localhost:8790/x",
        "http://LOCALHOST:8790/x",
        "http://[::1]:8790/x",
        "http://example.com/plain-http",
        "http://example.com:8080/any-port",
    ],
)
def test_insecure_mode_allows_http_and_loopback(url):
    assert check_url(url, allow_insecure=True) == url


@pytest.mark.parametrize("url", ["http://127.0.0.1:8790/", "http://localhost/", "http://[::1]/"])
def test_loopback_is_refused_in_production(url):
    with pytest.raises(ForbiddenUrl):
        check_url(url, allow_insecure=False)


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "169.254.169.254",
        "192.168.0.10",
        "0.0.0.0",
        "[::ffff:10.0.0.1]",
        "[fe80::1]",
        "[vf.127.0.0.1]",
        # Non-canonical forms are not recognised as loopback, so they stay refused even here.
        "2130706433",
        "0x7f000001",
        "127.1",
    ],
)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_insecure_mode_still_refuses_other_ip_literals(host, scheme):
    with pytest.raises(ForbiddenUrl, match="IP-literal host"):
        check_url(f"{scheme}://{host}:8080/latest/meta-data", allow_insecure=True)


@pytest.mark.parametrize("host", ["printer.local", "metadata.google.internal", "intranet-host"])
def test_insecure_mode_still_refuses_private_names(host):
    with pytest.raises(ForbiddenUrl, match="private host"):
        check_url(f"http://{host}/", allow_insecure=True)


def test_insecure_mode_still_refuses_credentials_and_odd_schemes():
    with pytest.raises(ForbiddenUrl, match="credentials"):
        check_url("http://u:p@127.0.0.1:8790/", allow_insecure=True)
    with pytest.raises(ForbiddenUrl, match="scheme"):
        check_url("ftp://127.0.0.1/", allow_insecure=True)
    with pytest.raises(ForbiddenUrl, match="scheme"):
        check_url("gopher://localhost/", allow_insecure=True)


# --- Hosts that Python's urlsplit reads differently from the WHATWG URL parser that the
# runtime's fetch uses (Node's `new URL(u).hostname` gives the hosts in the comments): refused.

WHATWG_BYPASSES = [
    # backslash is a path separator for https in WHATWG -> host 169.254.169.254
    "https://169.254.169.254\\.example.com/latest/meta-data",
    "https://10.0.0.1\\.example.com/",
    # percent-encoded dot in the host is decoded by WHATWG -> 127.0.0.1
    "https://127.0.0%2E1/",
    # IDNA maps U+3002 / U+FF0E / U+FF61 to '.' -> 127.0.0.1
    "https://127.0.0\u30021/",
    "https://127.0.0\uff0e1/",
    "https://127.0.0\uff611/",
    # -> a.foo.local
    "https://a.foo%2elocal/",
]


@pytest.mark.parametrize("url", WHATWG_BYPASSES)
def test_hosts_that_whatwg_reads_as_private_are_refused(url):
    with pytest.raises(ForbiddenUrl):
        check_url(url, allow_insecure=False)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://example.com/" + "a" * MAX_URL_LENGTH, "URL too long"),
        ("https://example.com\\@evil.example/", "URL has a backslash"),
        ("gopher://example.com/", "scheme gopher not allowed"),
        ("https:///no-host", "URL has no host"),
        ("https://exa_mple.com/", "host 'exa_mple.com' is not a plain DNS name"),
        ("https://user@example.com/", "credentials in URL not allowed"),
        ("https://user@[::1]/", "credentials in URL not allowed"),
        ("http://example.com/", "only https URLs are allowed"),
        ("https://10.0.0.1/", "IP-literal host 10.0.0.1 not allowed"),
        ("https://[::1]/", "IP-literal host ::1 not allowed"),
        ("https://intranet/", "private host intranet not allowed"),
        ("https://printer.local/", "private host printer.local not allowed"),
        ("https://example.com:8443/", "port 8443 not allowed"),
    ],
)
def test_each_refusal_states_its_reason(url, reason):
    with pytest.raises(ForbiddenUrl) as refused:
        check_url(url, allow_insecure=False)
    assert str(refused.value) == reason
