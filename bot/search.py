"""Fuzzy bilingual search over the knowledge base's names, keywords and synonyms.

Every searchable phrase (a service's name and keywords, its kind's name, the
aliases of an organization that does few things, a life event's name and
keywords) is reduced to lemmas.
A query is matched token by token against the vocabulary of those lemmas with
rapidfuzz (so typos and SMS spellings still match), and only the phrases that
share a matched lemma are scored: the index keeps a query's cost proportional to
the phrases it touches, not to the size of the knowledge base.

A phrase's score is mostly the share of its (IDF-weighted) lemmas that the query
covers, so "carte soleil" matches the phrase "carte soleil" fully and "carte"
alone only partly; a smaller part is the share of the query the phrase explains,
so that "numéro d'assurance sociale" prefers the phrase that names all three
words over "bien-être social", which shares one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.knowledge import KnowledgeBase, Service
from bot.text import lemmas

# Tokens shorter than this must match exactly: "ei" must not match "en".
MIN_FUZZY_LEN = 5
FUZZY_CUTOFF = 82.0
PHRASE_WEIGHT = 0.75
# A phrase matched through one word that appears in the phrases of more kinds than
# this counts proportionally less ("work" is in job search, labour standards, permits...).
MAX_SPECIFIC_SPREAD = 3
PLACE_WEIGHT = 0.2


@dataclass(frozen=True)
class Target:
    """What a phrase points to: a service kind, a service, or a life event."""

    type: str  # "kind" | "event"
    code: str
    service_id: str | None = None


@dataclass(frozen=True)
class Hit:
    """A scored search result."""

    target: Target
    score: float
    phrase: str
    phrase_cover: float = 0.0  # 0 when the phrase is only the kind's generic name


@dataclass(frozen=True)
class _Phrase:
    text: str
    lemmas: tuple[str, ...]
    target: Target


class SearchIndex:
    """An inverted index of lemmas with a fuzzy vocabulary lookup."""

    def __init__(self, entries: Iterable[tuple[str, Target]], places: Iterable[str] = ()) -> None:
        """Build the index.

        Args:
            entries: ``(phrase, target)`` pairs to index.
            places: Place names. Their words say where, not what: in a phrase such as
                "Elections Ottawa" or a query such as "my mom lives in Ottawa" they weigh
                little, so a city named in a message does not match that city's services.
        """
        self._phrases: list[_Phrase] = []
        seen: set[tuple[tuple[str, ...], Target]] = set()
        for text, target in entries:
            lem = tuple(dict.fromkeys(lemmas(text)))
            if not lem or (lem, target) in seen:
                continue
            seen.add((lem, target))
            self._phrases.append(_Phrase(text, lem, target))
        postings: dict[str, list[int]] = defaultdict(list)
        for i, phrase in enumerate(self._phrases):
            for lemma in phrase.lemmas:
                postings[lemma].append(i)
        self._postings = dict(postings)
        total = max(len(self._phrases), 1)
        self._idf = {lemma: math.log(1 + total / len(ids)) for lemma, ids in self._postings.items()}
        place_lemmas = {lem for name in places for lem in lemmas(name)}
        for lemma in place_lemmas & set(self._idf):
            self._idf[lemma] *= PLACE_WEIGHT
        self._vocab = list(self._postings)
        # Lemmas of each kind's own (generic) name: a keyword made only of these
        # names the kind, not one service of it.
        self._generic: dict[str, set[str]] = defaultdict(set)
        kinds_of: dict[str, set[str]] = defaultdict(set)
        for phrase in self._phrases:
            if phrase.target.service_id is None:
                self._generic[phrase.target.code].update(phrase.lemmas)
            for lemma in phrase.lemmas:
                kinds_of[lemma].add(phrase.target.code)
        self._spread = {lemma: len(codes) for lemma, codes in kinds_of.items()}
        self._long_vocab = [w for w in self._vocab if len(w) >= MIN_FUZZY_LEN - 1]

    def __len__(self) -> int:
        return len(self._phrases)

    def _matches(self, token: str) -> dict[str, float]:
        """Vocabulary lemmas similar to ``token``, with a similarity in [0, 1]."""
        found: dict[str, float] = {}
        if token in self._postings:
            found[token] = 1.0
        if len(token) >= MIN_FUZZY_LEN:
            for word, score, _ in process.extract(
                token, self._long_vocab, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=5
            ):
                found[word] = max(found.get(word, 0.0), score / 100.0)
        return found

    def _strength(self, phrase: _Phrase, sims: list[float]) -> float:
        """How much the match of ``phrase`` says: less when it rests on one common word.

        A word such as "work", "assessment" or a city's name appears in the phrases of
        many kinds; a phrase matched through that word alone ("work", "Ontario Works"
        for "I work at a restaurant") must not name one service. Two matched words
        are specific through their combination.
        """
        matched = [lemma for lemma, sim in zip(phrase.lemmas, sims, strict=True) if sim > 0]
        if len(matched) != 1:
            return 1.0
        return min(1.0, MAX_SPECIFIC_SPREAD / self._spread.get(matched[0], 1))

    def _query_weights(self, query_lemmas: list[str]) -> list[float]:
        """IDF of each query lemma; unknown words weigh like the rarest known ones."""
        rarest = max(self._idf.values(), default=1.0)
        return [self._idf.get(lem, rarest) for lem in query_lemmas]

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Return the best-matching targets for ``query``, best first, one hit per target.

        Args:
            query: Free text in English, French or both.
            limit: Maximum number of hits.

        Returns:
            Hits with scores in [0, 1].
        """
        query_lemmas = lemmas(query)
        if not query_lemmas:
            return []
        per_token = [self._matches(token) for token in query_lemmas]
        similarity: dict[str, float] = {}
        for matches in per_token:
            for word, score in matches.items():
                similarity[word] = max(similarity.get(word, 0.0), score)
        candidates: set[int] = set()
        for word in similarity:
            candidates.update(self._postings[word])
        query_weights = self._query_weights(query_lemmas)
        best: dict[Target, Hit] = {}
        for i in candidates:
            phrase = self._phrases[i]
            weights = [self._idf[lem] for lem in phrase.lemmas]
            sims = [similarity.get(lem, 0.0) for lem in phrase.lemmas]
            phrase_cover = sum(w * s for w, s in zip(weights, sims, strict=True)) / sum(weights)
            phrase_cover *= self._strength(phrase, sims)
            query_cover = sum(
                w * max((m.get(lem, 0.0) for lem in phrase.lemmas), default=0.0)
                for w, m in zip(query_weights, per_token, strict=True)
            ) / sum(query_weights)
            score = PHRASE_WEIGHT * phrase_cover + (1 - PHRASE_WEIGHT) * query_cover
            current = best.get(phrase.target)
            if current is None or score > current.score:
                specific = not set(phrase.lemmas) <= self._generic.get(phrase.target.code, set())
                best[phrase.target] = Hit(
                    phrase.target, score, phrase.text, phrase_cover if specific else 0.0
                )
        ranked = sorted(best.values(), key=lambda h: (-h.score, h.target.code))
        return ranked[:limit]


