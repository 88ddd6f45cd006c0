"""The staff report: what patients asked over the last N days, read from the conversation store (`make report`).

Counts replies by kind, the most asked answers and their "Was this helpful?" votes, the votes per cited
passage, the questions the assistant could not answer (grouped, with a training-data snippet each) and the
emergencies by category. It shows patients' words but never who said them: no sender id reaches the output.
Pure Python over one SQL query, so it runs against SQLite and PostgreSQL alike, with no server.
"""
import html as html_lib
import inspect
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, List, Optional, Tuple

import numpy as np
import sqlalchemy as sa
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from web import feedback

DAY = 24 * 3600
GROUPS = ["answer", "clarify", "fallback", "refer", "handoff", "emergency", "other"]
ANSWERED = {"answer", "refer"}
GAP_KINDS = {"clarify", "fallback", "not_covered"}
TOP_ANSWERS = 15
MAX_GAP_TEXTS = 3000  # distinct gap messages clustered: keeps the report fast on a large store
MAX_EXAMPLES, MAX_SNIPPET = 5, 20
# Cosine distance under which groups join (average linkage), tuned on 20 groups of short patient questions
# (paraphrases and near misses), where 0.70 to 0.78 did best. "where can I park" joins "is there parking at the
# clinic" at 0.69; "are you open on Saturdays" joins "is the clinic open on Sundays" at 0.76: 0.73 lies between.
# Lower splits paraphrases; from 0.8 on, different questions sharing one word ("botox") merge. Splitting is the
# safer error: two groups of one question cost a reviewer less than one group mixing two.
DISTANCE_THRESHOLD = 0.73
# Words every question has: left out before comparing, so "where can I park" and "do you have a car park"
# meet on "park", not apart on "where can I" / "do you have".
FUNCTION_WORDS = set("""a an the is are am was were be been being do does did can could will would shall should may
might must i im me my mine you your we our us it its this that these those there here what which who when where why
how to of in on at for by with about from into as and or but if so than then too very just also any some get got have
has had please hi hello thanks thank s clinic""".split())
COLOURS = {"answer": "#0072B2", "clarify": "#E69F00", "fallback": "#D55E00", "refer": "#009E73",
           "handoff": "#CC79A7", "emergency": "#000000", "other": "#999999"}  # Okabe-Ito: safe for colour blindness


@dataclass
class AnswerRow:
    answer_id: str
    question: str
    asked: int
    yes: int = 0
    no: int = 0
    reasons: List[str] = field(default_factory=list)

    @property
    def share(self) -> Optional[float]:
        return self.yes / (self.yes + self.no) if self.yes + self.no else None


@dataclass
class PassageRow:
    passage_id: str
    text: str
    yes: int = 0
    no: int = 0

    @property
    def share(self) -> Optional[float]:
        return self.yes / (self.yes + self.no) if self.yes + self.no else None


@dataclass
class Gap:
    count: int  # messages, duplicates included
    examples: List[str]  # the most frequent distinct messages, at most MAX_EXAMPLES
    messages: List[str]  # distinct messages, most frequent first
    closest_answer: Optional[str]
    closest_question: Optional[str]
    clicked: float  # share of the messages after which the patient clicked a suggestion
    snippet: str = ""


@dataclass
class Report:
    days: float
    since: datetime
    until: datetime
    conversations: int = 0
    messages: int = 0
    replies: int = 0
    answered: int = 0
    kinds: Dict[str, int] = field(default_factory=dict)  # the seven GROUPS
    other_kinds: Dict[str, int] = field(default_factory=dict)  # what "other" is made of
    per_day: List[Tuple[str, Dict[str, int]]] = field(default_factory=list)  # (UTC date, kinds), every day
    top_answers: List[AnswerRow] = field(default_factory=list)
    passages: List[PassageRow] = field(default_factory=list)
    gaps: List[Gap] = field(default_factory=list)
    gap_messages: int = 0
    gap_left_out: int = 0  # distinct gap messages beyond MAX_GAP_TEXTS, not grouped
    emergencies: Dict[str, int] = field(default_factory=dict)

    @property
    def answered_share(self) -> Optional[float]:
        return self.answered / self.replies if self.replies else None


