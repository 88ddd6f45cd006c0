"""Follow-ups read in context: "how long does that last?", "what are those?", "why would a doctor suggest
that?" say what they ask but not about what. The turn is read again with each of the conversation's topics
spelled out ("how long does that last? Botox (Xeomin) injections"), and compared by meaning (all-MiniLM-L6-v2,
nlu/encoder.py) with the training phrasings of that topic's answers (models/phrasings.npz, built by `make`).
"""
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from actions.knowledge import KnowledgeBase, knowledge_base
from nlu.encoder import encoder

PHRASINGS_FILE = Path(__file__).resolve().parent.parent / "models" / "phrasings.npz"


class FollowupReader:
    def __init__(self, kb: KnowledgeBase, path: Path = PHRASINGS_FILE) -> None:
        index = np.load(path)
        self.vectors = index["vectors"].astype(np.float32)
        self.answers = index["answers"]
        self.kb = kb
        self.encoder = encoder()

    def best(self, text: str, topics: List[str]) -> Optional[Tuple[str, float, float]]:
        """(answer, similarity, lead over the next answer) of the best answer of these topics, with the text
        read as being about each topic in turn; None without topics. The ladder may ask twice in one turn."""
        return self._best(text, tuple(topics))

    @lru_cache(maxsize=64)
    def _best(self, text: str, topics: Tuple[str, ...]) -> Optional[Tuple[str, float, float]]:
        topics = [t for t in topics if t in self.kb.topics]
        if not topics:
            return None
        queries = self.encoder.encode([f"{text} ({self.kb.topics[t].label})" for t in topics])
        scores = {}
        for topic, query in zip(topics, queries):
            allowed = np.isin(self.answers, self.kb.topic_answers(topic))
            similarity = self.vectors[allowed] @ query
            for answer, score in zip(self.answers[allowed], similarity):
                scores[answer] = max(scores.get(answer, -1.0), float(score))
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        if not ranked:
            return None
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        return str(ranked[0][0]), ranked[0][1], ranked[0][1] - runner_up


@lru_cache(maxsize=1)
def followup_reader() -> FollowupReader:
    """Loaded once, when the action server starts."""
    return FollowupReader(knowledge_base())
