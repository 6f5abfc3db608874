"""The preview image an article page declares for itself (Open Graph / Twitter card).

GET {article_url} (Accept: text/html) -> HTML; read <meta property="og:image" content="...">,
then og:image:secure_url, then twitter:image / twitter:image:src, then <link rel="image_src">.
Relative URLs are resolved against <base href> or the article URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from rewind_images.config import Settings
from rewind_images.sources.base import (
    ACCEPT_HTML,
    Candidate,
    SourceQuery,
    UpstreamRequest,
    base_headers,
    clean_hint,
    dedupe,
    is_http_url,
    optional_int,
)

NAME = "og_image"
# Longest article URL we will fetch; longer ones are not plausible bookmarks.
MAX_ARTICLE_URL_LENGTH = 2048
# Meta keys in order of preference, mapped to a priority (lower is better).
_IMAGE_KEYS = {
    "og:image": 0,
    "og:image:url": 0,
    "og:image:secure_url": 1,
    "twitter:image": 2,
    "twitter:image:src": 2,
}
_LINK_IMAGE_PRIORITY = 3
_META_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)
# Characters left alone when re-quoting a URL someone wrote with spaces or non-ASCII in it.
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~"


@dataclass
class _Found:
    priority: int
    order: int
    url: str
    width: int | None = None
    height: int | None = None


class _MetaCollector(HTMLParser):
    """Collects image declarations; og:image:width/height attach to the og:image before them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[_Found] = []
        self.base_href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key.lower(): (value or "") for key, value in attrs}
        if tag == "base" and self.base_href is None and values.get("href"):
            self.base_href = values["href"].strip()
        elif tag == "meta":
            self._meta(values)
        elif tag == "link" and "image_src" in values.get("rel", "").lower().split():
            href = values.get("href", "").strip()
            if href:
                self.found.append(_Found(_LINK_IMAGE_PRIORITY, len(self.found), href))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def _meta(self, values: dict[str, str]) -> None:
        # Sites use both property= (Open Graph) and name= (Twitter, and sloppy Open Graph).
        key = (values.get("property") or values.get("name") or "").strip().lower()
        content = values.get("content", "").strip()
        if not key or not content:
            return
        if key in _IMAGE_KEYS:
            self.found.append(_Found(_IMAGE_KEYS[key], len(self.found), content))
        elif key in ("og:image:width", "og:image:height"):
            target = next((f for f in reversed(self.found) if f.priority <= 1), None)
            if target is not None:
                if key.endswith("width"):
                    target.width = optional_int(content)
                else:
                    target.height = optional_int(content)


def _decode(body: bytes) -> str:
    """Decode HTML using a BOM or <meta charset>, falling back to UTF-8 then Windows-1252."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="replace")
    declared = _META_CHARSET_RE.search(body[:4096])
    if declared:
        try:
            return body.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass  # unknown charset name: fall through to the guesses
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _normalise_url(raw: str, page_url: str, base_href: str | None) -> str | None:
    """Resolve against the page (and <base>), require http(s), percent-encode stray characters."""
    base = urljoin(page_url, base_href) if base_href else page_url
    try:
        resolved = urljoin(base, raw.strip())
        parts = urlsplit(resolved)
    except ValueError:
        return None
    cleaned = urlunsplit(
        (
            parts.scheme,
            parts.netloc,
            quote(parts.path, safe=_URL_SAFE),
            quote(parts.query, safe=_URL_SAFE),
            "",  # a fragment never reaches the server
        )
    )
    return cleaned if is_http_url(cleaned) else None


def _article_url(query: SourceQuery) -> str | None:
    url = clean_hint(query.article_url)
    if url is None or len(url) > MAX_ARTICLE_URL_LENGTH or not is_http_url(url):
        return None
    return url


@dataclass(frozen=True)
class OgImageSource:
    """The og:image (or fallback) of the article page itself."""

    name: str = NAME

    def request(self, query: SourceQuery, settings: Settings) -> UpstreamRequest | None:
        """GET the article page; needs an absolute http(s) article_url without credentials."""
        url = _article_url(query)
        if url is None:
            return None
        # The fragment is client-side only; sending it would be wrong.
        parts = urlsplit(url)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))
        return UpstreamRequest(
            url=url, headers=base_headers(settings, ACCEPT_HTML), accept_json=False
        )

    def parse(
        self,
        query: SourceQuery,
        body: bytes,
        settings: Settings,
        *,
        final_url: str | None = None,
    ) -> list[Candidate]:
        """Image URLs declared by the page, og:image first; [] when it declares none."""
        page_url = _article_url(query)
        if page_url is None:
            return []
        collector = _MetaCollector()
        # html.parser is forgiving: broken markup yields fewer tags, never an exception.
        collector.feed(_decode(body))
        collector.close()
        ordered = sorted(collector.found, key=lambda f: (f.priority, f.order))
        candidates: list[Candidate] = []
        for item in ordered:
            url = _normalise_url(item.url, page_url, collector.base_href)
            if url is not None:
                candidates.append(Candidate(NAME, url, item.width, item.height))
        return dedupe(candidates)


OG_IMAGE = OgImageSource()
