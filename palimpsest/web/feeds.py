"""Atom feeds of change events: all of them, a tag's, or one watch's (and its related pages).

Each entry is one change event; its content is the plain-text alert for it (headline, kinds,
paywall states, the changed sentences with ``[-removed-]{+added+}`` markers), so a feed
reader shows what an alert would have said.
"""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.models import Change, Watch, WatchTag
from palimpsest.alerting.delivery import load_fields
from palimpsest.alerting.messages import render_alert

ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 50
EXCERPT_CHARS = 1500


def recent_changes(
    session: Session, tag: str | None = None, watch_id: int | None = None
) -> list[Change]:
    query = select(Change).join(Watch, Watch.id == Change.watch_id)
    if tag is not None:
        query = query.where(
            or_(
                Watch.id.in_(select(WatchTag.watch_id).where(WatchTag.tag == tag)),
                Watch.related_to.in_(select(WatchTag.watch_id).where(WatchTag.tag == tag)),
            )
        )
    if watch_id is not None:
        query = query.where(or_(Watch.id == watch_id, Watch.related_to == watch_id))
    return list(session.scalars(query.order_by(Change.detected_at.desc()).limit(ENTRIES)))


def atom_feed(
    session: Session,
    changes: list[Change],
    title: str,
    self_url: str,
    web_url: str | None,
    now: datetime,
) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", title)
    _text(feed, "id", f"urn:palimpsest:feed:{self_url}")
    _text(feed, "updated", (changes[0].detected_at if changes else now).isoformat())
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "Palimpsest")
    for change in changes:
        fields = load_fields(session, change, web_url, EXCERPT_CHARS)
        message = render_alert(fields, "text")
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", message.title)
        _text(entry, "id", f"urn:palimpsest:change:{change.id}")
        _text(entry, "updated", change.detected_at.isoformat())
        ET.SubElement(entry, f"{{{ATOM}}}link", href=fields["diff_url"] or fields["url"])
        for kind in change.kinds:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=kind)
        content = _text(entry, "content", message.body)
        content.set("type", "text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = value
    return element
