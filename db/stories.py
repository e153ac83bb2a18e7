"""Stories: an article watch and its related pages (canonical, AMP, print, feeds).

A new version of an article adds watches for the related pages it names; a related page
that carries much more of the story than the article's gated page leaves that comparison as
paywall evidence on the article's current version.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Version, Watch
from db.watches import add_watch
from monitor.paywall import GATED, UNKNOWN, signal
from palimpsest.errors import InvalidURL

# A related page "carries substantially more" of the story from this many times the words.
FULLER_RATIO = 2.0
FULLER_SIGNAL = "related_page_fuller"


def link_related(
    session: Session, watch: Watch, related: tuple[tuple[str, str], ...], now: datetime
) -> None:
    """Watch the pages an article names, unless it is itself a related page or opted out."""
    if watch.related_to is not None or not (watch.options or {}).get("related", True):
        return
    own = {watch.url, watch.moved_to}
    for url, relation in related:
        if url in own:
            continue
        try:
            add_watch(
                session, url, now, watch.every_seconds, related_to=watch.id, relation=relation
            )
        except InvalidURL:
            continue


def cross_check(session: Session, watch: Watch, version: Version) -> None:
    """Record on the article's current version that ``version`` of a related page is fuller."""
    if watch.related_to is None or watch.relation == "feed":
        return
    article = session.get(Watch, watch.related_to)
    if article is None or article.current_version_id is None:
        return
    current = session.get(Version, article.current_version_id)
    if current.paywall not in (GATED, UNKNOWN):
        return
    if version.word_count < FULLER_RATIO * max(current.word_count, 1):
        return
    evidence = [e for e in current.paywall_evidence if e.get("name") != FULLER_SIGNAL]
    detail = (
        f"the {watch.relation} page {watch.url} has {version.word_count} words, "
        f"this page {current.word_count}"
    )
    evidence.append(asdict(signal(FULLER_SIGNAL, detail)))
    current.paywall_evidence = evidence


def related_watches(session: Session, watch_id: int) -> list[Watch]:
    return list(
        session.scalars(select(Watch).where(Watch.related_to == watch_id).order_by(Watch.id))
    )
