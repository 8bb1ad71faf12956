"""The crawler against a real http.server on 127.0.0.1: links, loops, robots.txt, sitemaps, limits, re-crawl."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from radhus.core.errors import InvalidInput
from radhus.knowledge.crawl import CrawlConfig, crawl, crawl_into_index
from radhus.knowledge.index import EmbeddedIndex


def _page(title: str, body: str, links: list[str]) -> bytes:
    anchors = "".join(f'<a href="{href}">{href}</a> ' for href in links)
    return (
        f"<html><head><title>{title}</title></head><body><nav>{anchors}</nav>"
        f"<main><h1>{title}</h1><p>{body}</p></main></body></html>"
    ).encode()


class Site:
    """A small site with a link loop, a robots-disallowed area, an external link and a sitemap."""

    def __init__(self) -> None:
        self.pages = {
            "/": _page("Start", "Välkommen till kommunen.", ["/a", "/b", "http://example.invalid/x", "/#top"]),
            "/a": _page("Förskola", "Ansök om förskoleplats i e-tjänsten.", ["/b", "/", "/privat/hemlig"]),
            "/b": _page("Bygglov", "Bygglovsansökan lämnas digitalt.", ["/a", "/c"]),  # loop a <-> b
            "/c": _page("Djup", "En sida längre ner.", ["/d"]),
            "/d": _page("Djupare", "Ännu längre ner.", []),
            "/privat/hemlig": _page("Hemlig", "Ska inte hämtas.", []),
            "/ensam": _page("Ensam", "Bara via sitemap.", []),
        }
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                site.hits.append(self.path)
                if self.path == "/robots.txt":
                    return self._send(b"User-agent: *\nDisallow: /privat/\n", "text/plain")
                if self.path == "/sitemap.xml":
                    base = f"http://127.0.0.1:{self.server.server_address[1]}"
                    xml = f'<?xml version="1.0"?><urlset><url><loc>{base}/ensam</loc></url></urlset>'
                    return self._send(xml.encode(), "application/xml")
                body = site.pages.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return None
                etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return None
                return self._send(body, "text/html; charset=utf-8", etag=etag)

            def _send(self, body, content_type, etag=None):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    s = Site()
    yield s
    s.close()


def test_crawl_follows_links_once_respects_robots_and_domains(site):
    state, seen = {}, []
    report = crawl(
        config=CrawlConfig(start_urls=[site.base + "/", site.base + "/sitemap.xml"], max_depth=5),
        state=state,
        on_changed=lambda url, doc: seen.append((url, doc.title)),
    )
    urls = {url.removeprefix(site.base) for url, _ in seen}
    assert urls == {"/", "/a", "/b", "/c", "/d", "/ensam"}
    assert "/privat/hemlig" not in site.hits and report.disallowed == [site.base + "/privat/hemlig"]
    assert all(site.hits.count(path) == 1 for path in ("/", "/a", "/b"))  # the a<->b loop is fetched once
    assert not report.errors


def test_depth_and_page_limits(site):
    shallow = crawl(
        config=CrawlConfig(start_urls=[site.base + "/"], max_depth=1), state={}, on_changed=lambda u, d: None
    )
    assert {u.removeprefix(site.base) for u in shallow.changed} == {"/", "/a", "/b"}
    limited = crawl(
        config=CrawlConfig(start_urls=[site.base + "/"], max_pages=2), state={}, on_changed=lambda u, d: None
    )
    assert limited.fetched == 2 and "2 sidor" in limited.stopped_reason
    tiny = crawl(
        config=CrawlConfig(start_urls=[site.base + "/"], max_page_bytes=50), state={}, on_changed=lambda u, d: None
    )
    assert "för stor" in tiny.errors[site.base + "/"]


def test_recrawl_reindexes_only_changed_pages(site):
    index = EmbeddedIndex()
    state = {}
    config = CrawlConfig(start_urls=[site.base + "/"], max_depth=5)
    first = crawl_into_index(index=index, collection_id="webb", config=config, state=state)
    assert len(first.changed) == 5
    assert index.search("bygglovsansökan", ["webb"], 1)[0].source == site.base + "/b"
    site.pages["/b"] = _page("Bygglov", "Bygglov söks nu via den nya portalen Mina sidor.", ["/a", "/c"])
    second = crawl_into_index(index=index, collection_id="webb", config=config, state=state)
    assert [u.removeprefix(site.base) for u in second.changed] == ["/b"]
    assert site.base + "/a" in second.unchanged
    hits = index.search("portalen", ["webb"], 3)
    assert hits and hits[0].source == site.base + "/b"
    assert not index.search("digitalt", ["webb"], 3)  # the old version of /b is gone


def test_crawl_needs_start_urls():
    with pytest.raises(InvalidInput):
        crawl(config=CrawlConfig(start_urls=[]), state={}, on_changed=lambda u, d: None)
