"""The domain spelling corrector behind nlu/spelling.py, and the red-flag screen's typo tolerance
(actions/safety.py): plain Python, no Rasa, so that the action server can use it too.

Word lists come from models/spelling/words.json, built by `make` (scripts/build_spelling.py); see
nlu/spelling.py for what each list holds.
"""
import json
import re
from pathlib import Path
from typing import Dict, Iterable, List, Optional

WORDS_FILE = Path(__file__).resolve().parent.parent / "models" / "spelling" / "words.json"
WORD = re.compile(r"[a-z]+")
MAX_JOINED = 4  # "back low fen", "clone as a pam": dictation splits a term into at most this many words
MIN_JOINED_SOUNDS = 5  # a run joined into an article's word by sound alone must sound this distinct (consonants)
MIN_PHRASE_WORDS = 2  # a term of this many words is found with one of them typed or heard as another word
# Dictation splits a term into syllables; a run that starts (but for "in jections") or ends with one of these
# small words is a phrase, not a split term ("ligament is", "to me in").
SMALL_WORDS = set(
    "a an the in is it its to me my of on at for and or so be do if as by up i you u r he she we they his her our "
    "this that till til with from are was am how what why when where who which".split()
)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two neighbours counts as one), or limit + 1 beyond it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if previous2 and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def sound_key(word: str) -> str:
    """A rough sound-alike key: consonants as heard ("xeomin" and "zee oh min" both give "smn")."""
    word = re.sub(r"^x", "s", word)
    for spelled, heard in (("ph", "f"), ("igh", "i"), ("alk", "ak"), ("ck", "k"), ("c(?=[eiy])", "s"), ("c", "k"),
                           ("q", "k"), ("x", "ks"), ("z", "s")):  # "lights" and "talks" sound without g, h and l
        word = re.sub(spelled, heard, word)
    word = re.sub(r"[aeiouhwy]", "", word)
    return re.sub(r"(.)\1+", r"\1", word)


def allowed_distance(word: str) -> int:
    return 1 if len(word) <= 5 else 2 if len(word) <= 9 else 3


