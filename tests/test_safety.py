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
        ("poisoning", "dad took his whole month of tablets at once"),  # a week's or a month's pills, not a week off
        ("poisoning", "she swallowed the whole weeks worth of her muscle relaxers"),
        ("seizure_collapse", "she's fitting"),  # "'s" has the lemma "have"
        ("seizure_collapse", "my son has fits since this morning"),
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


def test_a_number_is_no_ordinal_and_no_headache_within_seconds():
    """spaCy's lookup lemma of "second" is "2": a head turning "for 2 years" was a thunderclap headache."""
    assert not screen("my husband's head turns on its own to the left, its been getting worse for about 2 years").emergencies
    assert not screen("my head keeps tilting, 3 years now, is that how it starts").emergencies
    assert screen("the pain in my head came on within a second").emergencies == ("headache_meningitis",)
    assert screen("my head exploded in seconds").emergencies == ("headache_meningitis",)


@pytest.mark.parametrize(
    "text, kind",
    [
        ("how many mg of baclofen should I take", "ask_dosage"),
        ("how many units of botox do I need", "ask_dosage"),
        ("can I double my clonazepam dose", "ask_dosage"),
        ("should I stop taking my levodopa", "ask_dosage"),
        ("can i up my baclofen", "ask_dosage"),
        ("would upping his levodopa help the neck", "ask_dosage"),
        ("how much magnesium should i be giving him", "ask_dosage"),
        ("salt tablets how many", "ask_dosage"),
        ("do I have cervical dystonia?", "ask_diagnosis"),
        # "got" as well as "have" (the rules' "=got" beside lemmas once matched nothing)
        ("i reckon ive got dystonia", "ask_diagnosis"), ("im scared i got torticollis", "ask_diagnosis"),
        ("does that mean he's got dystonia", "ask_diagnosis"),
        ("is this dystonia or something else", "ask_diagnosis"),
        ("my chin keeps turning left, could it be torticollis?", "ask_diagnosis"),
        ("is this normal or do i have dystonia", "ask_diagnosis"),
        ("could I have dystonia from my pills?", "ask_diagnosis"),
        ("might i have torticollis", "ask_diagnosis"),
        ("could it be parkinsons", "ask_diagnosis"),
        ("i think i might have this neck dystonia thing", "ask_diagnosis"),
        ("im scared i have MS, my legs spasm so much", "ask_diagnosis"),
        ("my legs twitch, does that mean i have ALS", "ask_diagnosis"),
        ("could you tell from what i described", "ask_diagnosis"),
        ("are my shoulders loose then", "ask_diagnosis"),
        ("im scared it's ALS honestly", "ask_diagnosis"),
        ("so could my back be unstable", "ask_diagnosis"),
        ("might his knee be loose", "ask_diagnosis"),
        ("is it maybe my ligaments then", "ask_diagnosis"),
        ("she gets these twitches every night, should we worry", "ask_diagnosis"),
        ("should i be concerned", "ask_diagnosis"),
        ("wait so its my spine then", "ask_diagnosis"),
        ("u think my joints are the problem?", "ask_diagnosis"),
    ],
)
def test_dosing_and_diagnosis_questions_are_referred(text, kind):
    assert screen(text).refer == kind


@pytest.mark.parametrize(
    "text", ["how often are botox injections needed", "what is baclofen", "what medications treat dystonia",
             "I just picked up baclofen from the chemist, what is it actually for",
             "does that mean i have to take it forever", "my back is unstable, what helps",
             "how much calcium should i have a day", "how much salt is in a sports drink",
             "could a back be unstable without pain", "is it the ligaments that cause spasms",
             "its ligaments are weak, the article says", "do you think ligaments heal slowly"]
)
def test_general_medication_questions_are_not_referred(text):
    assert screen(text).refer is None


