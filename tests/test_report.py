"""The staff report (web/report.py, `make report`): counts, votes, gaps and emergencies from a conversation store
written row by row, on SQLite and PostgreSQL, patients' ids kept out; gap grouping; 100,000 messages in 10 s."""
import json
import random
import re
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, UserUttered

from scripts import report as report_cli
from web import feedback, report

DAY = 24 * 3600
NOW = datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc).timestamp()
EVENTS = SQLTrackerStore.SQLEvent.__table__
SENDERS = ["patient-alice-7f3a", "patient-bob-19c2", "patient-carol-55e1", "patient-dave-0b9d", "patient-old-0000"]
KB = SimpleNamespace(
    answers={a: SimpleNamespace(question=q) for a, q in [
        ("cd_botox_what", "What is Botox?"), ("cd_botox_pain", "Does Botox hurt?"),
        ("cd_botox_cost", "Does insurance pay for Botox?"), ("cd_dose", "How much should I take?")]},
    passages={p: SimpleNamespace(text=t) for p, t in [
        ("p1", "Botox is a purified toxin."), ("p2", "It relaxes muscles."), ("p3", "A fine needle is used.")]})


def user(sender, text, stamp, ranking=("nlu_fallback",)):
    intents = [{"name": name, "confidence": round(0.9 / (i + 1), 3)} for i, name in enumerate(ranking)]
    event = UserUttered(text, intent=intents[0], timestamp=stamp,
                        parse_data={"intent": intents[0], "intent_ranking": intents, "entities": [], "text": text})
    return {"sender_id": sender, "type_name": "user", "timestamp": stamp, "intent_name": intents[0]["name"],
            "action_name": None, "data": json.dumps(event.as_dict())}


def bot(sender, stamp, kind=None, text="Here is what I found.", **custom):
    """A bot event: plain text, or the reply's custom payload (kind, answer_id, citations, suggestions, ...)."""
    data = {"custom": {"kind": kind, "answer_id": None, "citations": [], "suggestions": [], **custom}} if kind else {}
    event = BotUttered(text=None if kind else text, data=data, timestamp=stamp)
    return {"sender_id": sender, "type_name": "bot", "timestamp": stamp, "intent_name": None, "action_name": None,
            "data": json.dumps(event.as_dict())}


def turn(sender, text, stamp, kind, ranking=("nlu_fallback",), **custom):
    """One message and its reply as the server stores it: the user event, a text bubble, the custom payload."""
    return [user(sender, text, stamp, ranking), bot(sender, stamp + 1), bot(sender, stamp + 1, kind, **custom)]


def answer(answer_id, *passages):
    return {"answer_id": answer_id, "citations": [{"passage_id": p} for p in passages]}


def fill_small_store(engine, now=NOW):
    """Four conversations in the period (one with a quiet day between), one older than the period."""
    alice, bob, carol, dave, old = SENDERS
    day3, day1 = now - 3 * DAY, now - 1 * DAY
    rows = [bot(alice, day3, "disclaimer")]
    rows += turn(alice, "what is botox", day3 + 10, "answer", **answer("cd_botox_what", "p1", "p2"))
    rows += turn(alice, "does botox hurt", day3 + 20, "answer", **answer("cd_botox_pain", "p3"))
    rows += turn(bob, "<script>alert(1)</script> parking?", day1, "not_covered",
                 suggestions=[{"title": "What is Botox?", "payload": "/cd_botox_what"}])
    rows += turn(bob, "/cd_botox_what", day1 + 10, "answer", **answer("cd_botox_what", "p1", "p2"))
    rows += turn(bob, "how much should my dose be", day1 + 20, "refer", answer_id="cd_dose")
    rows += turn(bob, "I have chest pain", day1 + 30, "emergency", categories=["chest_pain"])
    rows += [bot(carol, day1, "disclaimer")]
    rows += turn(carol, "hi", day1 + 1, "smalltalk")
    rows += turn(carol, "where do I park", day1 + 10, "clarify", ranking=("nlu_fallback", "cd_botox_what"))
    rows += turn(carol, "talk to a person", day1 + 20, "handoff")
    rows += turn(carol, "blah", day1 + 30, "fallback")
    rows += turn(carol, "I can't breathe, chest pain", day1 + 40, "emergency", categories=["breathing", "chest_pain"])
    rows += [user(dave, "hello?", day1 + 50), bot(dave, day1 + 51)]  # no reply stored: the action server was down
    rows += turn(old, "what is botox", now - 40 * DAY, "answer", **answer("cd_botox_what", "p1", "p2"))
    EVENTS.create(engine, checkfirst=True)
    with engine.begin() as connection:
        connection.execute(EVENTS.insert(), rows)
    feedback.create_table(engine)
    feedback.record(engine, alice, "cd_botox_what", True, None, ["p1", "p2"], now=day3 + 30)
    feedback.record(engine, bob, "cd_botox_what", False, "too  vague\n", ["p1", "p2"], now=day1 + 15)
    feedback.record(engine, carol, "cd_botox_pain", False, "", ["p3"], now=day1 + 45)
    feedback.record(engine, old, "cd_botox_pain", True, None, ["p3"], now=now - 40 * DAY)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'conversations.db'}"
    else:
        url = f"postgresql://postgres@127.0.0.1:5432/{request.getfixturevalue('postgres_db')}"
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


