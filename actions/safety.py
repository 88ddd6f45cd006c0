"""Red-flag screening and the dosing/diagnosis guard: the one module that knows the safety rules.

Rules live in knowledge/safety.yml and run on lemmas of the folded text (actions/nlp.py: `fold`, `RuleMatcher`;
a blank English pipeline with the lookup lemmatizer from spacy-lookups-data, no download). The screener is
built once, at import.
"""
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import yaml
from spacy.tokens import Doc, Span

from actions.nlp import RuleMatcher, fold, lemma_pipeline
from nlu.speller import WORDS_FILE, Speller

SAFETY_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "safety.yml"
NLU_DATA = Path(__file__).resolve().parent.parent / "data" / "nlu"
MIN_TYPO_LENGTH = 4  # shorter words are too close to too many others ("fit", "fat") to be corrected
NEGATION_WINDOW = 5
WORD = re.compile(r"[\w']+")  # words as typed, so that "can't" is one
LEVELS = ("negated", "history", "current")
INABILITY = {"ca", "can", "could"}  # "can't", "cannot", "couldn't": not a denial
CLAUSE_BREAKS = {",", ";", ".", "!", "?", "but", "and", "so", "because", "-", "—"}


@dataclass(frozen=True)
class Screening:
    """What the screener found in one message."""

    emergencies: Tuple[str, ...] = ()  # categories with a current red flag
    history: Tuple[str, ...] = ()  # categories mentioned only in the distant past or in a general question
    negated: Tuple[str, ...] = ()  # categories explicitly denied ("no chest pain")
    refer: Optional[str] = None  # "ask_dosage" or "ask_diagnosis"
    told_refer: Optional[str] = None  # a sign of a condition, told: "ask_diagnosis" (read where nothing is asked)
    handoff: bool = False  # asks for a person, the phone number or an appointment
    suspected: Tuple[str, ...] = ()  # categories of which a rule's phrase ("took ... pills") matched, said about now
    alarming: bool = False  # names acute danger or a serious sign it does not deny: what the second net needs

    @property
    def matched_anything(self) -> bool:
        return bool(self.emergencies or self.history or self.negated)


@dataclass
class _Rule:
    key: str
    parts: List[str] = field(default_factory=list)  # matcher keys that must all match


