"""Cut the articles in knowledge/articles/ into passages and write knowledge/passages.yml; report what an
article edit did to the answers that cite it.

A passage is one or more whole sentences of one article line, a verbatim span of the article, with the
section heading it stands under and the number of its line (paragraph) in the article. Its id comes from its
words (`<prefix>-<6 hex of a hash>`), so an edit elsewhere in the article moves no citation.

`make knowledge` rewrites passages.yml, then reports every answer whose cited passage changed or
disappeared and marks it `held` in knowledge/answers.yml (a held answer is not served until a person checks
it, updates its citations and removes the mark), and lists the new passages that no answer cites.
"""
import difflib
import hashlib
import re
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from actions.nlp import sentencizer

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
MIN_WORDS = 3  # a "sentence" with fewer words is a fragment ("See figure.)", '"1') of its neighbour
BULLET = re.compile(r"^- ")


def _sentences(nlp, line: str) -> List[str]:
    """Whole sentences of one line; a fragment joins the sentence before it."""
    spans: List[List[int]] = []
    for sent in nlp(line).sents:
        words = len(re.findall(r"[A-Za-z]+", sent.text))
        if spans and words < MIN_WORDS:
            spans[-1][1] = sent.end_char
        else:
            spans.append([sent.start_char, sent.end_char])
    return [line[start:end].strip() for start, end in spans]


def passage_id(prefix: str, text: str, taken: set) -> str:
    """From the passage's words (case and spacing aside): the same sentence keeps its id wherever it moves."""
    digest = hashlib.sha1(" ".join(text.lower().split()).encode("utf-8")).hexdigest()
    candidate, n = f"{prefix}-{digest[:6]}", 1
    while candidate in taken:  # the same sentence twice in one article
        n += 1
        candidate = f"{prefix}-{digest[:6]}-{n}"
    taken.add(candidate)
    return candidate


def segment(source: Dict, text: str, nlp=None) -> List[Dict]:
    nlp = nlp or sentencizer()
    headings = set(source["headings"])
    references = set(source.get("references", []))
    skipped = set(source.get("exclude", [])) | {source["title"]}
    section = source["intro_section"]
    passages: List[Dict] = []
    taken: set = set()
    paragraph = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line in skipped:
            continue
        if line in headings:
            section = line
            continue
        paragraph += 1
        if line in references:
            pieces, where = [line], source["references_section"]
        else:
            pieces, where = _sentences(nlp, BULLET.sub("", line)), section
        for piece in pieces:
            passages.append(
                {
                    "id": passage_id(source["prefix"], piece, taken),
                    "source_id": source["source_id"],
                    "section": where,
                    "paragraph": paragraph,
                    "text": piece,
                }
            )
    return passages


def build(knowledge: Path = KNOWLEDGE) -> List[Dict]:
    sources = yaml.safe_load((knowledge / "sources.yml").read_text(encoding="utf-8"))["sources"]
    nlp = sentencizer()
    passages: List[Dict] = []
    for source in sources:
        text = (knowledge / source["file"]).read_text(encoding="utf-8")
        passages.extend(segment(source, text, nlp))
    return passages


def review(old: Dict[str, str], new: Dict[str, str], citations: Dict[str, List[str]]) -> Tuple[dict, list]:
    """What an edit did: {answer: [(cited id, the id of its new wording or None if it disappeared)]} for every
    answer citing a passage that is gone, and the new passages that no answer cites. `old` and `new` map
    passage ids to texts, `citations` answer ids to the passage ids they cite."""
    changed: Dict[str, List[Tuple[str, Optional[str]]]] = {}
    added = [i for i in new if i not in old]
    for answer_id, cited in citations.items():
        for passage in cited:
            if passage not in new:
                changed.setdefault(answer_id, []).append((passage, _rewording(old.get(passage, ""), added, new)))
    cited_anywhere = {p for cited in citations.values() for p in cited}
    return changed, [i for i in added if i not in cited_anywhere]


def _rewording(text: str, candidates: List[str], new: Dict[str, str]) -> Optional[str]:
    """The new passage that most resembles a vanished one, if any is close (a sentence changed, not deleted)."""
    scored = [(difflib.SequenceMatcher(None, text, new[c]).ratio(), c) for c in candidates]
    best = max(scored, default=(0.0, None))
    return best[1] if best[0] >= 0.6 else None


def hold(answers_text: str, reasons: Dict[str, str]) -> str:
    """answers.yml with `held: <reason>` under each of these answers (replacing an earlier mark), the rest of
    the file as it was, comments included."""
    lines = answers_text.splitlines(keepends=True)
    out: List[str] = []
    current = None
    for line in lines:
        heading = re.match(r"^  ([a-z0-9_]+):\s*$", line)
        if current in reasons and line.startswith("    held:"):
            continue  # replaced below
        out.append(line)
        if heading:
            current = heading.group(1)
            if current in reasons:
                out.append(f"    held: {yaml.safe_dump(reasons[current], width=10_000).splitlines()[0]}\n")
    return "".join(out)


def _texts(passages: List[Dict]) -> Dict[str, str]:
    return {p["id"]: p["text"] for p in passages}


def update(knowledge: Path = KNOWLEDGE) -> Tuple[dict, list]:
    """Rewrite passages.yml, hold the answers an edit touched, and return the review."""
    passages_file, answers_file = knowledge / "passages.yml", knowledge / "answers.yml"
    old = _texts(yaml.safe_load(passages_file.read_text(encoding="utf-8"))["passages"]) if passages_file.exists() else {}
    passages = build(knowledge)
    passages_file.write_text(render(passages), encoding="utf-8")
    answers_text = answers_file.read_text(encoding="utf-8")
    answers = yaml.safe_load(answers_text)["answers"]
    changed, uncited = review(old, _texts(passages), {a: f["citations"] for a, f in answers.items()})
    reasons = {
        answer_id: "; ".join(
            f"cited passage {gone} " + (f"changed (now {now})" if now else "was deleted") for gone, now in found
        ) + ". Check the answer against the article, update its citations, then delete this line."
        for answer_id, found in changed.items()
    }
    if reasons:
        answers_file.write_text(hold(answers_text, reasons), encoding="utf-8")
    return changed, uncited


def render(passages: List[Dict]) -> str:
    header = "# Generated by `make knowledge` (scripts/build_passages.py) from knowledge/articles/. Do not edit.\n"
    return header + yaml.safe_dump({"passages": passages}, allow_unicode=True, sort_keys=False, width=10_000)


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else KNOWLEDGE
    changed, uncited = update(folder)
    print(f"wrote {folder / 'passages.yml'}")
    for answer_id, found in changed.items():
        for gone, now in found:
            print(f"HELD {answer_id}: cited passage {gone} " + (f"changed, now {now}" if now else "was deleted"))
    for passage in uncited:
        print(f"NEW  {passage}: no answer cites it")
    held = [a for a, f in yaml.safe_load((folder / "answers.yml").read_text(encoding="utf-8"))["answers"].items()
            if f.get("held")]
    print(f"{len(held)} answer(s) held in {folder / 'answers.yml'}" + (f": {', '.join(held)}" if held else ""))