def test_the_report_counts_replies_votes_and_emergencies(engine):
    fill_small_store(engine)
    built = report.build(engine, days=30, now=NOW, kb=KB)

    assert (built.conversations, built.messages, built.replies, built.answered) == (4, 12, 11, 4)
    assert built.answered_share == pytest.approx(4 / 11)
    assert built.kinds == {"answer": 3, "clarify": 1, "fallback": 1, "refer": 1, "handoff": 1, "emergency": 2,
                           "other": 2}
    assert built.other_kinds == {"not_covered": 1, "smalltalk": 1}
    zero = dict.fromkeys(report.GROUPS, 0)
    assert built.per_day == [("2024-03-07", {**zero, "answer": 2}), ("2024-03-08", zero),
                             ("2024-03-09", {**zero, "answer": 1, "clarify": 1, "fallback": 1, "refer": 1,
                                             "handoff": 1, "emergency": 2, "other": 2})]
    assert [(a.answer_id, a.question, a.asked, a.yes, a.no, a.share, a.reasons) for a in built.top_answers] == [
        ("cd_botox_what", "What is Botox?", 2, 1, 1, 0.5, ["too vague"]),
        ("cd_botox_pain", "Does Botox hurt?", 1, 0, 1, 0.0, [])]
    assert [(p.passage_id, p.yes, p.no) for p in built.passages] == [("p3", 0, 1), ("p1", 1, 1), ("p2", 1, 1)]
    assert built.emergencies == {"chest_pain": 2, "breathing": 1}
    gaps = {tuple(g.messages): g for g in built.gaps}
    assert sorted(gaps) == [("<script>alert(1)</script> parking?",), ("blah",), ("where do I park",)]
    assert gaps[("<script>alert(1)</script> parking?",)].clicked == 1.0  # the patient then clicked a suggestion
    assert gaps[("where do I park",)].clicked == 0.0
    assert gaps[("where do I park",)].closest_question == "What is Botox?"

    page, text = report.html(built), report.markdown(built)
    for sender in SENDERS:
        assert sender not in page and sender not in text
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; parking?" in page
    outside_code = re.sub(r"```yaml\n.*?```", "", text, flags=re.S)  # fenced code is shown as typed, never run
    assert "<script>" not in outside_code and "- &lt;script&gt;alert(1)&lt;/script&gt; parking?" in text
    assert "What patients asked — last 30 days" in page and '<html lang="en">' in page
    for heading in ["Summary", "Replies by kind", "Most asked answers", "Votes per passage", "Content gaps",
                    "Emergencies by category", "How to read this"]:
        assert f">{heading}</h2>" in page and (heading == "How to read this" or f"## {heading}" in text)
    assert "<svg" in page and "<title id=\"chart-title\">" in page and 'scope="col"' in page
    assert "copy the snippet into data/nlu/" in page and "too vague" in page and "chest_pain" in page


