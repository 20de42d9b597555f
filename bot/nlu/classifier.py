"""Rasa NLU component: the intent, and which service kind or life event a message is about.

One linear model over character n-grams and word lemmas is trained on every NLU
example, with a finer label for needs and life events: ``kind:<code>`` for a
``need`` example (its ``kind`` metadata), ``event:<code>`` for a ``life_event``
example, ``intent:<name>`` otherwise; the knowledge base's names and keywords
are added as ``kind:`` and ``event:`` examples. An intent's probability is the
sum of its labels' (``need`` = all ``kind:`` labels), so a message about a
rare service still reads clearly as a need.

The kinds and events are then combined with the knowledge-base search (see
:mod:`bot.understanding`) and added to the parse data under ``carrefour``,
where the actions read them.
"""

from __future__ import annotations

import logging
from typing import Any

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from bot.knowledge import KnowledgeBase, shared_knowledge
from bot.search import SearchIndex, build_index
from bot.text import fold, lemmas
from bot.understanding import EVENT_PREFIX, INTENT_PREFIX, KIND_PREFIX, combine, intent_ranking

logger = logging.getLogger(__name__)

OUTPUT_KEY = "carrefour"
_MODEL_FILE = "classifier.joblib"


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
                    analyzer="char_wb",
                    ngram_range=(2, 4),
                    preprocessor=fold,
                    sublinear_tf=True,
                    min_df=2,
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
        [("features", features), ("model", LogisticRegression(C=c, max_iter=500, tol=1e-3))]
    )


def labelled_examples(
    training_data: TrainingData, kb: KnowledgeBase | None
) -> tuple[list[str], list[str]]:
    """Collect ``(text, label)`` pairs from NLU examples and knowledge-base phrases.

    Args:
        training_data: Rasa NLU training data.
        kb: The knowledge base whose names and keywords are added as examples.

    Returns:
        Texts and their labels (``kind:<code>``, ``event:<code>`` or ``intent:<name>``).
    """
    texts: list[str] = []
    labels: list[str] = []
    for message in training_data.intent_examples:
        metadata = (message.get("metadata") or {}).get("example") or {}
        intent = message.get("intent")
        if intent == "need" and metadata.get("kind"):
            label = KIND_PREFIX + str(metadata["kind"])
        elif intent == "life_event" and metadata.get("life_event"):
            label = EVENT_PREFIX + str(metadata["life_event"])
        else:
            label = INTENT_PREFIX + str(intent)
        texts.append(message.get("text"))
        labels.append(label)
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


def _column_major(pipeline: Pipeline) -> None:
    """Store the linear model's weights column-major, as its sparse product reads them.

    scikit-learn multiplies the sparse features by the weights' transpose; with
    row-major weights it copies the whole matrix (111 x 32,000) on every message,
    about 35 ms, against 1 ms without the copy. The predictions are the same.
    """
    model = pipeline.named_steps["model"]
    model.coef_ = np.asfortranarray(model.coef_)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CarrefourClassifier(GraphComponent):
    """Predicts the intent and ranks service kinds and life events for each message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Regularization of the linear model, and how many kinds to report."""
        return {"C": 30.0, "top": 5}

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
        if pipeline is not None:
            _column_major(pipeline)
        self._kb = shared_knowledge()
        self._index: SearchIndex = build_index(self._kb)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CarrefourClassifier:
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
    ) -> CarrefourClassifier:
        """Load the trained classifier from the model."""
        try:
            with model_storage.read_from(resource) as directory:
                pipeline = joblib.load(directory / _MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("CarrefourClassifier has no trained model; search alone will be used.")
            pipeline = None
        return cls(config, model_storage, resource, pipeline)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the classifier and persist it."""
        texts, labels = labelled_examples(training_data, self._kb)
        if len(set(labels)) >= 2:  # Rasa also trains on core-only data with no examples
            self._pipeline = build_pipeline(float(self._config["C"]))
            self._pipeline.fit(texts, labels)
            _column_major(self._pipeline)
            with self._storage.write_to(self._resource) as directory:
                joblib.dump(self._pipeline, directory / _MODEL_FILE)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the intent and add the ranked kinds and life events to the parse data."""
        for message in messages:
            text = message.get(TEXT) or ""
            probabilities: dict[str, float] = {}
            if self._pipeline is not None and text.strip():
                row = self._pipeline.predict_proba([text[:2000]])[0]
                probabilities = dict(zip(self._pipeline.classes_, map(float, row), strict=True))
            hits = self._index.search(text[:2000], limit=50)
            result = combine(probabilities, hits, top=int(self._config["top"]))
            message.set(OUTPUT_KEY, result.as_dict(), add_to_output=True)
            ranking = intent_ranking(probabilities)
            if ranking:
                top = {"name": ranking[0][0], "confidence": ranking[0][1]}
                message.set(INTENT, top, add_to_output=True)
                message.set(
                    INTENT_RANKING_KEY,
                    [{"name": n, "confidence": c} for n, c in ranking[:10]],
                    add_to_output=True,
                )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to the training data for other components."""
        return training_data
