"""Fuzzy bilingual search over the knowledge base's names, keywords and synonyms.

Every searchable phrase (a service's name and keywords, its kind's name, the
aliases of an organization that does few things, a life event's name and
keywords) is reduced to lemmas.
A query is matched token by token against the vocabulary of those lemmas with
rapidfuzz (so typos and SMS spellings still match), and only the phrases that
share a matched lemma are scored.

The index keeps a query's cost far below the size of the knowledge base, and its
results the same as scoring every phrase: a bigram count filter leaves rapidfuzz
a few words of the vocabulary to compare; phrases with the same lemmas are scored
once, as a group; and of the groups that hold only common lemmas ("permis",
"card"), only those light enough to reach the top are scored at all. The
benchmark, ``scripts/bench_search.py``, measures it at 1x, 10x and 100x.

A phrase's score is mostly the share of its (IDF-weighted) lemmas that the query
covers, so "carte soleil" matches the phrase "carte soleil" fully and "carte"
alone only partly; a smaller part is the share of the query the phrase explains,
so that "numéro d'assurance sociale" prefers the phrase that names all three
words over "bien-être social", which shares one.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
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
# A matched lemma in more groups than this is "common": groups holding only common
# lemmas are scored only when light enough to reach the top (see ``_score_groups``).
COMMON_POSTINGS = 1_000
PROBE_GROUPS = 50


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


def _min_common(length_a: int, length_b: int) -> int:
    """Fewest shared letters (LCS) two words need for ``fuzz.ratio`` to reach the cutoff."""
    # ratio = 100 * 2 * LCS / (len_a + len_b); the epsilon keeps the bound lossless under rounding.
    return math.ceil(FUZZY_CUTOFF * (length_a + length_b) / 200 - 1e-9)


def _bigram_keys(word: str) -> list[str]:
    """The word's bigrams, repeated ones numbered, so that sets count them as a multiset."""
    seen: dict[str, int] = defaultdict(int)
    keys = []
    for i in range(len(word) - 1):
        gram = word[i : i + 2]
        seen[gram] += 1
        keys.append(f"{gram}{seen[gram]}")
    return keys


class _FuzzyVocabulary:
    """Words similar to a token by ``fuzz.ratio``, found through a bigram count filter.

    Two words whose longest common subsequence has L letters share at least
    ``3L - len_a - len_b - 1`` bigrams (each letter only one of them has breaks at most
    two of its own bigrams and one of the other's), so words sharing fewer bigrams than
    that bound for the cutoff's L cannot reach the cutoff and are skipped without loss:
    rapidfuzz then scores only the few words left, in vocabulary order, and returns
    exactly what a scan of the whole vocabulary would.
    """

    def __init__(self, words: list[str]) -> None:
        self._words = words
        self._lengths = np.array([len(w) for w in words], dtype=np.int32)
        postings: dict[str, list[int]] = defaultdict(list)
        for i, word in enumerate(words):
            for key in _bigram_keys(word):
                postings[key].append(i)
        self._postings = {key: np.array(ids, dtype=np.int32) for key, ids in postings.items()}
        self._max_length = int(self._lengths.max(initial=0))
        # Each token length's thresholds for every word, computed once.
        self._by_length: dict[int, np.ndarray] = {}

    def _thresholds(self, length: int) -> np.ndarray:
        """Bigrams a word of each length must share with a token of ``length`` letters."""
        table = np.full(self._max_length + 1, np.iinfo(np.int32).max, dtype=np.int64)
        for other in range(self._max_length + 1):
            common = _min_common(length, other)
            if common <= min(length, other):
                table[other] = 3 * common - length - other - 1
        return table

    def extract(self, token: str, limit: int) -> list[tuple[str, float]]:
        """The ``limit`` words most similar to ``token`` at or above the cutoff."""
        lists = [self._postings[k] for k in _bigram_keys(token) if k in self._postings]
        if not lists:
            return []
        counts = np.bincount(np.concatenate(lists), minlength=len(self._words))
        if len(token) not in self._by_length:
            self._by_length[len(token)] = self._thresholds(len(token))[self._lengths]
        thresholds = self._by_length[len(token)]
        candidates = [self._words[i] for i in np.flatnonzero(counts >= thresholds)]
        return [
            (word, score)
            for word, score, _ in process.extract(
                token, candidates, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=limit
            )
        ]


