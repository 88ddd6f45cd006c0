"""Follow-ups read in context: "how long does that last?", "what are those?", "why would a doctor suggest
that?" say what they ask but not about what. The turn is read again with each of the conversation's topics
spelled out ("how long does that last? Botox (Xeomin) injections"), and compared by meaning (all-MiniLM-L6-v2,
nlu/encoder.py) with the training phrasings of that topic's answers (models/phrasings.npz, built by `make`).

A first turn that nothing else answers is read alone, in a projection of the same vectors that sets the answers
apart (scripts/build_phrase_index.py), against every answer's phrasings and those of questions without an answer
(which the articles don't answer, or off-topic).
"""
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from actions import config
from actions.knowledge import KnowledgeBase, knowledge_base
from nlu.encoder import encoder

PHRASINGS_FILE = Path(__file__).resolve().parent.parent / "models" / "phrasings.npz"
# (answer, similarity, lead over the next answer, the next answer)
Reading = Tuple[str, float, float, Optional[str]]
# (answer, similarity, lead over the closest question without an answer)
LoneReading = Tuple[str, float, float]


class FollowupReader:
    def __init__(self, kb: KnowledgeBase, path: Path = PHRASINGS_FILE) -> None:
        index = np.load(path)
        self.vectors = index["vectors"].astype(np.float32)
        self.answers = index["answers"]
        self.projection = index["projection"]
        self.projected, self.projected_labels = index["projected"], index["projected_labels"]
        self.unanswered = ~np.isin(self.projected_labels, self.answers)  # not covered or off-topic
        self.kb = kb
        self.encoder = encoder()

    def best(self, text: str, topics: List[str], article: Optional[str] = None) -> Optional[Reading]:
        """The reading of the best answer of these topics (answer, similarity, lead, runner-up), with the text
        read as being about each topic in turn; None without topics. Answers from `article` (the conversation's)
        count config.CONVERSATION_ARTICLE_BONUS more. The ladder may ask twice in one turn."""
        return self._best(text, tuple(topics), article)

    @lru_cache(maxsize=64)
    def _best(self, text: str, topics: Tuple[str, ...], article: Optional[str]) -> Optional[Reading]:
        topics = [t for t in topics if t in self.kb.topics]
        if not topics:
            return None
        queries = self.encoder.encode([f"{text} ({self.kb.topics[t].label})" for t in topics])
        similarity = {}  # answer -> its best similarity over the readings
        for topic, query in zip(topics, queries):
            allowed = np.isin(self.answers, self.kb.topic_answers(topic))
            for answer, score in zip(self.answers[allowed], self.vectors[allowed] @ query):
                similarity[str(answer)] = max(similarity.get(str(answer), -1.0), float(score))
        if not similarity:
            return None
        # The bonus orders the answers; the callers' thresholds see the plain similarity.
        bonus = config.CONVERSATION_ARTICLE_BONUS
        ordered = {a: s + (bonus if article and self.kb.article_of(a) == article else 0.0)
                   for a, s in similarity.items()}
        ranked = sorted(ordered, key=ordered.get, reverse=True)
        lead = ordered[ranked[0]] - (ordered[ranked[1]] if len(ranked) > 1 else 0.0)
        return ranked[0], similarity[ranked[0]], lead, ranked[1] if len(ranked) > 1 else None

    def best_of_all(self, text: str) -> Optional[Reading]:
        """The reading of the best answer of the whole knowledge base (answer, similarity, lead, runner-up): the
        text as it stands, for a first turn that has no conversation to be read with."""
        return self._best_of_all(text)

    @lru_cache(maxsize=64)
    def _best_of_all(self, text: str) -> Optional[Reading]:
        scores = self.vectors @ self.vector(text)
        ranked = np.argsort(-scores)  # phrasings, closest first: an answer's first phrasing is its best
        best = str(self.answers[ranked[0]])
        runner_up = next((i for i in ranked[1:] if self.answers[i] != best), None)
        if runner_up is None:
            return best, float(scores[ranked[0]]), float(scores[ranked[0]]), None
        return (best, float(scores[ranked[0]]), float(scores[ranked[0]] - scores[runner_up]),
                str(self.answers[runner_up]))

    @lru_cache(maxsize=64)
    def alone(self, text: str) -> LoneReading:
        """A turn read by meaning alone, in the projection that sets the answers apart: the answer whose
        phrasings it reads closest to, that similarity, and how much closer than to any question without an
        answer."""
        projected = self.vector(text) @ self.projection
        scores = self.projected @ (projected / max(float(np.linalg.norm(projected)), 1e-12))
        best = int(np.argmax(np.where(self.unanswered, -np.inf, scores)))
        similarity = float(scores[best])
        return str(self.projected_labels[best]), similarity, similarity - float(scores[self.unanswered].max())

    @lru_cache(maxsize=64)
    def vector(self, text: str) -> np.ndarray:
        """The text's sentence vector; a first turn may be read both as it stands and alone."""
        return self.encoder.encode([text])[0]

    def closest_of(self, text: str, answers: List[str]) -> Optional[str]:
        """Of these answers (the things a list named), the one whose phrasings the text reads clearly closest to
        (config.ITEM_MIN_LEAD ahead of the next), else None."""
        query = self.encoder.encode([text])[0]
        similarity = {a: float((self.vectors[self.answers == a] @ query).max(initial=-1.0)) for a in answers}
        ranked = sorted(similarity, key=similarity.get, reverse=True)
        lead = similarity[ranked[0]] - (similarity[ranked[1]] if len(ranked) > 1 else -1.0)
        return ranked[0] if lead >= config.ITEM_MIN_LEAD else None


@lru_cache(maxsize=1)
def followup_reader() -> FollowupReader:
    """Loaded once, when the action server starts."""
    return FollowupReader(knowledge_base())
