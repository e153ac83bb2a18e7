"""Paywall states: page cases as data (HTML through extraction, evidence and decision), the
decision on plain signals, and the scrambled-text test on prose in seven languages."""

from __future__ import annotations

import json
import random
import re
from html import escape

import pytest
from trafilatura.utils import load_html

from monitor.paywall import (
    DERIVED,
    FREE,
    GATED,
    METERED,
    READABLE,
    SIGNALS,
    STATES,
    UNKNOWN,
    decide,
    looks_scrambled,
    signal,
)
from scraper.evidence import page_signals
from scraper.extract import extract_article
from tests.scenarios import STORY

STUB = STORY[:1]
BLOCK = (
    '<div class="article-paywall"><p>Subscribe to continue reading.</p>'
    "<p>Already a subscriber? Sign in.</p></div>"
)


def page(paragraphs=STORY, *, head="", after="", tail="", nav="", footer="", lang="en") -> str:
    """A news page: navigation, the article (``after`` closes it), ``tail``, a footer."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Harbour bridge to close | Gazette</title>
{head}</head><body>
<nav><a href="/">Home</a> <a href="/subscribe">Subscribe</a> {nav}</nav>
<main><article><h1>Harbour bridge to close</h1>
<p class="byline">By Jane Reporter</p>
{body}
{after}
</article></main>
<aside><h2>Most read</h2><ul><li>Storm closes schools across the region</li></ul></aside>
{tail}
<footer>© Springfield Gazette · <a href="/newsletter">Subscribe to our newsletter</a> {footer}
</footer></body></html>"""


def ld(data) -> str:
    text = data if isinstance(data, str) else json.dumps(data)
    return f'<script type="application/ld+json">{text}</script>'


def news(free, **more) -> str:
    return ld({"@type": "NewsArticle", "headline": "Bridge", "isAccessibleForFree": free} | more)


def part(selector, free="False") -> dict:
    return {"@type": "WebPageElement", "isAccessibleForFree": free, "cssSelector": selector}


def tier(value: str, attribute: str = "property") -> str:
    return f'<meta {attribute}="article:content_tier" content="{value}">'


def section(css: str, paragraphs: list[str]) -> str:
    kind, name = ("id", css[1:]) if css.startswith("#") else ("class", css[1:])
    return f'<div {kind}="{name}">' + "".join(f"<p>{escape(p)}</p>" for p in paragraphs) + "</div>"