@pytest.mark.parametrize("text, topics, kind", [
    ("should i just stop it if it makes me foggy", ["clonazepam"], "ask_dosage"),
    ("should i stop it then?", ["muscle_spasms", "oral_medications"], "ask_dosage"),
    ("can he come off them", ["baclofen"], "ask_dosage"),
    ("can we lower it", ["clonazepam"], "ask_dosage"),
    ("should he just cut them in half then", ["oral_medications"], "ask_dosage"),
    ("can i just quit them", ["baclofen"], "ask_dosage"),
    ("can she skip the morning one on school days", ["oral_medications"], "ask_dosage"),
    ("can she just stop them", ["clonazepam"], "ask_dosage"),
    ("can i lower it with stretching", ["massage"], None),
    ("the neuro wants to increase it, how much is normal", ["baclofen"], "ask_dosage"),
    ("my doctor wants to increase the physio sessions", ["baclofen"], None),
    # the same words on no medication, or without a conversation, or of something else
    ("should i stop it then?", ["massage"], None),
    ("should i stop it then?", [], None),
    ("can i stop them coming back", ["baclofen"], None),
])
def test_stopping_it_in_a_conversation_on_a_medication_is_referred(text, topics, kind):
    assert screener().screen(text, topics).refer == kind


@pytest.mark.parametrize(
    "text",
    [
        "my neck pulls harder when i'm tired, is that normal with dystonia?",
        "is wry neck the same as cervical dystonia",
        "is shaking a common thing with dystonia",
        "if it never goes away do i have to live with it forever",
        "can i have botox for my dystonia while breastfeeding",
        "could i have physio for my torticollis instead",
        "my aunt's been given it for her neck dystonia. why would that help",
        # what someone else thinks is the patient's story, not the question
        "my doctor said I might have joint instability, what does that mean",
        "my GP thinks i might have cervical dystonia, what tests will they do",
        "isnt levodopa a parkinsons drug",
    ],
)
def test_questions_about_the_condition_ask_no_diagnosis(text):
    """A diagnosis rule's match that holds "normal", "same", "have to" ... asks about the condition
    (knowledge/safety.yml refer_asks_else)."""
    assert screen(text).refer is None


@pytest.mark.parametrize(
    "text, kind",
    [
        ("my mum's head keeps pulling to the left on its own", "ask_diagnosis"),
        ("head turns right on its own since spring", "ask_diagnosis"),
        ("my neck is stuck twisted and i cant straighten it", "ask_diagnosis"),
        ("chin pulling toward my right shoulder all evening", "ask_diagnosis"),
        ("i cant turn my head to the left, so stiff", None),  # stiffness, not a pull
        ("my neck doesnt pull to the side", None),
        ("my neck used to pull to the left years ago", None),
        ("neck stiff after a 6 hour drive yesterday", None),
    ],
)
def test_signs_of_a_condition_told_are_read_for_the_referral(text, kind):
    """knowledge/safety.yml refer_told: a sign the articles describe, told, neither denied nor long past."""
    assert screen(text).told_refer == kind


def test_held_out_dosing_questions_are_mostly_caught_by_the_rules():
    # The NLU intents ask_dosage / ask_diagnosis are the second net; over REST every case must be referred.
    caught = [c for c in CASES["dosing"] if screen(c["text"]).refer]
    assert len(caught) / len(CASES["dosing"]) >= 0.9


def test_odd_input_does_not_break_the_screener():
    for text in ["", " ", "🙂🙂", "<script>alert(1)</script>", "a" * 5000, "\x00\x01", "¿Puedo respirar?"]:
        assert screen(text).emergencies == ()


