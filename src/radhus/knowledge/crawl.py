"""Website crawler: start URLs and sitemaps, allowed domains, robots.txt, limits, and change detection."""

from __future__ import annotations

import hashlib
import re
import time
import urllib.robotparser
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlparse

import httpx

from radhus.core.errors import InvalidInput
from radhus.knowledge.models import ParsedDocument
from radhus.knowledge.parsers import DocumentError, parse_bytes

USER_AGENT = "RadhusCrawler/0.1 (+https://github.com/radhus)"
_CONTENT_TYPES = {
    "text/html": "text/html",
    "application/xhtml+xml": "text/html",
    "text/plain": "text/plain",
    "text/markdown": "text/markdown",
    "application/pdf": "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
}


@dataclass
class CrawlConfig:
    """What to crawl and the limits that keep a crawl bounded."""

    start_urls: list[str]
    allowed_domains: list[str] = field(default_factory=list)  # empty: the start URLs' hosts
    max_depth: int = 3
    max_pages: int = 200
    max_page_bytes: int = 10 * 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024
    time_limit_s: float = 600.0
    timeout_s: float = 10.0
    user_agent: str = USER_AGENT


@dataclass
class PageRecord:
    """What we remember about a page between crawls."""

    etag: str = ""
    last_modified: str = ""
    content_hash: str = ""
    links: list[str] = field(default_factory=list)


@dataclass
class CrawlReport:
    """Outcome of one crawl."""

    fetched: int = 0
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    disallowed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    bytes: int = 0
    stopped_reason: str = ""


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.nofollow = False

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href") and "nofollow" not in (attributes.get("rel") or ""):
            self.links.append(attributes["href"])
        if tag == "meta" and (attributes.get("name") or "").lower() == "robots":
            self.nofollow = "nofollow" in (attributes.get("content") or "").lower()


def crawl(
    *,
    config: CrawlConfig,
    state: dict[str, PageRecord],
    on_changed: Callable[[str, ParsedDocument], None],
    client: httpx.Client | None = None,
) -> CrawlReport:
    """Breadth-first crawl within the allowed domains; calls `on_changed` only for new or changed pages."""
    if not config.start_urls:
        raise InvalidInput("Ange minst en start-URL för webbinsamlingen.")
    allowed = {d.lower() for d in config.allowed_domains} or {urlparse(u).hostname or "" for u in config.start_urls}
    own_client = client is None
    client = client or httpx.Client(
        timeout=config.timeout_s, follow_redirects=True, headers={"User-Agent": config.user_agent}
    )
    report = CrawlReport()
    robots: dict[str, urllib.robotparser.RobotFileParser] = {}
    queue: deque[tuple[str, int]] = deque((_clean(u), 0) for u in config.start_urls)
    seen = {url for url, _ in queue}
    started = time.monotonic()
    try:
        while queue:
            reason = _limit_reached(config, report, started)
            if reason:
                report.stopped_reason = reason
                break
            url, depth = queue.popleft()
            if not _robots_for(url, robots, client, config).can_fetch(config.user_agent, url):
                report.disallowed.append(url)
                continue
            for link in _visit(
                url, depth, config=config, state=state, client=client, report=report, on_changed=on_changed
            ):
                if link not in seen and _in_domains(link, allowed):
                    seen.add(link)
                    queue.append((link, depth + 1))
    finally:
        if own_client:
            client.close()
    return report


def _limit_reached(config: CrawlConfig, report: CrawlReport, started: float) -> str:
    if report.fetched >= config.max_pages:
        return f"Högst {config.max_pages} sidor per insamling."
    if report.bytes >= config.max_total_bytes:
        return f"Högst {config.max_total_bytes / 1e6:.0f} MB per insamling."
    if time.monotonic() - started > config.time_limit_s:
        return f"Tidsgränsen {config.time_limit_s:.0f} s nåddes."
    return ""


