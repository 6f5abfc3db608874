"""The preview image an article page declares for itself (Open Graph, Twitter card, JSON-LD).

GET {article_url} (Accept: text/html; an http:// article URL is fetched over https) -> HTML.
Candidates, best first:
1. `og:image` (with `og:image:url` / `og:image:secure_url`, secure first): images declared
   with a size come first, largest first; images declared under MIN_DECLARED_SIDE px on their
   long side are dropped (site logos); undeclared ones follow in page order, those the page
   also names elsewhere (twitter:image, JSON-LD, image_src: same file name) first.
2. `twitter:image` / `twitter:image:src` (same size rule).
3. JSON-LD `image` (or a WebPage's `primaryImageOfPage`) of an Article, NewsArticle,
   BlogPosting, WebPage (or subtype): a URL string, an array, an ImageObject (`url` or
   `contentUrl`), or an `{"@id"}` reference to an ImageObject elsewhere in the `@graph`.
4. `<link rel="image_src">`.
Relative URLs resolve against `<base href>`, itself resolved against the page's final URL.
Entities are decoded once, by the HTML parser; JSON-LD text is JSON-decoded only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from rewind_images.config import (
    ARTICLE_PAGES_BUDGET,
    MAX_UPSTREAM_JSON_DEPTH,
    MAX_URL_LENGTH,
    Settings,
)
from rewind_images.json_nesting import nesting_exceeds
from rewind_images.sources.base import (
    ACCEPT_HTML,
    Candidate,
    SourceQuery,
    UpstreamRequest,
    base_headers,
    clean_hint,
    dedupe,
    https_url,
    is_http_url,
    optional_int,
)

NAME = "og_image"
# Candidates returned at most: each one costs the caller a download when the ones before fail.
MAX_CANDIDATES = 6
# An image declared smaller than this on its long side is a logo or an icon, not a picture.
MIN_DECLARED_SIDE = 200
# Tiers, best first.
_OG, _TWITTER, _JSON_LD, _LINK = range(4)
_TWITTER_KEYS = frozenset({"twitter:image", "twitter:image:src"})
# schema.org types whose `image` is the page's own picture (not an author's or a publisher's).
_PAGE_TYPES = frozenset(
    {
        "BlogPosting",
        "LiveBlogPosting",
        "SocialMediaPosting",
        "Report",
        "WebPage",
        "ItemPage",
        "CollectionPage",
    }
)
# Types an `image` value may have (none at all is common too).
_IMAGE_TYPES = frozenset({"ImageObject", "Photograph"})
_META_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)
_JSON_WRAPPER_RE = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")
# Characters left alone when re-quoting a URL someone wrote with spaces or non-ASCII in it.
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~"


@dataclass
class _Image:
    """One declared image: its URLs (best first) and the size the page declares for it."""

    tier: int
    order: int
    urls: list[str] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    has_url: bool = False  # og:image (or og:image:url) seen for this og:image
    secure: bool = False  # og:image:secure_url seen for this og:image


class _PageCollector(HTMLParser):
    """Collects <base>, Open Graph / Twitter meta, image_src links and JSON-LD script texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base_href: str | None = None
        self.images: list[_Image] = []
        self.json_ld: list[str] = []
        self._og: _Image | None = None  # the og:image that structured properties attach to
        self._twitter: _Image | None = None
        self._script: list[str] | None = None

    def _new(self, tier: int) -> _Image:
        image = _Image(tier, len(self.images))
        self.images.append(image)
        return image

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key.lower(): (value or "") for key, value in attrs}
        if tag == "base" and self.base_href is None and values.get("href", "").strip():
            self.base_href = values["href"].strip()
        elif tag == "meta":
            self._meta(values)
        elif tag == "link" and "image_src" in values.get("rel", "").lower().split():
            href = values.get("href", "").strip()
            if href:
                self._new(_LINK).urls.append(href)
        elif tag == "script" and values.get("type", "").strip().lower() == "application/ld+json":
            self._script = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.json_ld.append("".join(self._script))
            self._script = None

    def _meta(self, values: dict[str, str]) -> None:
        # Sites use both property= (Open Graph) and name= (Twitter, and sloppy Open Graph).
        key = (values.get("property") or values.get("name") or "").strip().lower()
        content = values.get("content", "").strip()
        if not key or not content:
            return
        og = self._og
        if key in ("og:image", "og:image:url"):
            # A new og:image starts a new image, unless it completes the current one (which
            # began with its secure_url) or repeats it (og:image:url is an alias).
            if og is not None and content in og.urls:
                return
            if og is None or og.has_url:
                og = self._og = self._new(_OG)
            og.urls.append(content)
            og.has_url = True
        elif key == "og:image:secure_url":
            if og is None or og.secure:
                og = self._og = self._new(_OG)
            og.urls.insert(0, content)
            og.secure = True
        elif key in ("og:image:width", "og:image:height") and og is not None:
            _set_size(og, key, content)
        elif key in _TWITTER_KEYS:
            self._twitter = self._new(_TWITTER)
            self._twitter.urls.append(content)
        elif key in ("twitter:image:width", "twitter:image:height") and self._twitter:
            _set_size(self._twitter, key, content)


def _set_size(image: _Image, key: str, content: str) -> None:
    if key.endswith("width"):
        image.width = optional_int(content)
    else:
        image.height = optional_int(content)


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


# --- JSON-LD ------------------------------------------------------------------------------------


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    # "https://schema.org/NewsArticle" and "schema:NewsArticle" name the same type.
    return {re.split(r"[/:#]", name)[-1] for name in names if isinstance(name, str)}


def _is_page_type(node: dict[str, Any]) -> bool:
    return any(name.endswith("Article") or name in _PAGE_TYPES for name in _types(node))


