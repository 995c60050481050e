"""Every relative link in README.md and docs/*.md resolves to a file in the repository (and
its #anchor to a heading there): no links to notes that are not shipped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+\s+(.*)$", FENCE.sub("", path.read_text()), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def relative_links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text())
    return [t for t in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_relative_links_resolve(doc: Path) -> None:
    broken = []
    for link in relative_links(doc):
        target, _, anchor = link.partition("#")
        path = (doc.parent / target).resolve() if target else doc
        found = path.is_file() and ROOT in path.parents
        if not found or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(link)
    assert broken == []


def test_the_checker_sees_links_and_anchors() -> None:
    readme = relative_links(ROOT / "README.md")
    assert "docs/http.md#access-tokens-and-roles" in readme
    assert "access-tokens-and-roles" in anchors(ROOT / "docs" / "http.md")


def test_no_doc_names_the_unshipped_design_notes() -> None:
    for doc in DOCS:
        text = doc.read_text()
        assert "DESIGN.md" not in text, doc
        assert "API.md" not in text, doc
        assert "../shared" not in text, doc