# ---- triage: the emergency categories a clinic of injections and muscle relaxants must catch ------------
NEW_FAMILIES = [
    ("allergic_reaction", "my lips and tongue are swelling up since the injection"),
    ("allergic_reaction", "hives all over and my throat feels tight after the shot"),
    ("seizure_collapse", "my husband is having a seizure"),
    ("seizure_collapse", "she collapsed and we can't wake her"),
    ("blood_clot", "my calf is swollen and sore and now I'm short of breath"),
    ("blood_clot", "coughing up blood this morning"),
    ("rhabdomyolysis", "my pee is dark brown after the marathon and my legs are agony"),
    ("vision_loss", "I suddenly lost the vision in my left eye"),
    ("surgery_infection", "a week after my dbs operation I have a fever and the wound is oozing"),
    ("intentional_overdose", "I took all my baclofen on purpose"),
    ("poisoning", "I took my clonazepam with half a bottle of vodka"),
    ("poisoning", "my grandson ate some of my tizanidine"),
]


@pytest.mark.parametrize("category, text", NEW_FAMILIES)
def test_each_new_rule_family(category, text):
    assert category in screen(text).emergencies


@pytest.mark.parametrize(
    "text, category",
    [
        ("no swelling of my lips or tongue, just a sore spot where the needle went in", "allergic_reaction"),
        ("never had a seizure in my life, why is clonazepam used for dystonia", "seizure_collapse"),
        ("my calf isn't swollen, it just cramps at night", "blood_clot"),
        ("I had a blood clot in my leg years ago, can I still have botox", "blood_clot"),
        ("when I was a kid I had a seizure once, is prolotherapy safe", "seizure_collapse"),
        ("my pee isn't dark or anything, my legs are just sore after the gym", "rhabdomyolysis"),
        ("I haven't lost any vision, my eyelid just droops a little after botox", "vision_loss"),
        ("no fever and the dbs wound isn't oozing, when can I wash my hair", "surgery_infection"),
        ("years ago I took my pills on purpose, I am well now. what is baclofen", "intentional_overdose"),
        ("no swelling of the face, just a bruise", "allergic_reaction"),
    ],
)
def test_new_families_respect_negation_and_the_past(text, category):
    result = screen(text)
    assert result.emergencies == () and category in result.negated + result.history


def test_an_intentional_overdose_calls_poison_control_and_the_crisis_line():
    result = screen("I swallowed a handful of my muscle relaxants on purpose, how much is too much?")
    assert "intentional_overdose" in result.emergencies
    calls = screener().categories["intentional_overdose"]["call"]
    assert calls == ["poison_control", "crisis_line", "emergency_number"]


@pytest.mark.parametrize(
    "text",
    ["can botox cause trouble swallowing?", "can you have an allergic reaction to botox",
     "what are the signs of a blood clot"],
)
def test_a_general_question_about_a_red_flag_is_answered_with_a_reminder(text):
    result = screen(text)
    assert result.emergencies == () and result.history


def test_a_general_question_about_doses_is_still_a_dosing_question():
    assert screen("what dose of xeomin do people get for cervical dystonia").refer == "ask_dosage"


def test_a_question_about_oneself_is_not_general():
    assert screen("is it normal that i cant swallow after my botox?").emergencies == ("breathing",)


@pytest.mark.parametrize("text", ["my calves keep seizing up after the gym", "why would a seizure medicine help"])
def test_muscles_seizing_up_is_no_seizure(text):
    assert screen(text).emergencies == ()


@pytest.mark.parametrize("text, category", [
    ("my dad is older and he gets a lot of neck spasms", None),  # "old" only as in "my 2 year old"
    ("my son gets a lot of cramps at night", None),  # getting a lot of something is no swallowing
    ("my 2 year old got into my pills", "poisoning"),
    ("my toddler got hold of some of my baclofen", "poisoning"),
    ("my daughter swallowed a few", "poisoning"),
    ("hot yoga leaves my calves cramping", None),  # a hot class, not a hot calf
    ("a hot shower sets my calves off", None),
    ("red wine and my calves cramp", None),
    ("my calf is hot and swollen", "blood_clot"),
    ("my calf went red and hot after a hot bath", "blood_clot"),
    ("tension headaches and a stiff neck most days for years", None),  # a kind of headache no sign of meningitis
    ("a tension headache, a stiff neck and now a fever", "headache_meningitis"),
    ("my headache is awful and my neck is stiff", "headache_meningitis"),
    ("my dad takes clonazepam for fits and now i am on it for my neck", None),  # what the medicine is for
    ("he is having fits right now", "seizure_collapse"),
    ("do the tablets knock you out", None),  # drowsy, not a blow to the head
    ("i fell and it knocked me out", "head_injury"),
])
def test_words_that_name_no_sign_in_this_place_raise_no_alarm(text, category):
    assert screen(text).emergencies == ((category,) if category else ())