class Speller:
    def __init__(
        self, targets: Iterable[str], terms: Iterable[str], common: Iterable[str], vocabulary: Iterable[str] = (),
        joinable: Iterable[str] = (), phrases: Iterable[str] = (),
    ) -> None:
        self.targets = set(targets)
        self.terms = {t for t in terms if len(t) >= 5}
        self.common = set(common)
        # What a dictated run of words may be joined into as it is spelt ("mass age" -> massage): every longer
        # word of the topic terms, common ones too.
        self.joinable = self.terms | {t for t in joinable if len(t) >= 5}
        self.term_keys: Dict[str, List[str]] = {}
        for term in self.terms:
            self.term_keys.setdefault(sound_key(term), []).append(term)
        # The articles' rarer words and the terms, heard as several words ("mag nee see um", "electro lights"), by
        # sound only: the last resort of `join`, after a term's closer spellings.
        self.target_keys: Dict[str, List[str]] = {}
        for target in self.targets:
            if len(sound_key(target)) >= MIN_JOINED_SOUNDS:
                self.target_keys.setdefault(sound_key(target), []).append(target)
        # Each word of a term of several words, with its place: "deep rain stimulation" is found by "deep".
        self.phrases_by_word: Dict[str, List[tuple]] = {}
        for phrase in phrases:
            words = phrase.split()
            if words[0] in SMALL_WORDS:  # "my back", "at home": "my black cat" is no back
                continue
            for place, word in enumerate(words):
                self.phrases_by_word.setdefault(word, []).append((words, place))
        # Candidates by first letter: typos rarely hit it, and this keeps a look-up to a few hundred words. An
        # unknown word may also be a typo of a common word of the articles ("musles", "stimulaton").
        self.by_initial: Dict[str, List[str]] = {}
        for target in self.targets | set(vocabulary):
            if len(target) >= 4:
                self.by_initial.setdefault(target[0], []).append(target)

    @classmethod
    def from_file(cls, path: Path = WORDS_FILE) -> "Speller":
        words = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(words["targets"], words["terms"], words["common"], words.get("vocabulary", ()),
                   words.get("joinable", ()), words.get("phrases", ()))

    def known(self, word: str) -> bool:
        return word in self.targets or word in self.common or len(word) < 4

    def correct_word(self, word: str) -> Optional[str]:
        """The one closest target within the allowed distance, else the one term that sounds the same
        ("zeomin" -> xeomin), or None (unknown, or a tie)."""
        closest = self.closest(word)
        if not closest and len(word) >= 5:
            closest = {
                t for t in self.term_keys.get(sound_key(word), [])
                if edit_distance(word, t, len(t) // 2) <= len(t) // 2
            }
        return next(iter(closest)) if len(closest) == 1 else None

    def closest(self, word: str) -> set:
        """The targets closest to the word within the allowed distance (empty when none is)."""
        limit = allowed_distance(word)
        best: Dict[int, set] = {}
        for target in self.by_initial.get(word[0], []):
            if abs(len(target) - len(word)) <= limit:
                distance = edit_distance(word, target, limit)
                if distance <= limit:
                    best.setdefault(distance, set()).add(target)
        return best[min(best)] if best else set()

    def join(self, words: List[str]) -> Optional[str]:
        """A term heard as several words ("back low fen" -> baclofen), by spelling or by sound."""
        joined = "".join(words)
        if joined in self.joinable:
            return joined
        if len(joined) < 6 or words[-1] in SMALL_WORDS or (words[0] in SMALL_WORDS and words[0] != "in"):
            return None
        if any(len(w) >= 4 and w in self.targets for w in words):  # a whole word already ("spasm a")
            return None
        sounds = sound_key(joined)
        matches = {
            t for t in self.term_keys.get(sounds, [])
            if sound_key(t[0]) == sound_key(joined[0]) and edit_distance(joined, t, len(t) // 2) <= len(t) // 2
        }
        matches |= {
            t for t in self.by_initial.get(joined[0], []) if t in self.terms and edit_distance(joined, t, 2) <= 2
        }
        if len(words) == 2 and len(words[-1]) >= 4 and words[-1] in self.common:
            # "tight neck" is no "tightness"; "pro low therapy" and "pearl oh therapy" are prolotherapy
            matches = {t for t in matches if edit_distance(joined, t, 1) <= 1}
        if not matches and len(sounds) >= MIN_JOINED_SOUNDS:  # "mag nee see um", "electro lights"
            matches = {
                t for t in self.target_keys.get(sounds, [])
                if t[0] == joined[0] and edit_distance(joined, t, len(t) // 2) <= len(t) // 2
            }
        matches -= set(words)  # "the tablets" is not a dictated "tablets"
        if len(matches) > 1:  # "lig a mints": ligaments, not ligament
            nearest = min(edit_distance(joined, t, len(joined)) for t in matches)
            matches = {t for t in matches if edit_distance(joined, t, len(joined)) == nearest}
        return next(iter(matches)) if len(matches) == 1 else None

    def phrase_word(self, text: str) -> str:
        """The text with a term of several words restored where one of its words came as another word, a real
        one too ("deep rain stimulation", "deep brian stimulation"); the term's other words as they are."""
        spans = [(m.start(), m.end(), m.group()) for m in WORD.finditer(text.lower())]
        replacements = []
        for i, (_, _, word) in enumerate(spans):
            for words, place in self.phrases_by_word.get(word, []):
                window = spans[i - place : i - place + len(words)] if i >= place else []
                if len(window) != len(words) or not all(text[a[1] : b[0]].isspace() for a, b in zip(window, window[1:])):
                    continue
                differing = [(span, meant) for span, meant in zip(window, words) if span[2] != meant]
                if len(differing) != 1:
                    continue
                (start, end, heard), meant = differing[0]
                # One sound dropped or added ("rain" for "brain") or two letters swapped ("brian"); never another
                # letter in its place ("my head keeps burning" stays) nor only a plural.
                dropped = len(heard) != len(meant) and edit_distance(heard, meant, 1) <= 1
                swapped = sorted(heard) == sorted(meant) and edit_distance(heard, meant, 1) <= 1
                plural_only = heard.rstrip("s") == meant.rstrip("s")
                if len(meant) >= 4 and not plural_only and (dropped or swapped):
                    replacements.append((start, end, meant))
        for start, end, word in sorted(set(replacements), reverse=True):
            text = text[:start] + word + text[end:]
        return text

    def correct(self, text: str) -> str:
        """The text with misspelled or dictated medical words replaced; everything else as it was."""
        spans = [(m.start(), m.end(), m.group()) for m in WORD.finditer(text.lower())]
        replacements = []  # (start, end, new word)
        i = 0
        while i < len(spans):
            for size in range(MAX_JOINED, 1, -1):
                window = spans[i : i + size]
                gaps_are_spaces = all(text[a[1] : b[0]].isspace() for a, b in zip(window, window[1:]))
                if len(window) == size and gaps_are_spaces:
                    joined = self.join([w[2] for w in window])
                    if joined:
                        replacements.append((window[0][0], window[-1][1], joined))
                        i += size
                        break
            else:
                start, end, word = spans[i]
                if not self.known(word):
                    fixed = self.correct_word(word)
                    if fixed:
                        replacements.append((start, end, fixed))
                i += 1
        for start, end, word in reversed(replacements):
            text = text[:start] + word + text[end:]
        return self.phrase_word(text) if self.phrases_by_word else text
