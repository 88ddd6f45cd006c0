"""The knowledge base: articles, passages, curated answers, topics and reply texts, read once from
knowledge/*.yml. The only module that knows how the knowledge files are laid out."""
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from actions.clinic import clinic

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Source:
    source_id: str
    title: str
    url: Optional[str]
    text: str


@dataclass(frozen=True)
class Passage:
    id: str
    source_id: str
    section: str
    paragraph: int
    text: str


@dataclass(frozen=True)
class Answer:
    id: str
    topic: str
    question: str
    text: str
    citations: List[str]
    related: List[str] = field(default_factory=list)
    kind: str = "answer"  # "refer" for dosing and diagnosis questions


@dataclass(frozen=True)
class Topic:
    name: str
    label: str
    answers: List[str]
    terms: List[str]
    followups: Dict[str, List[str]]  # aspect -> its answer, one per article where both cover it
    treats: Optional[str] = None  # the condition a treatment topic treats in its article


@dataclass(frozen=True)
class Aspect:
    name: str
    says: str  # "anything about how safe {topic} is"
    rules: List[str]
    covered_only: bool = False  # read only where the articles cover it (broad words like "how long")
    clinic: bool = False  # the clinic itself can answer it: the reply adds the clinic's contact
    says_without_topic: Optional[str] = None
    pairs: bool = False  # joins two topics: the conversation's are looked at too
    of_condition: bool = False  # asked of a treatment, it may mean the condition ("so what causes it then?")
    topic_answer_speaks: bool = False  # the topic's own answer speaks to it ("is stretching any good?")
    more_of_last: bool = False  # asks for more of what was just said ("which kind?"): the last answer again


def _normalise_term(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


class KnowledgeBase:
    def __init__(self, directory: Path = KNOWLEDGE_DIR) -> None:
        def load(name: str) -> dict:
            return yaml.safe_load((directory / name).read_text(encoding="utf-8"))

        self.sources: Dict[str, Source] = {
            s["source_id"]: Source(
                s["source_id"], s["title"], s.get("url"), (directory / s["file"]).read_text(encoding="utf-8")
            )
            for s in load("sources.yml")["sources"]
        }
        self.passages: Dict[str, Passage] = {p["id"]: Passage(**p) for p in load("passages.yml")["passages"]}
        self.answers: Dict[str, Answer] = {
            answer_id: Answer(id=answer_id, **fields) for answer_id, fields in load("answers.yml")["answers"].items()
        }
        self.topics: Dict[str, Topic] = {
            name: Topic(
                name, t["label"], t["answers"], t["terms"],
                {aspect: [a] if isinstance(a, str) else a for aspect, a in (t.get("followups") or {}).items()},
                t.get("treats"),
            )
            for name, t in load("topics.yml")["topics"].items()
        }
        self.messages: dict = load("messages.yml")
        self.aspect_rules: dict = load("aspects.yml")
        self.aspects: Dict[str, Aspect] = {
            name: Aspect(name, **fields) for name, fields in self.aspect_rules["aspects"].items()
        }
        self._topic_by_term = {_normalise_term(term): t.name for t in self.topics.values() for term in t.terms}

    # --- answers and their sources -------------------------------------------------------------
    def citations(self, answer_id: str) -> List[dict]:
        """The `citations` of the channel payload: one entry per cited passage, with its full text."""
        result = []
        for passage_id in self.answers[answer_id].citations:
            passage = self.passages[passage_id]
            source = self.sources[passage.source_id]
            result.append(
                {
                    "source_id": source.source_id,
                    "title": source.title,
                    "url": source.url,
                    "section": passage.section,
                    "passage_id": passage.id,
                    "quote": passage.text,
                }
            )
        return result

    def source_of(self, answer_id: str) -> str:
        return self.passages[self.answers[answer_id].citations[0]].source_id

    def article_of(self, answer_id: Optional[str]) -> Optional[str]:
        """The article an answer comes from; None for anything that is not an answer (an intent, None)."""
        return self.source_of(answer_id) if answer_id in self.answers else None

    def suggestion(self, answer_id: str) -> dict:
        return {"title": self.answers[answer_id].question, "payload": f"/{answer_id}"}

    def related(self, answer_id: str) -> List[str]:
        """Answers to suggest after this one: its curated `related`, else others of the same topic."""
        answer = self.answers[answer_id]
        if answer.related:
            return answer.related[:MAX_SUGGESTIONS]
        same_topic = [a.id for a in self.answers.values() if a.topic == answer.topic and a.id != answer_id]
        same_topic = [a for a in same_topic if self.answers[a].kind == "answer"]
        return same_topic[:MAX_SUGGESTIONS]

    def topic_answers(self, topic: str) -> List[str]:
        return [a.id for a in self.answers.values() if a.topic == topic and a.kind == "answer"]

    # --- topics and follow-ups -----------------------------------------------------------------
    def topic_for_term(self, term: str) -> Optional[str]:
        return self._topic_by_term.get(_normalise_term(term))

    def followup(self, topic: str, aspect: str, previous_answer: Optional[str] = None) -> Optional[str]:
        """The answer that covers this side of the topic, from the previous answer's article where both do."""
        answers = self.topics[topic].followups.get(aspect) if topic in self.topics else None
        return self._in_article(answers, previous_answer) if answers else None

    def topic_answer(self, topic: str, previous_answer: Optional[str] = None) -> str:
        """The answer to "what about <topic>?": from the article of the previous answer where there is a choice."""
        return self._in_article(self.topics[topic].answers, previous_answer)

    def _in_article(self, answers: List[str], previous_answer: Optional[str]) -> str:
        same_article = [a for a in answers if self.article_of(a) == self.article_of(previous_answer)]
        return (same_article or answers)[0]

    # --- reply texts ---------------------------------------------------------------------------
    def message(self, *path: str, **values: str) -> str:
        """A reply text with its {placeholders} filled: the scope, the clinic's details and `values`."""
        text = self.messages
        for key in path:
            text = text[key]
        details = {key: value or "" for key, value in clinic().items()}
        return text.format(scope=self.messages["scope"], clinic=details["name"], **{**details, **values})


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    """The shared, read-only knowledge base, loaded on first use."""
    return KnowledgeBase()
