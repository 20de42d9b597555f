"""Search over the knowledge base: typos, SMS spelling, both languages (any text: test_no_crash)."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from bot import search
from bot.search import (
    FUZZY_CUTOFF,
    MIN_FUZZY_LEN,
    PHRASE_WEIGHT,
    SearchIndex,
    Target,
    build_index,
    rank_kinds,
)
from bot.text import lemmas


@pytest.fixture(scope="module")
def index(kb):
    return build_index(kb)


def top_kind(index, text):
    scores = rank_kinds(index.search(text, limit=50))
    return max(scores, key=scores.get) if scores else None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("passport", "passport"),
        ("pasport renewal", "passport"),
        ("passeport", "passport"),
        ("carte soleil", "health-card"),
        ("ohip card", "health-card"),
        ("numéro d'assurance sociale", "social-insurance-number"),
        ("assurance emploi", "employment-insurance"),
        ("green bin", "garbage-recycling"),
        ("nids de poule", "roads-potholes"),
        ("permis de conduire", "drivers-licence"),
    ],
)
def test_finds_kind(index, text, kind):
    assert top_kind(index, text) == kind


def test_scores_are_bounded_and_sorted(index):
    hits = index.search("renew my driver licence and health card", limit=20)
    assert hits
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_short_tokens_match_exactly():
    index = SearchIndex(
        [("ei", Target("kind", "employment-insurance")), ("en", Target("kind", "x"))]
    )
    assert [h.target.code for h in index.search("ei")] == ["employment-insurance"]


def exhaustive_scores(index, query):
    """Best score of every target, scanning every phrase and the whole vocabulary.

    The same scoring as the index, without its shortcuts: no bigram filter before
    rapidfuzz, no candidate groups, no pruning of the ranking.
    """
    query_lemmas = lemmas(query)
    long_vocab = [w for w in index._vocab if len(w) >= MIN_FUZZY_LEN - 1]
    per_token = []
    for token in query_lemmas:
        found = {token: 1.0} if token in index._postings else {}
        if len(token) >= MIN_FUZZY_LEN:
            for word, score, _ in process.extract(
                token, long_vocab, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=5
            ):
                found[word] = max(found.get(word, 0.0), score / 100)
        per_token.append(found)
    similarity = {}
    for found in per_token:
        for word, score in found.items():
            similarity[word] = max(similarity.get(word, 0.0), score)
    rarest = max(index._idf.values())
    query_weights = [index._idf.get(lem, rarest) for lem in query_lemmas]
    best = {}
    for phrase in index._phrases:
        sims = [similarity.get(lem, 0.0) for lem in phrase.lemmas]
        matched = [lem for lem, s in zip(phrase.lemmas, sims, strict=True) if s > 0]
        if not matched:
            continue
        weights = [index._idf[lem] for lem in phrase.lemmas]
        cover = sum(w * s for w, s in zip(weights, sims, strict=True)) / sum(weights)
        if len(matched) == 1:
            cover *= index._single_strength[matched[0]]
        query_cover = sum(
            w * max(found.get(lem, 0.0) for lem in phrase.lemmas)
            for w, found in zip(query_weights, per_token, strict=True)
        ) / sum(query_weights)
        score = PHRASE_WEIGHT * cover + (1 - PHRASE_WEIGHT) * query_cover
        best[phrase.target] = max(best.get(phrase.target, 0.0), score)
    return best


def typo(draw, text):
    """One to two random deletions, insertions, swaps or substitutions."""
    for _ in range(draw(st.integers(1, 2))):
        if len(text) < 2:
            break
        i = draw(st.integers(0, len(text) - 2))
        op = draw(st.sampled_from(["delete", "insert", "swap", "substitute"]))
        letter = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyzéè"))
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + letter + text[i:]
        elif op == "swap":
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        else:
            text = text[:i] + letter + text[i + 1 :]
    return text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), prune=st.booleans())
def test_indexed_top_hit_matches_exhaustive_scan(index, data, prune):
    phrases = index.phrases()
    query = typo(data.draw, data.draw(st.sampled_from(phrases)))
    extra = data.draw(st.sampled_from(["", "", " pls", " svp", " renew", " permis card"]))
    query += extra
    expected = exhaustive_scores(index, query)
    # Few of the real knowledge base's lemmas are common enough for the weight bound;
    # make most of them common.
    with (
        patch.object(search, "COMMON_POSTINGS", 5 if prune else search.COMMON_POSTINGS),
        patch.object(search, "PROBE_GROUPS", 2 if prune else search.PROBE_GROUPS),
    ):
        # A short list makes the bound bite: few targets must beat it.
        hits = index.search(query, limit=5 if prune else 50)
    if not expected:
        assert hits == []
        return
    top = max(expected.values())
    assert hits
    # Ties share the top: any of the tied targets may come first.
    assert hits[0].score == pytest.approx(top, abs=1e-9)
    assert expected[hits[0].target] == pytest.approx(top, abs=1e-9)
    for hit in hits:
        assert hit.score == pytest.approx(expected[hit.target], abs=1e-9)


def test_bigram_filter_keeps_every_fuzzy_match(index):
    long_vocab = [w for w in index._vocab if len(w) >= MIN_FUZZY_LEN - 1]
    for token in [
        "pasport",
        "pasports",
        "renouvelé",
        "lisence",
        "drivr",
        "assurence",
        "immigraton",
    ]:
        token = lemmas(token)[0]
        expected = [
            (w, s)
            for w, s, _ in process.extract(
                token, long_vocab, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=5
            )
        ]
        assert index._fuzzy.extract(token, limit=5) == expected


def test_ties_and_targets_at_scale():
    """Many targets share one phrase: each target once, at most ``limit``, sorted."""
    entries = [
        ("permis de conduire", Target("kind", "drivers-licence", f"s{i}")) for i in range(300)
    ]
    entries += [("permis de chasse", Target("kind", "hunting", f"h{i}")) for i in range(300)]
    entries += [("permis", Target("kind", "building-permit"))]
    small = SearchIndex(entries)
    hits = small.search("permis de conduire", limit=50)
    assert len(hits) == 50
    assert {h.target.code for h in hits} == {"drivers-licence"}
    assert len({h.target for h in hits}) == 50
    hits = small.search("permis", limit=1000)
    assert len(hits) == 601
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize("common", [5, 2_000])
@pytest.mark.parametrize(
    "query",
    [
        "pasport permis licence renouveler assurence emploi carte sante drivers lisence",
        "i lost my pasport and my drivers licence and my helth card and my birth certificat",
        "permis permis permit permits pemris perrmis",
    ],
)
def test_long_queries_match_exhaustive_scan(index, query, common):
    """Many tokens with several matched lemmas each, with and without the weight bound."""
    expected = exhaustive_scores(index, query)
    with (
        patch.object(search, "COMMON_POSTINGS", common),
        patch.object(search, "PROBE_GROUPS", min(common, search.PROBE_GROUPS)),
    ):
        hits = index.search(query, limit=50)
    assert hits[0].score == pytest.approx(max(expected.values()), abs=1e-9)
    for hit in hits:
        assert hit.score == pytest.approx(expected[hit.target], abs=1e-9)