def build_index(kb: KnowledgeBase) -> SearchIndex:
    """Index every service, kind and life event of the knowledge base.

    Args:
        kb: The loaded knowledge base.

    Returns:
        The search index.
    """
    entries: list[tuple[str, Target]] = []
    for kind in kb.contract.kinds.values():
        target = Target("kind", kind.code)
        entries += [(kind.en, target), (kind.fr, target)]
    for service in kb.services.values():
        target = Target("kind", service.kind, service.id)
        entries += [(service.name.en, target), (service.name.fr, target)]
        for words in service.keywords.values():
            entries += [(word, target) for word in words]
    entries += _organization_entries(kb)
    places = [
        name
        for jur in kb.contract.jurisdictions.values()
        if jur.order != "federal"
        for name in (jur.name_en, jur.name_fr)
    ]
    for event in kb.life_events.values():
        target = Target("event", event.code)
        entries += [(event.name.en, target), (event.name.fr, target)]
        for words in event.keywords.values():
            entries += [(word, target) for word in words]
    return SearchIndex(entries, places)


# An organization's name says what the citizen needs only when the organization does
# few things: "SGI" is a licence or a plate, "Service Canada" could be anything.
MAX_KINDS_PER_ORGANIZATION = 3


def _organization_entries(kb: KnowledgeBase) -> list[tuple[str, Target]]:
    """Organization aliases (ICBC, SGI), each pointing at the services it delivers."""
    services_of: dict[str, list[Service]] = {}
    for service in kb.services.values():
        for org_id in {service.authority.id, service.contact_org.id}:
            services_of.setdefault(org_id, []).append(service)
    entries: list[tuple[str, Target]] = []
    for org_id, services in services_of.items():
        if len({s.kind for s in services}) > MAX_KINDS_PER_ORGANIZATION:
            continue
        # Aliases only: full names often hold a place ("City of Ottawa"), which is a
        # location, not a need.
        organization = kb.organizations[org_id]
        names = [w for words in organization.aliases.values() for w in words]
        for service in services:
            target = Target("kind", service.kind, service.id)
            entries += [(name, target) for name in dict.fromkeys(names)]
    return entries


def rank_kinds(hits: list[Hit]) -> dict[str, float]:
    """Collapse hits to the best score per kind (services count for their kind)."""
    scores: dict[str, float] = {}
    for hit in hits:
        if hit.target.type == "kind":
            scores[hit.target.code] = max(scores.get(hit.target.code, 0.0), hit.score)
    return scores


def rank_events(hits: list[Hit]) -> dict[str, float]:
    """Collapse hits to the best score per life event."""
    return {h.target.code: h.score for h in hits if h.target.type == "event"}


def named_services(hits: list[Hit], threshold: float = 0.95) -> list[str]:
    """Return the ids of services whose own name or keyword the query contains whole."""
    return [
        h.target.service_id
        for h in hits
        if h.target.service_id is not None and h.phrase_cover >= threshold
    ]
