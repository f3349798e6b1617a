"""Every page a person can reach on the demo, for every role, reads in Slovak and in Polish: no
English interface text and no raw code outside what people wrote (which the pages mark with the
city's `lang`). The sweep follows links from each role's start pages, two samples of each URL shape."""

from __future__ import annotations

import re
import threading
from collections import deque
from html.parser import HTMLParser

import pytest

from pb.demo.load import DEMO_PASSWORD
from tests.web.test_results_pages import count_and_publish

ROLES = {
    "anonymous": None,
    "resident": "resident@example.cz",
    "official": "official@example.cz",
    "commission": "commission@example.cz",
    "admin": "admin@example.cz",
}
STARTS = [
    "/",
    "/my/proposals",
    "/review/",
    "/commission/appeals/",
    "/commission/counting/",
    "/admin/",
    "/admin/audit",
    "/vote/zkusebni-hlasovani/",
    "/paper/",
    "/registry/",
    "/results",
    "/editions/liberec-2024/results",
]
SKIP = re.compile(
    r"^/(api/|static/|language/|account/logout)|\.(csv|json|pb|pdf|png|jpe?g|webp)$|/download"
)

# Interface words that only English has; a Slovak or Polish page with one of them left English.
ENGLISH = re.compile(
    r"\b(the|and|of|with|your|you|yours|not|page|pages|proposals?|editions?|results?|votes?|"
    r"voting|review|submit|submitted|sign in|budget|group|groups|projects?|small|large|"
    r"eligible|draft|withdraw|appeal|criteria|criterion|none|null|true|false|nobody|anyone|"
    r"filter|search|next|previous|newer|older|download|approve|publish|count|cost|amount|"
    r"total|when|who|what|before|after|hash|schedule|settings|home|back|cancel|save)\b",
    re.IGNORECASE,
)
RAW_CODES = re.compile(
    r"\b(?:edition|category|criterion|proposal|review|appeal|result|paper_ballot|registry)"
    r"\.[a-z_]+\b|\b(?:id_invalid|already_voted|ballot_rule|too_young|district_invalid|"
    r"equalshares(?:/add1)?|greedy)\b"
)


class _Text(HTMLParser):
    """The page's interface text: no scripts, no <code>, nothing in another language's `lang`."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "col", "area", "wbr"}

    def __init__(self, page_lang: str) -> None:
        super().__init__()
        self.page_lang = page_lang
        self.stack: list[bool] = []  # True: this element hides its content
        self.parts: list[str] = []

    def hidden(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        hide = (
            tag in {"script", "style", "code", "title", "textarea"}
            or (attrs.get("lang") not in (None, self.page_lang) and tag != "html")
            or "data-user-content" in attrs
        )
        if not self.hidden() and not hide:
            for name in ("aria-label", "title", "alt", "placeholder"):
                if attrs.get(name):
                    self.parts.append(attrs[name])
        if tag not in self.VOID:
            self.stack.append(hide)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self.hidden():
            self.parts.append(data)


def interface_text(html: str, lang: str) -> str:
    parser = _Text(lang)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0])


def _walk(client, lang: str, limit: int = 160) -> dict[str, str]:
    """Pages (path -> html) reachable by following links, at most two of each URL shape."""
    seen_shapes: dict[str, int] = {}
    pages: dict[str, str] = {}
    queue = deque(STARTS)
    while queue and len(pages) < limit:
        url = queue.popleft()
        if url in pages or SKIP.search(url.split("?")[0]):
            continue
        shape = _shape(url) + ("?" if "?" in url else "")
        if seen_shapes.get(shape, 0) >= 2:
            continue
        seen_shapes[shape] = seen_shapes.get(shape, 0) + 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            pages[url] = ""
            continue
        html = response.get_data(as_text=True)
        assert f'<html lang="{lang}"' in html, url
        pages[url] = html
        for link in re.findall(r'href="(/[^"#]*)"', html):
            link = link.replace("&amp;", "&")
            if link not in pages:
                queue.append(link)
    return pages


def _in_thread(work):
    result, errors = [], []

    def run():
        try:
            result.append(work())
        except BaseException as error:  # pragma: no cover - re-raised below
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return result[0]


def test_the_detector_finds_english_and_codes_but_not_user_content():
    html = (
        '<html lang="sk"><body><h1>Návrhy</h1><p>Show the results</p>'
        '<p lang="cs">The park and the school</p><p>equalshares/add1 result.publish</p></body></html>'
    )
    text = interface_text(html, "sk")
    assert ENGLISH.findall(text)[:2] == ["the", "results"]
    assert RAW_CODES.findall(text) == ["equalshares/add1", "result.publish"]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["sk", "pl"])
def test_every_page_of_every_role_reads_without_english(app, demo, lang):
    # The 2024 results published first: their pages (groups, statistics, versions) are swept too.
    count_and_publish(app.test_client())
    swept: list[str] = []

    def sweep():
        found: dict[str, list[str]] = {}
        total = 0
        swept.clear()
        for role, email in ROLES.items():
            client = app.test_client()
            if email:
                response = client.post(
                    "/account/login", data={"email": email, "password": DEMO_PASSWORD}
                )
                assert response.status_code == 302, role
            client.get(f"/language/{lang}")
            walked = _walk(client, lang)
            print(role, len(walked), sum(1 for h in walked.values() if h))
            for url, html in walked.items():
                if not html:
                    continue
                total += 1
                swept.append(url)
                text = interface_text(html, lang)
                bad = sorted(set(ENGLISH.findall(text)) | set(RAW_CODES.findall(text)))
                if bad:
                    found[f"{role} {url}"] = bad
        return found, total

    found, total = _in_thread(sweep)
    assert total > 40
    assert any("/editions/liberec-2024/results/groups/" in key for key in swept), "no results page"
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in sorted(found.items()))
