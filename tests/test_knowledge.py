"""Knowledge integrity: passages are verbatim and stable, every answer is cited, reachable and trained."""
import re
from collections import Counter

import pytest

from scripts.build_passages import build, render
from scripts.evaluate import PATIENT_SETS, TRIAGE_SETS, nlu_examples, triage_messages
from tests.conftest import ROOT, load_yaml

QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(QUOTES)).strip()


TRAINING = nlu_examples("data/nlu")
HELD_OUT = nlu_examples("tests/test_nlu.yml")


def test_every_passage_is_a_verbatim_span_of_its_article(kb):
    for passage in kb.passages.values():
        assert normalise(passage.text) in normalise(kb.sources[passage.source_id].text), passage.id


def test_passages_file_is_what_the_segmenter_produces():
    assert (ROOT / "knowledge/passages.yml").read_text(encoding="utf-8") == render(build())


def test_passage_ids_are_unique_and_stable(kb):
    ids = [p["id"] for p in load_yaml("knowledge/passages.yml")["passages"]]
    assert len(ids) == len(set(ids))
    # Answers cite passages by id: these anchors must not move when the segmenter changes.
    assert kb.passages["ms-25aff9"].text.startswith("Common treatments people try for muscle spasms")
    assert kb.passages["ms-1ba4ad"].text.startswith("1. Graur JN, Panjabi MM")
    assert kb.passages["cd-06891f"].text == "However, treatments often must occur every three to four months to be effective."
    assert kb.passages["cd-848fe2"].text.startswith("For other concerns or questions")


def test_passages_are_whole_sentences(kb):
    for passage in kb.passages.values():
        assert passage.text[0].isupper() or passage.text[0] in "\"“1", passage.id
        assert passage.text.rstrip("\"”)1").endswith((".", "?", "!", ":")), passage.id


def test_sources_carry_their_metadata(kb):
    assert kb.sources["muscle-spasms"].url.startswith("https://www.caringmedical.com/")
    assert kb.sources["cervical-dystonia"].url is None  # the article names no address
    for source in kb.sources.values():
        assert source.text.splitlines()[0].strip() == source.title


def test_every_answer_cites_existing_passages(kb):
    for answer in kb.answers.values():
        assert answer.citations, answer.id
        for passage_id in answer.citations:
            assert passage_id in kb.passages, (answer.id, passage_id)


def test_every_answer_is_an_intent_with_enough_training_examples(kb):
    for answer_id in kb.answers:
        assert len(TRAINING.get(answer_id, [])) >= 15, answer_id
    for intent, examples in TRAINING.items():
        assert len(examples) >= 15, intent


def test_every_trained_intent_is_an_answer_or_listed_once_in_the_domain(kb):
    # An answer's intent comes from answers.yml (dialogue/importer.py): domain.yml must not list it a second time,
    # and an intent in data/nlu that is neither an answer nor in domain.yml is a misspelled answer id.
    domain_intents = load_yaml("domain.yml")["intents"]
    assert len(domain_intents) == len(set(domain_intents))
    assert not set(domain_intents) & set(kb.answers)
    assert set(TRAINING) == set(domain_intents) | set(kb.answers)


def test_every_intent_answered_by_the_action_is_known(kb):
    from actions.actions import EMERGENCY, HANDOFF, NOT_COVERED, OUT_OF_SCOPE, SMALLTALK, SYMPTOM
    from actions.reading import FOLLOWUP_PREFIX

    for intent in TRAINING:
        handled = intent in kb.answers or intent in SMALLTALK
        handled = handled or intent in (OUT_OF_SCOPE, NOT_COVERED, EMERGENCY, HANDOFF, SYMPTOM)
        handled = handled or intent.startswith(FOLLOWUP_PREFIX)
        assert handled, intent