@dataclass
class _GapText:
    """One distinct gap message (lower-cased, whitespace-normalised) and what happened around it."""
    text: str  # as first written, whitespace-normalised
    count: int = 0
    clicked: int = 0
    closest: Counter = field(default_factory=Counter)


def build(engine: sa.engine.Engine, days: float = 30, now: Optional[float] = None, kb=None) -> Report:
    """The report over the events of the last `days` days (to `now`, default the current time)."""
    if kb is None:
        from actions.knowledge import knowledge_base
        kb = knowledge_base()
    now = time.time() if now is None else now
    cutoff = now - days * DAY
    report = Report(days, _utc(cutoff), _utc(now))
    kinds, per_day, asked, emergencies = Counter(), defaultdict(Counter), Counter(), Counter()
    gap_texts: Dict[str, _GapText] = {}
    senders = set()

    for sender, turns in _conversations(engine, cutoff):
        senders.add(sender)
        report.messages += len(turns)
        for index, (stamp, user, custom) in enumerate(turns):
            if custom is None:
                continue  # no reply stored (the action server was down): not a reply to count
            kind = custom.get("kind")
            group = kind if kind in COLOURS else "other"
            kinds[kind] += 1
            per_day[int(stamp // DAY)][group] += 1  # the UTC day, as a number: cheaper than a date per reply
            if kind == "answer" and custom.get("answer_id"):
                asked[custom["answer_id"]] += 1
            elif kind == "emergency":
                emergencies.update(custom.get("categories") or [])
            elif kind in GAP_KINDS:
                _note_gap(gap_texts, user, turns[index + 1][1] if index + 1 < len(turns) else None, kb)

    report.conversations = len(senders)
    report.replies = sum(kinds.values())
    report.answered = sum(kinds[k] for k in ANSWERED)
    report.kinds = {g: sum(n for k, n in kinds.items() if (k if k in COLOURS else "other") == g) for g in GROUPS}
    report.other_kinds = dict(sorted(((k or "?", n) for k, n in kinds.items() if k not in COLOURS),
                                     key=lambda kn: -kn[1]))
    report.per_day = _every_day(per_day)
    report.emergencies = dict(emergencies.most_common())
    report.top_answers, report.passages = _votes(engine, cutoff, asked, kb)
    report.gap_messages = sum(g.count for g in gap_texts.values())
    report.gaps, report.gap_left_out = _gaps(list(gap_texts.values()), kb)
    return report


def _conversations(engine: sa.engine.Engine, cutoff: float):
    """(sender, turns) per conversation, a turn being (timestamp, user event data, reply's custom or None).

    One query, only the needed columns, in conversation order; rows as tuples and json.loads, no ORM objects, so
    100,000 messages take seconds. The database leaves out the bot events without a custom payload (Rasa stores
    `"custom": null` in a text bubble), and a user event is parsed only if a gap message needs it."""
    events = SQLTrackerStore.SQLEvent.__table__
    custom = events.c.data.like('%"custom"%') & ~events.c.data.like('%"custom": null%')
    wanted = (events.c.type_name == "user") | ((events.c.type_name == "bot") & custom)
    query = (sa.select(events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
             .where(wanted, events.c.timestamp >= cutoff)
             .order_by(events.c.sender_id, events.c.id))
    sender, turns = None, []
    with engine.connect() as connection:
        for row_sender, type_name, stamp, data in connection.execution_options(stream_results=True).execute(query):
            if row_sender != sender:
                if turns:
                    yield sender, turns
                sender, turns = row_sender, []
            if type_name == "user":
                turns.append((stamp, data, None))  # parsed later, only if a gap message needs it
            elif turns and turns[-1][2] is None:
                custom = (json.loads(data).get("data") or {}).get("custom")
                if isinstance(custom, dict) and custom.get("kind") != "disclaimer":
                    turns[-1] = (turns[-1][0], turns[-1][1], custom)
        if turns:
            yield sender, turns


def _note_gap(gap_texts: Dict[str, _GapText], user: str, next_user: Optional[str], kb) -> None:
    """Count one unanswered message under its normalised text, with its closest answer and whether the
    patient's next message was a suggestion click (a "/answer_id" payload)."""
    event = json.loads(user)
    text = " ".join((event.get("text") or "").split())
    if not text or text.startswith("/"):
        return
    entry = gap_texts.setdefault(text.lower(), _GapText(text))
    entry.count += 1
    clicked = next_user is not None and '"/' in next_user  # a cheap test first: most messages are no click
    if clicked and (json.loads(next_user).get("text") or "").startswith("/"):
        entry.clicked += 1
    ranking = (event.get("parse_data") or {}).get("intent_ranking") or []
    closest = next((r.get("name") for r in ranking if r.get("name") in kb.answers), None)
    if closest:
        entry.closest[closest] += 1


def _votes(engine: sa.engine.Engine, cutoff: float, asked: Counter, kb) -> Tuple[List[AnswerRow], List[PassageRow]]:
    """Most asked answers with their votes, and votes per cited passage, weakest first (most No, lowest share)."""
    feedback.create_table(engine)  # an older database has no votes table yet
    answers = {a: AnswerRow(a, _question(kb, a), n) for a, n in asked.most_common(TOP_ANSWERS)}
    passages: Dict[str, PassageRow] = {}
    for vote in sorted(feedback.since(engine, cutoff), key=lambda v: v["timestamp"]):
        rows = [passages.setdefault(p, PassageRow(p, _passage(kb, p))) for p in (vote["passage_ids"] or "").split()]
        if vote["answer_id"] in answers:
            rows.append(answers[vote["answer_id"]])
            if not vote["helpful"] and (vote["reason"] or "").strip():
                answers[vote["answer_id"]].reasons.append(" ".join(vote["reason"].split()))
        for row in rows:
            if vote["helpful"]:
                row.yes += 1
            else:
                row.no += 1
    ranked = sorted(passages.values(), key=lambda p: (-p.no, p.share if p.share is not None else 1, p.passage_id))
    return list(answers.values()), ranked


def _gaps(texts: List[_GapText], kb) -> Tuple[List[Gap], int]:
    """Group similar unanswered messages, largest group first.

    Identical messages are counted once; only the MAX_GAP_TEXTS most frequent distinct messages are grouped (the
    rest are counted as left out), which bounds the pairwise distances to 3,000 x 3,000 and keeps it fast.
    Character n-grams (within words) match misspellings and word forms; function words are dropped first.
    The cosine distances are computed from the sparse vectors and handed over precomputed: the same as
    metric="cosine", without a dense copy of every n-gram column."""
    texts.sort(key=lambda t: (-t.count, t.text.lower()))
    kept, left_out = texts[:MAX_GAP_TEXTS], max(0, len(texts) - MAX_GAP_TEXTS)
    if len(kept) < 2:
        labels = [0] * len(kept)
    else:
        vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                  preprocessor=_content_words).fit_transform([t.text for t in kept])
        distances = 1.0 - (vectors @ vectors.T).toarray()
        np.clip(distances, 0.0, 2.0, out=distances)  # rounding can leave a hair below 0
        np.fill_diagonal(distances, 0.0)
        metric = "metric" if "metric" in inspect.signature(AgglomerativeClustering).parameters else "affinity"
        labels = AgglomerativeClustering(n_clusters=None, linkage="average", distance_threshold=DISTANCE_THRESHOLD,
                                         **{metric: "precomputed"}).fit_predict(distances)
    members = defaultdict(list)
    for entry, label in zip(kept, labels):
        members[label].append(entry)  # most frequent first, as kept is sorted
    gaps = []
    for group in members.values():
        count = sum(t.count for t in group)
        closest = Counter()
        for entry in group:
            closest.update(entry.closest)
        closest = closest.most_common(1)
        answer_id = closest[0][0] if closest else None
        gaps.append(Gap(count, [t.text for t in group[:MAX_EXAMPLES]], [t.text for t in group], answer_id,
                        _question(kb, answer_id) if answer_id else None, sum(t.clicked for t in group) / count))
    gaps.sort(key=lambda g: (-g.count, g.messages[0].lower()))
    for number, gap in enumerate(gaps, 1):
        gap.snippet = nlu_snippet(gap.closest_answer or f"new_question_{number}", gap.messages[:MAX_SNIPPET])
    return gaps, left_out


def _content_words(text: str) -> str:
    words = re.findall(r"\w+", text.lower())
    return " ".join(w for w in words if w not in FUNCTION_WORDS) or " ".join(words)


def nlu_snippet(intent: str, messages: List[str]) -> str:
    """Rasa NLU training data for one gap, to review and copy into data/nlu/.

    Each message becomes one line of the literal `examples` block: control characters and line breaks are
    taken out (they could end the block) and "[x](y)" is broken up (Rasa would read an entity annotation)."""
    lines = []
    for message in messages:
        text = "".join(c for c in " ".join(message.split()) if c.isprintable())
        text = re.sub(r"\](?=[({\[])", "] ", text)
        if text:
            lines.append(f"        - {text}")
    snippet = (f"nlu:\n  - intent: {intent}  # review: the closest answer, or name a new one\n"
               f"    examples: |\n" + "\n".join(lines) + "\n")
    parsed = yaml.safe_load(snippet)["nlu"][0]
    assert parsed["intent"] == intent and len(parsed["examples"].splitlines()) == len(lines), snippet
    return snippet


def _question(kb, answer_id: str) -> str:
    answer = kb.answers.get(answer_id)
    return answer.question if answer else answer_id


def _passage(kb, passage_id: str) -> str:
    passage = kb.passages.get(passage_id)
    return passage.text if passage else ""


def _utc(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, timezone.utc)


def _every_day(per_day: Dict[int, Counter]) -> List[Tuple[str, Dict[str, int]]]:
    """Every UTC day from the first to the last with replies, quiet days as zeros, so the chart keeps time."""
    days = range(min(per_day), max(per_day) + 1) if per_day else []
    return [(_utc(day * DAY).date().isoformat(), {g: per_day.get(day, Counter())[g] for g in GROUPS}) for day in days]


# ---------------------------------------------------------------------------------------------------- rendering

HOW_TO_READ = ("Each patient message gets one reply of a kind: an answer from the knowledge base, a question back "
               "(clarify), a fallback, a referral to the clinic (refer), a handoff to staff, or emergency advice. "
               "Answered share counts answers and referrals among all replies. Votes are the patients' "
               "\"Was this helpful?\" clicks; a passage's votes are those of the answers citing it. Content gaps "
               "are the messages the assistant could not answer, grouped by wording. Patients' words are shown; "
               "who wrote them never is.")
HOW_TO_TRAIN = ("How to turn a gap into training data: copy the snippet into data/nlu/, review the intent name and "
                "the examples, run make train, then make test.")


def title(report: Report) -> str:
    return f"What patients asked — last {report.days:g} days"


def _pct(share: Optional[float]) -> str:
    return "–" if share is None else f"{share:.0%}"


def _summary(report: Report) -> List[list]:
    return [["Conversations", report.conversations], ["Messages", report.messages], ["Replies", report.replies],
            ["Answered share (answer or refer)", _pct(report.answered_share)]]


def _period(report: Report) -> str:
    return f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC"


def markdown(report: Report) -> str:
    """The report as Markdown (results/report.md): patients' words escaped so they stay words."""
    def cell(text: str) -> str:
        return html_lib.escape(" ".join(str(text).split())).replace("|", "\\|")

    def table(head: List[str], rows: List[list]) -> List[str]:
        if not rows:
            return ["None in this period.", ""]
        return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + \
               ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows] + [""]

    out = [f"# {title(report)}", "", _period(report), "", HOW_TO_READ, "", "## Summary", ""]
    out += table(["Measure", "Value"], _summary(report))
    out += ["## Replies by kind", ""] + table(["Kind", "Replies"], [[g, report.kinds.get(g, 0)] for g in GROUPS])
    if report.other_kinds:
        out += ["Other: " + ", ".join(f"{cell(k)} {n}" for k, n in report.other_kinds.items()), ""]
    out += table(["Day (UTC)"] + GROUPS, [[day] + [c[g] for g in GROUPS] for day, c in report.per_day])
    out += ["## Most asked answers", ""]
    out += table(["Answer", "Asked", "Helpful", "Not helpful", "Helpful share", "Reasons given"],
                 [[a.question, a.asked, a.yes, a.no, _pct(a.share), "; ".join(a.reasons)] for a in report.top_answers])
    out += ["## Votes per passage", "", "Weakest first: most No votes, then lowest helpful share.", ""]
    out += table(["Passage", "Text", "Helpful", "Not helpful", "Helpful share"],
                 [[p.passage_id, _short(p.text), p.yes, p.no, _pct(p.share)] for p in report.passages])
    out += ["## Content gaps", "", f"{_messages(report.gap_messages)} unanswered, in {len(report.gaps)} groups.", "",
            HOW_TO_TRAIN, ""]
    if report.gap_left_out:
        out += [f"{report.gap_left_out} rarer distinct messages were left out of the grouping.", ""]
    for number, gap in enumerate(report.gaps, 1):
        fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", gap.snippet)), default=0))
        out += [f"### Gap {number}: {_messages(gap.count)}", ""]
        out += [f"- {cell(example)}" for example in gap.examples]
        out += ["", f"Closest answer: {cell(_closest(gap))}  ",
                f"Suggestion clicked next: {_pct(gap.clicked)}", "", fence + "yaml", gap.snippet.rstrip("\n"),
                fence, ""]
    out += ["## Emergencies by category", ""]
    out += table(["Category", "Replies"], [[c, n] for c, n in report.emergencies.items()])
    return "\n".join(out)


def _messages(count: int) -> str:
    return f"{count} message" + ("" if count == 1 else "s")


def _closest(gap: Gap) -> str:
    return f"{gap.closest_question} ({gap.closest_answer})" if gap.closest_answer else "none"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def html(report: Report) -> str:
    """The report as one self-contained, accessible page (results/report.html): inline CSS, no scripts."""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html_lib.escape(title(report))}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<main>\n{html_body(report)}</main>\n</body>\n</html>\n")


