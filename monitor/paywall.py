"""Decide a version's paywall state (free, metered, gated, unknown) from weighted evidence.

A state describes the text we were served, not the publisher's business model:

- ``gated``: the text is cut (a stub, a subscription block at its end, a scrambled teaser,
  or far shorter than the story has been);
- ``metered``: the page declares a wall (a meter, ``isAccessibleForFree: false``, a content
  tier other than free) and yet carries the full text, in the text or in the HTML;
- ``free``: nothing suggests a wall and the text is long, or the page declares itself free;
- ``unknown``: too little to say (a short text and no evidence either way).

Each :class:`Signal` carries a ``weight`` (positive: the text is cut; negative: the text is
whole) and a ``metered`` weight (evidence that a wall exists on the page). :data:`SIGNALS`
lists every name with its weights; :func:`signal` makes one and rejects unknown names.

>>> decide([signal("isAccessibleForFree:false")], words=900)[0]
'metered'
>>> decide([signal("isAccessibleForFree:false"), signal("subscription_block")], words=60)[0]
'gated'
>>> decide([signal("vendor_script", "piano")], words=60)[0]
'unknown'
>>> decide([], words=300, longest_words=2000)[0]
'gated'
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

FREE, METERED, GATED, UNKNOWN = "free", "metered", "gated", "unknown"
STATES = (FREE, METERED, GATED, UNKNOWN)
# The states in which the version's text is the whole article.
READABLE = (FREE, METERED)

GATED_AT = 2.0  # total weight from which the text counts as cut
METERED_AT = 1.0  # total metered weight from which a wall counts as present
LONG_TEXT = 150  # words: a text this long is taken for an article, a shorter one may be a stub
MUCH_SHORTER, SHORTER = 0.4, 0.7  # this version's share of the longest / related text


@dataclass(frozen=True)
class Signal:
    """One piece of evidence. ``weight`` > 0: the text is cut; < 0: it is whole.

    ``metered`` > 0: a wall exists on the page (it may let this reader through).
    """

    name: str
    weight: float
    detail: str = ""
    metered: float = 0.0


# name: (weight, metered, what it means)
SIGNALS: dict[str, tuple[float, float, str]] = {
    "isAccessibleForFree:false": (1.0, 1.0, "JSON-LD or microdata declares the page not free"),
    "isAccessibleForFree:true": (-1.0, 0.0, "JSON-LD or microdata declares the page free"),
    "content_tier:locked": (1.0, 1.0, "article:content_tier is locked (or premium, paid)"),
    "content_tier:metered": (0.5, 1.0, "article:content_tier is metered"),
    "content_tier:free": (-1.0, 0.0, "article:content_tier is free"),
    "paywalled_part:text": (-1.0, 0.0, "the part declared not free holds >= 100 words"),
    "paywalled_part:empty": (2.0, 0.0, "the part declared not free holds < 20 words"),
    "paywalled_part:absent": (0.5, 0.0, "no element matches the part's cssSelector"),
    "subscription_block": (3.0, 0.0, "'subscribe to continue…' where the text ends"),
    "subscription_prompt": (1.0, 0.0, "'already a subscriber?…' where the text ends"),
    "scrambled_text": (3.0, 0.0, "the text ends in (or a blurred element holds) shuffled letters"),
    "meter_notice": (0.0, 1.0, "'you have 2 free articles left' somewhere on the page"),
    "paywall_modal": (1.0, 1.0, "a modal or overlay asks to subscribe, with no meter count"),
    "vendor_script": (0.25, 0.25, "a paywall vendor's script: the site can gate"),
    "json-ld:unparsable": (0.0, 0.0, "a JSON-LD script that is not JSON, skipped"),
    # Added by decide() from the word counts:
    "text:long": (-1.0, 0.0, f"the text has >= {LONG_TEXT} words"),
    "text:short": (1.0, 0.0, f"the text has < {LONG_TEXT} words"),
    "much_shorter_than_longest": (3.0, 0.0, f"< {MUCH_SHORTER:.0%} of the longest version"),
    "shorter_than_longest": (1.0, 0.0, f"< {SHORTER:.0%} of the longest version"),
    "much_shorter_than_related": (3.0, 0.0, f"< {MUCH_SHORTER:.0%} of a related page (AMP…)"),
    "shorter_than_related": (1.0, 0.0, f"< {SHORTER:.0%} of a related page (AMP, print)"),
    # Added later to a stored version, when a related page turns out fuller than it:
    "related_page_fuller": (0.0, 0.0, "a related page (AMP, print) has >= 2x the words"),
}
DERIVED = frozenset(name for name in SIGNALS if name.startswith(("text:", "much_", "shorter_")))


def signal(name: str, detail: str = "") -> Signal:
    """The signal ``name`` with its weights from :data:`SIGNALS`."""
    if name not in SIGNALS:
        raise ValueError(f"unknown paywall signal {name!r}; known: {', '.join(SIGNALS)}")
    weight, metered, _ = SIGNALS[name]
    return Signal(name, weight, detail, metered)


def decide(
    signals: Iterable[Signal],
    *,
    words: int,
    longest_words: int | None = None,
    related_words: int | None = None,
) -> tuple[str, list[Signal]]:
    """The paywall state of a version and all the evidence behind it.

    ``signals`` come from the page (``scraper.evidence.page_signals``); ``words`` is the
    version's word count, ``longest_words`` the longest version of the story seen before and
    ``related_words`` the longest related page (AMP, print). Signals that this function adds
    are dropped from ``signals`` first, so evidence read back from storage can be re-decided.

    The weights add up to a score: ``gated`` from 2; otherwise ``metered`` when the metered
    weights reach 1; otherwise ``free`` when the score is 0 or less, and ``unknown`` above.
    """
    evidence = [s for s in signals if s.name not in DERIVED]
    evidence.append(signal("text:long" if words >= LONG_TEXT else "text:short", f"{words} words"))
    for other, what in ((longest_words, "longest"), (related_words, "related")):
        if other and other >= LONG_TEXT and words < SHORTER * other:
            size = "much_shorter" if words < MUCH_SHORTER * other else "shorter"
            detail = f"{words} of {other} words ({words / other:.0%})"
            evidence.append(signal(f"{size}_than_{what}", detail))
    score = sum(s.weight for s in evidence)
    if score >= GATED_AT:
        return GATED, evidence
    if sum(s.metered for s in evidence) >= METERED_AT:
        return METERED, evidence
    return (FREE if score <= 0 else UNKNOWN), evidence


# Phrases of a subscription block, in the main languages of the news. Matched on
# normalise_phrase()d text: case-folded, one space, straight apostrophes.
BLOCK_PHRASES = re.compile(
    "|".join(
        (
            r"(?:subscribe|sign in|log in|register)(?: now)? to (?:continue|keep) reading",
            r"subscribe(?: now)? to read (?:the|this) (?:full|rest|whole|entire)",
            r"continue reading with (?:a|an) [\w ]{0,20}subscription",
            r"to (?:read|access) (?:the|this) (?:full|whole|entire|complete) (?:article|story)",
            r"read the rest of (?:this|the) (?:article|story)",
            r"(?:article|story|content|piece) is (?:only )?(?:available )?(?:exclusively )?"
            r"(?:for|to) (?:paying |our )?(?:subscribers|members)",
            r"(?:exclusive|only) (?:for|to) (?:paying |our )?subscribers|subscribers[- ]only",
            r"become a (?:subscriber|member) to (?:read|continue)",
            r"reached (?:your|the) (?:monthly )?(?:free )?(?:article )?limit",
            r"réservée? aux abonnés|il vous reste \d+ ?% de cet article",
            r"abonnez-vous pour (?:lire|continuer|poursuivre|accéder)",
            r"(?:nur|exklusiv) für (?:abonnenten|abonnentinnen|plus-)",
            r"weiterlesen mit [\w+ -]{0,20}(?:plus|\+|abo)|mit [\w -]{0,20}(?:plus|\+) weiterlesen",
            r"abonnieren und weiterlesen",
            r"um (?:den|diesen) (?:ganzen |vollständigen )?(?:artikel|beitrag)"
            r"(?: vollständig| weiter)? (?:zu )?lesen",
            r"exclusivo para (?:suscriptores|suscriptoras|socios|abonados)",
            r"(?:suscríbete|hazte suscriptor|hazte socio) (?:ahora )?para"
            r" (?:seguir|continuar|leer)",
            r"riservat[oa] agli abbonati|abbonati per (?:continuare|leggere)",
            r"exclusiv[oa] para assinantes|assine (?:já |agora )?para (?:continuar|ler)",
            r"(?:exclusief|alleen|enkel) voor abonnees|word abonnee (?:en lees|om)",
            r"om dit artikel (?:verder |volledig )?te lezen",
        )
    )
)
PROMPT_PHRASES = re.compile(
    r"already (?:a |an )?(?:subscriber|member)|already have (?:a|an) (?:subscription|account)"
    r"|loading, please wait|déjà abonné|(?:bereits|schon) (?:abonnent|abonniert)"
    r"|ya (?:eres|soy) (?:suscriptor|socio)|già abbonato|já (?:é|sou) assinante"
    r"|al (?:een )?abonnee|(?:heeft u|heb je) al een abonnement"
)
METER_PHRASES = re.compile(
    r"\d+ (?:more )?free (?:articles?|stories|story) (?:left|remaining)"
    r"|\d+ (?:of|out of) (?:your )?\d+ free (?:articles?|stories)"
    r"|free (?:articles?|stories) (?:left|remaining) this month"
    r"|il vous reste \d+ articles?|\d+ articles? gratuits?|\d+ kostenlose(?:n|r)? artikel"
    r"|te quedan? \d+ artículos?|\d+ artículos? gratuitos?|ti rest(?:a|ano) \d+ articol"
    r"|\d+ articoli gratuiti|restam? \d+ artigos?|\d+ artigos? gratuitos?|\d+ gratis artikel"
)


def normalise_phrase(text: str) -> str:
    """Case-folded NFKC text with one space and straight apostrophes, for the phrases."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    return " ".join(text.split())