def test_topics_and_followups_point_to_real_answers(kb):
    followup_aspects = {i[len("followup_"):] for i in TRAINING if i.startswith("followup_")}
    assert followup_aspects - {"what_about"} <= set(kb.aspects), "every follow-up intent is a side in aspects.yml"
    for topic in kb.topics.values():
        for aspect, answer_ids in topic.followups.items():
            assert aspect in kb.aspects, (topic.name, aspect)
            assert answer_ids and set(answer_ids) <= set(kb.answers), (topic.name, answer_ids)
            assert len({kb.article_of(a) for a in answer_ids}) == len(answer_ids), "one answer per article"
    for answer in kb.answers.values():
        assert answer.topic in kb.topics, answer.id
        for related in answer.related:
            assert related in kb.answers, (answer.id, related)
    for answer_id in kb.messages["starter_questions"]:
        assert answer_id in kb.answers


def test_held_out_nlu_covers_every_intent_with_three_phrasings():
    assert set(HELD_OUT) == set(TRAINING)
    for intent, examples in HELD_OUT.items():
        assert len(examples) >= 3, intent


def words(text: str) -> tuple:
    return tuple(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def near_copy_index(lines) -> dict:
    """Each line as it is, and under every form with one word left out (with and without its position)."""
    index = {}
    for line in lines:
        tokens = words(line)
        index.setdefault(("=", tokens), tokens)
        for i in range(len(tokens)):
            index.setdefault((i, tokens[:i] + tokens[i + 1 :]), tokens)
            index.setdefault(("-", tokens[:i] + tokens[i + 1 :]), tokens)
    return index


def near_copy(text: str, index: dict):
    """The training line this text copies or nearly copies, else None: the same words, one word more or
    less, or one word changed by up to two letters ("whats cervical distonia" beside "whats cervical
    dystonia")."""
    from nlu.speller import edit_distance

    tokens = words(text)
    if len(tokens) < 3:
        return index.get(("=", tokens))
    found = index.get(("=", tokens)) or index.get(("-", tokens))
    for i in range(len(tokens)):
        reduced = tokens[:i] + tokens[i + 1 :]
        found = found or index.get(("=", reduced))
        other = index.get((i, reduced))
        if not found and other is not None and edit_distance(tokens[i], other[i], 2) <= 2:
            found = other
    return found


def held_out_texts() -> list:
    """Every patient message of every test file."""
    heldout = load_yaml("tests/heldout_questions.yml")
    texts = [e for examples in HELD_OUT.values() for e in examples]
    texts += [q["text"] for q in heldout["questions"]] + list(heldout["off_topic"])
    texts += [t["text"] for c in heldout["conversations"] for t in c["turns"]]
    lay = load_yaml("tests/lay_questions.yml")
    texts += [q["text"] for q in lay["questions"]] + list(lay["off_topic"])
    safety = load_yaml("tests/safety_cases.yml")
    texts += [c["text"] for key in ("red_flags", "not_emergencies", "dosing") for c in safety[key]]
    texts += safety["handoff"]
    for path in PATIENT_SETS.values():
        patients = load_yaml(path)
        texts += [q["text"] for q in patients["questions"] + patients["unanswerable"]]
        texts += patients["clinic"] + patients["off_topic"]
        texts += [t["text"] for c in patients["conversations"] for t in c["turns"]]
    for path in TRIAGE_SETS.values():
        texts += [m["text"] for m in triage_messages(path)]
    return texts


def test_held_out_files_share_nothing_with_training_data():
    """No test message is a training phrasing, nor a near copy of one (a word changed, added or left out)."""
    index = near_copy_index(e for examples in TRAINING.values() for e in examples)
    leaked = {t: " ".join(near_copy(t, index)) for t in held_out_texts() if near_copy(t, index)}
    assert not leaked


def test_the_near_copy_check_catches_one_typo_and_one_word_variants():
    index = near_copy_index(["whats cervical dystonia", "how often do i need botox shots"])
    assert near_copy("Whats cervical distonia?", index)
    assert near_copy("how often do i need the botox shots", index)
    assert near_copy("how often do i need botox", index)
    assert not near_copy("whats cervical spine", index) and not near_copy("how often do i need massage", index)


def test_training_examples_are_unique():
    counts = Counter(e.lower() for examples in TRAINING.values() for e in examples)
    assert [e for e, n in counts.items() if n > 1] == []


def test_lay_questions_cite_what_their_answers_cite(kb):
    for question in load_yaml("tests/lay_questions.yml")["questions"]:
        cited = {p for answer in question["answers"] for p in kb.answers[answer].citations}
        assert set(question["passages"]) == cited, question["text"]


def test_held_out_questions_point_to_real_passages(kb):
    heldout = load_yaml("tests/heldout_questions.yml")
    turns = heldout["questions"] + [t for c in heldout["conversations"] for t in c["turns"]]
    for turn in turns:
        assert turn["passages"] and set(turn["passages"]) <= set(kb.passages), turn["text"]
    covered = {q["intent"] for q in heldout["questions"]}
    assert covered == {a.id for a in kb.answers.values() if a.kind == "answer"}


def test_aspect_rule_words_are_single_tokens(kb):
    """The rules compare one word with one token: "co-pay" would become "co", and match "core tee co steroid"."""
    from actions.nlp import lemma_pipeline

    nlp = lemma_pipeline()
    for aspect in kb.aspects.values():
        for rule in aspect.rules:
            for word in re.split(r" \+ |\|", rule):
                assert len(nlp(word.lstrip("="))) == 1, (aspect.name, word)


@pytest.mark.parametrize(
    "term, topic",
    [("pills", "oral_medications"), ("jabs in my neck", "botox"), ("wry neck", "cervical_dystonia"),
     ("ice pack", "usual_treatments"), ("ultrasound", "usual_treatments"), ("physio", "physical_therapy"),
     ("wire in the brain", "deep_brain_stimulation"), ("brain wire", "deep_brain_stimulation"),
     ("my back", "muscle_spasms"), ("lower back", "muscle_spasms"), ("desk", "desk_work"), ("office job", "desk_work"),
     ("at a computer", "desk_work"), ("hunched over", "desk_work"),
     ("ligament injections", "prolotherapy"), ("cd", "cervical_dystonia"), ("warmth", "heat"), ("hot bath", "heat"),
     ("yoga", "stress"), ("meditation", "stress"), ("stress", "stress"), ("overdoing it", "overuse"),
     ("repetitive movements", "overuse"), ("tennis", "overuse"), ("leg day", "overuse"), ("lifting", "overuse"),
     ("other conditions", "illnesses"), ("multiple sclerosis", "illnesses"), ("running", "overuse"),
     ("practising", "overuse"), ("rehearsing", "overuse"), ("over and over", "overuse"), ("same poses", "overuse")],
)
def test_lay_words_reach_their_topic(kb, term, topic):
    assert kb.topic_for_term(term) == topic


def test_words_of_everyday_talk_name_no_topic(kb):
    # "wait am i chatting with a computer" asks whether this is a bot (tests/test_conversations.yml)
    assert kb.topic_for_term("computer") is None
    # "can i still go to the gym" asks whether to keep it up as often as whether it is the cause
    assert kb.topic_for_term("gym") is None and kb.topic_for_term("workout") is None


@pytest.mark.parametrize("word", ["towel", "skin", "legs", "tiredness", "neck", "a", "straight", "injections"])
def test_the_answers_saying_a_word_are_those_whose_texts_say_it(kb, word):
    """One search of all the answers' texts (answers_saying) finds what asking each answer (words_said) finds: a
    word at the start of a word, its ending aside ("tiredness" in "tired"), never inside another ("a" in "can")."""
    assert kb.answers_saying(word) == [a for a in kb.answers if kb.words_said(a, [word])]
    assert kb.answers_saying("towel") == ["cd_tip_heat"]


def test_an_answer_names_a_term_however_its_words_are_split(kb):
    """The speller joins "heat pad" into the term "heatpad"; the heat tip, which says "heat pad", still names it."""
    assert kb.speaks_of("cd_tip_heat", "heat", "can i fall asleep with the heatpad on")
    assert kb.speaks_of("cd_tip_heat", "heat", "is a heat pad ok")
    assert not kb.speaks_of("ms_common_treatments", "usual_treatments", "would a tens unit help")