class SearchIndex:
    """An inverted index of lemmas with a fuzzy vocabulary lookup.

    Phrases with the same set of lemmas score the same for any query, so they are
    scored once as a group, with numpy, over the groups that hold a matched lemma
    and can reach the top; only the best groups are then expanded into their
    phrases' targets.
    """

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
        lemmas_of: dict[str, tuple[str, ...]] = {}
        for text, target in entries:
            lem = lemmas_of.get(text)
            if lem is None:
                lem = lemmas_of[text] = tuple(dict.fromkeys(lemmas(text)))
            if not lem or (lem, target) in seen:
                continue
            seen.add((lem, target))
            self._phrases.append(_Phrase(text, lem, target))
        del seen, lemmas_of
        target_ids: dict[Target, int] = {}
        self._target_of = [
            target_ids.setdefault(phrase.target, len(target_ids)) for phrase in self._phrases
        ]
        self._targets = list(target_ids)
        group_of: dict[frozenset[str], int] = {}
        by_code: list[dict[str, list[int]]] = []
        for i, phrase in enumerate(self._phrases):
            key = frozenset(phrase.lemmas)
            group = group_of.setdefault(key, len(group_of))
            if group == len(by_code):
                by_code.append({})
            by_code[group].setdefault(phrase.target.code, []).append(i)
        # Each group's phrases, by the code of their target.
        self._members = [list(codes.items()) for codes in by_code]
        del by_code
        postings: dict[str, list[int]] = defaultdict(list)
        for key, group in group_of.items():
            for lemma in key:
                postings[lemma].append(group)
        total = max(len(self._phrases), 1)
        sizes = [sum(len(m) for _, m in members) for members in self._members]
        phrase_count = {lemma: sum(sizes[g] for g in groups) for lemma, groups in postings.items()}
        self._idf = {lemma: math.log(1 + total / n) for lemma, n in phrase_count.items()}
        place_lemmas = {lem for name in places for lem in lemmas(name)}
        for lemma in place_lemmas & set(self._idf):
            self._idf[lemma] *= PLACE_WEIGHT
        self._rarest = max(self._idf.values(), default=1.0)
        self._weight = np.zeros(len(group_of))
        for key, group in group_of.items():
            self._weight[group] = sum(self._idf[lemma] for lemma in key)
        # Each lemma's groups, lightest first, so that a query can cut a long list at
        # the weight beyond which no group can reach the top (see ``_score_groups``).
        self._postings: dict[str, np.ndarray] = {}
        self._posting_weights: dict[str, np.ndarray] = {}
        for lemma, ids in postings.items():
            array = np.array(ids, dtype=np.int64)
            array = array[np.argsort(self._weight[array], kind="stable")]
            self._postings[lemma] = array
            self._posting_weights[lemma] = self._weight[array]
        self._vocab = list(self._postings)
        # Lemmas of each kind's own (generic) name: a keyword made only of these
        # names the kind, not one service of it.
        generic: dict[str, set[str]] = defaultdict(set)
        kinds_of: dict[str, set[str]] = defaultdict(set)
        for phrase in self._phrases:
            if phrase.target.service_id is None:
                generic[phrase.target.code].update(phrase.lemmas)
            for lemma in phrase.lemmas:
                kinds_of[lemma].add(phrase.target.code)
        self._specific = [
            not set(phrase.lemmas) <= generic.get(phrase.target.code, set())
            for phrase in self._phrases
        ]
        # A phrase matched through one word that appears in the phrases of many kinds
        # ("work", "assessment", a city's name) must not name one service; two matched
        # words are specific through their combination.
        self._single_strength = {
            lemma: min(1.0, MAX_SPECIFIC_SPREAD / len(codes)) for lemma, codes in kinds_of.items()
        }
        self._fuzzy = _FuzzyVocabulary([w for w in self._vocab if len(w) >= MIN_FUZZY_LEN - 1])
        # Each group's lemma ids, in one flat array: groups are scored from their own
        # lemmas, which reads memory in order, rather than by scattering into
        # per-group accumulators, which misses the cache once per posting at large sizes.
        lemma_id = {lemma: i for i, lemma in enumerate(self._vocab)}
        self._lemma_id = lemma_id
        keys = list(group_of)
        self._group_start = np.zeros(len(keys) + 1, dtype=np.int64)
        self._group_start[1:] = np.cumsum([len(key) for key in keys])
        self._group_lemmas = np.fromiter(
            (lemma_id[lemma] for key in keys for lemma in key),
            dtype=np.int64,
            count=int(self._group_start[-1]),
        )
        # Per-lemma values and per-group marks of the current query, reset after it:
        # allocating them for each query would cost more than the search at large sizes.
        self._lock = threading.Lock()
        self._lemma_values = np.zeros((5, len(self._vocab)))
        self._seen = np.zeros(len(keys), dtype=np.int32)

    def __len__(self) -> int:
        return len(self._phrases)

    @property
    def vocabulary_size(self) -> int:
        """How many distinct lemmas the phrases hold."""
        return len(self._vocab)

    def phrases(self) -> list[str]:
        """The indexed phrases as written, in index order."""
        return [phrase.text for phrase in self._phrases]

    def _matches(self, token: str) -> dict[str, float]:
        """Vocabulary lemmas similar to ``token``, with a similarity in [0, 1]."""
        found: dict[str, float] = {}
        if token in self._postings:
            found[token] = 1.0
        if len(token) >= MIN_FUZZY_LEN:
            for word, score in self._fuzzy.extract(token, limit=5):
                found[word] = max(found.get(word, 0.0), score / 100.0)
        return found

    def _query_weights(self, query_lemmas: list[str]) -> list[float]:
        """IDF of each query lemma; unknown words weigh like the rarest known ones."""
        return [self._idf.get(lem, self._rarest) for lem in query_lemmas]

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Return the best-matching targets for ``query``, best first, one hit per target.

        Args:
            query: Free text in English, French or both.
            limit: Maximum number of hits.

        Returns:
            Hits with scores in [0, 1].
        """
        query_lemmas = lemmas(query)
        if not query_lemmas or limit <= 0:
            return []
        per_token = [self._matches(token) for token in query_lemmas]
        similarity: dict[str, float] = {}
        for matches in per_token:
            for word, sim in matches.items():
                similarity[word] = max(similarity.get(word, 0.0), sim)
        if not similarity:
            return []
        query_weights = self._query_weights(query_lemmas)
        with self._lock:
            scored = self._score_groups(similarity, per_token, query_weights, limit)
        return self._top_hits(*scored, limit)

    def _score_groups(
        self,
        similarity: dict[str, float],
        per_token: list[dict[str, float]],
        query_weights: list[float],
        limit: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Score the groups that can reach the top: ``(groups, phrase_cover, score)``.

        Every group holding a rare matched lemma is scored, and the lightest groups of
        each common one ("permis", "card"); the score that ``limit`` targets of those
        reach then bounds which other groups, holding only common lemmas, can beat it.
        One common lemma alone scores at most its single-word strength over the group's
        weight (plus its share of the query); several at most their weighted
        similarities over the group's weight (plus theirs). Lists are sorted by weight,
        so each cut is a binary search; no group that could place a hit is skipped.
        """
        common = [lem for lem in similarity if len(self._postings[lem]) > COMMON_POSTINGS]
        first = [
            self._postings[lem][:PROBE_GROUPS] if lem in common else self._postings[lem]
            for lem in similarity
        ]
        groups = np.unique(np.concatenate(first))
        values = self._set_lemma_values(similarity, per_token, query_weights)
        try:
            phrase_cover, score = self._score(groups, values, per_token, query_weights)
            if not common:
                return groups, phrase_cover, score
            hits = self._top_hits(groups, phrase_cover, score, limit)
            reached = hits[-1].score if len(hits) == limit else 0.0
            extra = np.setdiff1d(
                self._light_groups(common, similarity, per_token, query_weights, reached),
                groups,
            )
            extra_cover, extra_score = self._score(extra, values, per_token, query_weights)
            return (
                np.concatenate([groups, extra]),
                np.concatenate([phrase_cover, extra_cover]),
                np.concatenate([score, extra_score]),
            )
        finally:
            ids = [self._lemma_id[lem] for lem in similarity]
            self._lemma_values[:, ids] = 0.0

    def _light_groups(
        self,
        common: list[str],
        similarity: dict[str, float],
        per_token: list[dict[str, float]],
        query_weights: list[float],
        reached: float,
    ) -> np.ndarray:
        """Groups of only common lemmas light enough to score ``reached`` or more."""
        total = sum(query_weights)

        def query_share(lemmas: set[str]) -> float:
            return (
                (1 - PHRASE_WEIGHT)
                * sum(
                    w * max((s for lem, s in m.items() if lem in lemmas), default=0.0)
                    for w, m in zip(query_weights, per_token, strict=True)
                )
                / total
            )

        def cut(lemma: str, reach: float, share: float) -> np.ndarray:
            rest = reached - share
            # The margin keeps rounding from cutting a group that ties the bound.
            bound = PHRASE_WEIGHT * reach / rest * (1 + 1e-9) if rest > 0 else math.inf
            end = np.searchsorted(self._posting_weights[lemma], bound, side="right")
            return self._postings[lemma][:end]

        found = [
            cut(
                lem,
                self._single_strength[lem] * self._idf[lem] * similarity[lem],
                query_share({lem}),
            )
            for lem in common
        ]
        if len(common) > 1:
            reach = sum(self._idf[lem] * similarity[lem] for lem in common)
            share = query_share(set(common))
            light = [cut(lem, reach, share) for lem in common]
            # Only groups in two lists or more hold several common lemmas.
            every = np.concatenate(light)
            for part in light:
                self._seen[part] += 1
            found.append(every[self._seen[every] > 1])
            self._seen[every] = 0
        return np.unique(np.concatenate(found))

    def _set_lemma_values(
        self,
        similarity: dict[str, float],
        per_token: list[dict[str, float]],
        query_weights: list[float],
    ) -> np.ndarray:
        """Fill the per-lemma rows: weighted similarity, matched, strength, query share."""
        values = self._lemma_values
        for lemma, sim in similarity.items():
            i = self._lemma_id[lemma]
            values[0, i] = self._idf[lemma] * sim
            values[1, i] = 1.0
            values[2, i] = self._single_strength[lemma]
        for weight, matches in zip(query_weights, per_token, strict=True):
            if len(matches) == 1:
                ((lemma, sim),) = matches.items()
                values[3, self._lemma_id[lemma]] += weight * sim
        return values

    def _score(
        self,
        groups: np.ndarray,
        values: np.ndarray,
        per_token: list[dict[str, float]],
        query_weights: list[float],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Phrase cover and score of ``groups``, summed over each group's own lemmas."""
        if not len(groups):
            return np.zeros(0), np.zeros(0)
        starts = self._group_start[groups]
        sizes = self._group_start[groups + 1] - starts
        offsets = np.zeros(len(groups), dtype=np.int64)
        np.cumsum(sizes[:-1], out=offsets[1:])
        flat = np.repeat(starts - offsets, sizes) + np.arange(int(sizes.sum()))
        lemma_ids = self._group_lemmas[flat]
        sums = np.add.reduceat(values[:4, lemma_ids], offsets, axis=1)
        query = sums[3]
        # Tokens with several matched lemmas count once, by the best one in the group.
        scratch = values[4]
        for weight, matches in zip(query_weights, per_token, strict=True):
            if len(matches) > 1:
                ids = [self._lemma_id[lemma] for lemma in matches]
                scratch[ids] = list(matches.values())
                query = query + weight * np.maximum.reduceat(scratch[lemma_ids], offsets)
                scratch[ids] = 0.0
        strength = np.where(sums[1] == 1, sums[2], 1.0)
        # Numerators and denominators add the same weights in another order: a full
        # cover can round to 1.0000000000000002, and scores are promised in [0, 1].
        phrase_cover = np.minimum(sums[0] / self._weight[groups], 1.0) * strength
        query_cover = np.minimum(query / sum(query_weights), 1.0)
        score = np.minimum(PHRASE_WEIGHT * phrase_cover + (1 - PHRASE_WEIGHT) * query_cover, 1.0)
        return phrase_cover, score

    def _top_hits(
        self, groups: np.ndarray, phrase_cover: np.ndarray, score: np.ndarray, limit: int
    ) -> list[Hit]:
        """Expand the best groups into one hit per target, best first."""
        # The top ``limit`` hits come from the best groups: look at a few times ``limit``
        # groups first and widen only when ties or shared targets need more.
        size = min(len(groups), 4 * limit)
        while True:
            if size < len(groups):
                chosen = np.argpartition(-score, size - 1)[:size]
                floor = float(score[chosen].min())
            else:
                chosen = np.arange(len(groups))
                floor = -1.0
            order = chosen[np.lexsort((groups[chosen], -score[chosen]))]
            hits = self._walk(order, groups, phrase_cover, score, limit)
            # Groups left out all score at most ``floor``: the hits above it are final.
            if size >= len(groups) or sum(h.score > floor for h in hits) >= limit:
                break
            size *= 4
        hits.sort(key=lambda h: (-h.score, h.target.code))
        return hits[:limit]

    def _walk(
        self,
        order: np.ndarray,
        groups: np.ndarray,
        phrase_cover: np.ndarray,
        score: np.ndarray,
        limit: int,
    ) -> list[Hit]:
        """Hits of the groups in ``order`` (best first), each target at its best score.

        Hits end up sorted by score, then code: at one score, a code needs no more
        targets than the places left under ``limit``, and once ``limit`` hits score
        higher than a group, neither it nor any later group can place a hit.
        """
        hits: list[Hit] = []
        seen: set[int] = set()
        level = math.inf
        room = limit
        taken: dict[str, int] = {}
        for j in order.tolist():
            group_score = float(score[j])
            if group_score < level:
                if len(hits) >= limit:
                    break
                level, room, taken = group_score, limit - len(hits), {}
            cover = float(phrase_cover[j])
            for code, members in self._members[int(groups[j])]:
                count = taken.get(code, 0)
                for i in members:
                    if count >= room:
                        break
                    target = self._target_of[i]
                    if target in seen:
                        continue
                    seen.add(target)
                    count += 1
                    hits.append(
                        Hit(
                            self._targets[target],
                            group_score,
                            self._phrases[i].text,
                            cover if self._specific[i] else 0.0,
                        )
                    )
                taken[code] = count
        return hits


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