def find_phrase(pattern: re.Pattern[str], text: str) -> str | None:
    """The first match of ``pattern`` in ``text`` (normalised), or None.

    >>> find_phrase(BLOCK_PHRASES, "… Il vous reste 72 % de cet article à lire.")
    'il vous reste 72 % de cet article'
    >>> find_phrase(BLOCK_PHRASES, "Subscribe to our newsletter") is None
    True
    """
    match = pattern.search(normalise_phrase(text))
    return match.group() if match else None


# Latin and Cyrillic vowels (Cyrillic a, ie, io, i, o, u, yeru, e, yu, ya, i, yi, ye),
# and words of 3+ letters of those alphabets.
_VOWELS = frozenset(
    "aeiouyæøœ\u0430\u0435\u0451\u0438\u043e\u0443\u044b\u044d\u044e\u044f\u0456\u0457\u0454"
)
_LETTERS = re.compile("[a-zæøœ\u0430-\u044f\u0451\u0456\u0457\u0454]{3,}")
MIN_SCRAMBLED_WORDS = 30
ALTERNATION_AT = 1.15  # prose alternates vowels and consonants more than this times chance
LONE_ALTERNATION_AT = 1.12  # the same, when fewer than two words repeat (no spellings to compare)
SPELLINGS_AT = 0.25  # share of repeated letter sets seen in several spellings ("the", "teh")
VOWELLESS_AT = 0.2  # share of words (acronyms aside) without a vowel: random letters


