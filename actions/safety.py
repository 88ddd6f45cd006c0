"""Red-flag screening and the dosing/diagnosis guard: the one module that knows the safety rules.

Rules live in knowledge/safety.yml and run on spaCy's Matcher over lemmas (a blank English pipeline with the
lookup lemmatizer from spacy-lookups-data, no download). The screener is built once, at import.
"""
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

from actions.nlp import lemma_pipeline, rule_pattern

SAFETY_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "safety.yml"
NEGATION_WINDOW = 5
CLAUSE_BREAKS = {",", ";", ".", "!", "?", "but", "and", "so", "because", "-", "—"}


@dataclass(frozen=True)
class Screening:
    """What the screener found in one message."""

    emergencies: Tuple[str, ...] = ()  # categories with a current red flag
    history: Tuple[str, ...] = ()  # categories mentioned only in the distant past
    negated: Tuple[str, ...] = ()  # categories explicitly denied ("no chest pain")
    refer: Optional[str] = None  # "ask_dosage" or "ask_diagnosis"
    handoff: bool = False  # asks for a person, the phone number or an appointment

    @property
    def matched_anything(self) -> bool:
        return bool(self.emergencies or self.history or self.negated)


@dataclass
class _Rule:
    key: str
    parts: List[str] = field(default_factory=list)  # matcher keys that must all match


class Screener:
    def __init__(self, path: Path = SAFETY_FILE) -> None:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.nlp = lemma_pipeline()
        self.max_gap = spec["max_gap"]
        self.negators = {self._lemma(w) for w in spec["negators"]}
        self.present = {self._lemma(w) for w in spec["present_markers"]}
        self.recurrence = {self._lemma(w) for w in spec["recurrence_markers"]}
        self.categories: Dict[str, dict] = spec["categories"]
        self.matcher = Matcher(self.nlp.vocab)
        self.spells_negation: set = set()  # matcher keys whose own words include a negator ("can't breathe")
        self.rules: Dict[str, List[_Rule]] = {}  # group (category or refer kind) -> rules
        for name, category in self.categories.items():
            self.rules[name] = self._add_rules(name, category["rules"])
        self.refer_kinds = list(spec["refer"])
        for kind, rules in spec["refer"].items():
            self.rules[kind] = self._add_rules(kind, rules)
        self.rules["handoff"] = self._add_rules("handoff", spec["handoff"])
        self._add_rules("past", spec["past_markers"])

    def _lemma(self, word: str) -> str:
        return self.nlp(word.lower())[0].lemma_

    def _pattern(self, rule: str) -> List[dict]:
        return rule_pattern(self.nlp, rule, self.max_gap)

    def _is_negator(self, token) -> bool:
        return token.lemma_ in self.negators or token.lower_ in self.negators

    def _add_rules(self, group: str, rules: list) -> List[_Rule]:
        compiled = []
        for n, rule in enumerate(rules):
            parts = rule["all"] if isinstance(rule, dict) else [rule]
            keys = []
            for m, part in enumerate(parts):
                key = f"{group}/{n}/{m}"
                pattern = self._pattern(part)
                self.matcher.add(key, [pattern])
                if any(set(slot["LEMMA"]["IN"]) & self.negators for slot in pattern if "LEMMA" in slot):
                    self.spells_negation.add(key)
                keys.append(key)
            compiled.append(_Rule(f"{group}/{n}", keys))
        return compiled

    # --- screening -------------------------------------------------------------------------------
    def _negated(self, span: Span, key: str) -> bool:
        """A negator shortly before the match in its clause, or inside it ("face isn't drooping") unless the
        rule itself is about not being able to ("can't breathe")."""
        if key not in self.spells_negation and any(self._is_negator(t) for t in span):
            return True
        doc = span.doc
        for i in range(span.start - 1, max(span.start - 1 - NEGATION_WINDOW, -1), -1):
            if doc[i].lower_ in CLAUSE_BREAKS:
                return False
            if self._is_negator(doc[i]):
                return True
        return False

    def _clause(self, span: Span) -> Span:
        doc, start, end = span.doc, span.start, span.end
        while start > span.sent.start and doc[start - 1].lower_ not in CLAUSE_BREAKS:
            start -= 1
        while end < span.sent.end and doc[end].lower_ not in CLAUSE_BREAKS:
            end += 1
        return doc[start:end]

    def _in_past(self, span: Span, past_sentences: set) -> bool:
        """The sentence names the distant past and the match's own clause says nothing about now."""
        if span.sent.start not in past_sentences or any(t.lemma_ in self.recurrence for t in span.sent):
            return False
        return not any(t.lemma_ in self.present or t.lower_ in self.present for t in self._clause(span))

    def screen(self, text: str) -> Screening:
        doc: Doc = self.nlp(text.lower())
        spans: Dict[str, List[Span]] = {}
        for match_id, start, end in self.matcher(doc):
            spans.setdefault(self.nlp.vocab.strings[match_id], []).append(doc[start:end])
        past_sentences = {s.sent.start for key, found in spans.items() if key.startswith("past/") for s in found}

        def status(group: str) -> Optional[str]:
            """'current', 'history' or 'negated' for the strongest match of a group's rules, else None."""
            found = set()
            for rule in self.rules[group]:
                if not all(key in spans for key in rule.parts):
                    continue
                for key in rule.parts:
                    for span in spans[key]:
                        if self._negated(span, key):
                            found.add("negated")
                        elif self._in_past(span, past_sentences):
                            found.add("history")
                        else:
                            found.add("current")
            for level in ("current", "history", "negated"):
                if level in found:
                    return level
            return None

        levels = {name: status(name) for name in self.categories}
        refer = next((kind for kind in self.refer_kinds if status(kind) == "current"), None)
        return Screening(
            emergencies=tuple(n for n, s in levels.items() if s == "current"),
            history=tuple(n for n, s in levels.items() if s == "history"),
            negated=tuple(n for n, s in levels.items() if s == "negated"),
            refer=refer,
            handoff=status("handoff") == "current",
        )


@lru_cache(maxsize=1)
def screener() -> Screener:
    return Screener()