CSS = """
body{font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;background:#fff;margin:0}
main{max-width:70rem;margin:0 auto;padding:1rem 1.5rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #bbb;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f0f0f0} td.n{text-align:right}
pre{background:#f6f6f6;border:1px solid #ccc;padding:.6rem;overflow-x:auto}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem}
.swatch{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;vertical-align:middle;border:1px solid #555}
section.gap{border-top:1px solid #ddd;margin-top:1rem}
"""


def html_body(report: Report) -> str:
    """The page content without <html>/<head>, for embedding in another page."""
    e = html_lib.escape

    def table(caption: str, head: List[str], rows: List[list], numeric: Tuple[int, ...] = ()) -> str:
        if not rows:
            return f"<p>{e(caption)}: none in this period.</p>\n"
        head_html = "".join(f'<th scope="col">{e(h)}</th>' for h in head)
        body = "".join(
            "<tr>" + "".join((f'<th scope="row">{e(str(c))}</th>' if i == 0 else
                              f'<td{" class=n" if i in numeric else ""}>{e(str(c))}</td>')
                             for i, c in enumerate(row)) + "</tr>\n" for row in rows)
        return (f"<table>\n<caption>{e(caption)}</caption>\n<thead><tr>{head_html}</tr></thead>\n"
                f"<tbody>\n{body}</tbody>\n</table>\n")

    out = [f"<h1>{e(title(report))}</h1>\n<p>{e(_period(report))}</p>\n",
           f'<h2 id="how">How to read this</h2>\n<p>{e(HOW_TO_READ)}</p>\n',
           '<h2 id="summary">Summary</h2>\n',
           table("Summary", ["Measure", "Value"], _summary(report), (1,)),
           '<h2 id="kinds">Replies by kind</h2>\n', _chart(report),
           table("Replies by kind", ["Kind", "Replies"], [[g, report.kinds.get(g, 0)] for g in GROUPS], (1,))]
    if report.other_kinds:
        out.append("<p>Other: " + e(", ".join(f"{k} {n}" for k, n in report.other_kinds.items())) + "</p>\n")
    out += ["<details><summary>Replies per day</summary>\n",
            table("Replies per day (UTC)", ["Day"] + GROUPS, [[d] + [c[g] for g in GROUPS] for d, c in report.per_day],
                  tuple(range(1, len(GROUPS) + 1))), "</details>\n",
            '<h2 id="answers">Most asked answers</h2>\n',
            table("Most asked answers", ["Answer", "Asked", "Helpful", "Not helpful", "Helpful share", "Reasons given"],
                  [[a.question, a.asked, a.yes, a.no, _pct(a.share), "; ".join(a.reasons)]
                   for a in report.top_answers], (1, 2, 3, 4)),
            '<h2 id="passages">Votes per passage</h2>\n',
            "<p>Weakest first: most No votes, then lowest helpful share.</p>\n",
            table("Votes per passage", ["Passage", "Text", "Helpful", "Not helpful", "Helpful share"],
                  [[p.passage_id, _short(p.text), p.yes, p.no, _pct(p.share)] for p in report.passages], (2, 3, 4)),
            '<h2 id="gaps">Content gaps</h2>\n',
            f"<p>{_messages(report.gap_messages)} unanswered, in {len(report.gaps)} groups.</p>\n",
            f"<p>{e(HOW_TO_TRAIN)}</p>\n"]
    if report.gap_left_out:
        out.append(f"<p>{report.gap_left_out} rarer distinct messages were left out of the grouping.</p>\n")
    for number, gap in enumerate(report.gaps, 1):
        examples = "".join(f"<li>{e(x)}</li>" for x in gap.examples)
        out.append(f'<section class="gap">\n<h3>Gap {number}: {_messages(gap.count)}</h3>\n<ul>{examples}</ul>\n'
                   f"<p>Closest answer: {e(_closest(gap))}<br>\n"
                   f"Suggestion clicked next: {_pct(gap.clicked)}</p>\n"
                   f'<pre tabindex="0" aria-label="Training data for gap {number}"><code>{e(gap.snippet)}</code></pre>\n'
                   "</section>\n")
    out += ['<h2 id="emergencies">Emergencies by category</h2>\n',
            table("Emergencies by category", ["Category", "Replies"], [[c, n] for c, n in report.emergencies.items()],
                  (1,))]
    return "".join(out)


