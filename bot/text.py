"""Text normalization shared by search, location parsing and the NLU components.

Lemmas come from the lookup tables of ``spacy-lookups-data`` (the tables a blank
spaCy pipeline's ``lookup`` lemmatizer loads). They are read directly so that
the action server does not import spaCy's machine-learning stack at start-up.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from functools import lru_cache

import spacy_lookups_data

_TOKEN_RE = re.compile(r"[a-z0-9]+")

# Words that carry no service meaning in either language; removed before search.
STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at for from by with about as into my your our their his her
    its me i im i'm we you he she they it is are was were be been am do does did doing done have has
    had can could would should will shall may might must need needs want wants get got getting give
    how what where when why who which that this these those there here please pls plz thanks thank
    hi hello hey ok okay yes no not so just also too very really some any all again still now today
    tell know help like way go going new like one u ur ya im ive id dont cant wont
    le la les un une des du de d l et ou mais si à au aux en dans sur pour par avec sans sous chez
    je j tu il elle on nous vous ils elles me m te t se s mon ma mes ton ta tes son sa ses notre nos
    votre vos leur leurs ce cet cette ces ça ca c est sont suis es était être ai as a avons avez ont
    avoir fait faire peux peut pouvoir veux veut vouloir dois doit devoir faut comment quoi où ou
    quand pourquoi qui que qu quel quelle quels quelles y ne pas plus svp stp merci bonjour
    salut allo
    oui non ok bien aussi encore déjà tout tous toute toutes besoin jveux jsuis chu pis mais
    """.split()
)


def strip_accents(text: str) -> str:
    """Return ``text`` without diacritics (``é`` → ``e``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lowercase, strip accents and collapse everything but letters and digits to spaces."""
    return " ".join(_TOKEN_RE.findall(strip_accents(text.lower())))


@lru_cache(maxsize=2)
def lemma_table(lang: str) -> dict[str, str]:
    """Return the lemma lookup table of ``lang`` (``en`` or ``fr``), accent-folded.

    Args:
        lang: ``en`` or ``fr``.

    Returns:
        A mapping from folded word form to folded lemma.
    """
    path = spacy_lookups_data.get_file(f"{lang}_lemma_lookup.json.gz")
    with gzip.open(str(path), "rt", encoding="utf-8") as handle:
        raw = json.load(handle)
    table: dict[str, str] = {}
    for form, lemma in raw.items():
        value = lemma[0] if isinstance(lemma, list) else lemma
        key = fold(form)
        if key and " " not in key and key not in table:
            table[key] = fold(value)
    return table


def tokens(text: str) -> list[str]:
    """Return the folded content tokens of ``text`` (stop words removed)."""
    return [tok for tok in fold(text).split() if tok not in _FOLDED_STOPWORDS]


def lemmas(text: str) -> list[str]:
    """Return folded content tokens reduced to a lemma.

    English and French tables are both consulted, because citizens mix the two
    languages in one message; the English lemma wins where both differ from
    the word, which keeps plural folding predictable.

    Args:
        text: Any user or knowledge-base text.

    Returns:
        The lemmas, in order, without stop words.
    """
    en, fr = lemma_table("en"), lemma_table("fr")
    out = []
    for tok in tokens(text):
        lemma = en.get(tok) or fr.get(tok) or tok
        out.append(lemma if len(lemma) >= 2 else tok)
    return out


_FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)