def test_an_old_database_without_votes_or_replies_still_reports(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    EVENTS.create(engine)
    built = report.build(engine, days=7, now=NOW, kb=KB)
    assert (built.conversations, built.messages, built.replies, built.answered_share) == (0, 0, 0, None)
    assert "What patients asked — last 7 days" in report.html(built) and "## Summary" in report.markdown(built)
    assert sa.inspect(engine).has_table("answer_votes")


def test_similar_unanswered_messages_are_grouped_largest_first(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gaps.db'}")
    insurance = ["does insurance cover botox", "is botox covered by my insurance",
                 "will my insurance pay for the botox"]
    parking = ["where can I park", "is there parking at the clinic", "do you have a car park"]
    saturday = ["what time do you open on saturday", "are you open on saturdays"]
    sunday = ["is the clinic open on sundays", "sunday opening?"]  # near the Saturday ones, yet another question
    rows, stamp = [], NOW - DAY
    for i, text in enumerate(insurance + ["Does insurance   COVER botox"]):  # the same message again, counted twice
        rows += turn(f"s{i}", text, stamp, "not_covered", ranking=("nlu_fallback", "greet", "cd_botox_cost"))
    for i, text in enumerate(parking + saturday + sunday):
        rows += turn(f"t{i}", text, stamp, "fallback" if i % 2 else "clarify", ranking=("nlu_fallback", "greet"))
    rows += turn("t0", "/cd_botox_what", stamp + 5, "answer", answer_id="cd_botox_what")  # clicked after parking
    EVENTS.create(engine)
    with engine.begin() as connection:
        connection.execute(EVENTS.insert(), rows)

    gaps = report.build(engine, days=30, now=NOW, kb=KB).gaps

    assert [(g.count, sorted(g.messages)) for g in gaps] == [
        (4, sorted(insurance)), (3, sorted(parking)), (2, sorted(saturday)), (2, sorted(sunday))]
    assert gaps[0].messages[0] == "does insurance cover botox" and len(gaps[0].examples) == 3
    assert (gaps[0].closest_answer, gaps[0].closest_question) == ("cd_botox_cost", "Does insurance pay for Botox?")
    assert gaps[1].closest_answer is None and gaps[1].clicked == pytest.approx(1 / 3)
    for gap, intent in zip(gaps, ["cd_botox_cost", "new_question_2", "new_question_3", "new_question_4"]):
        nlu = yaml.safe_load(gap.snippet)["nlu"]
        assert nlu[0]["intent"] == intent
        assert sorted(nlu[0]["examples"].splitlines()) == sorted(f"- {m}" for m in gap.messages)


def test_the_training_snippet_keeps_awkward_messages_to_one_line_each():
    awkward = ['say "hi": #1 - {ok}', "two\nlines\tand\x00 a bell\x07", "[botox](cost) and ]{x}", "'quoted'", "|>"]
    examples = yaml.safe_load(report.nlu_snippet("new_question_1", awkward))["nlu"][0]["examples"].splitlines()
    assert examples == ['- say "hi": #1 - {ok}', "- two lines and a bell", "- [botox] (cost) and ] {x}",
                        "- 'quoted'", "- |>"]


def test_a_hundred_thousand_messages_are_reported_within_ten_seconds(tmp_path, kb):
    """20,000 conversations of 5 messages, each reply stored as the server does (text bubble + custom).

    The limit is on the CPU time of this process (SQLite runs in it), not the wall clock: in one CI run another
    job on the 2-core machine stretched about 3 s of work to 10.05 s of wall time."""
    rng = random.Random(7)
    answers, passages = list(kb.answers), list(kb.passages)
    subjects = ["botox", "parking", "insurance", "my appointment", "the clinic", "physio", "a sick note", "wifi",
                "my back", "the car park", "opening hours", "a refund", "my results", "the dentist", "migraines",
                "acupuncture", "massage", "my child", "pregnancy", "the waiting list"]
    templates = ["can I get {} on saturday", "how do I pay for {}", "is {} covered", "where is {}", "what about {}",
                 "do you do {} for kids", "who do I ask about {}", "{} please", "is {} open late", "cancel {}"]
    gap_texts = [head + t.format(s) + tail for head in ["", "hi ", "hello, ", "quick question: ", "sorry, "]
                 for t in templates for s in subjects for tail in ["", "?", " thanks", " pls"]]  # 4,000: over the cap
    user_template, bot_template = json.loads(user("x", "x", 0)["data"]), json.loads(bot("x", 0)["data"])
    bubble = {**bot_template, "text": "Some text.",  # as Rasa stores an action's message: every data key, most null
              "data": dict.fromkeys(["elements", "quick_replies", "buttons", "attachment", "image", "custom"])}
    rows, start = [], NOW - 25 * DAY
    kinds = ["answer"] * 6 + ["clarify", "fallback", "not_covered", "refer", "emergency", "smalltalk"]
    for c in range(20_000):
        sender, stamp = f"conversation-{c:05d}", start + c * 100
        rows.append(bot(sender, stamp, "disclaimer"))
        for m in range(5):
            stamp += 10
            kind = rng.choice(kinds)
            text = rng.choice(gap_texts) if kind in report.GAP_KINDS else f"question {rng.randrange(500)} about it"
            if m and kind == "answer" and rng.random() < 0.2:
                text = "/" + rng.choice(answers)
            ranking = [{"name": a, "confidence": 0.5} for a in rng.sample(answers, 10)]
            event = {**user_template, "text": text, "timestamp": stamp,
                     "parse_data": {"intent": ranking[0], "intent_ranking": ranking, "entities": [], "text": text}}
            custom = {"kind": kind, "answer_id": rng.choice(answers) if kind == "answer" else None,
                      "citations": [{"passage_id": p, "title": "Muscle pain", "url": "https://example.org/a"}
                                    for p in rng.sample(passages, 2)],
                      "suggestions": [{"title": "What is it?", "payload": "/" + a} for a in rng.sample(answers, 3)],
                      "categories": ["chest_pain"] if kind == "emergency" else []}
            rows += [{"sender_id": sender, "type_name": "user", "timestamp": stamp, "intent_name": ranking[0]["name"],
                      "action_name": None, "data": json.dumps(event)},
                     {"sender_id": sender, "type_name": "bot", "timestamp": stamp + 1, "intent_name": None,
                      "action_name": None, "data": json.dumps(bubble)},
                     {"sender_id": sender, "type_name": "bot", "timestamp": stamp + 1, "intent_name": None,
                      "action_name": None, "data": json.dumps({**bot_template, "data": {"custom": custom}})}]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'big.db'}")
    EVENTS.create(engine)
    with engine.begin() as connection:
        connection.execute(EVENTS.insert(), rows)

    started, cpu_started = time.perf_counter(), time.process_time()
    built = report.build(engine, days=30, now=NOW, kb=kb)
    page = report.html(built)
    seconds, wall = time.process_time() - cpu_started, time.perf_counter() - started

    print(f"\nreport of {built.messages} messages, {len(built.gaps)} gap groups: {seconds:.2f} s CPU, {wall:.2f} s wall")
    assert (built.messages, built.conversations) == (100_000, 20_000)
    assert built.replies == 100_000 and built.gaps and built.gap_left_out > 0 and len(page) > 10_000
    assert "conversation-0" not in page
    assert seconds <= 10


def test_the_command_writes_both_files(tmp_path, capsys):
    database = tmp_path / "conversations.db"
    fill_small_store(sa.create_engine(f"sqlite:///{database}"), now=time.time())
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({"tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(database)}}))

    assert report_cli.main(["--days", "30", "--endpoints", str(endpoints), "--out", str(tmp_path / "out")]) == 0

    printed = capsys.readouterr().out
    for name in ["report.md", "report.html"]:
        path = tmp_path / "out" / name
        assert str(path) in printed and "What patients asked — last 30 days" in path.read_text(encoding="utf-8")
    assert "Built in" in printed and "12 messages, 4 conversations" in printed


def test_the_command_refuses_a_store_that_is_not_sql(tmp_path, capsys):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n")
    assert report_cli.main(["--endpoints", str(endpoints), "--out", str(tmp_path)]) == 2
    assert "names no SQL tracker store" in capsys.readouterr().err


def test_make_forget_takes_the_messages_and_reasons_out_of_the_report(tmp_path):
    from scripts.forget_conversations import forget

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'conversations.db'}")
    fill_small_store(engine)
    before = report.html(report.build(engine, days=365, now=NOW, kb=KB))
    assert "too vague" in before and "where do I park" in before
    store = SimpleNamespace(SQLEvent=SQLTrackerStore.SQLEvent, engine=engine)
    assert forget(store, days=0.5, now=NOW)[0] == 5  # every conversation ended more than half a day ago
    after = report.html(report.build(engine, days=365, now=NOW, kb=KB))
    assert "too vague" not in after and "where do I park" not in after and "what is botox" not in after
    engine.dispose()