def _nodes(doc: Any) -> list[dict[str, Any]]:
    """Top-level nodes of a JSON-LD document: the object, an array's items, `@graph` items."""
    items = doc if isinstance(doc, list) else [doc]
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            out.append(item)
            graph = item.get("@graph")
            if isinstance(graph, list):
                out.extend(node for node in graph if isinstance(node, dict))
    return out


def _dimension(value: Any) -> int | None:
    if isinstance(value, dict):  # a QuantitativeValue
        value = value.get("value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return optional_int(value)


def _json_ld_images(texts: list[str], first_order: int) -> list[_Image]:
    """Images of the page's Article/WebPage nodes, in document order."""
    nodes: list[dict[str, Any]] = []
    for text in texts:
        try:
            block = _JSON_WRAPPER_RE.sub("", text)
            # Measured first: the parser's recursion would overflow the runtime's stack.
            if nesting_exceeds(block, MAX_UPSTREAM_JSON_DEPTH):
                continue
            doc = json.loads(block, strict=False)
        except (ValueError, RecursionError):
            continue  # a broken (or absurdly nested) block is the page's problem
        nodes.extend(_nodes(doc))
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    images: list[_Image] = []

    def add(value: Any) -> None:
        if isinstance(value, dict) and set(value) == {"@id"}:
            value = by_id.get(value["@id"])  # a reference to an ImageObject in the graph
        image = _Image(_JSON_LD, first_order + len(images))
        if isinstance(value, str):
            image.urls.append(value.strip())
        elif isinstance(value, dict) and _types(value) <= _IMAGE_TYPES:
            for key in ("url", "contentUrl"):
                if isinstance(value.get(key), str):
                    image.urls.append(value[key].strip())
            image.width = _dimension(value.get("width"))
            image.height = _dimension(value.get("height"))
        image.urls = [url for url in image.urls if url]
        if image.urls:
            images.append(image)

    for node in nodes:
        if _is_page_type(node):
            for key in ("image", "primaryImageOfPage"):
                value = node.get(key)
                for item in value if isinstance(value, list) else [value]:
                    add(item)
    return images


# --- ranking and URLs ---------------------------------------------------------------------------


def _declared_side(image: _Image) -> int | None:
    sides = [side for side in (image.width, image.height) if side]
    return max(sides) if sides else None


def _file_name(url: str) -> str:
    try:
        return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].lower()
    except ValueError:
        return ""


def _rank(images: list[_Image]) -> list[_Image]:
    """Tier order; within a tier, declared sizes largest first, then undeclared in page order.

    Undeclared og:images that the page also names elsewhere come before the others: Blogger
    declares the blog's 128 px logo as the first og:image and the post's picture second, and
    only the picture is repeated by twitter:image and image_src.
    """
    named_elsewhere = {
        _file_name(url) for image in images if image.tier != _OG for url in image.urls
    }
    kept = []
    for image in images:
        side = _declared_side(image)
        if side is None or side >= MIN_DECLARED_SIDE:
            kept.append(image)

    def key(image: _Image) -> tuple[int, int, int, int]:
        side = _declared_side(image)
        if side is not None:
            area = (image.width or side) * (image.height or side)
            return (image.tier, 0, -area, image.order)
        echoed = any(_file_name(url) in named_elsewhere for url in image.urls)
        return (image.tier, 1, 0 if echoed else 1, image.order)

    return sorted(kept, key=key)


def _normalise_url(raw: str, base: str, settings: Settings) -> str | None:
    """Resolve against the base, upgrade http, percent-encode stray characters."""
    try:
        parts = urlsplit(https_url(urljoin(base, raw.strip()), settings))
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


def _article_url(query: SourceQuery, settings: Settings) -> str | None:
    """The URL to fetch: validated, http upgraded to https, fragment dropped."""
    url = clean_hint(query.article_url)
    if url is None or len(url) > MAX_URL_LENGTH or not is_http_url(url):
        return None
    parts = urlsplit(https_url(url, settings))
    # The fragment is client-side only; sending it would be wrong.
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


@dataclass(frozen=True)
class OgImageSource:
    """The og:image (or fallback) of the article page itself."""

    name: str = NAME

    def request(self, query: SourceQuery, settings: Settings) -> UpstreamRequest | None:
        """GET the article page; needs an absolute http(s) article_url without credentials."""
        url = _article_url(query, settings)
        if url is None:
            return None
        # Pages are budgeted per site: one site's pages never spend another's.
        return UpstreamRequest(
            url=url,
            headers=base_headers(settings, ACCEPT_HTML),
            budget=ARTICLE_PAGES_BUDGET,
            budget_key=(urlsplit(url).hostname or "").lower(),
        )

    def parse(
        self,
        query: SourceQuery,
        body: bytes,
        settings: Settings,
        *,
        final_url: str | None = None,
    ) -> list[Candidate]:
        """Image URLs declared by the page, best first; [] when it declares none."""
        page_url = final_url if final_url and is_http_url(final_url) else None
        page_url = page_url or _article_url(query, settings)
        if page_url is None:
            return []
        collector = _PageCollector()
        # html.parser is forgiving: broken markup yields fewer tags, never an exception.
        collector.feed(_decode(body))
        collector.close()
        images = collector.images + _json_ld_images(collector.json_ld, len(collector.images))
        base = urljoin(page_url, collector.base_href) if collector.base_href else page_url
        candidates: list[Candidate] = []
        for image in _rank(images):
            for raw in image.urls:
                url = _normalise_url(raw, base, settings)
                if url is not None:
                    candidates.append(Candidate(NAME, url, image.width, image.height))
        return dedupe(candidates)[:MAX_CANDIDATES]


OG_IMAGE = OgImageSource()