def test_cannot_see_is_inability_not_a_denial():
    assert screen("cant see suddenly, everything went black").emergencies == ("vision_loss",)


def test_the_second_net_needs_acute_danger_or_a_serious_sign_not_denied():
    assert screen("help something is very wrong").alarming and screen("I suddenly feel awful").alarming
    assert screen("my dad is grey and sweaty").alarming
    assert not screen("my neck keeps pulling to the left and it hurts").alarming
    assert not screen("no fever or anything, just a crick from the long flight").alarming


@pytest.mark.parametrize("text", [
    "Got a wedding this weekend and I'm on baclofen. Can I have a few beers?",  # "can't" is no "can"
    "what could be wrong with my neck",  # "worst" is no "wrong", "couldn't" no "could"
    "should i drink more water for the cramps",  # "drunk" is no "drink"
])
def test_everyday_words_are_no_sign_of_danger_by_a_listed_words_lemma(text):
    """The second net's words are the listed ones and their inflections, not the first part of a contraction
    ("can't": "ca", "couldn't": "can") nor what the lookup table makes of an irregular form ("worst": "wrong")."""
    assert not screen(text).alarming
    assert screen("i cant move my arm").alarming and screen("worst pain ever").alarming
    assert screen("I'm terrified").alarming  # an inflection of a listed word still counts


def test_not_being_able_to_keep_oneself_safe_is_self_harm():
    text = "I keep having urges to slice my arms and I don't think I can keep myself safe tonight"
    assert screen(text).emergencies == ("self_harm",)
    assert screen("i dont think i can keep myself safe").emergencies == ("self_harm",)
    assert screen("how do i keep myself safe on baclofen").emergencies == ()


# ---- red flags in any script ------------------------------------------------------------------------------
def spoofed(text: str):
    """The same words as some keyboards and spoofers type them."""
    yield "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" for c in text)  # fullwidth
    yield text.replace("e", "\u0435").replace("a", "\u0430").replace("o", "\u043e")  # Cyrillic look-alikes
    yield "".join(c + "\u0301" if c in "aeiou" else c for c in text)  # a combining accent on every vowel
    yield " ".join(w[:2] + "\u3164" + w[2:] if len(w) > 3 else w for w in text.split())  # Hangul filler
    yield " ".join(w[:1] + "\u200b" + w[1:] for w in text.split())  # zero-width spaces
    yield text.replace("'", "\u2019")  # a phone's apostrophe


SPOOF_CASES = [(c["category"], c["text"]) for c in CASES["red_flags"][::4]] + NEW_FAMILIES


@pytest.mark.parametrize("category, text", SPOOF_CASES)
def test_red_flags_are_found_in_any_script(category, text):
    for variant in spoofed(text):
        assert category in screen(variant).emergencies, variant


def test_folding_leaves_plain_text_alone():
    from actions.nlp import fold

    assert fold("How often do I need Botox? It's 3-4 months.") == "How often do I need Botox? It's 3-4 months."
    assert fold("ｃａｎ’ｔ ｂｒｅａｔｈｅ") == "can't breathe"
    assert fold("br\u0435\u200bat\u0301h\u3164e") == "breathe"


