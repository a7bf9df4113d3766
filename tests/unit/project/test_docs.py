"""The README and docs/ hold together: every relative link resolves to a file (and heading), the
README stays short, and every docs/ page can be reached from it."""

import re
from collections import Counter

import pytest

from helpers.workflow import REPO

README = REPO / "README.md"
DOC_PAGES = sorted((REPO / "docs").glob("*.md"))
README_MAX_LINES = 200

FENCED_BLOCK = re.compile(r"^```.*?^```", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.M)


def prose(text):
    """The Markdown without code: links and headings inside code blocks are not links."""
    return FENCED_BLOCK.sub("", text)


def link_targets(text):
    """Every link target of the text outside code, in order."""
    return LINK.findall(INLINE_CODE.sub("", prose(text)))


def heading_anchors(text):
    """GitHub's anchors of the text's headings: lower case, punctuation dropped, spaces to
    hyphens; a repeated heading gets -1, -2, ..."""
    anchors, seen = set(), Counter()
    for heading in HEADING.findall(prose(text)):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchors.add(f"{slug}-{seen[slug]}" if seen[slug] else slug)
        seen[slug] += 1
    return anchors


def relative_links(page):
    """(target path, anchor or None) of each link on the page that stays in the repository."""
    links = []
    for target in link_targets(page.read_text()):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        links.append(((page.parent / path).resolve() if path else page, anchor or None))
    return links


@pytest.mark.parametrize("page", [README, *DOC_PAGES], ids=lambda page: page.name)
def test_every_relative_link_points_at_an_existing_file_and_heading(page):
    broken = []
    for path, anchor in relative_links(page):
        if not path.exists():
            broken.append(f"{path.relative_to(REPO)} does not exist")
        elif anchor and path.suffix == ".md" and anchor not in heading_anchors(path.read_text()):
            broken.append(f"{path.relative_to(REPO)} has no heading #{anchor}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_the_readme_is_read_in_ten_minutes():
    lines = README.read_text().count("\n")
    assert lines < README_MAX_LINES, f"README.md has {lines} lines; move detail to docs/"


def test_every_docs_page_is_linked_from_the_readme():
    linked = {path for path, _ in relative_links(README)}
    unlinked = [page.name for page in DOC_PAGES if page.resolve() not in linked]
    assert DOC_PAGES and not unlinked, f"docs/ pages the README does not link: {unlinked}"


def test_anchors_follow_githubs_rule():
    text = "# What `results/eval/{model}/` holds\n## Would more labels help?\n## Notes\n## Notes\n"
    assert heading_anchors(text) == {
        "what-resultsevalmodel-holds",
        "would-more-labels-help",
        "notes",
        "notes-1",
    }
    assert heading_anchors("```\n# not a heading\n```\n") == set()
