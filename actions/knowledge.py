"""The knowledge base: articles, passages, curated answers, topics and reply texts, read once from
knowledge/*.yml. The only module that knows how the knowledge files are laid out."""
import logging
import os
import re
import string
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import AbstractSet, Dict, FrozenSet, List, Optional, Sequence, Tuple

import yaml

from actions.clinic import clinic

# KNOWLEDGE_DIR: another folder of knowledge files (a content owner's edited copy); the shipped one by default.
KNOWLEDGE_DIR = Path(os.environ.get("KNOWLEDGE_DIR") or Path(__file__).resolve().parent.parent / "knowledge")
MAX_SUGGESTIONS = 3
# Placeholders a reply text may use besides the clinic's details (clinic.yml): those KnowledgeBase.message
# fills, those of the replies about a topic (`what`), of the handoff (actions.py) and of the channel (web/).
PLACEHOLDERS = {"scope", "clinic", "what", "by_phone", "hours", "booking", "max_chars", "seconds", "referral", "answer",
                "first", "second", "each"}
logger = logging.getLogger(__name__)


class KnowledgeError(ValueError):
    """The knowledge files contradict each other: the assistant must not start on them."""


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
    items: List[str] = field(default_factory=list)  # the answers of what it lists, in its text's order
    kind: str = "answer"  # "refer" for dosing and diagnosis questions
    held: Optional[str] = None  # why a cited passage changed (set by `make knowledge`): not served until checked


@dataclass(frozen=True)
class Topic:
    name: str
    label: str
    answers: List[str]
    terms: List[str]
    followups: Dict[str, List[str]]  # aspect -> its answer, one per article where both cover it
    treats: Optional[str] = None  # the condition a treatment topic treats in its article
    says_nothing_of: Tuple[str, ...] = ()  # broad sides the articles don't cover for it ("how long" of whiplash)
    as_cause: Dict[str, str] = field(default_factory=dict)  # condition -> the answer on this topic as its cause
    article_terms: Tuple[str, ...] = ()  # words naming it only on its article's ground ("injections" of dystonia)
    situation: bool = False  # an everyday situation (desk work) the articles say one thing of: named alone, that answer
    explains: Dict[str, str] = field(default_factory=dict)  # condition -> the answer on why this topic brings it on


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
    of_treatment: bool = False  # named beside a condition, the other thing is what is asked ("does physio for it hurt?")
    topic_answer_speaks: bool = False  # the topic's own answer speaks to it ("is stretching any good?")
    more_of_last: bool = False  # asks for more of what was just said ("which kind?"): the last answer again
    new_answer: bool = False  # never the answer just given again ("what else?")
    of_last: bool = False  # read only in a conversation, of a question naming no topic ("what else?")
    names_it: bool = False  # answered only where the answer names the thing asked about ("does ice help?")
    likens: bool = False  # "is it the same as X?": the answer on the thing talked about, where it names X
    not_of_treatments: bool = False  # never said not covered of a treatment ("how to treat the pills")
    names_a_cause: bool = False  # a topic it names may be the cause asked of another ("can it come from meds?")
    words_decide: bool = False  # its words say what is asked, whatever the classifier reads ("the real cause")
    particular: Sequence[str] = ()  # things of the side answered only where the answer says them
    says_particular: Optional[str] = None  # "the side effects of {topic}": what names no such particular thing
    each_described: bool = False  # not covered of two treatments of one condition: what the articles say of each

    @property
    def asking_words(self) -> FrozenSet[str]:
        """The words its rules ask with ("count" in "does yoga count?"), not the thing asked about."""
        return _rule_words(tuple(self.rules))


@lru_cache(maxsize=None)
def _rule_words(rules: Tuple[str, ...]) -> FrozenSet[str]:
    return frozenset(re.findall(r"[a-z]+", " ".join(rules)))


def _texts(messages, path: str = "") -> List[tuple]:
    """(path, text) of every reply text in messages.yml, however nested."""
    if isinstance(messages, str):
        return [(path, messages)]
    if isinstance(messages, dict):
        return [t for key, value in messages.items() for t in _texts(value, f"{path}/{key}" if path else str(key))]
    return [t for n, value in enumerate(messages) for t in _texts(value, f"{path}[{n}]")] if isinstance(messages, list) else []


