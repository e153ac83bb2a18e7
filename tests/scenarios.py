"""Article timelines for the detection tests: each a list of rounds, each round a page served
(with per-fetch noise on top) and the change kinds expected when it is checked.

Round 0 is the baseline: no change event. A round's ``expected`` lists the kinds of the one
change event that round must produce, or ``None`` for no event at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from palimpsest.localsite import article_page

TITLE = "Harbour bridge to close to cars"
STORY = [
    "The city council of Springfield voted on Tuesday to close the old harbour bridge to cars "
    "from next spring, after engineers found corrosion in two of its steel supports.",
    "Buses and cyclists will still be allowed to cross while repairs are planned, the council "
    "said in a statement published after a debate that lasted more than four hours.",
    "Local shop owners warned that the closure would cut them off from customers on the north "
    "bank, and asked the council for free parking near the ferry terminal instead.",
    "The bridge, built in 1931, carries about twelve thousand vehicles a day, according to the "
    "regional transport authority, which will publish a plan for detours in January.",
    "Engineers said the supports could be repaired within two years if funding is approved by "
    "the regional government, which has so far promised only half of the estimated cost.",
    "Opposition councillors called the decision rushed and said residents had not been "
    "consulted, while the mayor said safety had to come before convenience.",
]
REWRITTEN = [
    STORY[0],
    STORY[1].replace("while repairs are planned", "until the repairs start in May"),
    *STORY[2:],
    "Correction: an earlier version of this article said the bridge was built in 1913.",
]


def json_ld(free: bool | str) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": TITLE,
        "isAccessibleForFree": free,
    }
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


SUBSCRIBE = (
    '<div class="paywall"><p>This article is for subscribers only.</p>'
    "<p>Subscribe to continue reading. Already a subscriber? Sign in.</p></div>"
)


def full(title: str = TITLE, paragraphs: list[str] = STORY) -> str:
    return article_page(title, paragraphs, head=json_ld(True))


def gated(head: str = "") -> str:
    return article_page(TITLE, STORY[:1], head=json_ld("False") + head, after=SUBSCRIBE)


def metered(left: int) -> str:
    modal = (
        f'<div class="modal" id="meter"><p>You have {left} free articles left this month.</p>'
        "<p>Subscribe for unlimited access.</p></div>"
    )
    return article_page(
        TITLE,
        STORY,
        head='<meta property="article:content_tier" content="metered">' + json_ld(False),
        tail=modal,
    )


BOT_WALL = (
    "<html><head><title>Just a moment...</title></head><body><h1>Checking if the site "
    "connection is secure</h1><p>Enable JavaScript and cookies to continue.</p></body></html>"
)
NOT_FOUND = "<html><head><title>Page not found</title></head><body><p>Sorry.</p></body></html>"


@dataclass(frozen=True)
class Round:
    body: str
    expected: tuple[str, ...] | None = None
    status: int = 200
    location: str | None = None  # for a redirect: the timeline name it points to
    also: dict[str, str] = field(default_factory=dict)  # other timelines' pages this round


def moved(name: str, expected: tuple[str, ...] | None) -> Round:
    """``name`` now answers 301 to ``name-new``, which serves the same article."""
    return Round("", expected, status=301, location=f"{name}-new", also={f"{name}-new": full()})


TIMELINES: dict[str, list[Round]] = {
    "paywall-lifted": [
        Round(gated()),
        Round(gated()),
        Round(full(), ("paywall_lifted",)),
        Round(full()),
    ],
    "paywall-added": [
        Round(full()),
        Round(full()),
        Round(gated(), ("paywall_added",)),
        Round(gated()),
    ],
    "rewritten-and-corrected": [
        Round(full()),
        Round(full(paragraphs=REWRITTEN), ("text_changed",)),
        Round(full(paragraphs=REWRITTEN)),
        Round(full(paragraphs=REWRITTEN)),
    ],
    "headline-changed": [
        Round(full()),
        Round(full()),
        Round(full("Harbour bridge closes to cars next spring"), ("title_changed",)),
        Round(full("Harbour bridge closes to cars next spring")),
    ],
    "noise-only": [Round(full()), Round(full()), Round(full()), Round(full())],
    "removed-404": [
        Round(full()),
        Round(NOT_FOUND, status=404),
        Round(NOT_FOUND, ("removed",), status=404),
        Round(full(), ("restored",)),
    ],
    "removed-410": [
        Round(full()),
        Round(NOT_FOUND, status=410),
        Round(NOT_FOUND, ("removed",), status=410),
        Round(NOT_FOUND, status=410),
    ],
    "transient-503": [
        Round(full()),
        Round("Service unavailable", status=503),
        Round(full()),
        Round(full()),
    ],
    "metered-counter": [Round(metered(5)), Round(metered(4)), Round(metered(3)), Round(metered(2))],
    "moved-permanently": [
        Round(full()),
        Round(full()),
        moved("moved-permanently", ("moved",)),
        moved("moved-permanently", None),
    ],
    "flip-flop": [
        Round(full()),
        Round(full(paragraphs=REWRITTEN), ("text_changed",)),
        Round(full()),
        Round(full(paragraphs=REWRITTEN)),
    ],
    "bot-wall-once": [Round(full()), Round(BOT_WALL, status=403), Round(full()), Round(full())],
}


def publish_round(site, path: Callable[[str], str], number: int) -> None:
    """Serve round ``number`` of every timeline, at ``path(name)``, with per-fetch noise."""
    for name, timeline in TIMELINES.items():
        step = timeline[number]
        query = {"status": str(step.status), "noise": "1"}
        if step.location:
            query["location"] = "/" + path(step.location)
        site.publish(path(name), step.body, **query)
        for other, body in step.also.items():
            site.publish(path(other), body, noise="1")


ROUNDS = max(len(t) for t in TIMELINES.values())