def _visit(url, depth, *, config, state, client, report, on_changed) -> list[str]:
    """Fetch one URL (conditionally); index it when changed; return the links to follow."""
    record = state.get(url, PageRecord())
    headers = {}
    if record.etag:
        headers["If-None-Match"] = record.etag
    if record.last_modified:
        headers["If-Modified-Since"] = record.last_modified
    try:
        body, response = _fetch(client, url, headers=headers, limit=config.max_page_bytes)
    except (httpx.HTTPError, DocumentError) as exc:
        report.errors[url] = exc.message if isinstance(exc, DocumentError) else f"Kunde inte hämtas: {exc}"
        return []
    report.fetched += 1
    report.bytes += len(body)
    if response.status_code == 304:
        report.unchanged.append(url)
        return list(record.links) if depth < config.max_depth else []  # unchanged: follow the remembered links
    if response.status_code >= 400:
        report.errors[url] = f"Servern svarade {response.status_code}."
        return []
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if _is_sitemap(url, content_type, body):
        locations = re.findall(rb"<loc>\s*([^<\s]+)\s*</loc>", body)[:50_000]
        return [_clean(loc.decode("utf-8", errors="replace")) for loc in locations]
    links = _links(url, body) if _CONTENT_TYPES.get(content_type) == "text/html" and depth < config.max_depth else []
    digest = hashlib.sha256(body).hexdigest()
    new_record = PageRecord(
        etag=response.headers.get("etag", ""),
        last_modified=response.headers.get("last-modified", ""),
        content_hash=digest,
        links=links,
    )
    if digest == record.content_hash:
        report.unchanged.append(url)
        state[url] = new_record
        return links
    media_type = _CONTENT_TYPES.get(content_type)
    if media_type is None:
        report.errors[url] = f"Innehållstypen {content_type or 'okänd'} stöds inte."
        return links
    try:
        document = parse_bytes(body, filename=url, media_type=media_type, max_bytes=config.max_page_bytes)
    except DocumentError as exc:
        report.errors[url] = exc.message
        return links
    on_changed(url, document)
    state[url] = new_record
    report.changed.append(url)
    return links


def _fetch(client: httpx.Client, url: str, *, headers: dict, limit: int) -> tuple[bytes, httpx.Response]:
    """Stream a response, stopping at `limit` bytes."""
    with client.stream("GET", url, headers=headers) as response:
        declared = int(response.headers.get("content-length") or 0)
        if declared > limit:
            raise DocumentError(f"Sidan {url} är för stor ({declared / 1e6:.1f} MB).")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise DocumentError(f"Sidan {url} är större än gränsen {limit / 1e6:.0f} MB.")
            chunks.append(chunk)
        return b"".join(chunks), response


def _robots_for(url, cache, client, config) -> urllib.robotparser.RobotFileParser:
    parsed = urlparse(url)
    origin = f"{parsed.scheme}://{parsed.netloc}"
    if origin not in cache:
        parser = urllib.robotparser.RobotFileParser()
        try:
            response = client.get(f"{origin}/robots.txt", timeout=config.timeout_s)
            if response.status_code in (401, 403):
                parser.parse(["User-agent: *", "Disallow: /"])
            elif response.status_code < 400:
                parser.parse(response.text[:500_000].splitlines())
            else:
                parser.parse([])
        except httpx.HTTPError:
            parser.parse([])
        cache[origin] = parser
    return cache[origin]


def _is_sitemap(url: str, content_type: str, body: bytes) -> bool:
    head = body[:2048]
    return (content_type.endswith("xml") or url.endswith(".xml")) and (b"<urlset" in head or b"<sitemapindex" in head)


def _links(base: str, body: bytes) -> list[str]:
    parser = _LinkParser()
    try:
        parser.feed(body.decode("utf-8", errors="replace"))
    except Exception:  # noqa: BLE001 - broken markup yields no links
        return []
    if parser.nofollow:
        return []
    out = []
    for href in parser.links:
        absolute = _clean(urljoin(base, href.strip()))
        if urlparse(absolute).scheme in ("http", "https"):
            out.append(absolute)
    return out


def _clean(url: str) -> str:
    return urldefrag(url.strip())[0]


def _in_domains(url: str, allowed: set[str]) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in allowed)


def crawl_into_index(*, index, collection_id: str, config: CrawlConfig, state: dict[str, PageRecord]) -> CrawlReport:
    """Crawl and (re)index only new or changed pages into a collection; pages keep their URL as document id."""
    from radhus.knowledge.service import index_document

    def store(url: str, document: ParsedDocument) -> None:
        index_document(index=index, collection_id=collection_id, document=document, source=url)

    return crawl(config=config, state=state, on_changed=store)