def test_how_dose_it_work_is_no_dosing_question():
    assert screen("how dose it work").refer is None and screen("what dose should i take").refer == "ask_dosage"


def test_screening_takes_a_few_milliseconds():
    import statistics
    import time

    from scripts.evaluate import TRIAGE_SETS, triage_messages

    texts = [m["text"] for path in TRIAGE_SETS.values() for m in triage_messages(path)]
    times = []
    for text in texts:
        start = time.perf_counter()
        screen(text)
        times.append((time.perf_counter() - start) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"screening: mean {statistics.mean(times):.2f} ms, p95 {p95:.2f} ms over {len(texts)} messages")
    assert p95 < 10


@pytest.mark.parametrize(
    "category, text",
    [
        ("breathing", "i cant brethe since this morning"),  # one letter left out
        ("breathing", "she is strugling to breahte"),  # letters swapped
        ("seizure_collapse", "my dad is unconsious on the floor"),  # ties two listed spellings of one word
        ("chest_pain", "crushing pain in my chesst"),
    ],
)
def test_misspelled_red_flag_words_are_corrected(category, text):
    assert category in screen(text).emergencies


def test_common_words_and_medical_terms_are_never_corrected_into_a_red_flag():
    speller = screener().speller
    assert speller.known("breath") and speller.known("baclofen") and speller.known("dystonia")
    assert not screen("my neck is stiff and sore after the flight").matched_anything


@pytest.mark.parametrize(
    "category, text",
    [("poisoning", "took to many tabs by mistake and feel weird"), ("seizure_collapse", "hes fitting on the sofa")],
)
def test_texting_homophones_are_read_as_meant(category, text):
    assert category in screen(text).emergencies


def test_words_of_the_rules_that_ordinary_messages_do_not_use_are_signs_for_the_second_net():
    assert "unconscious" in screener().serious_signs and "neck" not in screener().serious_signs
    assert screen("my nan keeled over in the garden").alarming
    assert not screen("my neck is tight and pulling to the left again").alarming


def test_dose_before_a_medicine_is_a_dosing_question_even_when_it_may_be_a_typo():
    assert screen("what dose baclofen should i take").refer == "ask_dosage"
    assert screen("what dose botox do they use").refer == "ask_dosage"


@pytest.mark.parametrize(
    "category, text",
    [
        ("chest_pain", "chess pain going up into my jaw"),  # dictated
        ("cauda_equina", "his back is bad and he pooed himself"),
        ("cauda_equina", "back pain and no feeling around her private parts"),
        ("cauda_equina", "there's no sensation when I wipe"),
        ("head_injury", "dad fell and hit his head and now one pupil is bigger than the other"),
        ("head_injury", "she banged her head on the shelf and there's blood coming out of her ear"),
        ("head_injury", "my son got hit on the head at football and doesn't know what day it is"),
    ],
)
def test_signs_said_as_a_denial_or_in_lay_words(category, text):
    """"Doesn't know what day it is" and "no feeling down there" are the sign, not a denial of it."""
    assert category in screen(text).emergencies


@pytest.mark.parametrize(
    "text",
    [
        "I play chess to relax my neck, is that ok?",
        "after botox my eyelid droops a bit, my pupils look fine",
        "I hit my head on the cupboard last year, does that cause dystonia?",
    ],
)
def test_everyday_messages_near_the_new_signs_raise_no_alarm(text):
    assert screen(text).emergencies == ()


@pytest.mark.parametrize("text", ["i get cramps at night in my calf, i'm 30 and pretty fit", "i am fit and healthy otherwise"])
def test_fit_for_healthy_is_no_seizure(text):
    """Rules match lemmas, and the lemma of "fitting" is "fit": the seizure rule takes "fitting" as the word."""
    assert screen(text).emergencies == ()


@pytest.mark.parametrize("text", ["he's fitting", "my son is fitting right now", "my dad is having a fit"])
def test_someone_fitting_is_a_seizure(text):
    assert "seizure_collapse" in screen(text).emergencies


