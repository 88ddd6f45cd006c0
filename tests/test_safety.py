"""The red-flag screener and the dosing/diagnosis guard (actions/safety.py, knowledge/safety.yml)."""
import pytest

from actions.safety import screener
from scripts.evaluate import MAX_FALSE_ALARM_RATE, ordinary_questions
from tests.conftest import load_yaml

CASES = load_yaml("tests/safety_cases.yml")
ORDINARY = ordinary_questions()


def screen(text):
    return screener().screen(text)


def test_every_held_out_red_flag_is_caught_by_the_rules():
    missed = [f"{c['category']}: {c['text']}" for c in CASES["red_flags"] if not screen(c["text"]).emergencies]
    recall = 1 - len(missed) / len(CASES["red_flags"])
    print(f"red-flag recall (rules) {recall:.3f} of {len(CASES['red_flags'])}")
    assert missed == []


def test_red_flags_are_recognised_in_their_category():
    wrong = [c["text"] for c in CASES["red_flags"] if c["category"] not in screen(c["text"]).emergencies]
    assert len(wrong) <= len(CASES["red_flags"]) * 0.05, wrong


def test_negated_and_past_mentions_raise_no_alarm():
    alarms = [c["text"] for c in CASES["not_emergencies"] if screen(c["text"]).emergencies]
    assert alarms == []


def test_ordinary_questions_raise_almost_no_false_alarm():
    assert len(ORDINARY) >= 200
    alarms = [text for text in ORDINARY if screen(text).emergencies]
    print(f"false alarms (rules) {len(alarms)} of {len(ORDINARY)} ordinary questions")
    assert len(alarms) / len(ORDINARY) <= MAX_FALSE_ALARM_RATE, alarms


def test_ordinary_questions_are_rarely_taken_for_dosing_or_handoff():
    referred = [text for text in ORDINARY if screen(text).refer or screen(text).handoff]
    assert len(referred) / len(ORDINARY) <= 0.02, referred


@pytest.mark.parametrize(
    "text", ["can I talk to a real person", "what is your phone number", "I want to book an appointment",
             "please call me back", "are you open on sunday"],
)
def test_requests_for_a_person_are_recognised(text):
    assert screen(text).handoff


@pytest.mark.parametrize(
    "category, text",
    [
        ("breathing", "I couldn't breathe after the injection"),
        ("breathing", "cant breath"),
        ("breathing", "having trouble breathing"),
        ("breathing", "it's hard to swallow since my botox shot"),
        ("breathing", "my throat is closing up"),
        ("breathing", "really short of breath"),
        ("chest_pain", "chest pain that won't go away"),
        ("chest_pain", "a crushing pressure in my chest"),
        ("chest_pain", "i think im having a heart attack"),
        ("stroke", "his face is drooping on the left"),
        ("stroke", "my speech is slurred"),
        ("stroke", "sudden weakness in my arm"),
        ("stroke", "numb on one side of my body"),
        ("headache_meningitis", "worst headache of my life, came on suddenly"),
        ("headache_meningitis", "bad headache and a stiff neck and fever"),
        ("cauda_equina", "my legs are numb and I lost control of my bladder"),
        ("cauda_equina", "numbness in my groin area"),
        ("head_injury", "I hit my head and now I'm confused"),
        ("head_injury", "fell and banged my head, feel dazed and dizzy"),
        ("poisoning", "I took too many baclofen"),
        ("poisoning", "my toddler swallowed some of my pills"),
        ("poisoning", "i think i overdosed"),
        ("self_harm", "i want to end my life"),
        ("self_harm", "thinking about suicide"),
        ("self_harm", "I keep wanting to hurt myself"),
    ],
)
def test_each_rule_family(category, text):
    assert category in screen(text).emergencies


def test_a_red_flag_buried_mid_sentence_is_found():
    text = (
        "I've been reading about prolotherapy and ligament laxity for my neck, and since this morning I can't "
        "really swallow properly, anyway how long does the ligament repair take?"
    )
    assert screen(text).emergencies == ("breathing",)


@pytest.mark.parametrize(
    "text, negated",
    [
        ("no trouble breathing, just a stiff neck", ("breathing",)),
        ("I don't have chest pain", ("chest_pain",)),
        ("my face isn't drooping", ("stroke",)),
        ("never had any thoughts of suicide", ("self_harm",)),
    ],
)
def test_explicit_negation_is_not_an_emergency(text, negated):
    result = screen(text)
    assert result.emergencies == () and result.negated == negated


@pytest.mark.parametrize(
    "text, history",
    [
        ("I had chest pain last year, is it related?", ("chest_pain",)),
        ("years ago I had a stroke, can I still get botox", ("stroke",)),
        ("when I was a kid I overdosed once", ("poisoning",)),
    ],
)
def test_distant_past_is_history_not_emergency(text, history):
    result = screen(text)
    assert result.emergencies == () and result.history == history


@pytest.mark.parametrize(
    "text",
    [
        "I had chest pain last year and it's back again now",
        "last year I had a stroke and now my face is drooping again",
        "no idea why, but I can't breathe",
        "I don't have a fever but I can't breathe",
    ],
)
def test_a_current_red_flag_wins_over_history_and_negation(text):
    assert screen(text).emergencies


def test_cannot_breathe_is_not_mistaken_for_a_negation():
    assert screen("I cannot breathe").emergencies == ("breathing",)


@pytest.mark.parametrize(
    "text, kind",
    [
        ("how many mg of baclofen should I take", "ask_dosage"),
        ("how many units of botox do I need", "ask_dosage"),
        ("can I double my clonazepam dose", "ask_dosage"),
        ("should I stop taking my levodopa", "ask_dosage"),
        ("do I have cervical dystonia?", "ask_diagnosis"),
        ("is this dystonia or something else", "ask_diagnosis"),
    ],
)
def test_dosing_and_diagnosis_questions_are_referred(text, kind):
    assert screen(text).refer == kind


@pytest.mark.parametrize(
    "text", ["how often are botox injections needed", "what is baclofen", "what medications treat dystonia"]
)
def test_general_medication_questions_are_not_referred(text):
    assert screen(text).refer is None


def test_held_out_dosing_questions_are_mostly_caught_by_the_rules():
    # The NLU intents ask_dosage / ask_diagnosis are the second net; over REST every case must be referred.
    caught = [c for c in CASES["dosing"] if screen(c["text"]).refer]
    assert len(caught) / len(CASES["dosing"]) >= 0.9


def test_odd_input_does_not_break_the_screener():
    for text in ["", " ", "🙂🙂", "<script>alert(1)</script>", "a" * 5000, "\x00\x01", "¿Puedo respirar?"]:
        assert screen(text).emergencies == ()