class Screener:
    def __init__(self, path: Path = SAFETY_FILE, words: Path = WORDS_FILE) -> None:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.nlp = lemma_pipeline()
        self.max_gap = spec["max_gap"]
        self.negators = {self._lemma(w) for w in spec["negators"]}
        self.present = {self._lemma(w) for w in spec["present_markers"]}
        self.recurrence = {self._lemma(w) for w in spec["recurrence_markers"]}
        self.acute_cues = self._words(spec["acute_cues"])
        self.serious_signs = self._words(spec["serious_signs"])
        self.personal = {w.lower() for w in spec["personal_words"]}
        self.categories: Dict[str, dict] = spec["categories"]
        self.unknown_call: List[str] = spec["unknown_call"]  # numbers when no rule names the category
        self.rewrites = [(self._rewrite_pattern(typo), meant) for typo, meant in spec["rewrites"].items()]
        self.matcher = RuleMatcher(self.nlp, self.max_gap)
        self.phrases: set = set()  # matcher keys of several words: specific enough to raise a suspicion alone
        self.spells_negation: set = set()  # matcher keys whose own words include a negator ("can't breathe")
        self.rules: Dict[str, List[_Rule]] = {}  # group (category or refer kind) -> rules
        for name, category in self.categories.items():
            self.rules[name] = self._add_rules(name, category["rules"])
        self.refer_kinds = list(spec["refer"])
        # group -> words that, inside a match of its rules, make it ask something else ("is that normal with ...")
        self.asks_else = {kind: self._words(words) for kind, words in spec.get("refer_asks_else", {}).items()}
        for kind, rules in spec["refer"].items():
            self.rules[kind] = self._add_rules(kind, rules)
        # kind -> the topics on which its conversation rules refer ("should I stop it?" after baclofen)
        self.refer_topics: Dict[str, set] = {}
        for kind, spec_of_kind in (spec.get("refer_in_conversation") or {}).items():
            self.refer_topics[kind] = set(spec_of_kind["topics"])
            self.rules[f"{kind}_in_conversation"] = self._add_rules(f"{kind}_in_conversation", spec_of_kind["rules"])
        self.told_kinds = list(spec.get("refer_told") or {})
        for kind in self.told_kinds:
            self.rules[f"{kind}_told"] = self._add_rules(f"{kind}_told", spec["refer_told"][kind])
        self.rules["handoff"] = self._add_rules("handoff", spec["handoff"])
        self._add_rules("past", spec["past_markers"])
        self._add_rules("general", spec["general_question"])
        self.speller = self._red_flag_speller(spec, words)
        self.serious_signs |= self._danger_words(spec["emergency_intent"], spec["ordinary_min_count"])

    @staticmethod
    def _rewrite_pattern(typo: str) -> re.Pattern:
        """Whole words; a leading "^" only at the start of the message ("dose dystonia go away?")."""
        start = r"^" if typo.startswith("^") else r"\b"
        return re.compile(rf"{start}{re.escape(typo.lstrip('^'))}\b")

    def _red_flag_speller(self, spec: dict, words: Path) -> Speller:
        """Corrects a misspelled word into a word of the red-flag rules ("brethe" -> breathe, "unconsious" ->
        unconscious). Common English words and the articles' medical words are never corrected."""
        vocabulary = set(spec["acute_cues"]) | set(spec["serious_signs"])
        self.slots: Dict[str, set] = {}  # word -> the rule slots it stands in, to break ties between spellings
        for category in self.categories.values():
            for rule in category["rules"]:
                for part in rule["all"] if isinstance(rule, dict) else [rule]:
                    for slot in part.split(" + "):
                        for word in slot.split("|"):
                            if not word.startswith("="):
                                vocabulary.add(word)
                                self.slots.setdefault(word.lower(), set()).add(slot)
        lists = json.loads(words.read_text(encoding="utf-8"))
        known = {*lists["common"], *lists["targets"]}
        words_of_rules = {w.lower() for w in vocabulary if w.isalpha() and len(w) >= MIN_TYPO_LENGTH}
        self.lemma_of = {w: self._lemma(w) for w in words_of_rules}  # looked up per message, computed once
        self.vocabulary = words_of_rules | set(self.lemma_of.values())
        # Misspellings the rules list ("breth") are matched as they are, but nothing is corrected into them. The
        # articles' medical words compete as targets, so "instabilty" is not read as "instantly".
        self.red_flag_words = words_of_rules & known
        return Speller(self.red_flag_words | set(lists["targets"]), (), known)

    def _danger_words(self, emergency_intent: str, min_count: int) -> set:
        """The words of the red-flag rules (as lemmas) that the NLU training phrasings of every other intent
        (questions, everyday symptoms, smalltalk) use fewer than `min_count` times: signs of danger for the
        second net."""
        counts: Counter = Counter()
        for file in sorted(NLU_DATA.glob("*.yml")):
            for block in yaml.safe_load(file.read_text(encoding="utf-8")).get("nlu", []):
                if "intent" in block and block["intent"] != emergency_intent:
                    for line in block["examples"].splitlines():
                        if line.startswith("- "):
                            counts.update({w for t in self.nlp(line[2:].lower()) for w in (t.lower_, t.lemma_)})
        if not counts:
            raise ValueError(f"no NLU training phrasings in {NLU_DATA}")
        # "left" is ordinary when "leave" is
        return {w for w in self.vocabulary if max(counts[w], counts[self.lemma_of.get(w, w)]) < min_count}

    def _correct_typos(self, doc: Doc) -> None:
        """Gives each misspelled word the lemma of the red-flag word it was meant to be."""
        for token in doc:
            word = token.lower_
            if len(word) >= MIN_TYPO_LENGTH and word.isalpha() and word not in self.vocabulary:
                meant = sorted(self.speller.closest(word)) if not self.speller.known(word) else []  # "brethe"
                if not set(meant) <= self.red_flag_words:  # closer to a medical word of the articles
                    continue
                # A tie counts when the candidates are spellings of one meaning: one lemma, or a shared rule
                # slot ("unconsious": unconscious or the listed "unconcious").
                one_meaning = meant and (
                    len({self.lemma_of[w] for w in meant}) == 1
                    or set.intersection(*(self.slots.get(w, set()) for w in meant))
                )
                if one_meaning:
                    token.lemma_ = self.lemma_of[meant[0]]

    def _words(self, words: List[str]) -> set:
        """The words as listed, and the lemma of each that is an inflection of it ("terrified": terrify). Not the
        first part of a contraction ("can't": "ca", "couldn't": "can") nor a lemma the lookup table gives another
        word ("worst": "wrong", "drunk": "drink"), which would make everyday words signs of danger."""
        lemmas = set()
        for word in words:
            doc = self.nlp(word.lower())
            if len(doc) == 1 and word.lower().startswith(doc[0].lemma_[:4]):
                lemmas.add(doc[0].lemma_)
        return {w.lower() for w in words} | lemmas

    def _lemma(self, word: str) -> str:
        return self.nlp(word.lower())[0].lemma_

    def _is_negator(self, token) -> bool:
        """A word that denies what follows; "can't" says inability ("can't see, everything is black")."""
        if token.i and token.doc[token.i - 1].lower_ in INABILITY:
            return False
        return token.lemma_ in self.negators or token.lower_ in self.negators

    def _add_rules(self, group: str, rules: list) -> List[_Rule]:
        compiled = []
        for n, rule in enumerate(rules):
            parts = rule["all"] if isinstance(rule, dict) else [rule]
            keys = []
            for m, part in enumerate(parts):
                key = f"{group}/{n}/{m}"
                self.matcher.add(key, part)
                if " + " in part:
                    self.phrases.add(key)
                if self.matcher.words(key) & self.negators:
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

    def _in_general_question(self, span: Span, general_sentences: set) -> bool:
        """The sentence asks what can happen ("can botox cause trouble swallowing?") and speaks of no one and
        of nothing now."""
        if span.sent.start not in general_sentences:
            return False
        words = {t.lower_ for t in span.sent} | {t.lemma_ for t in span.sent}
        return not words & (self.personal | self.present)

    def _level(self, span: Span, key: str, past_sentences: set, general_sentences: set) -> int:
        """How a matched span speaks of its red flag: 0 denied, 1 in the past or in general, 2 now."""
        if self._negated(span, key):
            return 0
        if self._in_past(span, past_sentences) or self._in_general_question(span, general_sentences):
            return 1
        return 2

    def _alarming(self, doc: Doc) -> bool:
        """Acute danger named anywhere, or a serious sign that no negator before it denies."""
        if self.acute_cues & ({t.lemma_ for t in doc} | set(WORD.findall(doc.text))):
            return True
        signs = (t for t in doc if t.lemma_ in self.serious_signs or t.lower_ in self.serious_signs)
        return any(not self._negated(doc[t.i : t.i + 1], "") for t in signs)

    def screen(self, text: str, topics: Sequence[str] = ()) -> Screening:
        """Screen the folded text, so that fullwidth letters, look-alikes from other scripts, accents and
        invisible fillers ("brеathe" with a Cyrillic "е") hide no red flag. `topics` are the conversation's, on
        which some questions are referred that name no medication ("should I stop it?" after baclofen)."""
        text = fold(text).lower()
        for typo, meant in self.rewrites:
            text = typo.sub(meant, text)
        doc: Doc = self.nlp(text)
        self._correct_typos(doc)
        spans: Dict[str, List[Span]] = {}
        for key, start, end in self.matcher(doc):
            group = key.split("/")[0]
            if group in self.asks_else and any(t.lemma_ in self.asks_else[group] for t in doc[start:end]):
                continue
            spans.setdefault(key, []).append(doc[start:end])

        def sentences(group: str) -> set:
            return {s.sent.start for key, found in spans.items() if key.startswith(group + "/") for s in found}

        past_sentences, general_sentences = sentences("past"), sentences("general")
        partly: set = set()  # categories of which a first part that is a phrase matched, said about now

        def status(group: str) -> Optional[str]:
            """'current', 'history' or 'negated' for the strongest match of a group's rules, else None."""
            found = set()
            general = general_sentences if group in self.categories else set()  # "what dose do people get?"

            def strongest(key: str) -> int:
                return max(self._level(span, key, past_sentences, general) for span in spans[key])

            for rule in self.rules[group]:
                # Each part counts at its strongest mention; a rule of several parts only at its weakest part
                # ("no fever, and the dbs wound ..." is no sign of infection). A first part that is a phrase
                # ("took ... pills") is a suspicion on its own. Parts that matched nothing are not weighed.
                if all(key in spans for key in rule.parts):
                    found.add(min(strongest(key) for key in rule.parts))
                elif rule.parts[0] in spans and rule.parts[0] in self.phrases and strongest(rule.parts[0]) == 2:
                    partly.add(group)
            return LEVELS[max(found)] if found else None

        levels = {name: status(name) for name in self.categories}
        refer = next((kind for kind in self.refer_kinds if status(kind) == "current"), None)
        refer = refer or next((kind for kind, on in self.refer_topics.items()
                               if set(topics) & on and status(f"{kind}_in_conversation") == "current"), None)
        return Screening(
            emergencies=tuple(n for n, s in levels.items() if s == "current"),
            history=tuple(n for n, s in levels.items() if s == "history"),
            negated=tuple(n for n, s in levels.items() if s == "negated"),
            suspected=tuple(n for n in self.categories if n in partly and levels[n] is None),
            refer=refer,
            told_refer=next((kind for kind in self.told_kinds if status(f"{kind}_told") == "current"), None),
            handoff=status("handoff") == "current",
            alarming=self._alarming(doc),
        )


@lru_cache(maxsize=1)
def screener() -> Screener:
    return Screener()