def looks_scrambled(text: str) -> bool:
    """Whether ``text`` is shuffled or random letters rather than prose (Latin or Cyrillic).

    Counted over words of 3+ letters (at least 30 of them, or the answer is False):

    - prose alternates vowels and consonants more than chance: >= 1.15 times the alternations
      a random order of each word's letters would give (shuffled text: 0.9-1.1), and it spells
      a repeated word the same way each time, where shuffled text writes "the", "eht", "teh"
      (with fewer than two repeated words, the alternation alone decides, at 1.12);
    - random letters leave a fifth of the words without a vowel; prose, under a seventh.

    On the texts of the extraction benchmark's 181 pages, 2 of 6,347 stretches of 40 words and
    none of 60 or more are called scrambled; 98-99% of them are once each word is shuffled.

    >>> prose = (
    ...     "The city council voted on Tuesday to close the old harbour bridge to cars from next "
    ...     "spring, after engineers found corrosion in two of its steel supports. Buses and "
    ...     "cyclists will still be allowed to cross while repairs are planned, the council said."
    ... )
    >>> looks_scrambled(prose)
    False
    >>> import random
    >>> rng = random.Random(1)
    >>> looks_scrambled(" ".join("".join(rng.sample(w, len(w))) for w in prose.split()))
    True
    """
    words: list[str] = []
    vowelless = 0
    for token in re.findall(r"[^\W\d_]+", text):
        folded = unicodedata.normalize("NFKD", token.casefold())
        for word in _LETTERS.findall("".join(c for c in folded if not unicodedata.combining(c))):
            words.append(word)
            vowelless += not token.isupper() and not _VOWELS.intersection(word)
    if len(words) < MIN_SCRAMBLED_WORDS:
        return False
    if vowelless >= VOWELLESS_AT * len(words):
        return True
    observed = expected = 0.0
    spellings: dict[str, set[str]] = {}
    counts: Counter[str] = Counter()
    for word in words:
        vowels = sum(ch in _VOWELS for ch in word)
        observed += sum((a in _VOWELS) != (b in _VOWELS) for a, b in pairwise(word))
        # In a random order of the word's letters, each of the n-1 pairs alternates with
        # probability 2vc/(n(n-1)): 2vc/n alternations in all.
        expected += 2 * vowels * (len(word) - vowels) / len(word)
        key = "".join(sorted(word))
        spellings.setdefault(key, set()).add(word)
        counts[key] += 1
    if not expected or observed >= ALTERNATION_AT * expected:
        return False
    repeated = [key for key, count in counts.items() if count > 1]
    if len(repeated) < 2:
        return observed < LONE_ALTERNATION_AT * expected
    return sum(len(spellings[key]) > 1 for key in repeated) >= SPELLINGS_AT * len(repeated)