def _stem(word: str) -> str:
    """The start of a word that its other endings share ("tired" and "tiredness")."""
    return word[: max(4, len(word) - 3)]


@lru_cache(maxsize=4096)
def _word_stem(word: str) -> "re.Pattern[str]":
    """A word at the start of a word, its ending aside ("tired" finds "tiredness")."""
    return re.compile(rf"\b{re.escape(_stem(word))}")


def _normalise_term(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


@lru_cache(maxsize=None)
def _term_said(term: str) -> "re.Pattern":
    """The term at the start of a word, however its words are split or joined: the speller writes "heat pad" as
    the term "heatpad", which the article splits. Compiled once per term."""
    return re.compile(r"\b" + r"\s?".join(map(re.escape, _normalise_term(term).replace(" ", ""))))


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
                t.get("treats"), tuple(t.get("says_nothing_of") or ()), dict(t.get("as_cause") or {}),
                tuple(t.get("article_terms") or ()), bool(t.get("situation")), dict(t.get("explains") or {}),
            )
            for name, t in load("topics.yml")["topics"].items()
        }
        self.conditions = frozenset(t.treats for t in self.topics.values() if t.treats)  # what treatments treat
        self.messages: dict = load("messages.yml")
        self.aspect_rules: dict = load("aspects.yml")
        self.aspects: Dict[str, Aspect] = {
            name: Aspect(name, **fields) for name, fields in self.aspect_rules["aspects"].items()
        }
        self._topic_by_term = {_normalise_term(term): t.name for t in self.topics.values() for term in t.terms}
        self._source_by_prefix = {s["prefix"]: s["source_id"] for s in load("sources.yml")["sources"]}
        self._said: Dict[str, str] = {}  # answer -> its text and its passages', lower case (words_said)
        self._said_by_all: tuple = ()  # every answer's said text joined, where each starts, the answers (answers_saying)
        problems = self.problems()
        if problems:
            raise KnowledgeError(f"{len(problems)} problem(s) in {directory}:\n- " + "\n- ".join(problems))

    def problems(self) -> List[str]:
        """Every contradiction between the knowledge files, in words a content owner can act on."""
        found = []
        for answer in self.answers.values():
            unknown = [p for p in answer.citations if p not in self.passages]
            if not answer.citations:
                found.append(f"answers.yml: {answer.id} cites no passage")
            if unknown and not answer.held:
                found.append(f"answers.yml: {answer.id} cites unknown passage(s) {', '.join(unknown)} "
                             "(run `make knowledge` after an article edit)")
            if answer.topic not in self.topics:
                found.append(f"answers.yml: {answer.id} has unknown topic {answer.topic}")
            found += [f"answers.yml: {answer.id} lists unknown answer {r}" for r in answer.items
                      if r not in self.answers]
            found += [f"answers.yml: {answer.id} relates to unknown answer {r}" for r in answer.related
                      if r not in self.answers]
        for topic in self.topics.values():
            if not topic.answers:
                found.append(f"topics.yml: topic {topic.name} has no answers")
            found += [f"topics.yml: topic {topic.name} leads to unknown answer {a}" for a in topic.answers
                      if a not in self.answers]
            found += [f"topics.yml: topic {topic.name} says nothing of unknown side {a}"
                      for a in topic.says_nothing_of if a not in self.aspects]
            for aspect, answer_ids in topic.followups.items():
                if aspect not in self.aspects:
                    found.append(f"topics.yml: topic {topic.name} has a follow-up for unknown side {aspect}")
                found += [f"topics.yml: follow-up {topic.name}/{aspect} leads to unknown answer {a}"
                          for a in answer_ids if a not in self.answers]
            if topic.treats and topic.treats not in self.topics:
                found.append(f"topics.yml: topic {topic.name} treats unknown topic {topic.treats}")
            for condition, answer_id in topic.as_cause.items():
                if condition not in self.topics:
                    found.append(f"topics.yml: topic {topic.name} is a cause of unknown topic {condition}")
                if answer_id not in self.answers:
                    found.append(f"topics.yml: {topic.name} as a cause of {condition} leads to unknown answer {answer_id}")
        allowed = PLACEHOLDERS | set(clinic())
        for path, text in _texts(self.messages):
            for _, name, _, _ in string.Formatter().parse(text):
                if name is not None and name not in allowed:
                    found.append(f"messages.yml: {path} uses unknown placeholder {{{name}}}")
        found += [f"messages.yml: starter question {a} is no answer" for a in self.messages.get("starter_questions", [])
                  if a not in self.answers]
        return found

    def held(self) -> List[str]:
        """Answers not served until a person checks them against their changed source."""
        return [a.id for a in self.answers.values() if a.held]

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
        first = self.answers[answer_id].citations[0]  # a held answer may cite a passage that is gone
        return self.passages[first].source_id if first in self.passages else self._source_by_prefix[first.split("-")[0]]

    def article_of(self, answer_id: Optional[str]) -> Optional[str]:
        """The article an answer comes from; None for anything that is not an answer (an intent, None)."""
        return self.source_of(answer_id) if answer_id in self.answers else None

    def article_of_topic(self, topic: Optional[str]) -> Optional[str]:
        """The article of a topic's own answer ("what about <topic>?")."""
        return self.article_of(self.topics[topic].answers[0]) if topic in self.topics else None

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

    def listing_of(self, answer_id: Optional[str]) -> Optional[str]:
        """The answer that lists this one among its things (the causes of spasms list poor circulation), if any."""
        return next((a.id for a in self.answers.values() if answer_id in a.items), None) if answer_id else None

    def topic_answers(self, topic: str) -> List[str]:
        return [a.id for a in self.answers.values() if a.topic == topic and a.kind == "answer"]

    def answers_of_topic(self, topic: str) -> List[str]:
        """The topic's answers: those filed under it and those it lists as its own (heat's tip is filed under home
        care, overuse's answer under spasms)."""
        return [*self.topic_answers(topic), *self.topics[topic].answers]

    # --- topics and follow-ups -----------------------------------------------------------------
    def speaks_of(self, answer_id: str, topic: str, question: str) -> bool:
        """Whether the answer or its passages name the thing the question names by one of the topic's terms
        ("ice" in the usual treatments; not "tens unit", a lay word of the same topic the articles never use)."""
        question = _normalise_term(question)
        named = [t for t in self.topics[topic].terms if re.search(rf"\b{re.escape(_normalise_term(t))}\b", question)]
        return self._says_any(answer_id, named)

    def names_topic(self, answer_id: str, topic: str) -> bool:
        """Whether the answer or its passages name the topic by any of its terms ("pills" for tablets too), or name
        the kind of thing it is: the topic whose own answer lists it ("oral medications" names baclofen too)."""
        if self._says_any(answer_id, self.topics[topic].terms):
            return True
        listing = self.listing_of(next(iter(self.topics[topic].answers), None))
        kind = self.answers[listing].topic if listing else None
        # only a list that is its topic's own answer is a kind of thing ("what causes spasms" is no kind of spasm)
        return bool(kind) and self.topics[kind].answers[0] == listing and self._says_any(answer_id, self.topics[kind].terms)

    def _says_any(self, answer_id: str, terms) -> bool:
        said = _normalise_term(self.said_by(answer_id))
        return any(_term_said(t).search(said) for t in terms)

    def says_word_of(self, answer_id: str, question: str, asking: AbstractSet[str] = frozenset(),
                     every: bool = False) -> bool:
        """Whether the answer or its passages say a word the question names ("yoga" in "does yoga count?"), or
        with `every` each of them, other than small words and the `asking` words; a word's ending may differ
        ("tired", "tiredness")."""
        words = self.content_words(question, asking)
        said = self.words_said(answer_id, words)
        return bool(words) and (len(said) == len(words) if every else bool(said))

    @staticmethod
    def content_words(question: str, asking: AbstractSet[str] = frozenset()) -> List[str]:
        """The question's words, less small words and the `asking` words."""
        from spacy.lang.en.stop_words import STOP_WORDS  # here: importers of this module need not load spaCy

        return [w for w in re.findall(r"[a-z]+", question.lower()) if w not in STOP_WORDS and w not in asking]

    def words_said(self, answer_id: str, words: Sequence[str]) -> List[str]:
        """Those of the words that the answer or its passages say, a word's ending aside."""
        said = self._said_lower(answer_id)
        return [w for w in words if _word_stem(w).search(said)]

    def text_says(self, answer_id: str, words: Sequence[str]) -> bool:
        """Whether the answer's own text (not its passages) says one of the words, a word's ending aside."""
        text = self.answers[answer_id].text.lower()
        return any(_word_stem(w).search(text) for w in words)

    def answers_saying(self, word: str) -> List[str]:
        """The answers that say the word (or their passages do), a word's ending aside: one search of all their
        texts, joined once."""
        if not self._said_by_all:
            ids = list(self.answers)
            texts = [self._said_lower(a) for a in ids]
            starts = [0]
            for text in texts[:-1]:
                starts.append(starts[-1] + len(text) + 1)
            self._said_by_all = ("\n".join(texts), starts, ids)
        joined, starts, ids = self._said_by_all
        stem, found = _stem(word), set()
        at = joined.find(stem)
        while at >= 0:  # str.find, then the word's start: a regex that starts with \b is thirty times slower here
            if at == 0 or not joined[at - 1].isalnum():
                found.add(ids[bisect_right(starts, at) - 1])
            at = joined.find(stem, at + 1)
        return [a for a in ids if a in found]

    def _said_lower(self, answer_id: str) -> str:
        if answer_id not in self._said:  # built once per answer: a turn may look up every answer
            self._said[answer_id] = self.said_by(answer_id).lower()
        return self._said[answer_id]

    def said_by(self, answer_id: str) -> str:
        """The answer's text and its passages' text, together."""
        answer = self.answers[answer_id]
        return " ".join([answer.text, *(self.passages[p].text for p in answer.citations)])

    def topic_for_term(self, term: str) -> Optional[str]:
        return self._topic_by_term.get(_normalise_term(term))

    def followup(self, topic: str, aspect: str, previous_answer: Optional[str] = None) -> Optional[str]:
        """The answer that covers this side of the topic, from the previous answer's article where both do."""
        answers = self.topics[topic].followups.get(aspect) if topic in self.topics else None
        return self._in_article(answers, previous_answer) if answers else None

    def covers(self, answer_id: str, aspect: str) -> bool:
        """Whether a topic's follow-up table gives this answer for this side ("how long?": the heat tip, not the
        early signs)."""
        return any(answer_id in topic.followups.get(aspect, ()) for topic in self.topics.values())

    def as_cause_of(self, topic: str, conditions: Sequence[str]) -> Optional[str]:
        """The answer on `topic` as the cause of the first of `conditions` it can cause ("can it come from
        medication?" after dystonia's causes), else None."""
        causes = self.topics[topic].as_cause if topic in self.topics else {}
        return next((causes[c] for c in conditions if c in causes), None)

    def why_it_brings_on(self, topic: str, conditions: Sequence[str]) -> Optional[str]:
        """The answer on why `topic` brings on the first of `conditions` it explains (`explains`), else None."""
        explains = self.topics[topic].explains if topic in self.topics else {}
        return next((explains[c] for c in conditions if c in explains), None)

    def same_side(self, topic: str, previous_answer: Optional[str]) -> Optional[str]:
        """The answer to the side of `topic` that the previous answer covered for its own topic ("and for dystonia?"
        after what to take for spasms: dystonia's treatments); None where the previous answer covers no side of its
        topic, or `topic` lacks it. Sides relative to what was said ("what else", "which kind") don't count."""
        previous = self.answers.get(previous_answer) if previous_answer else None
        own = self.topics.get(previous.topic) if previous else None
        if not own or topic == previous.topic or topic not in self.topics:
            return None
        sides = [s for s in self.aspects if previous_answer in own.followups.get(s, [])
                 and not (self.aspects[s].of_last or self.aspects[s].more_of_last)]
        found = [a for a in (self.followup(topic, s, previous_answer) for s in sides) if a]
        return self._in_article(found, previous_answer) if found else None

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
    """The shared, read-only knowledge base, loaded on first use; KnowledgeError if the files disagree."""
    kb = KnowledgeBase()
    if kb.held():
        logger.warning("Answers held until a person checks them against their changed source (knowledge/answers.yml, "
                       "`make knowledge`): %s", ", ".join(kb.held()))
    return kb