def _chart(report: Report) -> str:
    """Replies by kind per day as an inline SVG stacked bar chart, with a text legend and a text title."""
    if not report.per_day:
        return "<p>No replies in this period.</p>\n"
    width, height, top, bottom, left = 720, 220, 10, 30, 40
    peak = max(sum(c.values()) for _, c in report.per_day) or 1
    step = (width - left) / len(report.per_day)
    bar = max(1.0, step * 0.8)
    label = f"Replies by kind per day, {report.per_day[0][0]} to {report.per_day[-1][0]}, at most {peak} a day"
    parts = [f'<svg role="img" aria-labelledby="chart-title" viewBox="0 0 {width} {height}" width="100%" '
             f'style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="chart-title">{html_lib.escape(label)}</title>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#555"/>',
             f'<text x="{left - 4}" y="{top + 10}" text-anchor="end" font-size="11">{peak}</text>',
             f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" font-size="11">0</text>']
    scale = (height - top - bottom) / peak
    for i, (day, counts) in enumerate(report.per_day):
        x, y = left + i * step + (step - bar) / 2, height - bottom
        for group in GROUPS:
            if counts[group]:
                h = counts[group] * scale
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                             f'fill="{COLOURS[group]}"><title>{day} {group}: {counts[group]}</title></rect>')
    for i in sorted({0, len(report.per_day) - 1}):
        x = left + i * step + step / 2
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" font-size="11">'
                     f'{report.per_day[i][0]}</text>')
    parts.append("</svg>")
    legend = "".join(f'<li><span class="swatch" style="background:{COLOURS[g]}"></span>{g}: '
                     f'{report.kinds.get(g, 0)}</li>' for g in GROUPS)
    return "<figure>\n" + "\n".join(parts) + f'\n<figcaption><ul class="legend">{legend}</ul></figcaption>\n</figure>\n'