@pytest.mark.parametrize(
    "text",
    ["how dose botax help with cervical dystonia", "dose distonia ever go away", "how long dose a ligiment take to heal",
     "wat dose a phisio do for dystonia"],
)
def test_dose_typed_for_does_after_a_question_word_or_first_is_no_dosing_question(text):
    assert screen(text).refer is None


@pytest.mark.parametrize("text", ["dose of 10mg ok?", "what dose a child take of baclofen", "what dose botox do they use"])
def test_a_dose_asked_for_is_still_referred(text):
    assert screen(text).refer == "ask_dosage"


@pytest.mark.parametrize(
    "category, text",
    [("poisoning", "my husband took a swig of weed killer from a bottle in the shed"),
     ("poisoning", "my toddler drank some bleach"),
     ("intentional_overdose", "i have taken 40 paracetamol to end my life")],
)
def test_household_poisons_and_common_painkillers(category, text):
    assert category in screen(text).emergencies


@pytest.mark.parametrize(
    "text",
    ["had a killer headache so took two ibuprofen, is that ok with botox",
     "can instabilty in the spine cause head aches",  # closer to "instability" than to "instantly"
     "how long does liga meant repair take is it weeks or months"],
)
def test_ordinary_questions_near_the_new_rules_raise_no_alarm(text):
    assert screen(text).emergencies == ()


def test_can_x_make_it_hard_to_swallow_is_a_general_question():
    assert screen("can botox in the neck make it hard to swallow").history == ("breathing",)
    assert "breathing" in screen("my botox made it hard to swallow today").emergencies


def test_swallowing_that_feels_wrong_after_an_injection_is_an_emergency():
    assert screen("since my botox my swallowing feels weird, is that from the injection?").emergencies == ("breathing",)
    assert not screen("is swallowing different with dystonia").emergencies
    assert screen("can botox make swallowing feel weird?").history == ("breathing",)


@pytest.mark.parametrize("text, handoff", [
    ("I get leg cramps every time after football, related?", False),
    ("do I need to see someone about back spasms that keep coming back", False),
    ("can I get a time on monday", True), ("i need someone to call me", True), ("I want someone to call me back", True),
])
def test_a_person_or_a_time_asked_for_is_a_handoff_a_time_of_day_or_seeing_someone_is_not(text, handoff):
    assert screen(text).handoff is handoff


@pytest.mark.parametrize("text, referred", [
    ("he takes antipsychotics, should he stop them", True), ("should i stop my statin then", True),
    ("should I stop taking them", True), ("does levodopa stop working if you take it for years", False),
    ("do the pills stop them spasming", False),
])
def test_stopping_a_medicine_is_referred_to_the_prescriber(text, referred):
    assert (screen(text).refer == "ask_dosage") is referred


@pytest.mark.parametrize("text, refer", [
    ("what is this neck dystonia thing my doctor mentioned?", None), ("whats this torticollis", None),
    ("what is this pain, is it dystonia?", "ask_diagnosis"), ("is this dystonia", "ask_diagnosis"),
    ("is anxiety something that sets dystonia off?", None), ("is it dystonia that causes my neck to turn", "ask_diagnosis"),
])
def test_what_is_this_asks_what_it_is_not_whether_one_has_it(text, refer):
    assert screen(text).refer == refer
    assert screen("what is this chest pain").emergencies == ("chest_pain",)


@pytest.mark.parametrize("text", [
    "which one's the pill that's prescribed for fits",  # the lemma of "'s" is "have": no "has fits"
    "i took a whole week off school to rest my neck and it didnt help",
    "is there a cut-off for deep brain stimulation",
])
def test_words_of_a_seizure_an_overdose_or_cutting_in_ordinary_questions_are_no_alarm(text):
    assert screen(text).emergencies == ()