def shuffled(paragraphs: list[str], seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [re.sub(r"\w+", lambda m: "".join(rng.sample(m[0], len(m[0]))), p) for p in paragraphs]


# JSON-LD and microdata in the shapes publishers use.
GRAPH = ld({"@graph": [{"@type": "WebPage"}, {"@type": "Article", "isAccessibleForFree": "False"}]})
ARRAY = ld([{"@type": "Organization"}, {"@type": "ReportageNewsArticle", "isAccessibleForFree": 0}])
MAIN_ENTITY = ld({"@type": "WebPage", "mainEntity": {"isAccessibleForFree": "false"}})
COMMENTED = ld('<!-- {"@type": "NewsArticle", // the article\n "isAccessibleForFree": false,} -->')
MALFORMED = ld('{"@type": "NewsArticle", "headline": \'single quotes\'}')
MALFORMED_FALSE = ld('{"@type": "NewsArticle", "isAccessibleForFree": "False", x}')
MICRODATA = '<meta itemprop="isAccessibleForFree" content="false">'
NYT_MICRODATA = (
    '<div itemscope itemtype="http://schema.org/NewsArticle">'
    + MICRODATA
    + '<span itemprop="hasPart" itemscope itemtype="http://schema.org/WebPageElement">'
    '<meta itemprop="isAccessibleForFree" content="False">'
    '<meta itemprop="cssSelector" content=".meteredContent"></span></div>'
)
REST = STORY[1:]
PREMIUM = section(".premium", ["This article is for subscribers only.", "Subscribe now."])
EMPTY = '<div id="rest"></div>'
READ_FULL = "<p>To read the full article, subscribe.</p>"
NAV = "<a>Subscribers only: the weekly briefing</a>"
METER_AFTER = "<p>You have 1 free article remaining. Subscribe to continue reading.</p>"
PIANO = (
    '<script src="https://cdn.tinypass.com/api/tinypass.min.js"></script><script>tp = []</script>'
)
VENDORS = "".join(
    f'<script src="https://{host}"></script>'
    for host in ("experience.piano.io/x.js", "assets.poool.fr/poool.js", "cdn.zephr.com/z.js")
)
METER = '<div class="modal"><p>You have 2 free articles left this month.</p><p>Subscribe.</p></div>'
MODAL = '<div role="dialog" aria-modal="true"><p>Subscribe to continue reading.</p></div>'
EARLY = "Readers must now subscribe to continue reading after five articles a month, they said."
# The story in the main languages of the news: its first sentence makes a stub.
PROSE = {
    "en": "The city council voted on Tuesday to close the old harbour bridge to cars from next "
    "spring, after engineers found corrosion in two of its steel supports. Buses and cyclists "
    "will still be allowed to cross while repairs are planned, the council said in a statement "
    "published after a debate that lasted more than four hours. Local shop owners warned that "
    "the closure would cut them off from customers on the north bank.",
    "fr": "Le conseil municipal a voté mardi la fermeture du vieux pont du port aux voitures à "
    "partir du printemps prochain, après que des ingénieurs ont découvert de la corrosion dans "
    "deux de ses piliers en acier. Les bus et les cyclistes pourront toujours traverser pendant "
    "les travaux, a précisé la mairie dans un communiqué publié après un débat de plus de "
    "quatre heures. Les commerçants craignent de perdre leurs clients de la rive nord.",
    "de": "Der Stadtrat hat am Dienstag beschlossen, die alte Hafenbrücke ab dem nächsten "
    "Frühjahr für Autos zu sperren, nachdem Ingenieure Korrosion an zwei ihrer Stahlstützen "
    "gefunden hatten. Busse und Radfahrer dürfen die Brücke während der Reparaturen weiter "
    "nutzen, teilte die Stadt nach einer mehr als vierstündigen Debatte mit. Die Geschäftsleute "
    "am Nordufer fürchten, dass ihnen die Kundschaft wegbleibt, und fordern kostenlose Parkplätze.",
    "es": "El ayuntamiento votó el martes cerrar el viejo puente del puerto a los coches a partir "
    "de la próxima primavera, después de que los ingenieros encontraran corrosión en dos de sus "
    "soportes de acero. Los autobuses y los ciclistas podrán seguir cruzando mientras duren las "
    "obras, explicó el consistorio en un comunicado publicado tras un debate de más de cuatro "
    "horas. Los comerciantes de la orilla norte temen perder a sus clientes.",
    "it": "Il consiglio comunale ha votato martedì la chiusura alle auto del vecchio ponte del "
    "porto dalla prossima primavera, dopo che gli ingegneri hanno trovato corrosione in due dei "
    "suoi sostegni in acciaio. Autobus e ciclisti potranno continuare ad attraversarlo durante i "
    "lavori, ha spiegato il comune in una nota pubblicata dopo un dibattito durato più di quattro "
    "ore. I commercianti della riva nord temono di perdere i loro clienti.",
    "pt": "A câmara municipal votou na terça-feira o encerramento da velha ponte do porto aos "
    "carros a partir da próxima primavera, depois de os engenheiros terem encontrado corrosão em "
    "dois dos seus pilares de aço. Os autocarros e os ciclistas poderão continuar a atravessar "
    "durante as obras, explicou a autarquia num comunicado publicado depois de um debate de mais "
    "de quatro horas. Os comerciantes da margem norte receiam perder os seus clientes.",
    "nl": "De gemeenteraad heeft dinsdag besloten de oude havenbrug vanaf volgend voorjaar af te "
    "sluiten voor auto's, nadat ingenieurs corrosie hadden gevonden in twee van de stalen "
    "steunen. Bussen en fietsers mogen de brug tijdens de reparaties blijven gebruiken, meldde "
    "de gemeente na een debat van meer dan vier uur. Winkeliers op de noordoever vrezen hun "
    "klanten kwijt te raken en vragen om gratis parkeerplaatsen bij de veerboot.",
}
# The block that ends a stub, in those languages.
BLOCKS = {
    "fr": "Il vous reste 78% de cet article à lire. La suite est réservée aux abonnés.",
    "de": "Dieser Artikel ist nur für Abonnenten verfügbar. Jetzt weiterlesen mit Plus.",
    "de-plus": "Weiterlesen mit SZ Plus",
    "es": "Este contenido es exclusivo para suscriptores. Suscríbete para seguir leyendo.",
    "it": "Questo articolo è riservato agli abbonati.",
    "pt": "Conteúdo exclusivo para assinantes. Assine para continuar lendo.",
    "nl": "Dit artikel is exclusief voor abonnees.",
}
NO_ENDING = "-subscription_block -subscription_prompt"
NOT_FREE, FREE_SAYS = "isAccessibleForFree:false", "isAccessibleForFree:true"

# name: ("state +signal-in-the-evidence -signal-not-in-it", page)
PAGE_CASES: dict[str, tuple[str, str]] = {
    "json-ld-false-bool-stub-and-block": (
        f"gated +{NOT_FREE} +subscription_block",
        page(STUB, head=news(False), after=BLOCK),
    ),
    "json-ld-false-string-in-graph-stub": (f"gated +{NOT_FREE}", page(STUB, head=GRAPH)),
    "json-ld-zero-in-array-stub": (f"gated +{NOT_FREE}", page(STUB, head=ARRAY)),
    "json-ld-false-under-main-entity-full-text": ("metered", page(head=MAIN_ENTITY)),
    "json-ld-false-in-value-list-full-text": ("metered", page(head=news(["False"]))),
    "json-ld-true-bool-full-text": (f"free +{FREE_SAYS}", page(head=news(True))),
    "json-ld-true-string-stub": (f"free +{FREE_SAYS}", page(STUB, head=news("True"))),
    "json-ld-yes-string-full-text": (f"free +{FREE_SAYS}", page(head=news("yes"))),
    "json-ld-commented-trailing-comma": (
        f"metered +{NOT_FREE} -json-ld:unparsable",
        page(head=COMMENTED),
    ),
    "json-ld-malformed-full-text": ("free +json-ld:unparsable", page(head=MALFORMED)),
    "json-ld-malformed-says-false-stub": (
        f"gated +json-ld:unparsable +{NOT_FREE}",
        page(STUB, head=MALFORMED_FALSE),
    ),
    # hasPart WebPageElement with a cssSelector: what the named section holds.
    "has-part-section-holds-the-text": (
        "metered +paywalled_part:text",
        page(STUB, head=news(False, hasPart=[part(".paywall")]), after=section(".paywall", REST)),
    ),
    "has-part-section-holds-a-subscription-block": (
        "gated +subscription_block",
        page(STORY[:2], head=news(False, hasPart=part(".premium", False)), after=PREMIUM),
    ),
    "has-part-selector-list-names-an-empty-section-after-a-long-lead": (
        "gated +paywalled_part:empty",
        page(STORY[:5], head=news("false", hasPart=[part([".locked", "#rest"])]), after=EMPTY),
    ),
    "has-part-microdata-metered-section-holds-the-text": (
        f"metered +{NOT_FREE} +paywalled_part:text",
        page(STUB, after=NYT_MICRODATA + section(".meteredContent", REST)),
    ),
    "microdata-false-stub": (f"gated +{NOT_FREE}", page(STUB, after=MICRODATA)),
    # article:content_tier.
    "content-tier-free": ("free +content_tier:free", page(head=tier("free"))),
    "content-tier-metered-full-text": ("metered", page(head=tier("metered"))),
    "content-tier-locked-stub": ("gated", page(STUB, head=tier("locked"))),
    "content-tier-locked-full-text-in-html": ("metered", page(head=tier("locked", "name"))),
    # Subscription blocks where the article ends, and only there.
    "block-after-stub-no-declaration": ("gated +subscription_block", page(STUB, after=BLOCK)),
    "block-after-long-teaser": ("gated +subscription_block", page(after=READ_FULL)),
    **{
        f"block-after-stub-{lang}": (
            "gated +subscription_block",
            page([PROSE[lang[:2]].split(". ")[0]], after=f"<p>{block}</p>", lang=lang[:2]),
        )
        for lang, block in BLOCKS.items()
    },
    "subscribe-in-nav-and-footer-full-text": (f"free {NO_ENDING}", page(nav=NAV, footer=BLOCK)),
    "subscribe-in-nav-and-footer-stub": (f"unknown {NO_ENDING}", page(STUB, footer=BLOCK)),
    "subscribe-phrase-early-in-long-text": (f"free {NO_ENDING}", page([EARLY, *STORY])),
    # Vendors: a site that can gate is not a page that is gated.
    "vendor-script-alone-full-text": ("free +vendor_script", page(head=PIANO)),
    "vendor-scripts-alone-stub": ("unknown +vendor_script", page(STUB, head=VENDORS)),
    # Meters and modals over the full text.
    "metered-modal-over-full-text": (
        f"metered +meter_notice {NO_ENDING}",
        page(head=tier("metered") + news(False), tail=METER),
    ),
    "meter-count-and-subscribe-phrase-after-full-text": (
        f"metered +meter_notice {NO_ENDING}",
        page(after=METER_AFTER),
    ),
    "paywall-modal-over-full-text": ("metered +paywall_modal", page(tail=MODAL)),
    # Scrambled teasers.
    "scrambled-teaser-in-blurred-element": (
        "gated +scrambled_text",
        page(STORY[:2], after=section(".body--blurred", shuffled(STORY[2:]))),
    ),
    "scrambled-teaser-as-plain-paragraphs": (
        "gated +scrambled_text",
        page(STORY[:2] + shuffled(STORY[2:], seed=3)),
    ),
    # No evidence at all.
    "no-evidence-full-text": ("free +text:long", page()),
    "no-evidence-stub": ("unknown +text:short", page(STUB)),
}


@pytest.mark.parametrize("name", PAGE_CASES)
def test_page_cases(name):
    expected, html = PAGE_CASES[name]
    state, *marks = expected.split()
    text = extract_article(html).article.text
    state_found, evidence = decide(page_signals(load_html(html), text), words=len(text.split()))
    names = {s.name for s in evidence}
    found = [m for m in marks if (m[1:] in names) == (m[0] == "+")]
    assert (state_found, found) == (state, marks), evidence


@pytest.mark.parametrize("name", ["block-after-stub-no-declaration", "block-after-long-teaser"])
def test_a_block_inside_the_extracted_text_counts_where_the_text_ends(name):
    html = PAGE_CASES[name][1]
    text = "\n".join(re.findall(r"<p>(.*?)</p>", html))  # the block is the text's last lines
    signals = page_signals(load_html(html), text)
    assert [s.detail.split(":")[0] for s in signals] == ["the end of the text"]


# name: (signals, words, longest version's words, related page's words, expected state)
DECIDE_CASES = {
    "nothing-long-text": ("", 400, None, None, FREE),
    "nothing-short-text": ("", 80, None, None, UNKNOWN),
    "vendor-alone-never-gates": ("vendor_script", 20, None, None, UNKNOWN),
    "declared-free-stub": ("isAccessibleForFree:true", 50, None, None, FREE),
    "declared-not-free-full-text": ("isAccessibleForFree:false", 800, None, None, METERED),
    "declared-not-free-stub": ("isAccessibleForFree:false", 80, None, None, GATED),
    "metered-tier-full-text": ("content_tier:metered", 800, None, None, METERED),
    "meter-notice-full-text": ("meter_notice", 800, None, None, METERED),
    "block-on-long-text": ("subscription_block", 800, None, None, GATED),
    "prompt-on-long-text": ("subscription_prompt", 800, None, None, FREE),
    "prompt-on-stub": ("subscription_prompt", 60, None, None, GATED),
    "scrambled-long-text": ("scrambled_text", 500, None, None, GATED),
    "much-shorter-than-longest": ("", 200, 1000, None, GATED),
    "a-little-shorter-than-longest": ("", 600, 1000, None, FREE),
    "a-little-shorter-declared-not-free": ("isAccessibleForFree:false", 600, 1000, None, METERED),
    "longest-too-short-to-compare": ("", 40, 120, None, UNKNOWN),
    "related-page-much-longer": ("", 300, None, 1200, GATED),
    "related-page-as-long": ("", 300, 310, 320, FREE),
}


@pytest.mark.parametrize("name", DECIDE_CASES)
def test_decide_cases(name):
    names, words, longest, related, expected = DECIDE_CASES[name]
    signals = [signal(n) for n in names.split()]
    assert decide(signals, words=words, longest_words=longest, related_words=related)[0] == expected


def test_decide_adds_length_and_comparisons_once_even_when_run_again():
    state, evidence = decide([signal("isAccessibleForFree:false")], words=100, longest_words=900)
    assert [s.name for s in evidence] == [
        "isAccessibleForFree:false",
        "text:short",
        "much_shorter_than_longest",
    ]
    assert evidence[2].detail == "100 of 900 words (11%)"
    assert decide(evidence, words=100, longest_words=900) == (state, evidence) == (GATED, evidence)


def test_signal_names_are_checked_and_states_listed():
    with pytest.raises(ValueError, match="known: isAccessibleForFree:false"):
        signal("paywall:maybe")
    assert set(STATES) == {FREE, METERED, GATED, UNKNOWN} and set(READABLE) == {FREE, METERED}
    assert set(SIGNALS) >= DERIVED


@pytest.mark.parametrize("lang", PROSE)
def test_prose_is_not_scrambled_and_its_shuffled_letters_are(lang):
    assert not looks_scrambled(PROSE[lang])
    assert all(looks_scrambled(shuffled([PROSE[lang]], seed)[0]) for seed in range(5))


def test_random_letters_are_scrambled_and_short_or_unalphabetic_text_is_not():
    rng = random.Random(1)
    noise = re.sub(r"[a-z]", lambda _: rng.choice("abcdefghijklmnopqrstuvwxyz"), PROSE["en"])
    assert looks_scrambled(noise)
    assert not looks_scrambled(shuffled([STORY[0]])[0])  # too few words to tell
    assert not looks_scrambled("市议会周二投票决定从明年春天起禁止汽车通过旧港口大桥。" * 5)
