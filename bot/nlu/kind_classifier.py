"""Rasa NLU component: which service kind or life event a message is about.

Trained on the ``need`` and ``life_event`` examples (their ``kind`` or
``life_event`` metadata) plus the knowledge base's names and keywords. At
inference it combines its probabilities with the knowledge-base search (see
:mod:`bot.understanding`) and adds the result to the parse data under
``carrefour``, where the actions read it.
"""

from __future__ import annotations

import logging
from typing import Any

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from bot.knowledge import KnowledgeBase, load_knowledge
from bot.search import SearchIndex, build_index
from bot.text import fold, lemmas
from bot.understanding import EVENT_PREFIX, KIND_PREFIX, combine

logger = logging.getLogger(__name__)

OUTPUT_KEY = "carrefour"
_MODEL_FILE = "kind_classifier.joblib"


def lemma_text(text: str) -> str:
    """Lemmatized, folded text for the word features."""
    return " ".join(lemmas(text))


def build_pipeline(c: float = 8.0) -> Pipeline:
    """The classifier: character n-grams (robust to typos) and word lemmas, linear model."""
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), preprocessor=fold, sublinear_tf=True
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word", ngram_range=(1, 2), preprocessor=lemma_text, sublinear_tf=True
                ),
            ),
        ]
    )
    return Pipeline(
        [("features", features), ("model", LogisticRegression(C=c, max_iter=3000))]
    )


def labelled_examples(
    training_data: TrainingData, kb: KnowledgeBase | None
) -> tuple[list[str], list[str]]:
    """Collect ``(text, label)`` pairs from NLU examples and knowledge-base phrases.

    Args:
        training_data: Rasa NLU training data.
        kb: The knowledge base whose names and keywords are added as examples.

    Returns:
        Texts and their labels (``kind:<code>`` or ``event:<code>``).
    """
    texts: list[str] = []
    labels: list[str] = []
    for message in training_data.intent_examples:
        metadata = (message.get("metadata") or {}).get("example") or {}
        if message.get("intent") == "need" and metadata.get("kind"):
            texts.append(message.get("text"))
            labels.append(KIND_PREFIX + str(metadata["kind"]))
        elif message.get("intent") == "life_event" and metadata.get("life_event"):
            texts.append(message.get("text"))
            labels.append(EVENT_PREFIX + str(metadata["life_event"]))
    if kb is not None:
        for service in kb.services.values():
            label = KIND_PREFIX + service.kind
            phrases = [service.name.en, service.name.fr]
            phrases += [w for words in service.keywords.values() for w in words]
            texts += phrases
            labels += [label] * len(phrases)
        for event in kb.life_events.values():
            phrases = [event.name.en, event.name.fr]
            phrases += [w for words in event.keywords.values() for w in words]
            texts += phrases
            labels += [EVENT_PREFIX + event.code] * len(phrases)
    return texts, labels


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class KindClassifier(GraphComponent):
    """Ranks service kinds and life events for each message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Regularization of the linear model, and how many kinds to report."""
        return {"C": 8.0, "top": 5}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        pipeline: Pipeline | None = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._pipeline = pipeline
        self._kb = load_knowledge()
        self._index: SearchIndex = build_index(self._kb)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KindClassifier:
        """Create an untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> KindClassifier:
        """Load the trained classifier from the model."""
        try:
            with model_storage.read_from(resource) as directory:
                pipeline = joblib.load(directory / _MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("KindClassifier has no trained model; search alone will be used.")
            pipeline = None
        return cls(config, model_storage, resource, pipeline)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the classifier and persist it."""
        texts, labels = labelled_examples(training_data, self._kb)
        if len(set(labels)) >= 2:
            self._pipeline = build_pipeline(float(self._config["C"]))
            self._pipeline.fit(texts, labels)
            with self._storage.write_to(self._resource) as directory:
                joblib.dump(self._pipeline, directory / _MODEL_FILE)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the ranked kinds and life events to each message's parse data."""
        for message in messages:
            text = message.get("text") or ""
            probabilities: dict[str, float] = {}
            if self._pipeline is not None and text.strip():
                row = self._pipeline.predict_proba([text])[0]
                probabilities = dict(zip(self._pipeline.classes_, map(float, row)))
            hits = self._index.search(text, limit=50)
            result = combine(probabilities, hits, top=int(self._config["top"]))
            message.set(OUTPUT_KEY, result.as_dict(), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to the training data for other components."""
        return training_data
