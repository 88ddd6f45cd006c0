"""Unit tests of action_respond: the text it utters and the `custom` payload the widget reads."""
import re

import pytest
from rasa_sdk.events import SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import config
from actions.actions import ActionRespond, ActionSessionStart
from actions.followups import followup_reader

CRISIS_LINE = "Suicide & Crisis Lifeline"


async def respond(dispatcher, tracker):
    events = await ActionRespond().run(dispatcher, tracker, domain={})
    assert len(dispatcher.messages) == 1, "every turn gets exactly one reply"
    return dispatcher.messages[0], events


async def test_a_confident_answer_carries_its_text_and_passages(kb, dispatcher, make_tracker):
    message, events = await respond(dispatcher, make_tracker([("cd_botox_frequency", 0.9), ("cd_botox_what", 0.05)]))
    assert message["text"] == kb.answers["cd_botox_frequency"].text
    custom = message["custom"]
    assert custom["kind"] == "answer" and custom["answer_id"] == "cd_botox_frequency"
    assert custom["citations"] == [
        {
            "source_id": "cervical-dystonia",
            "title": "Effective Strategies for Relieving Cervical Dystonia-Related Muscle Spasms",
            "url": None,
            "section": "1. Xeomin Botox Treatments",
            "passage_id": "cd-06891f",
            "quote": "However, treatments often must occur every three to four months to be effective.",
        }
    ]
    assert custom["suggestions"] and all(s["payload"].startswith("/") for s in custom["suggestions"])
    assert SlotSet("topic", "botox") in events and SlotSet("last_answer", "cd_botox_frequency") in events


async def test_the_muscle_spasm_article_cites_its_url(dispatcher, make_tracker):
    message, _ = await respond(dispatcher, make_tracker([("ms_prolotherapy_where", 0.8)]))
    citation = message["custom"]["citations"][0]
    assert citation["url"].startswith("https://www.caringmedical.com/")
    assert citation["passage_id"] == "ms-ec3009"


async def test_a_button_payload_answers_directly(kb, dispatcher, make_tracker):
    message, _ = await respond(dispatcher, make_tracker([("cd_cure", 1.0)], text="/cd_cure"))
    assert message["custom"]["answer_id"] == "cd_cure"


async def test_two_close_candidates_get_did_you_mean_buttons(dispatcher, make_tracker):
    ranking = [("cd_cure", 0.42), ("cd_go_away", 0.38), ("cd_treatments", 0.12), ("greet", 0.01)]
    message, events = await respond(dispatcher, make_tracker(ranking))
    custom = message["custom"]
    assert custom["kind"] == "clarify" and custom["citations"] == [] and custom["answer_id"] is None
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == ["/cd_cure", "/cd_go_away", "/cd_treatments"]
    assert custom["suggestions"] == message["buttons"]
    assert events == []


async def test_a_low_confidence_guess_is_not_answered(dispatcher, make_tracker):
    ranking = [("ms_rest", config.ANSWER_MIN_CONFIDENCE - 0.05), ("out_of_scope", 0.05)]
    message, _ = await respond(dispatcher, make_tracker(ranking))
    assert message["custom"]["kind"] == "clarify"
    assert message["buttons"][0]["payload"] == "/ms_rest"


async def test_nothing_close_gets_the_honest_fallback(kb, dispatcher, make_tracker):
    message, _ = await respond(dispatcher, make_tracker([("ms_rest", 0.04), ("greet", 0.03)]))
    assert message["custom"]["kind"] == "fallback" and message["custom"]["citations"] == []
    assert "I can only answer questions about" in message["text"]
    assert message["buttons"]


async def test_out_of_scope_gets_the_fallback_without_citation(dispatcher, make_tracker):
    message, events = await respond(dispatcher, make_tracker([("out_of_scope", 0.8), ("cd_what_is", 0.1)]))
    assert message["custom"]["kind"] == "fallback" and message["custom"]["citations"] == []
    assert events == []


@pytest.mark.parametrize(
    "aspect, topic, expected",
    [
        ("cause", "cervical_dystonia", "cd_causes"),
        ("frequency", "botox", "cd_botox_frequency"),
        ("side_effects", "oral_medications", "cd_medication_side_effects"),
        ("where", "prolotherapy", "ms_prolotherapy_where"),
        ("how_it_works", "deep_brain_stimulation", "cd_dbs_how"),
        ("treatment", "cervical_dystonia", "cd_treatments"),
    ],
)
async def test_a_followup_uses_the_topic_in_context(dispatcher, make_tracker, aspect, topic, expected):
    tracker = make_tracker([(f"followup_{aspect}", 0.9)], slots={"topic": topic})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == expected


async def test_a_term_named_in_the_followup_wins_over_the_slot(dispatcher, make_tracker):
    entities = [{"entity": "topic", "value": "Xeomin", "start": 15, "end": 21}]
    tracker = make_tracker([("followup_frequency", 0.9)], "how often is xeomin", entities, {"topic": "prolotherapy"})
    message, events = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_botox_frequency"
    assert SlotSet("topic", "botox") in events


async def test_a_followup_without_any_topic_asks_back(dispatcher, make_tracker):
    message, _ = await respond(dispatcher, make_tracker([("followup_cause", 0.9)]))
    assert message["custom"]["kind"] == "clarify" and message["buttons"]


async def test_a_followup_the_articles_do_not_cover_says_so(kb, dispatcher, make_tracker):
    tracker = make_tracker([("followup_side_effects", 0.9)], "any side effects?", slots={"topic": "prolotherapy"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["kind"] == "not_covered" and message["custom"]["citations"] == []
    assert "don't say" in message["text"] and "Prolotherapy" in message["text"]
    assert {b["payload"] for b in message["buttons"]} <= {f"/{a}" for a in kb.topic_answers("prolotherapy")}


async def test_a_side_only_the_classifier_read_yields_to_the_turns_meaning_in_context(dispatcher, make_tracker):
    """"what about strains?" after a cause of spasms asks for another cause, not about side effects."""
    ranking = [("followup_side_effects", 0.51), ("out_of_scope", 0.19), ("followup_treatment", 0.1)]
    slots = {"topic": "muscle_spasms", "last_answer": "cd_cause_nerve_compression"}
    message, _ = await respond(dispatcher, make_tracker(ranking, "what about strains", slots=slots))
    assert message["custom"]["answer_id"] == "cd_cause_muscle_injury"


async def test_a_side_no_answer_covers_is_not_answered_by_a_reading_close_in_words(dispatcher, make_tracker):
    """"How long does that usually take?" after "can it go away by itself?" reads close to the early signs (which
    come on gradually), but no table gives that answer for how long: the articles don't say. After the heat tip,
    whose table covers how long, the same question is answered."""
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_go_away"}
    tracker = make_tracker([("followup_duration", 0.99)], "how long does that usually take", slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["kind"] == "not_covered" and message["custom"]["side"] == "duration"
    slots = {"topic": "home_care", "earlier_topics": ["cervical_dystonia"], "last_answer": "cd_tip_heat"}
    tracker = make_tracker([("followup_duration", 0.99)], "how long for?", slots=slots)
    message, _ = await respond(CollectingDispatcher(), tracker)
    assert message["custom"]["answer_id"] == "cd_tip_heat"


async def test_a_turn_naming_a_topic_is_read_by_meaning_within_it_in_a_conversation(dispatcher, make_tracker):
    """The classifier is unsure of "why is the steroid kind bad"; read as about trigger point injections, it
    means their answer. A first question that names the topic is left to the classifier."""
    ranking = [("out_of_scope", 0.25), ("ask_not_covered", 0.16), ("followup_side_effects", 0.16)]
    steroid = [{"entity": "topic", "value": "steroid", "start": 11, "end": 18}]
    slots = {"topic": "trigger_point_injections", "last_answer": "ms_trigger_point_injections"}
    tracker = make_tracker(ranking, "why is the steroid kind bad", entities=steroid, slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "ms_trigger_point_injections"
    first_question = make_tracker(ranking, "why is the steroid kind bad", entities=steroid)
    message, _ = await respond(CollectingDispatcher(), first_question)
    assert message["custom"]["kind"] != "answer"


async def test_which_kind_asks_for_more_of_the_last_answer(dispatcher, make_tracker):
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_causes"}
    ranking = [("cd_other_name", 0.45), ("cd_what_is", 0.3), ("out_of_scope", 0.25)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "which kind", slots=slots))
    assert message["custom"]["answer_id"] == "cd_causes"


async def test_asking_whether_a_thing_counts_is_answered_by_what_was_just_said(dispatcher, make_tracker):
    """"would meditation count?" after the tip on stress: whether it is among what the last answer said, which that
    answer tells (it names meditation), although the classifier reads a question the articles don't answer."""
    slots = {"topic": "home_care", "last_answer": "cd_tip_stress"}
    ranking = [("ask_not_covered", 0.6), ("cd_tip_stress", 0.2), ("out_of_scope", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "would meditation count?", slots=slots))
    assert message["custom"]["answer_id"] == "cd_tip_stress"
    dispatcher.messages.clear()  # a thing the tip does not name: the articles don't say
    message, _ = await respond(dispatcher, make_tracker(ranking, "would knitting count?", slots=slots))
    assert message["custom"]["kind"] == "not_covered"
    dispatcher.messages.clear()  # a thing that is a topic of its own, which the warning signs name
    slots = {"topic": "muscle_spasms", "last_answer": "cd_spasm_warning_signs"}
    twitching = [{"entity": "topic", "value": "twitching", "start": 5, "end": 14}]
    tracker = make_tracker(ranking, "does twitching count", entities=twitching, slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_spasm_warning_signs"


async def test_a_thing_whose_answer_says_every_word_asked_is_answered_though_the_classifier_says_not(
        dispatcher, make_tracker):
    """"can yoga make it better?" after what dystonia is: the classifier reads a question the articles don't
    answer, but the one thing named, yoga, has an answer that says every other word asked (the tip on stress).
    A word it does not say, a side asked, or a condition of the other article beside it leaves "not covered"."""
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_what_is"}
    ranking = [("ask_not_covered", 0.9), ("cd_tip_stress", 0.05)]
    for text, expected in [("can yoga make it better", "cd_tip_stress"), ("is yoga ok with a wry neck", "cd_tip_stress"),
                           ("can yoga cure it for good", None), ("is yoga safe", None),
                           ("would yoga help my loose ligaments", None)]:
        terms = [t for t in ("yoga", "wry neck", "loose ligaments") if t in text]
        tracker = make_tracker(ranking, text, topic_entities(text, *terms), slots)
        message, _ = await respond(dispatcher, tracker)
        assert message["custom"]["answer_id"] == expected, text
        dispatcher.messages.clear()


async def test_a_why_without_words_of_a_cause_asks_about_what_was_just_said(dispatcher, make_tracker):
    """"why does it wear off?" after the usual treatments: the classifier reads a "why" (followup_cause), but no
    word asks what causes the condition; the reason is in what was just said. Words of a cause still lead to
    the causes ("how did she get it?" after what dystonia is)."""
    slots = {"topic": "muscle_spasms", "earlier_topics": ["usual_treatments"], "last_answer": "ms_common_treatments"}
    ranking = [("followup_cause", 0.76), ("ms_common_treatments", 0.1), ("out_of_scope", 0.05)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "why does it wear off", slots=slots))
    assert message["custom"]["answer_id"] == "ms_common_treatments"
    dispatcher.messages.clear()
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_what_is"}
    message, _ = await respond(dispatcher, make_tracker(ranking, "how did she get it tho", slots=slots))
    assert message["custom"]["answer_id"] == "cd_causes"


async def test_a_classifier_sure_the_articles_dont_say_it_overrides_the_answer_of_a_side(kb, dispatcher, make_tracker):
    """"does it wear off faster if i go to the gym?" after how often Botox is given: the words ask how long it
    lasts, which the articles cover, but not this; sure of that, the classifier decides. Less sure, the side's
    answer stands."""
    slots = {"topic": "botox", "last_answer": "cd_botox_frequency"}
    text = "does it wear off faster if i go to the gym a lot"
    sure = [("ask_not_covered", config.SURE_CONFIDENCE + 0.02), ("cd_botox_frequency", 0.03)]
    message, _ = await respond(dispatcher, make_tracker(sure, text, slots=slots))
    assert message["custom"]["kind"] == "not_covered" and not message["custom"]["citations"]
    assert message["text"].startswith("Our articles don't say that about " + kb.topics["botox"].label)
    dispatcher.messages.clear()
    unsure = [("ask_not_covered", 0.6), ("cd_botox_frequency", 0.3)]
    message, _ = await respond(dispatcher, make_tracker(unsure, text, slots=slots))
    assert message["custom"]["answer_id"] == "cd_botox_frequency"


async def test_a_named_topics_answer_is_not_guessed_when_the_articles_likely_dont_say(dispatcher, make_tracker):
    """"are you awake during the deep brain stimulation operation?": the classifier leans to "the articles don't
    say" without being sure; the topic's best answer would answer another question, so the patient is asked."""
    dbs = [{"entity": "topic", "value": "deep brain stimulation", "start": 26, "end": 48}]
    ranking = [("ask_not_covered", 0.47), ("cd_dbs_what", 0.41), ("out_of_scope", 0.05)]
    text = "are you awake during the deep brain stimulation operation"
    message, _ = await respond(dispatcher, make_tracker(ranking, text, entities=dbs))
    assert message["custom"]["kind"] == "clarify" and not message["custom"]["citations"]
    assert message["buttons"][0]["payload"] == "/cd_dbs_what"


async def test_who_to_see_is_a_side_of_a_topic(dispatcher, make_tracker):
    slots = {"topic": "joint_instability", "last_answer": "ms_when_evaluated"}
    message, _ = await respond(dispatcher, make_tracker([("out_of_scope", 0.5)], "by who?", slots=slots))
    assert message["custom"]["answer_id"] == "ms_when_evaluated"


@pytest.mark.parametrize("text, topic, expected", [
    # lay words for a doctor to see; of muscle spasms, the article on them says who should be evaluated
    ("should he see someone about it", "cervical_dystonia", "cd_ask_doctor"),
    ("my gp or the neuro", "cervical_dystonia", "cd_ask_doctor"),
    ("do i need to see someone about it", "muscle_spasms", "ms_when_evaluated"),
    # of a treatment of the dystonia article: the doctor who diagnosed you, as that article says
    ("who should she ring", "botox", "cd_ask_doctor"),
    ("who do we call about it", "baclofen", "cd_ask_doctor"),
])
async def test_who_to_see_in_lay_words(dispatcher, make_tracker, text, topic, expected):
    message, _ = await respond(dispatcher, make_tracker([("out_of_scope", 0.6)], text, slots={"topic": topic}))
    assert message["custom"]["answer_id"] == expected


async def test_is_it_any_good_gets_the_named_topics_answer_the_classifier_leans_to(dispatcher, make_tracker):
    ranking = [("cd_tip_stretching", 0.38), ("ask_not_covered", 0.19), ("followup_what_about", 0.17)]
    stretching = [{"entity": "topic", "value": "stretching", "start": 4, "end": 14}]
    tracker = make_tracker(ranking, "and stretching, is that any good?", entities=stretching)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_tip_stretching"


async def test_bot_challenge_says_plainly_it_is_automated(dispatcher, make_tracker):
    message, _ = await respond(dispatcher, make_tracker([("bot_challenge", 0.95)]))
    assert message["custom"]["kind"] == "smalltalk" and message["custom"]["citations"] == []
    assert "automated assistant, not a person" in message["text"]


@pytest.mark.parametrize("intent", ["greet", "goodbye", "thanks", "ask_capabilities"])
async def test_smalltalk_replies(kb, dispatcher, make_tracker, intent):
    message, _ = await respond(dispatcher, make_tracker([(intent, 0.95)]))
    assert message["text"] == kb.message("smalltalk", intent)
    assert message["custom"]["kind"] == "smalltalk"


async def test_a_message_without_intent_does_not_crash(dispatcher, make_tracker):
    tracker = make_tracker([(None, 0.0)])
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["kind"] == "fallback"


def topic_entity(value: str) -> list:
    return [{"entity": "topic", "value": value, "start": 0, "end": len(value)}]


@pytest.mark.parametrize(
    "previous_answer, expected",
    [("ms_massage", "ms_physical_therapy"), ("cd_botox_what", "cd_physical_therapy"), (None, "ms_physical_therapy")],
)
async def test_what_about_answers_from_the_article_of_the_conversation(
    dispatcher, make_tracker, previous_answer, expected
):
    tracker = make_tracker(
        [("followup_what_about", 0.9)], "what about physio?", topic_entity("physio"), {"last_answer": previous_answer}
    )
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, term, ranking, expected", [
    ("back to pills then, what are the options", "pills", [("followup_treatment", 0.43), ("cd_follow_directions", 0.24)],
     "cd_oral_medications"),  # the options of a treatment are the treatment itself
    ("how long does a dbs operation take", "dbs", [("followup_duration", 0.6), ("cd_dbs_what", 0.2)], None),
])
async def test_a_follow_up_naming_a_treatment_gets_it_where_no_side_answers(
    dispatcher, make_tracker, text, term, ranking, expected
):
    slots = {"topic": "deep_brain_stimulation", "last_answer": "cd_dbs_what"}
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, term), slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text", ["who wrote it?", "where was it published"])
async def test_who_did_a_study_is_answered_by_its_reference(dispatcher, make_tracker, text):
    """The whiplash study's answer names its authors and journal: "who wrote it?" after it gets it again."""
    slots = {"topic": "whiplash", "last_answer": "ms_whiplash_study"}
    message, _ = await respond(dispatcher, make_tracker([("out_of_scope", 0.73), ("followup_cause", 0.06)], text,
                                                        slots=slots))
    assert message["custom"]["answer_id"] == "ms_whiplash_study"


async def test_what_about_without_a_named_topic_asks_back(dispatcher, make_tracker):
    message, _ = await respond(dispatcher, make_tracker([("followup_what_about", 0.9)], "what about that"))
    assert message["custom"]["kind"] == "clarify"


async def test_it_refers_to_the_latest_topic_the_question_fits(dispatcher, make_tracker):
    """After joint instability, then physical therapy, "what can fix it?" is about the instability."""
    slots = {"topic": "physical_therapy", "earlier_topics": ["massage", "joint_instability"]}
    message, events = await respond(dispatcher, make_tracker([("followup_treatment", 0.9)], slots=slots))
    assert message["custom"]["answer_id"] == "ms_prolotherapy_what"
    assert SlotSet("topic", "prolotherapy") in events
    assert SlotSet("earlier_topics", ["physical_therapy", "massage", "joint_instability"]) in events


@pytest.mark.parametrize(
    "aspect, topic, expected",
    [
        ("duration", "prolotherapy", "ms_ligament_repair_time"),
        ("combine", "botox", "cd_botox_with_pills"),
        ("evidence", "physical_therapy", "cd_pt_review"),
        ("treatment", "home_care", "cd_home_tips"),  # "what can I do about it?" after a home-care tip
    ],
)
async def test_more_followup_aspects(dispatcher, make_tracker, aspect, topic, expected):
    message, _ = await respond(dispatcher, make_tracker([(f"followup_{aspect}", 0.9)], slots={"topic": topic}))
    assert message["custom"]["answer_id"] == expected


async def test_earlier_topics_stay_short_and_unique(dispatcher, make_tracker):
    slots = {"topic": "botox", "earlier_topics": ["massage", "rest", "whiplash"]}
    _, events = await respond(dispatcher, make_tracker([("cd_baclofen", 0.9)], slots=slots))
    assert SlotSet("earlier_topics", ["botox", "massage", "rest"]) in events


async def test_what_about_without_a_known_term_falls_to_the_next_intent(dispatcher, make_tracker):
    tracker = make_tracker(
        [("followup_what_about", 0.66), ("followup_frequency", 0.29)], "and how often?", slots={"topic": "botox"}
    )
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_botox_frequency"


async def test_topics_the_patient_names_are_remembered(dispatcher, make_tracker):
    tracker = make_tracker(
        [("ms_massage", 0.9)], "can massage fix joint instability",
        topic_entity("massage") + topic_entity("joint instability"), {"topic": "whiplash"},
    )
    _, events = await respond(dispatcher, tracker)
    assert SlotSet("topic", "massage") in events
    assert SlotSet("earlier_topics", ["joint_instability", "whiplash"]) in events


async def test_without_a_known_term_an_answer_needs_more_confidence(dispatcher, make_tracker):
    confidence = (config.ANSWER_MIN_CONFIDENCE + config.ANSWER_MIN_CONFIDENCE_WITHOUT_TERM) / 2
    ranking = [("cd_what_is", confidence), ("out_of_scope", 0.05)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "what is the meaning of life"))
    assert message["custom"]["kind"] == "clarify"
    tracker = make_tracker(ranking, "what is dystonia", topic_entity("dystonia"))
    dispatcher.messages.clear()
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_what_is"


# ---- safety: emergencies, referrals, handoff, disclaimer ------------------------------------------------


async def test_an_emergency_interrupts_whatever_the_classifier_thinks(dispatcher, make_tracker):
    tracker = make_tracker(
        [("cd_botox_frequency", 0.95)], "how often do I need botox? I can't breathe since the last one",
        slots={"topic": "botox"},
    )
    message, events = await respond(dispatcher, tracker)
    custom = message["custom"]
    assert custom["kind"] == "emergency" and custom["citations"] == [] and custom["answer_id"] is None
    assert custom["categories"] == ["breathing"]
    assert custom["contacts"] == [{"label": "Emergency", "number": "911", "href": "tel:911"}]
    assert "call 911 now" in message["text"] and "every three to four months" not in message["text"]
    assert events == []  # the conversation's topic is kept for afterwards


async def test_poisoning_and_self_harm_name_their_own_lines(dispatcher, make_tracker):
    message, _ = await respond(dispatcher, make_tracker([("greet", 0.9)], "my son swallowed my baclofen pills"))
    assert [c["label"] for c in message["custom"]["contacts"]] == ["Emergency", "Poison Control", CRISIS_LINE]
    assert "1-800-222-1222" in message["text"]
    dispatcher.messages.clear()
    message, _ = await respond(dispatcher, make_tracker([("greet", 0.9)], "i want to kill myself"))
    assert [c["href"] for c in message["custom"]["contacts"]] == ["tel:911", "tel:988"]
    assert "988" in message["text"]


async def test_the_emergency_intent_is_a_second_net(dispatcher, make_tracker):
    """Its catches that no rule names are most often self-harm in words no rule knows: the crisis line too."""
    tracker = make_tracker([("emergency", 0.7), ("cd_what_is", 0.1)], "something is very wrong help")
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["kind"] == "emergency" and message["custom"]["categories"] == []
    assert [c["label"] for c in message["custom"]["contacts"]] == ["Emergency", CRISIS_LINE]


async def test_the_emergency_intent_alone_never_raises_the_alarm(kb, dispatcher, make_tracker):
    """Without an acute-danger word or a serious sign the intent is set aside: an everyday symptom gets a "did
    you mean", then the signs to call for."""
    ranking = [("emergency", 0.8), ("cd_what_is", 0.12), ("cd_causes", 0.05)]
    tracker = make_tracker(ranking, "my neck is so stiff and it hurts")
    await ActionRespond().run(dispatcher, tracker, domain={})
    reply, check = dispatcher.messages
    assert reply["custom"]["kind"] == "clarify" and reply["buttons"][0]["payload"] == "/cd_what_is"
    assert check["text"] == kb.message("emergency_check") and not check.get("custom")


@pytest.mark.parametrize("text, again", [("he says the neck feels weak too", True),
                                         ("his hands have a slight tremor too", True),
                                         ("he says his neck is killing him", False)])
async def test_a_symptom_told_that_the_last_answer_names_gets_it_again(dispatcher, make_tracker, text, again):
    """"he says the neck feels weak too" after the warning signs of spasms, which name weakness: the signs again,
    not the questions an everyday symptom gets."""
    slots = {"topic": "muscle_spasms", "last_answer": "cd_spasm_warning_signs"}
    message, _ = await respond(dispatcher, make_tracker([("describe_symptom", 0.96)], text, slots=slots))
    assert (message["custom"].get("answer_id") == "cd_spasm_warning_signs") is again


async def test_a_symptom_told_with_a_question_nothing_answers_gets_what_the_articles_can_tell(kb, dispatcher,
                                                                                                make_tracker):
    """"knots in my traps that never shift no matter how much i foam roll. why wont they go": where nothing on the
    ladder answers, the patient is not told "I can only answer questions about muscle spasms ...", but offered
    what the articles say."""
    text = "knots in my traps that never shift no matter how much i foam roll. why wont they go"
    message, _ = await respond(dispatcher, make_tracker([("describe_symptom", 0.9), ("ms_muscles_tire", 0.01)], text))
    assert message["custom"]["kind"] == "clarify" and message["text"] == kb.message("symptom")
    assert [b["payload"][1:] for b in message["buttons"]] == kb.messages["symptom_questions"]


async def test_an_everyday_symptom_gets_the_topics_questions_not_an_alarm(kb, dispatcher, make_tracker):
    tracker = make_tracker([("describe_symptom", 0.8)], "bit sore where the needle went in", slots={"topic": "botox"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["kind"] == "clarify" and message["text"] == kb.message("symptom")
    assert [b["payload"][1:] for b in message["buttons"]] == kb.topic_answers("botox")[: config.MAX_CHOICES]


async def test_a_sign_of_a_condition_told_gets_how_it_is_diagnosed(kb, dispatcher, make_tracker):
    """"my mums neck keeps turning to the left on its own" is a sign of cervical dystonia: the diagnosis referral,
    with the passages on how it is diagnosed, not the list of questions an everyday symptom gets."""
    tracker = make_tracker([("describe_symptom", 0.93)], "my mums neck keeps turning to the left on its own, shes 55")
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["kind"] == "refer" and message["custom"]["answer_id"] == "ask_diagnosis"
    assert message["custom"]["citations"] == kb.citations("ask_diagnosis")


@pytest.mark.parametrize("text", ["ok so my neck keeps like twisting to the left on its own n its kinda sore?? wat even is that",
                                  "my son is 17 and his head started pulling to one side a few weeks ago. what could cause that"])
async def test_a_sign_of_a_condition_told_with_a_question_nothing_answers_gets_how_it_is_diagnosed(dispatcher,
                                                                                                     make_tracker, text):
    """The same sign told with a question that names no treatment, where nothing on the ladder answers: how it is
    diagnosed, not what the articles say of everyday symptoms nor a "did you mean"."""
    ranking = [("describe_symptom", 0.9), ("cd_what_is", 0.08), ("cd_go_away", 0.01)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text))
    assert message["custom"]["kind"] == "refer" and message["custom"]["answer_id"] == "ask_diagnosis"


async def test_a_sign_told_with_a_question_of_a_treatment_is_not_referred(dispatcher, make_tracker, monkeypatch):
    """Where nothing on the ladder answers a question of a treatment told beside the sign, it is not referred."""
    monkeypatch.setattr(ActionRespond, "asks_for_named_topic", lambda self, turn: False)
    monkeypatch.setattr(ActionRespond, "best_of_named_topic", lambda self, turn: None)
    monkeypatch.setattr(ActionRespond, "read_alone", lambda self, turn: None)
    text = "my mother is 90 and has a twisted neck. is the brain surgery the only surgery they do for it?"
    ranking = [("out_of_scope", 0.6), ("cd_nerve_surgery", 0.1), ("cd_dbs_what", 0.05)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, "twisted neck", "brain surgery")))
    assert message["custom"]["kind"] != "refer", message["custom"]


async def test_a_symptom_told_in_a_conversation_gets_what_it_reads_as_there(dispatcher, make_tracker, monkeypatch):
    """"its mostly my calfs" after the causes of cramps tells more of what was asked: poor circulation, which the
    turn read with the conversation's topic clearly reads as; a reading short of that, where no cause of the list
    reads clearly closest either, gets the topic's questions."""
    slots = {"topic": "muscle_spasms", "last_answer": "cd_spasm_causes"}
    reading = ("cd_cause_circulation", config.FOLLOWUP_MIN_SIMILARITY + 0.01, 0.1, None)
    monkeypatch.setattr(type(followup_reader()), "best", lambda self, *args: reading)
    monkeypatch.setattr(type(followup_reader()), "closest_of", lambda self, *args: None)
    message, _ = await respond(dispatcher, make_tracker([("describe_symptom", 0.9)], "its mostly my calfs", slots=slots))
    assert message["custom"]["answer_id"] == "cd_cause_circulation"
    dispatcher.messages.clear()
    reading = ("cd_cause_circulation", config.FOLLOWUP_MIN_SIMILARITY - 0.01, 0.1, None)
    message, _ = await respond(dispatcher, make_tracker([("describe_symptom", 0.9)], "its mostly my calfs", slots=slots))
    assert message["custom"]["kind"] == "clarify"


@pytest.mark.parametrize("text, term", [("i sit at a computer all day", "at a computer"),
                                        ("been doing heavy deadlifts and massage sorts it for a day", "massage")])
async def test_a_thing_told_of_which_the_articles_say_one_thing_gets_it(kb, dispatcher, make_tracker, text, term):
    """A story that names a thing with one answer (desk work, massage) gets that answer, not a list of questions."""
    tracker = make_tracker([("describe_symptom", 0.8), ("out_of_scope", 0.1)], text, topic_entities(text, term))
    message, _ = await respond(dispatcher, tracker)
    topic = kb.topic_for_term(term)
    assert message["custom"]["kind"] == "answer"
    assert message["custom"]["answer_id"] == kb.topics[topic].answers[0]


@pytest.mark.parametrize("text, term", [("i'm at a desk all day, does that change anything", "desk"),
                                        ("can sitting hunched over a laptop all day make it worse", "hunched over")])
async def test_an_everyday_situation_named_alone_gets_what_the_articles_say_of_it(dispatcher, make_tracker, text, term):
    """Desk work is a situation the article gives one tip for; an unsure "the articles don't say" yields to it,
    a sure one does not."""
    slots = {"topic": "muscle_spasms", "last_answer": "ms_take_anything"}
    unsure = make_tracker([("ask_not_covered", 0.6), ("cd_home_tips", 0.1)], text, topic_entities(text, term), slots)
    message, _ = await respond(dispatcher, unsure)
    assert message["custom"]["answer_id"] == "cd_tip_stretching"
    dispatcher.messages.clear()
    sure = make_tracker([("ask_not_covered", 0.95), ("cd_home_tips", 0.01)], text, topic_entities(text, term), slots)
    message, _ = await respond(dispatcher, sure)
    assert message["custom"]["kind"] == "not_covered"


async def test_a_symptom_told_of_a_side_the_articles_answer_gets_that_answer(dispatcher, make_tracker):
    """"it's making me so sleepy" after clonazepam tells of its side effects, which the article covers."""
    slots = {"topic": "clonazepam", "last_answer": "cd_clonazepam"}
    tracker = make_tracker([("describe_symptom", 0.94)], "it's making me so sleepy, is that expected", slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_medication_side_effects"


async def test_an_intentional_overdose_wins_over_the_dosing_guard(dispatcher, make_tracker):
    text = "I swallowed a handful of my muscle relaxants on purpose, how much is too much?"
    message, _ = await respond(dispatcher, make_tracker([("ask_dosage", 0.9)], text))
    custom = message["custom"]
    assert custom["kind"] == "emergency" and "intentional_overdose" in custom["categories"]
    assert [c["label"] for c in custom["contacts"]] == ["Emergency", "Poison Control", CRISIS_LINE]


async def test_a_negated_red_flag_is_not_overruled_by_the_intent(dispatcher, make_tracker):
    tracker = make_tracker([("emergency", 0.7), ("cd_what_is", 0.2)], "no trouble breathing, what is dystonia")
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["kind"] != "emergency"


async def test_a_past_red_flag_gets_the_answer_and_a_reminder(kb, dispatcher, make_tracker):
    tracker = make_tracker([("cd_what_is", 0.9)], "I had chest pain last year. what is cervical dystonia?")
    events = await ActionRespond().run(dispatcher, tracker, domain={})
    answer, reminder = dispatcher.messages
    assert answer["custom"]["answer_id"] == "cd_what_is"
    assert reminder["text"] == "If you have chest pain now, call 911 straight away." and not reminder.get("custom")
    assert SlotSet("topic", "cervical_dystonia") in events


@pytest.mark.parametrize(
    "text, ranking, expected",
    [
        ("how many mg of baclofen should I take", [("cd_baclofen", 0.9)], "ask_dosage"),
        ("what would you advise for my dose", [("ask_dosage", 0.8)], "ask_dosage"),
        ("do I have cervical dystonia?", [("cd_what_is", 0.9)], "ask_diagnosis"),
    ],
)
async def test_dosing_and_diagnosis_are_referred_with_the_articles_advice(
    kb, dispatcher, make_tracker, text, ranking, expected
):
    message, _ = await respond(dispatcher, make_tracker(ranking, text))
    custom = message["custom"]
    assert custom["kind"] == "refer" and custom["answer_id"] == expected
    assert message["text"].startswith(kb.answers[expected].text)  # the referral first, whatever else follows
    assert not any(ch.isdigit() for ch in message["text"])  # no numbers, no doses
    assert custom["citations"]
    if expected == "ask_dosage":
        assert "cd-c5d9e2" in [c["passage_id"] for c in custom["citations"]]  # "always follow the directions ..."


@pytest.mark.parametrize(
    "text, ranking, article_answer",
    [
        ("what dose botax do for neck spasms", [("cd_botox_what", 0.99)], "cd_botox_what"),  # "dose" for "does"
        ("can tablets with the jabs mean a smaller dose of the jab?", [("cd_botox_with_pills", 0.85)],
         "cd_botox_with_pills"),
        ("how much baclofen should i take", [("ask_dosage", 0.87), ("cd_baclofen", 0.07)], None),
        ("how much baclofen should i take", [("cd_baclofen", 0.45), ("ask_dosage", 0.40)], None),  # not confident
    ],
)
async def test_the_referral_is_followed_by_the_article_answer_the_classifier_is_confident_of(
    kb, dispatcher, make_tracker, text, ranking, article_answer
):
    message, events = await respond(dispatcher, make_tracker(ranking, text))
    custom = message["custom"]
    assert custom["kind"] == "refer" and custom["answer_id"] == "ask_dosage"
    cited = [c["passage_id"] for c in custom["citations"]]
    referral = kb.answers["ask_dosage"]
    if article_answer is None:
        assert message["text"] == referral.text and cited == referral.citations
        return
    answer = kb.answers[article_answer]
    assert message["text"] == kb.message("refer_and_answer", referral=referral.text, answer=answer.text)
    assert cited == referral.citations + answer.citations
    assert SlotSet("last_answer", article_answer) in events and SlotSet("topic", answer.topic) in events


@pytest.mark.parametrize(
    "text, entities, topic",
    [
        ("do i have joint instability? my shoulder clicks", topic_entity("joint instability"), "joint_instability"),
        ("how much baclofen should i take", topic_entity("baclofen"), "baclofen"),
        ("could I have it?", [], "cervical_dystonia"),  # nothing named: the referral's own topic
    ],
)
async def test_a_referral_leaves_the_conversation_on_the_topic_asked_about(
    dispatcher, make_tracker, text, entities, topic
):
    """"when should I get it looked at?" after "do I have joint instability?" is about joint instability."""
    ranking = [("ask_diagnosis", 0.98)] if "have" in text else [("ask_dosage", 0.9)]
    message, events = await respond(dispatcher, make_tracker(ranking, text, entities))
    assert message["custom"]["kind"] == "refer"
    assert SlotSet("topic", topic) in events


async def test_handoff_gives_the_clinics_contact_details(dispatcher, make_tracker):
    message, _ = await respond(dispatcher, make_tracker([("request_human", 0.9)], "can I talk to a person"))
    custom = message["custom"]
    assert custom["kind"] == "handoff" and custom["citations"] == []
    assert custom["contact"] == {
        "name": "Example Spine & Movement Clinic",
        "phone": "+1 555 010 0100",
        "phone_href": "tel:+15550100100",
        "opening_hours": "Monday to Friday, 8am to 5pm",
        "booking_url": "https://clinic.example/book",
    }
    assert "+1 555 010 0100" in message["text"] and "https://clinic.example/book" in message["text"]


async def test_a_topic_named_in_a_question_for_the_clinic_stays_for_the_next_turn(dispatcher, make_tracker):
    """"can i drive home straight after my botox appointment" goes to the clinic; "and how often will i have to go
    back?" next is still about Botox."""
    text = "can i drive home straight after my botox appointment"
    message, events = await respond(dispatcher, make_tracker([("request_human", 0.9)], text, [botox_entity(text)]))
    assert message["custom"]["kind"] == "handoff"
    assert SlotSet("topic", "botox") in events


async def test_session_start_says_the_disclaimer_once(dispatcher, make_tracker):
    from rasa_sdk.events import ActionExecuted

    events = await ActionSessionStart().run(dispatcher, make_tracker([("greet", 1.0)]), domain={})
    assert events == [SessionStarted(), SlotSet("disclaimer_said", True), ActionExecuted("action_listen")]
    [message] = dispatcher.messages
    assert message["custom"]["kind"] == "disclaimer"
    for words in ("automated assistant", "not medical advice", "personal health details", "call 911"):
        assert words in message["text"]


async def test_what_about_is_dropped_wherever_it_ranks_without_a_known_term(dispatcher, make_tracker):
    ranking = [("followup_frequency", 0.42), ("followup_what_about", 0.33), ("cd_botox_frequency", 0.09)]
    tracker = make_tracker(ranking, "ok. how often are the injections?", slots={"topic": "botox"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_botox_frequency"


async def test_a_session_whose_disclaimer_failed_gets_it_with_the_next_reply(dispatcher, make_tracker):
    tracker = make_tracker([("cd_botox_frequency", 0.9), ("cd_botox_what", 0.05)], slots={"disclaimer_said": None})
    events = await ActionRespond().run(dispatcher, tracker, domain={})
    kinds = [m["custom"]["kind"] for m in dispatcher.messages]
    assert kinds == ["disclaimer", "answer"] and "automated assistant" in dispatcher.messages[0]["text"]
    assert SlotSet("disclaimer_said", True) in events



# ---- sides of a topic (knowledge/aspects.yml) and the question inside a story ----------------------------
def topic_entities(text: str, *terms: str) -> list:
    """The ruler's topic entities for these terms, where they stand in the text."""
    return [{"entity": "topic", "value": t, "start": text.index(t), "end": text.index(t) + len(t)} for t in terms]


def botox_entity(text: str) -> dict:
    start = text.index("botox")
    return {"entity": "topic", "value": "botox", "start": start, "end": start + 5}


async def test_a_side_the_articles_do_not_cover_is_not_answered_with_the_topic(kb, dispatcher, make_tracker):
    text = "is botox safe"
    message, events = await respond(dispatcher, make_tracker([("cd_botox_what", 0.8)], text, [botox_entity(text)]))
    custom = message["custom"]
    assert custom["kind"] == "not_covered" and custom["citations"] == [] and custom["answer_id"] is None
    assert custom["side"] == "safety" and custom["topic"] == "botox" and "contact" not in custom
    assert message["text"].startswith("Our articles don't say anything about how safe Botox (Xeomin) injections is")
    assert {b["payload"] for b in message["buttons"]} <= {f"/{a}" for a in kb.topic_answers("botox")}
    assert SlotSet("topic", "botox") in events


@pytest.mark.parametrize("text, side", [
    ("why do ligaments take ages to heal", None), ("at what age does it start", "age"),
    ("what's the catch", None), ("can you catch it from someone", "contagious"),
    ("do steroid shots into sore muscles help", None), ("do the shots hurt", "pain"),
    ("how long will I be off work afterwards?", "recovery"), ("does ice help spasms", "effect"),
    ("does massage help with anxiety", None), ("is it approved by the FDA", "approval"),
    ("could too much coffee make it worse", "caffeine"), ("will the jabs weaken my neck muscles", "side_effects"),
    ("will she have it forever?", "permanent"), ("ligiments take forever to heal", None),
    ("how does someone end up with neck dystonia", "cause"), ("could my water pills be doing it", "cause"),
    ("is there anything less drastic", "alternatives"), ("what can go wrong with the brain surgery", "side_effects"),
    ("how many days till i notice anything", "onset"), ("so is massage a waste of money", "effect"),
    ("how quick does it work", "onset"), ("how fast do the shots work", "onset"),
    ("can the deep brain stimulation help him", "effect"), ("can botox stop working if you have it for years", "tolerance"),
    ("does your body get used to baclofen", "tolerance"), ("what kind of pillow is best for dystonia", "sleep"),
    ("would pilates count?", "among_last"), ("is feeling tired one of them", "among_last"),
    ("how did her mother get it", "cause"), ("how do people get the shots", None),
    ("can an underactive thyroid cause muscle cramps", "other_condition"), ("baclofen makes me sleepy", "side_effects"), ("what happens in the brain surgery? her botox stopped working", None),
    ("can i drink on it", "alcohol"), ("is a couple of drinks ok with baclofen", "alcohol"),
    ("does drinking more water help my dystonia", "effect"), ("can not drinking enough give you cramps", None),
    ("what's the chance levodopa will actually work for my neck", "success"), ("is clonazapam adictive", "addiction"),
    ("is a massage gun as good as a real massage", "compare"), ("can i take tablets as well as having botox", "combine"),
    ("are muscle spasms a sign of a stroke", "other_condition"), ("will it leave my neck numb", "side_effects"),
    ("is it just saline they inject", "ingredients"), ("what are the sugar water shots for loose ligaments", None),
    ("what exactly is in them", "ingredients"), ("what happens in it", None), ("what were the times in it", None),
    ("are you open on bank holidays", "hours"), ("is the clinic closed over christmas?", "hours"),
    ("do you open on saturdays", "hours"), ("my neck is always stiff on mondays", None),
    ("who wrote it?", "evidence"), ("where was that published", "evidence"), ("is this written for people like me", None),
    ("can I have tablets too", "combine"), ("are there meds that people also take for seizures", None), ("can i get physio as well", "combine"),
    ("how much is prolotherapy", "cost"), ("how much would that set me back", "cost"), ("how much botox is injected", None),
    ("how much calcium should i have a day", None), ("the spasms set me back a lot", None),
    ("it's making me so sleepy", "side_effects"), ("she seems a bit muddled since starting them", "side_effects"),
    ("would she still need the jabs as well", "combine"), ("can i take clonazepam with it", "combine"),
    ("can it mess with your memory", "side_effects"), ("can i take it with my sleeping pills", "other_medicines"), ("is it ok alongside her adhd meds", "other_medicines"),
    ("could that have anything to do with it", "cause"),  # not taking it with something
    ("can you take it with the botox jabs", "combine"), ("number 3 please", None), ("the number of sessions", "sessions"),
    ("should he see someone about it", "who_to_see"), ("whos the right person to see about that", "who_to_see"),
    ("my gp or the neuro", "who_to_see"), ("what other ones are on the list", "alternatives"),
    ("and the other one?", None),
    ("why does she get so tired on it", "side_effects"), ("if i feel off on them what do i do", "side_effects"),
    ("he's been exhausted since starting", "side_effects"), ("i feel tired after work", None),
    ("could it be my diabetes", "other_condition"), ("could it be restless legs", "other_condition"),
    ("is that arthritis then", "other_condition"), ("i have arthritis in my hands", None),
    ("can psych meds trigger it", "cause"), ("do trigger point injections help", None),
    ("what can be done for it", None), ("is the statin doing this", "cause"),
    ("is it his statin", "cause"), ("is it because of her anxiety meds", "cause"), ("could that be it", "cause"),
    ("will my kids get it", "children"), ("should my daughter get tested for it", "children"),
    ("can my kids be tested for the gene", "children"), ("could she pass it on to her children", "children"),
    ("can children get cervical dystonia", "age"), ("my son gets twitches in his eye, is that a spasm", None),
    ("whats the fix for the ligament then", "treatment"), ("then what does fix the ligament", "treatment"),
    ("can they tighten the ligaments back up", "treatment"), ("what about strengthening my core", None),
    ("can u even treat ligaments", "treatment"), ("so what do you do about the ligaments then", "treatment"),
    ("what do i do about it at home", None),
    ("and whats usually behind it", "cause"), ("so whats actually behind it", "root_cause"),
    ("whats the root of it then", "root_cause"), ("does neck botox make it hard to swallow", "side_effects"),
    ("im so tired all the time since, is that from it", "side_effects"), ("tired since the weekend", None),
    ("is it the same stuff they use for wrinkles", "same_as"), ("same as what my grandad took?", "same_as"),
    ("is the dose the same every time", None),
    ("do you have a physio on site", "services"), ("i read on your site that steroids are bad", None),
    ("well what does the clinic recommend", "treatment"), ("what would you suggest then", "treatment"),
    ("which ones", "details"), ("which kind do i have", "details"), ("which one is it then", None),
    ("is it becuase of something i did", "cause"), ("why me", "cause"), ("why do i need it", None),
    ("can it go wrong", "side_effects"), ("when can i get back to playing", "recovery"),
    ("and prolotherapy, is that a one off", "permanent"), ("is that one of the options", None),
    ("who would know that then", "who_to_see"), ("so should i be referring them somewhere", "who_to_see"),
    ("who knows", None),
    # the lemma of "as" is "a": "as good as", "such as" are matched as written, not in "a heat pad good for a ..."
    ("is a heat pad good for a tight dystonia neck", "effect"), ("such a pain, what helps", "treatment"),
    ("is it as good as botox", "compare"), ("treatments such as what", "details"),
    ("is it the same as torticollis", "same_as"), ("is it same like what my dad had", "same_as"),
    # which of two is better, however many words stand between; not whether a thing makes it worse
    ("whats better for his sore back, massage or physio", "compare"), ("which is worse, the op or the jabs", "compare"),
    ("does the cold make it worse or is that in my head", None),
    # "whats better then?" after rest asks for something else, not which of two
    ("whats better then", "alternatives"), ("whats the better option then", "alternatives"),
    # whether a thing is among what was just said, texted without a "does"
    ("twitching counts?", "among_last"), ("so a stiff neck counts as one", "among_last"),
    # a complaint going on for months; not a time long ago in a story, nor an age
    ("and what if its still there by the spring", "persisting"), ("it's been five months of this", "persisting"),
    ("years of it now and nothing works", "persisting"),
    ("what if this drags on", "persisting"), ("i fell off a ladder in my twenties years ago, related?", None),
    ("she is 90 years old, can she have it", None),
    # how it is found out; not which signs a patient should look for
    ("how will we find that out", "finding_out"), ("what are they looking for then", "finding_out"),
    ("should she get assessed", "finding_out"), ("what signs do i look for", None),
    ("so which of the two heals better", "healing"), ("does it heal properly in the end", "healing"),
    ("what makes them happen", "cause"), ("so what made it start", "cause"), ("what makes it easier", None),
    # a thing told, asked as a possible cause
    ("does sweating buckets all shift play a part too", "cause"), ("could that contribute", "cause"),
    # a fix that lasts; not "what can i take long term", which asks for what to take
    ("so what would actually sort it out for good then", "lasting"), ("so what fixes it long term", "lasting"),
    ("how do you fix the primary problem then", "lasting"), ("what can i take long term", "treatment"),
    # why it keeps coming back; not whether it can come back, nor why it flares
    ("why does everything wear off", "returns"), ("why only for a while", "returns"),
    ("physio for months. why doesn't it stick", "returns"), ("can it come back", "recurrence"),
    ("is that why my knee keeps flaring", None),
    ("doing the same poses over and over, could that do it", "cause"), ("could that alone do it", "cause"),
    ("so loose ligaments, why would that do it", None), ("could it be from my job", None),
    # what happens without treatment; not leaving a heat pad on, nor a story of having done nothing
    ("what happens if i leave it", "progression"), ("what if nothing is done about it", "progression"),
    ("what if i do nothing", "progression"), ("can i leave it on all night", None), ("i did nothing wrong", None),
    # who to see, or what to do next
    ("so who should i actually be seeing", "who_to_see"), ("so where should i send them", "who_to_see"),
    ("ok so whats the next step", "who_to_see"),
])
def test_sides_are_read_from_the_words_that_ask_them(make_tracker, text, side):
    """"Take ages" asks no age, "what's the catch" nothing contagious, "shots into sore muscles" no pain; "which
    one is it?" asks which of several applies, not more of the last answer, as "which ones?" does."""
    from actions.reading import reader

    sides = reader().read(make_tracker([("cd_what_is", 0.5)], text)).sides
    assert (sides[0] if sides else None) == side


@pytest.mark.parametrize("text", ["what if it doesnt work for me", "and if it doesn't help?"])
async def test_what_if_a_treatment_does_not_work_asks_what_else_there_is(dispatcher, make_tracker, text):
    """"what if it doesn't work for me?" after Botox: the other treatments for dystonia, not "the articles don't
    say whether Botox helps"."""
    slots = {"topic": "botox", "earlier_topics": ["cervical_dystonia"], "last_answer": "cd_botox_what"}
    ranking = [("followup_evidence", 0.31), ("followup_how_it_works", 0.22), ("ask_capabilities", 0.15)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert message["custom"]["answer_id"] == "cd_treatments"


@pytest.mark.parametrize("slots", [{"topic": "muscle_spasms", "last_answer": "cd_spasm_causes"},
                                   {"topic": "massage", "earlier_topics": ["muscle_spasms"], "last_answer": "ms_massage"}])
async def test_spasms_going_on_for_months_get_when_to_be_checked(dispatcher, make_tracker, slots):
    """"and what if its still there by the spring?" of spasms, or of a treatment for them: the article says spasms
    that go on for months should be checked for joint instability."""
    ranking = [("followup_duration", 0.25), ("out_of_scope", 0.2), ("cd_spasm_warning_signs", 0.15)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "and what if its still there by the spring", slots=slots))
    assert message["custom"]["answer_id"] == "ms_when_evaluated"


@pytest.mark.parametrize("slots, expected", [
    ({"topic": "muscle_spasms", "last_answer": "ms_take_anything"}, "ms_when_evaluated"),
    ({"topic": "cervical_dystonia", "last_answer": "cd_what_is"}, "cd_diagnosis"),
])
async def test_how_it_is_found_out_gets_the_articles_way(dispatcher, make_tracker, slots, expected):
    """"how will we find that out?": for spasms, that the article says they should be evaluated for joint
    instability; for dystonia, that a doctor diagnoses it in a physical examination."""
    ranking = [("cd_spasm_warning_signs", 0.25), ("out_of_scope", 0.2), ("followup_cause", 0.15)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "how will we find that out", slots=slots))
    assert message["custom"]["answer_id"] == expected


async def test_which_heals_faster_after_ligaments_and_muscles_gets_the_blood_supply(dispatcher, make_tracker):
    """"so which of the two heals better" after the difference between ligaments and muscles: the article says
    ligaments heal poorly, having a poor blood supply."""
    slots = {"topic": "joint_instability", "last_answer": "ms_ligaments_vs_muscles"}
    ranking = [("followup_what_about", 0.8), ("followup_cause", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "so which of the two heals better", slots=slots))
    assert message["custom"]["answer_id"] == "ms_blood_supply"


async def test_a_fix_asked_for_a_condition_gets_its_treatment(dispatcher, make_tracker):
    """"then what does fix the ligament" after joint instability: prolotherapy, which repairs them."""
    slots = {"topic": "joint_instability", "last_answer": "ms_joint_instability"}
    ranking = [("ms_ligaments_vs_muscles", 0.34), ("ms_joint_instability", 0.2), ("ms_blood_supply", 0.1)]
    text = "then what does fix the ligament"
    entities = [{"entity": "topic", "value": "ligament", "start": text.index("ligament"), "end": len(text)}]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, entities, slots=slots))
    assert message["custom"]["answer_id"] == "ms_prolotherapy_what"


@pytest.mark.parametrize("text, term, slots, expected", [
    ("i started a new antidepressant last month", "antidepressant",
     {"topic": "muscle_spasms", "last_answer": "cd_spasm_warning_signs"}, "cd_cause_medication"),
    ("i was on antipsychotics for a while, related?", "antipsychotics",
     {"topic": "cervical_dystonia", "last_answer": "cd_causes"}, "cd_causes"),
    ("i was on antipsychotics for a while, related?", "antipsychotics", {}, None),  # no conversation: no condition
])
async def test_a_medicine_named_only_as_a_cause_gets_that_cause_in_a_conversation(
        dispatcher, make_tracker, text, term, slots, expected):
    """Medicines for other conditions are in the articles only as a cause: named after a condition they can cause,
    with the classifier unsure, the turn gets that cause's answer for the condition (knowledge/topics.yml as_cause)."""
    entities = [{"entity": "topic", "value": term, "start": text.index(term), "end": text.index(term) + len(term)}]
    tracker = make_tracker([("describe_symptom", 0.38), ("out_of_scope", 0.37)], text, entities, slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"].get("answer_id") == expected


@pytest.mark.parametrize("slots, text, terms, expected", [
    ({"topic": "muscle_spasms", "last_answer": "cd_spasm_causes"}, "why do they keep coming back though", (),
     "ms_common_treatments"),
    ({}, "got rear ended last year and my neck still seizes up. done a year of physio. why won't it settle",
     ("physio",), "ms_physical_therapy"),
    ({"topic": "massage", "earlier_topics": ["muscle_spasms"], "last_answer": "ms_massage"},
     "why does it keep coming back after", (), "ms_massage"),
])
async def test_why_it_keeps_coming_back_is_why_the_usual_treatments_do_not_last(dispatcher, make_tracker, slots, text,
                                                                                terms, expected):
    """"Why do they keep coming back?" of spasms: the spasm article says the usual treatments give only temporary
    relief (not every cause of spasms again); of physio or massage told or talked about, what it says of that."""
    ranking = [("followup_cause", 0.5), ("cd_spasm_causes", 0.2), ("describe_symptom", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("slots, text, terms, expected", [
    ({"topic": "muscle_spasms", "last_answer": "ms_take_anything"}, "so what would be the long term option", (),
     "ms_prolotherapy_what"),
    ({"topic": "massage", "earlier_topics": ["muscle_spasms"], "last_answer": "ms_massage"},
     "what would sort it out for good then", (), "ms_prolotherapy_what"),
    # of dystonia the article names no lasting fix: what treats it, as before
    ({"topic": "cervical_dystonia", "last_answer": "cd_what_is"}, "so what fixes it long term", (), "cd_treatments"),
    # asked of a treatment named: that treatment's, not what lasts
    ({"topic": "botox", "earlier_topics": ["muscle_spasms"], "last_answer": "cd_botox_what"},
     "and for back spasms, is botox a long-term fix?", ("spasms", "botox"), "ms_take_anything"),
])
async def test_a_fix_that_lasts_is_what_the_spasm_article_says_lasts(dispatcher, make_tracker, slots, text, terms,
                                                                    expected):
    """"So what would be the long term option?" after what to take for spasms: the article says the usual
    treatments give only temporary relief and calls Prolotherapy, for the loose ligaments behind them, the fix."""
    ranking = [("out_of_scope", 0.6), ("ms_take_anything", 0.15), ("followup_treatment", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, terms, expected", [
    ("which minerals matter for cramps", ("minerals", "cramps"), "cd_cause_electrolytes"),
    ("so which pills would they use", ("pills",), "cd_oral_medications"),
    ("which minerals are safe in pregnancy", ("minerals",), None),  # a side asked: the articles don't say
    ("which dystonia is the worst kind", ("dystonia",), None),  # of a condition: not this step
])
async def test_which_of_a_named_thing_gets_the_answer_that_names_them(dispatcher, make_tracker, text, terms, expected):
    """"Which minerals matter for cramps?", where the classifier reads "the articles don't say": the answer on the
    electrolytes, which names potassium, calcium and magnesium."""
    tracker = make_tracker([("ask_not_covered", 0.6), ("cd_cause_nutrition", 0.1)], text, topic_entities(text, *terms))
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"].get("answer_id") == expected


@pytest.mark.parametrize("text, terms, slots, side", [
    ("on my knees all day and my calves lock up with cramp. why", ("cramp",), {}, "cause"),
    ("why?", (), {"topic": "botox", "last_answer": "cd_botox_what"}, "details"),  # the reason of the last answer
    ("a massage helps for a day, then the spasms are back. why", ("massage", "spasms"), {}, "details"),
])
def test_a_bare_why_after_a_first_story_asks_what_causes_it(make_tracker, text, terms, slots, side):
    """A bare "why" asks the reason behind what was just said; in a first message whose story names no treatment,
    what causes the complaint told."""
    from actions.reading import reader

    tracker = make_tracker([("describe_symptom", 0.88)], text, topic_entities(text, *terms), slots=slots)
    assert reader().read(tracker).sides == [side]


@pytest.mark.parametrize("text, terms, returns", [
    ("massage helps for a day then its back again. why", ("massage",), True),
    ("had physio for a month, felt better, then the spasms were back again. why?", ("physio", "spasms"), True),
    ("my back is bad again. why", (), False),  # "back" the body part
    ("its back again. my neck is stiff. why", (), False),  # only the sentence just before the "why"
])
def test_a_bare_why_after_a_story_reads_the_side_of_the_sentence_it_asks_of(make_tracker, text, terms, returns):
    """"massage helps for a day then its back again. why": the "why" asks why it keeps coming back, a side whose
    rule reads the story's last sentence with the "why"."""
    from actions.reading import reader

    tracker = make_tracker([("describe_symptom", 0.88)], text, topic_entities(text, *terms))
    assert ("returns" in reader().read(tracker).sides) is returns


@pytest.mark.parametrize("text, term, slots, expected", [
    ("my neck locks up on night shifts. could it be the repetitive movements", "repetitive", {}, "cd_cause_overuse"),
    ("could it be the repetitive movements", "repetitive", {"topic": "cervical_dystonia", "last_answer": "cd_what_is"},
     None),  # dystonia talked about: the articles don't name overuse as its cause
])
async def test_a_cause_of_one_condition_only_is_its_cause_when_no_condition_is_named(
        dispatcher, make_tracker, text, term, slots, expected):
    """"Could it be the repetitive movements?" in a first message that names no condition: overuse causes only muscle
    spasms in the articles, so its answer as their cause."""
    tracker = make_tracker([("describe_symptom", 0.95)], text, topic_entities(text, term), slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"].get("answer_id") == expected


@pytest.mark.parametrize("text, last_answer, topic, expected", [
    ("why would the muscles spasm though", "ms_spine_instability", "joint_instability", "ms_why_spasms"),
    ("and the cramps, why do they come with it", "ms_joint_instability", "joint_instability", "ms_why_spasms"),
    ("why would the muscles spasm though", "cd_botox_what", "botox", "cd_spasm_causes"),  # botox is no cause
    ("what makes the muscles spasm then", "ms_spine_instability", "joint_instability", "cd_spasm_causes"),  # no "why"
])
async def test_why_a_condition_comes_right_after_one_of_its_causes_is_why_that_cause_brings_it(
        dispatcher, make_tracker, text, last_answer, topic, expected):
    """"Why would the muscles spasm though" after loose ligaments asks why loose ligaments make muscles spasm
    (`explains` in knowledge/topics.yml), not for every cause of spasms, which the classifier reads."""
    term = next(w for w in ("spasm", "cramps") if w in text)
    tracker = make_tracker([("cd_spasm_causes", 0.9), ("ms_why_spasms", 0.05)], text, topic_entities(text, term),
                           slots={"topic": topic, "last_answer": last_answer})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"].get("answer_id") == expected


@pytest.mark.parametrize("text, term", [("what other illnesses do that", "illnesses"),
                                        ("could it be from a disease or something", "disease")])
async def test_an_illness_asked_of_as_a_cause_gets_the_conditions_that_cause_spasms(dispatcher, make_tracker, text, term):
    """After the causes of spasms, "what other illnesses do that?" asks for the medical conditions among them (MS,
    ALS), not the whole list again."""
    entities = [{"entity": "topic", "value": term, "start": text.index(term), "end": text.index(term) + len(term)}]
    slots = {"topic": "muscle_spasms", "last_answer": "cd_spasm_causes"}
    tracker = make_tracker([("followup_cause", 0.6), ("cd_spasm_causes", 0.2)], text, entities, slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_cause_medical_conditions"


@pytest.mark.parametrize("topic, last_answer, kind, answer_id", [
    ("nerve_surgery", "cd_nerve_surgery", "not_covered", None),  # not whether dystonia can be cured
    ("botox", "cd_botox_what", "answer", "cd_botox_frequency"),
])
async def test_a_specific_side_asked_of_it_is_asked_of_what_was_just_said(
        dispatcher, make_tracker, topic, last_answer, kind, answer_id):
    """"is it reversible?" after nerve surgery asks of the surgery; the conversation's condition, which the articles
    answer it for, is not what "it" is."""
    slots = {"topic": topic, "earlier_topics": ["cervical_dystonia"], "last_answer": last_answer}
    tracker = make_tracker([("cd_cure", 0.3), ("followup_side_effects", 0.3)], "is it reversible", slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert (message["custom"]["kind"], message["custom"].get("answer_id")) == (kind, answer_id)


async def test_a_covered_side_in_context_gets_its_answer(dispatcher, make_tracker):
    """"is it hereditary?" after cervical dystonia is about its causes, which the article covers."""
    tracker = make_tracker([("cd_cure", 0.3), ("cd_who_gets_it", 0.2)], "is it hereditary?", slots={"topic": "cervical_dystonia"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_causes"


@pytest.mark.parametrize("text, ranking, topic, last, kind, answer_id", [
    ("is it hereditary?", [("ask_not_covered", 0.93), ("cd_causes", 0.03)], "cervical_dystonia", "cd_what_is",
     "answer", "cd_causes"),
    ("is it hereditary?", [("ask_not_covered", 0.93), ("cd_causes", 0.03)], "joint_instability",
     "ms_joint_instability", "not_covered", None),
    ("so will my kids get it", [("out_of_scope", 0.55)], "cervical_dystonia", "cd_causes", "not_covered", None),
])
async def test_words_of_heredity_decide_over_a_classifier_sure_it_is_not_covered(
        dispatcher, make_tracker, text, ranking, topic, last, kind, answer_id):
    """The classifier, blind to the conversation's topic, is sure "is it hereditary?" is not covered (of joint
    instability it is not): after cervical dystonia it asks about the causes, which name a genetic mutation. Whether
    the patient's children will get it is said not to be covered ("... passes to children")."""
    slots = {"topic": topic, "last_answer": last}
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert (message["custom"]["kind"], message["custom"]["answer_id"]) == (kind, answer_id)
    assert "kids" not in text or "passes to children" in message["text"]


async def test_a_treatment_named_for_the_condition_talked_about_gets_its_answer(dispatcher, make_tracker):
    """"are there pills for it?" after cervical dystonia (the issue's example): the pills for it, not a "did you
    mean" between how dystonia is treated and whether it can be cured."""
    text = "are there pills for it"
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_what_is"}
    ranking = [("followup_treatment", 0.51), ("cd_treatments", 0.1), ("cd_cure", 0.08)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, "pills"), slots))
    assert message["custom"]["answer_id"] == "cd_oral_medications"


async def test_what_to_do_at_home_is_the_home_care_tips(dispatcher, make_tracker):
    """"what can i do about it at home" after cervical dystonia (the issue's example): "at home" is a term of home
    care, so the tips, not the article's list of treatments."""
    text = "what can i do about it at home"
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_what_is"}
    ranking = [("followup_treatment", 0.94), ("cd_treatments", 0.02)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, "at home"), slots))
    assert message["custom"]["answer_id"] == "cd_home_tips"


async def test_a_medicine_for_something_else_named_as_the_cause_gets_the_articles_answer(dispatcher, make_tracker):
    """Statins, antidepressants, heart or blood pressure tablets are medicines the articles name only as a possible
    cause (knowledge/topics.yml, other_medicines): "is it his statin?" with cramps asks whether medicines cause
    them, not for every cause of cramps; "can psychiatric meds cause the neck twisting problem?" asks dystonia's
    causes, not (uncovered) the side effects of those meds; and coming off them is for their doctor."""
    text = "my dad's calves cramp terribly at night, is it his statin"
    entities = topic_entities(text, "cramp", "statin")
    message, _ = await respond(dispatcher, make_tracker([("ask_not_covered", 0.36)], text, entities))
    assert message["custom"]["answer_id"] == "cd_cause_medication"
    dispatcher.messages.clear()
    text = "Can psychiatric meds cause the neck twisting problem?"
    entities = topic_entities(text, "psychiatric meds", "neck twisting")
    message, _ = await respond(dispatcher, make_tracker([("cd_causes", 0.6)], text, entities))
    assert message["custom"]["answer_id"] == "cd_causes"
    dispatcher.messages.clear()
    slots = {"topic": "other_medicines", "earlier_topics": ["muscle_spasms"], "last_answer": "cd_cause_medication"}
    message, _ = await respond(dispatcher, make_tracker([("out_of_scope", 0.48)], "should he come off them", slots=slots))
    assert message["custom"]["kind"] == "refer"


async def test_a_clinic_question_gets_the_clinic_contact(dispatcher, make_tracker):
    text = "how much does botox cost"
    message, _ = await respond(dispatcher, make_tracker([("cd_botox_what", 0.7)], text, [botox_entity(text)]))
    custom = message["custom"]
    assert custom["kind"] == "not_covered" and custom["side"] == "cost" and custom["citations"] == []
    assert custom["contact"]["phone"] and custom["contact"]["phone"] in message["text"]


@pytest.mark.parametrize("text, clinic_side", [
    ("how long is the wait to see a neurologist usually", True),
    ("how long is the wait to see someone", True),
    ("how long should i wait before getting checked", False),  # when to be checked, which the article says
])
async def test_the_wait_for_an_appointment_gets_the_clinic_contact(dispatcher, make_tracker, text, clinic_side):
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_diagnosis"}
    ranking = [("cd_ask_doctor", 0.5), ("ms_when_evaluated", 0.3), ("followup_duration", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert (message["custom"].get("side") == "visit" and bool(message["custom"].get("contact"))) == clinic_side


async def test_a_clinic_question_without_a_topic_gets_the_contact(dispatcher, make_tracker):
    message, _ = await respond(dispatcher, make_tracker([("out_of_scope", 0.9)], "do you have parking"))
    assert message["custom"]["kind"] == "not_covered" and message["custom"]["contact"]
    assert message["buttons"] == []


async def test_the_side_is_read_from_the_question_not_the_story(dispatcher, make_tracker):
    """The story says "safe"; the question asks how often."""
    text = "my neurologist said botox is safe for me. how often would i need it?"
    ranking = [("cd_botox_what", 0.35), ("cd_botox_frequency", 0.3)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, [botox_entity(text)]))
    assert message["custom"]["answer_id"] == "cd_botox_frequency"


async def test_broad_side_words_leave_a_sure_classifier_alone(dispatcher, make_tracker):
    """"how long" also starts questions the table does not route: a confident answer of the same topic stands."""
    text = "how long has botox been used for this"
    message, _ = await respond(dispatcher, make_tracker([("cd_botox_what", 0.8)], text, [botox_entity(text)]))
    assert message["custom"]["answer_id"] == "cd_botox_what"


async def test_a_topic_named_in_a_did_you_mean_turn_is_remembered(dispatcher, make_tracker):
    text = "hmm botox"
    _, events = await respond(dispatcher, make_tracker([("cd_botox_what", 0.3), ("cd_botox_frequency", 0.25)], text, [botox_entity(text)]))
    assert SlotSet("topic", "botox") in events


# ---- follow-ups read in context (actions/followups.py) ------------------------------------------------------
async def test_an_elliptical_turn_is_read_with_the_conversation_topic(dispatcher, make_tracker):
    ranking = [("cd_what_is", 0.3), ("cd_treatments", 0.25)]
    tracker = make_tracker(ranking, "why would a doctor suggest that for the neck?", slots={"topic": "levodopa"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_levodopa"


async def test_a_reading_in_context_the_classifier_reads_otherwise_is_offered_not_given(dispatcher, make_tracker):
    """The classifier reads another answer (from config.OPINION_MIN_CONFIDENCE) and ranks the reading's nowhere
    near it: a guess, so "did you mean", with the reading's answer first and the classifier's among the choices."""
    text = "why would a doctor suggest that for the neck?"
    ranking = [("cd_what_is", 0.45), ("cd_treatments", 0.2), ("cd_causes", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots={"topic": "levodopa"}))
    payloads = [b["payload"] for b in message["buttons"]]
    assert message["custom"]["kind"] == "clarify" and not message["custom"]["citations"]
    assert payloads[0] == "/cd_levodopa" and "/cd_what_is" in payloads
    # where the classifier ranks the reading's answer among its first three, the reading is answered
    dispatcher.messages.clear()
    ranking = [("cd_what_is", 0.45), ("cd_treatments", 0.2), ("cd_levodopa", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots={"topic": "levodopa"}))
    assert message["custom"]["answer_id"] == "cd_levodopa"


async def test_a_reading_of_a_turn_that_does_not_point_back_is_offered_unless_close(dispatcher, make_tracker, monkeypatch):
    """A turn that neither points back nor reads as any answer to the classifier, read in context under
    config.CONTEXT_CLOSE_SIMILARITY: "did you mean"; the same reading of a turn that says "that" is answered, and
    so is a close one."""
    slots = {"topic": "muscle_spasms", "last_answer": "cd_spasm_causes"}
    ranking = [("followup_where", 0.6), ("out_of_scope", 0.2)]
    reading = ("cd_cause_circulation", 0.78, 0.1, "cd_cause_dehydration")
    monkeypatch.setattr(type(followup_reader()), "best", lambda self, *args: reading)
    message, _ = await respond(dispatcher, make_tracker(ranking, "does the cold weather matter much", slots=slots))
    assert message["custom"]["kind"] == "clarify"
    assert [b["payload"] for b in message["buttons"]] == ["/cd_cause_circulation", "/cd_cause_dehydration"]
    dispatcher.messages.clear()
    message, _ = await respond(dispatcher, make_tracker(ranking, "does that matter much", slots=slots))
    assert message["custom"]["answer_id"] == "cd_cause_circulation"
    dispatcher.messages.clear()
    reading = ("cd_cause_circulation", 0.86, 0.1, "cd_cause_dehydration")
    message, _ = await respond(dispatcher, make_tracker(ranking, "does the cold weather matter much", slots=slots))
    assert message["custom"]["answer_id"] == "cd_cause_circulation"


async def test_a_sure_off_topic_question_is_not_read_in_context(dispatcher, make_tracker):
    tracker = make_tracker([("out_of_scope", 0.9)], "is the weather nice today", slots={"topic": "botox"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["kind"] == "fallback"


async def test_a_short_turn_naming_a_topic_asks_about_it(dispatcher, make_tracker):
    text = "and benztropine?"
    entity = {"entity": "topic", "value": "benztropine", "start": 4, "end": 15}
    tracker = make_tracker([("cd_baclofen", 0.3), ("cd_clonazepam", 0.28)], text, [entity], {"topic": "baclofen"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_anticholinergics"


async def test_how_soon_prolotherapy_helps_is_how_long_ligament_repair_takes(dispatcher, make_tracker):
    """The article says prolotherapy works by repairing ligaments, over weeks and months: that answers "how long
    would prolo take to kick in", which is not "the articles don't say"."""
    text = "how long would prolo take to kick in"
    tracker = make_tracker([("ask_not_covered", 0.56), ("ms_prolotherapy_what", 0.2)], text,
                           topic_entities(text, "prolo"), {"topic": "prolotherapy", "last_answer": "ms_prolotherapy_what"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "ms_ligament_repair_time"


async def test_the_first_specific_side_decides_over_a_broad_one(dispatcher, make_tracker):
    """"how long ... start working" asks when it starts to work (not covered), not how long it lasts (covered)."""
    text = "how long after the injection does botox start working"
    message, _ = await respond(dispatcher, make_tracker([("cd_botox_frequency", 0.6)], text, [botox_entity(text)]))
    assert message["custom"]["kind"] == "not_covered" and message["custom"]["side"] == "onset"


async def test_heredity_is_covered_for_dystonia_only(dispatcher, make_tracker):
    tracker = make_tracker([("ms_progression", 0.5)], "does it run in families?", slots={"topic": "joint_instability"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["kind"] == "not_covered" and message["custom"]["side"] == "heredity"


async def test_a_side_joining_two_topics_looks_at_the_conversation_too(dispatcher, make_tracker):
    text = "can i keep seeing my physio while having it"
    entity = {"entity": "topic", "value": "physio", "start": text.index("physio"), "end": text.index("physio") + 6}
    tracker = make_tracker([("ms_physical_therapy", 0.3)], text, [entity], {"topic": "prolotherapy"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "ms_prolotherapy_with_therapy"


async def test_a_question_the_articles_do_not_answer_says_so_about_its_topic(kb, dispatcher, make_tracker):
    tracker = make_tracker([("ask_not_covered", 0.8)], "will it leave a mark on my skin", slots={"topic": "botox"})
    message, _ = await respond(dispatcher, tracker)
    custom = message["custom"]
    assert custom["kind"] == "not_covered" and custom["side"] == "other" and custom["topic"] == "botox"
    assert message["text"].startswith("Our articles don't say that about Botox (Xeomin) injections.")
    assert {b["payload"] for b in message["buttons"]} <= {f"/{a}" for a in kb.topic_answers("botox")}


async def test_without_a_topic_it_says_so_and_offers_starter_questions(kb, dispatcher, make_tracker):
    message, _ = await respond(dispatcher, make_tracker([("ask_not_covered", 0.8)], "does it stop working"))
    assert message["text"].startswith("Our articles don't say that.") and message["buttons"]


async def test_a_red_flag_also_gets_the_numbers_of_what_a_rule_half_recognised(dispatcher, make_tracker):
    text = "I lost count and took my baclofen about five times today, now I'm slurring"
    message, _ = await respond(dispatcher, make_tracker([("cd_baclofen", 0.9)], text))
    custom = message["custom"]
    assert custom["kind"] == "emergency" and custom["categories"] == ["stroke"]
    assert "Poison Control" in [c["label"] for c in custom["contacts"]]


async def test_the_second_net_gives_the_numbers_of_what_a_rule_half_recognised(dispatcher, make_tracker):
    """The classifier's catch, corroborated by a serious sign; a poisoning rule matched in part (a medicine
    taken), so Poison Control is given too."""
    text = "I kept losing count and took my pills again and again today, now i feel really weird and wobbly"
    message, _ = await respond(dispatcher, make_tracker([("emergency", 0.9)], text))
    custom = message["custom"]
    assert custom["kind"] == "emergency" and custom["categories"] == ["poisoning", "intentional_overdose"]
    assert "Poison Control" in [c["label"] for c in custom["contacts"]]


async def test_a_message_the_classifier_gave_no_intent_still_gets_a_reply(dispatcher, make_tracker):
    message, _ = await respond(dispatcher, make_tracker([(None, None)], "😀"))
    assert message["custom"]["kind"] == "fallback"


async def test_a_symptom_told_with_a_question_gets_the_question_answered(dispatcher, make_tracker):
    text = "my neck is a bit stiff and sore today. how often do people get the shots?"
    tracker = make_tracker([("describe_symptom", 0.7), ("cd_botox_frequency", 0.2)], text, slots={"topic": "botox"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_botox_frequency"


async def test_a_cause_asked_after_a_treatment_is_the_cause_of_the_condition_it_treats(dispatcher, make_tracker):
    slots = {"topic": "massage", "last_answer": "ms_massage"}
    tracker = make_tracker([("followup_cause", 0.62), ("followup_evidence", 0.2)], "so what's causing it then?", slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "ms_joint_instability"  # joint instability, what massage treats here


async def test_a_side_both_articles_cover_is_answered_from_the_conversation_s_article(kb, dispatcher, make_tracker):
    assert kb.followup("muscle_spasms", "cause", "ms_joint_instability") == "ms_why_spasms"
    assert kb.followup("muscle_spasms", "cause", "cd_botox_what") == kb.followup("muscle_spasms", "cause") == "cd_spasm_causes"


async def test_a_turn_naming_no_topic_leans_to_the_conversation_s_article(dispatcher, make_tracker):
    ranking = [("cd_early_signs", 0.5), ("ms_progression", 0.45), ("greet", 0.05)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "and then what", slots={"last_answer": "ms_rest"}))
    assert message["custom"]["answer_id"] == "ms_progression"  # without the lean: a "did you mean"


async def test_an_unsure_best_answer_of_the_topic_named_is_given(dispatcher, make_tracker):
    entities = topic_entity("tablets")
    ranking = [("followup_what_about", 0.3), ("cd_oral_medications", 0.3), ("cd_baclofen", 0.2)]
    tracker = make_tracker(ranking, "going back to the tablets, what are they", entities, {"topic": "botox"})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_oral_medications"


@pytest.mark.parametrize("previous, expected", [("ms_joint_instability", "ms_why_spasms"), (None, "cd_spasm_causes")])
async def test_a_side_is_answered_from_the_conversation_s_article_over_the_classifier(
    dispatcher, make_tracker, previous, expected
):
    ranking = [("cd_spasm_causes", 0.72), ("cd_cause_medical_conditions", 0.09), ("ms_why_spasms", 0.06)]
    tracker = make_tracker(ranking, "why does that cause spasms?", topic_entity("spasms"), {"last_answer": previous})
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == expected


async def test_an_appointment_in_the_story_is_no_request_for_one(dispatcher, make_tracker):
    text = "My dad has an appointment with a neurologist next week. How do they usually diagnose dystonia?"
    dystonia = [{"entity": "topic", "value": "dystonia", "start": 87, "end": 95}]
    message, _ = await respond(dispatcher, make_tracker([("cd_diagnosis", 0.9)], text, entities=dystonia))
    assert message["custom"]["answer_id"] == "cd_diagnosis"
    request = "My neck is bad again. Can I get an appointment this week?"
    message, _ = await respond(CollectingDispatcher(), make_tracker([("request_human", 0.6)], request))
    assert message["custom"]["kind"] == "handoff"


@pytest.mark.parametrize("runner_up, kind", [(0.47, "clarify"), (0.30, "answer")])
async def test_the_best_answer_must_lead_the_runner_up_by_the_margin(dispatcher, make_tracker, runner_up, kind):
    """Sure enough without a term (0.55, config.ANSWER_MIN_CONFIDENCE_WITHOUT_TERM 0.50) but only 0.08 ahead of
    the runner-up is ambiguous: "did you mean"; 0.25 ahead, the answer (config.ANSWER_MIN_MARGIN 0.10)."""
    ranking = [("cd_botox_frequency", 0.55), ("cd_botox_what", runner_up)]
    tracker = make_tracker(ranking, "what should i know about that treatment")
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["kind"] == kind


@pytest.mark.parametrize("confidence, expected", [
    (config.SURE_CONFIDENCE, "cd_cause_medication"), (config.OVER_A_SIDE_CONFIDENCE, "cd_cause_medication"),
    (config.OVER_A_SIDE_CONFIDENCE - 0.1, "cd_medication_side_effects"),
])
async def test_a_sure_classifier_decides_over_the_answer_a_side_leads_to(dispatcher, make_tracker, confidence, expected):
    """ "Side effect" leads to the tablets' side effects; a classifier sure that the question asks what causes
    cramps decides (from OVER_A_SIDE_CONFIDENCE in the conversation's article). Below, the side's answer stands."""
    text = "can tablets give you muscle cramps as a side effect"
    tablets = [{"entity": "topic", "value": "tablets", "start": 4, "end": 11}]
    ranking = [("cd_cause_medication", confidence), ("cd_medication_side_effects", 0.02)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, entities=tablets))
    assert message["custom"]["answer_id"] == expected


async def test_a_leaning_classifier_decides_over_a_side_only_in_the_conversations_article(dispatcher, make_tracker):
    """ "Something else" reads as asking for other treatments; a classifier from OVER_A_SIDE_CONFIDENCE on when to be
    evaluated, an answer of the conversation's article, decides. From the other article it does not."""
    slots = {"topic": "trigger_point_injections", "last_answer": "ms_trigger_point_injections"}
    ranking = [("ms_when_evaluated", 0.75), ("ms_prolotherapy_what", 0.05)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "should he be checked for something else", slots=slots))
    assert message["custom"]["answer_id"] == "ms_when_evaluated"
    dispatcher.messages.clear()
    ranking = [("cd_ask_doctor", 0.75), ("ms_prolotherapy_what", 0.05)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "should he be checked for something else", slots=slots))
    assert message["custom"]["answer_id"] != "cd_ask_doctor"


async def test_a_sure_classifier_never_turns_not_covered_into_the_general_answer(dispatcher, make_tracker):
    botox = [{"entity": "topic", "value": "botox", "start": 3, "end": 8}]
    message, _ = await respond(dispatcher, make_tracker([("cd_botox_what", 0.99)], "is botox safe", entities=botox))
    assert message["custom"]["kind"] == "not_covered" and message["custom"]["side"] == "safety"


async def test_a_long_conversation_goes_on_in_a_new_session_with_what_it_needs(dispatcher, make_tracker):
    """At MAX_SESSION_TURNS a new session starts behind the reply: the slots, this reply's buttons and the
    answers given are carried into it, so follow-ups, the `/` rule and votes go on."""
    earlier = {"event": "bot", "text": "...", "data": {"custom": {"kind": "answer", "answer_id": "cd_cure"}}}
    turns = [{"event": "user", "text": "hi"}, earlier] * config.MAX_SESSION_TURNS
    slots = {"topic": "botox", "last_answer": "cd_cure", "earlier_topics": ["cervical_dystonia"]}
    tracker = make_tracker([("cd_botox_frequency", 0.9)], "how often do i need botox", slots=slots)
    tracker.events = turns
    message, events = await respond(dispatcher, tracker)
    start = events.index(SessionStarted())
    carried = {e["name"]: e["value"] for e in events[start:] if e["event"] == "slot"}
    assert carried["last_answer"] == "cd_botox_frequency" and carried["topic"] == "botox"
    assert carried["earlier_topics"] == ["cervical_dystonia"] and carried["disclaimer_said"] is True
    assert carried["given_answers"] == ["cd_cure", "cd_botox_frequency"]
    assert carried["offered_payloads"] == [s["payload"] for s in message["custom"]["suggestions"]]
    tracker.events = turns[2:]  # one turn fewer: the session goes on
    assert SessionStarted() not in (await ActionRespond().run(CollectingDispatcher(), tracker, domain={}))


async def test_a_turn_pointing_back_is_about_the_conversations_topic(dispatcher, make_tracker):
    """"how does that stop the spasms?" after deep brain stimulation: "that" is the operation, although the
    classifier, misled by "spasms", leans to what causes spasms (short of sure: a sure one decides, see
    test_a_sure_classifier_decides_over_a_reading_of_what_the_turn_points_back_at)."""
    text = "how does that stop the spasms?"
    entities = [{"entity": "topic", "value": "spasms", "start": 24, "end": 30}]
    slots = {"topic": "deep_brain_stimulation", "last_answer": "cd_dbs_what"}
    ranking = [("cd_spasm_causes", 0.75), ("cd_dbs_how", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, entities, slots))
    assert message["custom"]["answer_id"] == "cd_dbs_how"
    # the same words without a conversation: the classifier decides
    dispatcher.messages.clear()
    message, _ = await respond(dispatcher, make_tracker(ranking, text, entities))
    assert message["custom"]["answer_id"] == "cd_spasm_causes"


async def test_asking_for_another_one_never_repeats_the_answer_just_given(dispatcher, make_tracker):
    ranking = [("cd_dbs_what", 0.5), ("cd_nerve_surgery", 0.45), ("cd_treatments", 0.02)]
    slots = {"topic": "deep_brain_stimulation", "last_answer": "cd_dbs_what"}
    tracker = make_tracker(ranking, "is there another kind of surgery?", slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_nerve_surgery"


async def test_another_name_is_no_other_thing(dispatcher, make_tracker):
    """"whats the other name" right after the other names of dystonia asks for them again, not for another answer."""
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_other_name"}
    for text in ("whats the other name", "what was the other word for it again"):
        message, _ = await respond(dispatcher, make_tracker([("cd_other_name", 0.9), ("cd_what_is", 0.05)], text, slots=slots))
        assert message["custom"]["answer_id"] == "cd_other_name", text
        dispatcher.messages.clear()


async def test_a_treatment_asked_of_a_condition_the_articles_never_name_is_not_covered(dispatcher, make_tracker):
    text = "does prolotherapy work for tennis elbow?"
    entities = [{"entity": "topic", "value": "prolotherapy", "start": 5, "end": 17}]
    message, _ = await respond(dispatcher, make_tracker([("ms_prolotherapy_what", 0.9)], text, entities))
    assert message["custom"]["kind"] == "not_covered" and message["custom"]["side"] == "other_condition"
    assert "Prolotherapy and that condition" in message["text"]
    # named in a story, the condition does not change the question
    dispatcher.messages.clear()
    text = "I have arthritis in my hands. What is prolotherapy?"
    entities = [{"entity": "topic", "value": "prolotherapy", "start": 38, "end": 50}]
    message, _ = await respond(dispatcher, make_tracker([("ms_prolotherapy_what", 0.9)], text, entities))
    assert message["custom"]["answer_id"] == "ms_prolotherapy_what"


async def test_a_follow_up_and_the_answer_it_means_here_are_one_reading(dispatcher, make_tracker):
    """"can i take pills with it?" after Botox: the classifier splits between "combine it with something" (0.50)
    and pills with Botox (0.45), two readings of one question: together they answer it. After prolotherapy
    the follow-up means combining prolotherapy, so the two are no longer one reading."""
    ranking = [("followup_combine", 0.50), ("cd_botox_with_pills", 0.45), ("cd_cause_medication", 0.02)]
    pills = [{"entity": "topic", "value": "pills", "start": 11, "end": 16}]
    slots = {"topic": "botox", "last_answer": "cd_botox_frequency"}
    message, _ = await respond(dispatcher, make_tracker(ranking, "can i take pills with it?", pills, slots))
    assert message["custom"]["answer_id"] == "cd_botox_with_pills"
    dispatcher.messages.clear()
    slots = {"topic": "prolotherapy", "last_answer": "ms_prolotherapy_what"}
    message, _ = await respond(dispatcher, make_tracker(ranking, "can i do both together?", slots=slots))
    assert message["custom"]["answer_id"] != "cd_botox_with_pills"


@pytest.mark.parametrize("text, expected", [
    ("ok, and what is the second one?", "cd_oral_medications"),
    ("tell me about the last one", "cd_physical_therapy"),
    ("the first one please", "cd_botox_what"),
    ("number 3 please", "cd_dbs_what"),
    ("option two?", "cd_oral_medications"),
    ("#1", "cd_botox_what"),
    ("first one?", "cd_botox_what"), ("and 3rd one sounds intense", "cd_dbs_what"),  # without "the", at the start
])
async def test_a_thing_the_last_answer_listed_is_found_by_its_place(dispatcher, make_tracker, text, expected):
    """After the list of treatments, "the second one" is the second the answer names (`items` in answers.yml),
    whatever the classifier makes of the words."""
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_treatments"}
    message, _ = await respond(dispatcher, make_tracker([("cd_what_is", 0.9)], text, slots=slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, expected", [
    ("what was the third one?", "cd_cause_electrolytes"),
    ("tell me more about the last one", "cd_cause_nutrition"),
    ("the 5th one", "cd_cause_muscle_injury"),  # a list of nine: every place up to the ninth
    ("and number 7?", "cd_cause_medical_conditions"),
    ("and 9", "cd_cause_nutrition"), ("3?", "cd_cause_electrolytes"),  # a number alone after a list
])
async def test_a_cause_the_causes_of_cramps_listed_is_found_by_its_place(dispatcher, make_tracker, text, expected):
    """The causes of muscle spasms are a list too (`items`, in the order the answer names them): "the third one"
    is low electrolytes."""
    slots = {"topic": "muscle_spasms", "last_answer": "cd_spasm_causes"}
    message, _ = await respond(dispatcher, make_tracker([("cd_spasm_causes", 0.5)], text, slots=slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text", ["first, how long does botox last", "the first time i had it, it hurt"])
async def test_a_place_word_that_points_at_no_thing_of_the_list_is_read_as_it_is(dispatcher, make_tracker, text):
    """"first" without "the" points into the list only at the start and before "one": not "first, ..." nor "the
    first time"."""
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_treatments"}
    message, _ = await respond(dispatcher, make_tracker([("cd_botox_frequency", 0.95)], text, slots=slots))
    assert message["custom"]["answer_id"] == "cd_botox_frequency"


@pytest.mark.parametrize("text, expected", [
    ("go on then, the one about eating", "cd_tip_hydration_diet"),
    ("and the heat pad one?", "cd_tip_heat"),
    ("what did it say in the stress one", "cd_tip_stress"),
])
async def test_a_thing_the_last_answer_listed_is_found_by_its_words(dispatcher, make_tracker, text, expected):
    """After the home tips, "the one about eating" is the tip whose phrasings it reads clearly closest to,
    whatever the classifier makes of the words (here it is unsure, and would offer "did you mean")."""
    slots = {"topic": "home_care", "last_answer": "cd_home_tips"}
    message, _ = await respond(dispatcher, make_tracker([("out_of_scope", 0.4), ("cd_what_is", 0.2)], text, slots=slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, expected", [
    ("the medical conditions one worries me. which ones", "cd_cause_medical_conditions"),
    ("the medical conditions worry me. which ones", "cd_spasm_causes"),  # no thing pointed at: more of the list
])
async def test_a_story_can_point_at_the_thing_of_the_list_its_question_asks_about(dispatcher, make_tracker, text,
                                                                                    expected):
    """After the causes of spasms, "the medical conditions one worries me. which ones" asks which conditions: the
    story points at the thing of the list ("the ... one") and the question, naming nothing, asks about it."""
    slots = {"topic": "muscle_spasms", "last_answer": "cd_spasm_causes"}
    ranking = [("followup_side_effects", 0.4), ("cd_cause_medical_conditions", 0.3), ("ask_not_covered", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, expected", [
    ("ok and the other parkinsons type one?", "cd_anticholinergics"),
    ("the other one on that list, tri-something?", "cd_anticholinergics"),
    ("and the other one?", None),  # another, not described: the rest of the ladder
])
async def test_another_thing_of_the_list_the_last_answer_is_on_is_found_by_its_words(dispatcher, make_tracker, text,
                                                                                        expected):
    """After levodopa, one of the medicines for dystonia, "the other parkinsons type one" is the other medicine of
    that list the words read clearly closest to: the anticholinergics, also used in Parkinson's."""
    slots = {"topic": "levodopa", "last_answer": "cd_levodopa"}
    ranking = [("ask_not_covered", 0.6), ("cd_levodopa", 0.2), ("followup_what_about", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert (message["custom"]["answer_id"] == "cd_anticholinergics") is (expected is not None)


@pytest.mark.parametrize("last_answer, text, expected", [
    ("cd_anticholinergics", "and the one they use for seizures", "cd_clonazepam"),
    ("cd_baclofen", "what does the other one do, the one for seizures", "cd_clonazepam"),
    ("cd_oral_medications", "which one is also for panic attacks", "cd_clonazepam"),
    ("cd_oral_medications", "whats the one that calms the nervous system", "cd_clonazepam"),
    ("cd_oral_medications", "which one works best", None),  # a comparison no one thing's answer makes
    ("cd_oral_medications", "which one is the parkinsons one", None),  # two of them say Parkinson's
    ("cd_oral_medications", "is botox the one for seizures", None),  # asks of Botox
])
async def test_a_thing_of_the_list_is_picked_by_what_its_answer_says_it_does(dispatcher, make_tracker, last_answer,
                                                                             text, expected):
    """"the one they use for seizures" after the medicines for dystonia (or one of them) is clonazepam, the one
    thing of that list whose answer says seizures; not where the words ask which is best or fit two things."""
    slots = {"topic": "oral_medications", "last_answer": last_answer}
    ranking = [("ask_not_covered", 0.6), ("cd_oral_medications", 0.2), ("followup_what_about", 0.1)]
    entities = topic_entities(text, "botox") if "botox" in text else None
    message, _ = await respond(dispatcher, make_tracker(ranking, text, entities, slots))
    assert (message["custom"]["answer_id"] == "cd_clonazepam") is (expected is not None)


async def test_a_listed_thing_told_by_its_words_is_no_symptom_told(dispatcher, make_tracker):
    """"the moving one, i struggle to move much with my hips" after the home tips points at the stretching tip,
    though the classifier is sure a symptom is told (which would get "what would you like to know")."""
    slots = {"topic": "home_care", "last_answer": "cd_home_tips"}
    tracker = make_tracker([("describe_symptom", 0.95), ("cd_tip_stretching", 0.04)],
                           "the moving one, i struggle to move much with my hips", slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_tip_stretching"


async def test_the_other_one_or_one_no_listed_thing_reads_closest_to_is_not_told_by_its_words(kb, dispatcher, make_tracker):
    reader = ActionRespond().reader
    assert reader.listed_item("and the other one?", "cd_home_tips") is None  # asks for another: not a described one
    # "the injections one" after the treatments reads as close to the pills as to Botox: no guess
    assert reader.listed_item("the injections one", "cd_treatments") is None
    assert reader.listed_item("the one about eating", None) is None  # no list open


async def test_a_place_in_time_is_no_thing_listed(dispatcher, make_tracker):
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_treatments"}
    tracker = make_tracker([("cd_early_signs", 0.9)], "what did people notice the first time?", slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_early_signs"


async def test_going_through_a_list_keeps_counting_in_it(dispatcher, make_tracker):
    """"tell me about the second one" after the treatments, then "and the last one?": the last treatment,
    not the last of the medications the second one listed."""
    slots = {"topic": "oral_medications", "last_answer": "cd_oral_medications", "listing": "cd_treatments"}
    message, events = await respond(dispatcher, make_tracker([("cd_what_is", 0.9)], "and the last one?", slots=slots))
    assert message["custom"]["answer_id"] == "cd_physical_therapy"
    assert {"event": "slot", "timestamp": None, "name": "listing", "value": "cd_treatments"} in events
    dispatcher.messages.clear()
    slots = {"topic": "oral_medications", "last_answer": "cd_oral_medications"}
    message, _ = await respond(dispatcher, make_tracker([("cd_what_is", 0.9)], "and the last one?", slots=slots))
    assert message["custom"]["answer_id"] == "cd_clonazepam"


async def test_a_place_after_an_answer_that_listed_nothing_counts_in_the_latest_list(dispatcher, make_tracker):
    """"ok whats the third option" after the treatments and then a question of age: the third treatment."""
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_who_gets_it", "listing": "cd_treatments"}
    ranking = [("followup_what_about", 0.8), ("cd_ask_doctor", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "ok whats the third option", slots=slots))
    assert message["custom"]["answer_id"] == "cd_dbs_what"


async def test_asking_for_another_one_means_another_treatment_than_the_conversations(dispatcher, make_tracker):
    """After what deep brain stimulation is and how it works, "any other kind of operation?" is not deep brain
    stimulation again, whichever of its answers was the last."""
    ranking = [("cd_dbs_what", 0.5), ("cd_nerve_surgery", 0.45), ("cd_treatments", 0.02)]
    slots = {"topic": "deep_brain_stimulation", "last_answer": "cd_dbs_how"}
    tracker = make_tracker(ranking, "is there any other kind of operation", slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_nerve_surgery"
    # "any other tips?" after heat: all the tips, the answer that lists them, is still open
    dispatcher.messages.clear()
    slots = {"topic": "home_care", "last_answer": "cd_tip_heat"}
    message, _ = await respond(dispatcher, make_tracker([("cd_home_tips", 0.8)], "any other tips?", slots=slots))
    assert message["custom"]["answer_id"] == "cd_home_tips"


@pytest.mark.parametrize("text, points_back", [
    ("is there any other kind of operation", False), ("are there other options?", False),
    ("why there?", True), ("does it hurt there", True), ("how long does that last", True),
    # a relative "that" points back at nothing; "that" after a verb or before "is" does
    ("which treatments have people tried that dont last", False), ("anything in my diet that might be lacking?", False),
    ("is that why it doesnt last", True), ("does that help", True), ("so that can't be fixed?", True),
])
def test_an_existential_there_points_back_at_nothing(make_tracker, text, points_back):
    from actions.reading import reader

    slots = {"topic": "deep_brain_stimulation", "last_answer": "cd_dbs_how"}
    assert reader().read(make_tracker([("cd_nerve_surgery", 0.5)], text, slots=slots)).points_back is points_back


@pytest.mark.parametrize("text, echo", [
    ("a symptom of what?", True), ("protecting it from what though", True), ("and the botox, from where?", True),
    ("what is it", False), ("how long does that last?", False), ("where mostly?", False),
    ("so the muscles are protecting the joint from what exactly then", False),  # too long to echo
])
def test_an_echo_question_leaves_its_question_word_at_the_end(make_tracker, text, echo):
    from actions.reading import reader

    slots = {"topic": "joint_instability", "last_answer": "ms_why_spasms"}
    assert reader().read(make_tracker([("followup_cause", 0.5)], text, slots=slots)).echo is echo


@pytest.mark.parametrize("text, last_answer, expected", [
    ("a symptom of what?", "ms_muscle_pain_symptom", "ms_muscle_pain_symptom"),  # the answer says "symptom"
    ("protecting it from what", "ms_why_spasms", "ms_why_spasms"),
    ("a symptom of what?", "ms_why_spasms", "cd_spasm_warning_signs"),  # it does not: the rest of the ladder
])
async def test_an_echo_of_the_last_answer_asks_for_more_of_it(dispatcher, make_tracker, text, last_answer, expected):
    """A question word left at the end echoes what was just said: the last answer again, with its passages,
    when it says every word the echo repeats."""
    slots = {"topic": "muscle_spasms", "earlier_topics": ["joint_instability"], "last_answer": last_answer}
    ranking = [("cd_spasm_warning_signs", 0.55), ("followup_treatment", 0.11)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, last_answer, expected", [
    ("is a towel a must", "cd_tip_heat", "cd_tip_heat"),  # only the heat tip says "towel"
    ("mainly the legs then?", "cd_cause_circulation", "cd_cause_circulation"),
    ("how many minutes exactly", "cd_tip_heat", None),  # an amount the answer does not give
    ("is a towel a must", "cd_cause_circulation", None),  # the last answer says no such word
    ("legs or the towel?", "cd_tip_heat", None),  # "legs" is another answer's word
])
async def test_a_word_only_the_last_answer_says_asks_for_it_again(dispatcher, make_tracker, text, last_answer,
                                                                   expected):
    """A short follow-up about a word that only the last answer says gets that answer again, over a classifier
    that reads a question the articles don't answer."""
    slots = {"topic": "heat", "last_answer": last_answer}
    ranking = [("ask_not_covered", 0.6), ("cd_tip_heat", 0.2), ("followup_treatment", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, terms, expected", [
    ("can i doze off with the heat pad on", ("heat pad",), "cd_tip_heat"),  # heat lists the tip as its own
    ("can i doze off with the heat pad on after botox", ("heat pad", "botox"), None),  # Botox is another topic
])
async def test_a_word_only_the_last_answer_says_may_come_with_its_own_topic(dispatcher, make_tracker, text, terms,
                                                                             expected):
    slots = {"topic": "heat", "earlier_topics": ["home_care"], "last_answer": "cd_tip_heat"}
    ranking = [("ask_not_covered", 0.6), ("cd_tip_heat", 0.2), ("followup_treatment", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, slots, expected", [
    ("ok and what else can I do", {"topic": "home_care", "last_answer": "cd_tip_stress"}, "cd_home_tips"),
    ("what are the other options", {"topic": "baclofen", "last_answer": "cd_baclofen"}, "cd_oral_medications"),
    ("ok and the other ones on that list?", {"topic": "clonazepam", "last_answer": "cd_clonazepam"}, "cd_oral_medications"),
    ("is there something longer lasting", {"topic": "trigger_point_injections",
                                           "last_answer": "ms_trigger_point_injections"}, "ms_prolotherapy_what"),
    # the tips were the last answer: what else there is for the condition they help with
    ("what else can I do?", {"topic": "home_care", "last_answer": "cd_home_tips"}, "cd_treatments"),
])
async def test_what_else_leads_past_what_was_just_said(dispatcher, make_tracker, text, slots, expected):
    """"What else can I do?" after a treatment: what its article offers besides it (`alternatives` in
    knowledge/topics.yml), whatever the classifier makes of the words ("what else can I do" is also what the
    assistant can do), never the answer just given."""
    message, _ = await respond(dispatcher, make_tracker([("ask_capabilities", 0.92)], text, slots=slots))
    assert message["custom"]["answer_id"] == expected


async def test_what_else_needs_a_conversation_and_a_question_naming_nothing(dispatcher, make_tracker):
    # "what about lidocaine shots instead?" after massage asks about lidocaine shots
    text = "what about lidocaine shots instead?"
    lidocaine = topic_entities(text, "lidocaine")
    slots = {"topic": "massage", "last_answer": "ms_massage"}
    tracker = make_tracker([("ms_trigger_point_injections", 0.6), ("ms_prolotherapy_what", 0.2)], text, lidocaine, slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "ms_trigger_point_injections"
    # a first message: a story's topic is nothing "else" is measured against
    dispatcher.messages.clear()
    text = "the physio suggested yoga for my dystonia. what else can i do at home"
    physio = topic_entities(text, "physio")
    message, _ = await respond(dispatcher, make_tracker([("cd_home_tips", 0.7)], text, physio))
    assert message["custom"]["answer_id"] == "cd_home_tips"


async def test_pointing_back_also_reads_the_topic_the_question_names(dispatcher, make_tracker):
    """"why would loose ligaments do that?" after massage: "that" is read with massage and with the ligaments
    the question names, and the closer reading wins; it is not massage's answer again."""
    text = "why would loose ligaments do that"
    ligaments = topic_entities(text, "loose ligaments")
    slots = {"topic": "massage", "last_answer": "ms_massage"}
    message, _ = await respond(dispatcher, make_tracker([("ms_massage", 0.5), ("ms_why_spasms", 0.3)], text, ligaments, slots))
    assert message["custom"]["answer_id"] != "ms_massage"
    assert message["custom"]["answer_id"].startswith("ms_")


async def test_what_a_treatment_does_for_spasms_is_answered_where_the_article_says_it(dispatcher, make_tracker):
    """"does ice help muscle spasms?": the article lists ice among the usual treatments that help only for a
    while (`effect` in knowledge/topics.yml), though the classifier, which never learnt that ice is covered,
    calls it a question the articles don't answer. What they don't say stays not covered."""
    text = "does ice help muscle spasms"
    entities = topic_entities(text, "ice", "muscle spasms")
    ranking = [("ask_not_covered", 0.70), ("ms_common_treatments", 0.06)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, entities))
    assert message["custom"]["answer_id"] == "ms_common_treatments"
    # a lay word of the same topic that the articles never use: not answered as if they spoke of it
    dispatcher.messages.clear()
    text = "can a tens unit help my back pain"
    entities = topic_entities(text, "tens unit")
    message, _ = await respond(dispatcher, make_tracker([("out_of_scope", 0.6), ("ms_common_treatments", 0.1)], text, entities))
    assert message["custom"]["citations"] == []
    dispatcher.messages.clear()
    text = "does massage help with anxiety"
    entities = topic_entities(text, "massage")
    message, _ = await respond(dispatcher, make_tracker([("ask_not_covered", 0.7), ("ms_massage", 0.2)], text, entities))
    assert message["custom"]["kind"] == "not_covered"


async def test_the_real_cause_of_spasms_is_the_articles_root_cause(dispatcher, make_tracker):
    """"What do they say the real cause is then?" after massage only helping for a while: the joint instability
    the article puts behind the spasms (`root_cause`), not how loose ligaments make muscles spasm."""
    slots = {"topic": "muscle_spasms", "last_answer": "ms_common_treatments"}
    ranking = [("ms_why_spasms", 0.45), ("ms_joint_instability", 0.25)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "what do they say the real cause is then?", slots=slots))
    assert message["custom"]["answer_id"] == "ms_joint_instability"
    # "why does that cause spasms?" after joint instability still asks how
    dispatcher.messages.clear()
    text = "why does that cause spasms?"
    spasms = topic_entities(text, "spasms")
    slots = {"topic": "joint_instability", "last_answer": "ms_joint_instability"}
    message, _ = await respond(dispatcher, make_tracker([("ms_why_spasms", 0.6)], text, spasms, slots))
    assert message["custom"]["answer_id"] == "ms_why_spasms"


async def test_the_root_cause_of_spasms_after_the_other_article_is_still_joint_instability(dispatcher, make_tracker):
    """"whats the root of it then" after how long Botox lasts (the dystonia article): "root" is the muscle spasm
    article's word for the joint instability behind spasms, not the everyday causes the dystonia article lists."""
    slots = {"topic": "muscle_spasms", "earlier_topics": ["botox"], "last_answer": "cd_botox_frequency"}
    ranking = [("followup_cause", 0.6), ("cd_spasm_causes", 0.1), ("ms_joint_instability", 0.1), ("cd_causes", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "whats the root of it then", slots=slots))
    assert message["custom"]["answer_id"] == "ms_joint_instability"


@pytest.mark.parametrize("text, slots, ranking, topic, expected", [
    # the named topic's answer says "wrinkles": what Botox does, not "not covered"
    ("is the botox for necks the same stuff as for wrinkles", {}, [("ask_not_covered", 0.8)], "botox", "cd_botox_what"),
    # the last answer says "Parkinson's"
    ("is it the same as what my grandad took for parkinsons", {"topic": "levodopa", "last_answer": "cd_levodopa"},
     [("ask_not_covered", 0.87)], None, "cd_levodopa"),
    ("my sister takes that for panic attacks, same stuff?", {"topic": "clonazepam", "last_answer": "cd_clonazepam"},
     [("ask_not_covered", 0.74)], None, "cd_clonazepam"),
    # nothing of ours names Dysport: the articles don't say
    ("is it the same as dysport", {"topic": "botox", "last_answer": "cd_botox_what"}, [("ask_not_covered", 0.9)], None,
     None),
])
async def test_the_same_as_another_thing_is_answered_where_the_answer_names_it(
    dispatcher, make_tracker, text, slots, ranking, topic, expected
):
    """"Is it the same botox they use for wrinkles?": the answer on the thing talked about, where it names the other
    thing (`same_as`, `ActionRespond.likened`); otherwise the ladder goes on, here to "not covered"."""
    entities = topic_entities(text, topic) if topic else None
    message, _ = await respond(dispatcher, make_tracker(ranking, text, entities, slots))
    assert message["custom"]["answer_id"] == expected
    assert message["custom"]["kind"] == ("answer" if expected else "not_covered")


@pytest.mark.parametrize("text, ranking, side, term", [
    ("how long does whiplash take to heal", [("ms_whiplash_study", 0.8)], "duration", "whiplash"),
    ("does physical therapy for dystonia hurt", [("cd_physical_therapy", 0.8)], "pain", "physical therapy"),
])
async def test_a_broad_side_the_articles_say_nothing_of_for_a_topic_is_not_covered(dispatcher, make_tracker, text,
                                                                                   ranking, side, term):
    """"How long" is read only where the articles cover it, but of whiplash they say nothing of the kind
    (`says_nothing_of` in knowledge/topics.yml): the whiplash study is no answer to it."""
    entities = topic_entities(text, term)
    message, _ = await respond(dispatcher, make_tracker(ranking, text, entities))
    assert message["custom"]["kind"] == "not_covered" and message["custom"]["side"] == side


@pytest.mark.parametrize("text, terms, slots, expected, topic", [
    ("is cervical dystonia painful", ["cervical dystonia"], {}, "cd_what_is", None),
    # a treatment the story names leaves the question's own topic alone
    ("my physio does stretches with me every week. is cervical dystonia painful?", ["physio", "cervical dystonia"], {},
     "cd_what_is", None),
    ("is it painful", [], {"topic": "cervical_dystonia", "last_answer": "cd_what_is"}, "cd_what_is", None),
    # of a treatment the articles say nothing of pain, named beside dystonia or talked about last
    ("is it painful", [], {"topic": "botox", "earlier_topics": ["cervical_dystonia"], "last_answer": "cd_botox_what"},
     None, "botox"),
    ("she has botox for her dystonia, how painful is it", ["botox", "dystonia"], {}, None, "botox"),
    ("does physical therapy for dystonia hurt", ["physical therapy", "dystonia"], {}, None, "physical_therapy"),
])
async def test_pain_is_answered_of_dystonia_and_of_no_treatment(dispatcher, make_tracker, text, terms, slots,
                                                                 expected, topic):
    """The article calls cervical dystonia a painful condition, so "is it painful?" of dystonia gets that answer;
    of a treatment named beside it (`of_treatment` in knowledge/aspects.yml) the articles say nothing of pain."""
    ranking = [("cd_what_is", 0.3), ("cd_physical_therapy", 0.25), ("cd_botox_what", 0.2)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots))
    assert message["custom"]["answer_id"] == expected
    if topic:
        assert message["custom"]["kind"] == "not_covered" and message["custom"]["topic"] == topic


@pytest.mark.parametrize("text, terms, slots, ranking, expected", [
    # yoga is one of the ways to relax that the tip on stress names
    ("is yoga any good", ["yoga"], {}, [("out_of_scope", 0.48), ("cd_tip_stress", 0.2), ("cd_home_tips", 0.1)],
     "cd_tip_stress"),
    # overdoing it is overuse: a cause whose answer is filed under spasms, which the classifier half sees
    ("spent the weekend digging the garden and now my lower back is in knots. is that just from overdoing it",
     ["overdoing it", "lower back"], {},
     [("describe_symptom", 0.48), ("cd_cause_overuse", 0.46), ("cd_tip_stretching", 0.01)], "cd_cause_overuse"),
])
async def test_lay_words_of_relaxing_and_overuse_reach_their_answers(dispatcher, make_tracker, text, terms, slots,
                                                                      ranking, expected):
    """Lay words name the topic of an answer (knowledge/topics.yml: stress, overuse), and a topic's
    answers include those it names as its own although filed under another topic (overuse under spasms)."""
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, terms, slots, expected", [
    # stress as a trigger: the tip on stress, which says it may be one
    ("can stress set the twitch off", ["stress"], {"topic": "cervical_dystonia", "last_answer": "cd_early_signs"},
     "cd_tip_stress"),
    # overuse asked as the cause, though the classifier reads a story of a symptom
    ("new mum here, carrying the baby on my hip all day and my back keeps seizing up. is it just overdoing it",
     ["overdoing it", "my back"], {}, "cd_cause_overuse"),
    ("my shoulder spasms by the end of every shift, could it be from repetitive work", ["repetitive", "spasms"], {},
     "cd_cause_overuse"),
    # lay words of a cause told after the causes: sweating is dehydration, the same motion all day overuse
    ("the site is boiling and i sweat a ton, could that be it", ["sweat"],
     {"topic": "muscle_spasms", "last_answer": "cd_spasm_causes"}, "cd_cause_dehydration"),
    ("could the same motions all day at work be doing it", ["same motions"],
     {"topic": "muscle_spasms", "last_answer": "cd_spasm_causes"}, "cd_cause_overuse"),
])
async def test_stress_overuse_and_dehydration_asked_as_the_cause_get_their_answers(dispatcher, make_tracker, text, terms,
                                                                                     slots, expected):
    """A cause the question names (a topic's `as_cause` in knowledge/topics.yml) answers a cause question about the
    condition beside it or talked about: stress with dystonia or spasms, overuse and dehydration with spasms."""
    ranking = [("ask_not_covered", 0.5), ("describe_symptom", 0.3), ("ms_spine_instability", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots))
    assert message["custom"]["answer_id"] == expected


def every_mention(text: str, *terms: str) -> list:
    """The ruler's topic entities for these terms, at every place they stand in the text (the story's too)."""
    return [{"entity": "topic", "value": t, "start": m.start(), "end": m.end()}
            for t in terms for m in re.finditer(rf"\b{re.escape(t)}\b", text)]


async def test_an_alternative_named_in_the_question_is_what_it_asks_for(dispatcher, make_tracker):
    """"Is there a pill instead?" after Botox names the other thing it asks for: the pills."""
    text = "is there a pill instead"
    slots = {"topic": "botox", "earlier_topics": ["cervical_dystonia"], "last_answer": "cd_botox_what"}
    ranking = [("cd_oral_medications", 0.34), ("cd_botox_frequency", 0.3), ("cd_follow_directions", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, every_mention(text, "pill"), slots))
    assert message["custom"]["answer_id"] == "cd_oral_medications"


async def test_treatments_a_story_names_are_what_other_options_ask_past(dispatcher, make_tracker):
    """The story names what was tried, the question asks for other options: not the best answer on Botox."""
    text = ("my neck has been pulling left for 3 years, had botox, pills, pt. the botox is the only thing that helps "
            "and it wears off. are there any other options")
    ranking = [("cd_botox_frequency", 0.34), ("ms_take_anything", 0.27), ("cd_nerve_surgery", 0.15)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, every_mention(text, "botox", "pills", "pt")))
    assert message["custom"]["answer_id"] != "cd_botox_frequency"


async def test_psychiatric_medicines_as_a_cause_of_dystonia_get_the_causes(dispatcher, make_tracker):
    """The article names side effects of psychiatric medicines among the causes, though no topic term says it."""
    text = "can you get dystonia from antipsychotics"
    entities = topic_entities(text, "dystonia")
    message, _ = await respond(dispatcher, make_tracker([("ask_not_covered", 0.89), ("cd_causes", 0.02)], text, entities))
    assert message["custom"]["answer_id"] == "cd_causes"


@pytest.mark.parametrize("text, slots, expected", [
    ("who should I see about it", {"topic": "muscle_spasms", "last_answer": "ms_take_anything"}, "ms_when_evaluated"),
    ("is ice any good", {"topic": "muscle_spasms", "last_answer": "ms_take_anything"}, "ms_common_treatments"),
])
async def test_a_side_asked_of_spasms_in_the_muscle_spasm_article(dispatcher, make_tracker, text, slots, expected):
    """Who to see about spasms that keep coming back, and whether ice helps: the muscle spasm article's answers,
    though the classifier leans elsewhere."""
    entities = topic_entities(text, "ice") if "ice" in text else []
    message, _ = await respond(dispatcher, make_tracker([("out_of_scope", 0.9)], text, entities, slots))
    assert message["custom"]["answer_id"] == expected



async def test_an_elliptical_turn_asks_the_last_question_again_of_another_thing(dispatcher, make_tracker):
    """"and a bad diet?" after dehydration as a cause of cramps: diet as a cause, not the home tips that "diet"
    names; "and botox?" after baclofen reads nothing like baclofen's answer: what Botox is."""
    slots = {"topic": "muscle_spasms", "last_answer": "cd_cause_dehydration"}
    text = "and a bad diet?"
    message, _ = await respond(dispatcher, make_tracker([("cd_home_tips", 0.3)], text, topic_entities(text, "diet"), slots))
    assert message["custom"]["answer_id"] == "cd_cause_nutrition"
    dispatcher.messages.clear()
    slots = {"topic": "baclofen", "last_answer": "cd_baclofen"}
    text = "and botox?"
    message, _ = await respond(dispatcher, make_tracker([("cd_botox_what", 0.3)], text, topic_entities(text, "botox"), slots))
    assert message["custom"]["answer_id"] == "cd_botox_what"


@pytest.mark.parametrize("text, topic, slots, expected", [
    # the side the last answer covered (treatment of spasms), of the topic the turn names
    ("and for dystonia specifically?", "dystonia", {"topic": "muscle_spasms", "last_answer": "ms_take_anything"},
     "cd_treatments"),
    # of the two articles' answers on physical therapy, the conversation's
    ("what about physio?", "physio", {"topic": "massage", "last_answer": "ms_massage"}, "ms_physical_therapy"),
])
async def test_an_elliptical_turn_naming_another_topic_asks_the_same_side_of_it(
    dispatcher, make_tracker, text, topic, slots, expected
):
    tracker = make_tracker([("cd_cause_medical_conditions", 0.4), ("cd_what_is", 0.3)], text, topic_entities(text, topic), slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, term, slots, expected", [
    # medication as the cause of the condition talked about, not the subject of the question
    ("can it come from medication?", "medication", {"topic": "cervical_dystonia", "last_answer": "cd_causes"},
     "cd_causes"),
    ("could my water pills be doing it", "pills", {"topic": "muscle_spasms", "last_answer": "cd_spasm_causes"},
     "cd_cause_medication"),
])
async def test_a_cause_question_naming_a_medicine_asks_what_causes_the_condition(
    dispatcher, make_tracker, text, term, slots, expected
):
    tracker = make_tracker([("cd_ask_doctor", 0.5), ("cd_treatments", 0.2)], text, topic_entities(text, term), slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == expected


async def test_read_in_context_the_conversations_article_wins_a_close_call(dispatcher, make_tracker, monkeypatch):
    """"why does that make muscles spasm?" after joint instability: the muscle spasm article's answer on why loose
    ligaments bring spasms, not the dystonia article's causes of spasms, which read a little closer alone."""
    text = "why does that make muscles spasm?"
    slots = {"topic": "joint_instability", "last_answer": "ms_joint_instability"}
    ranking = [("cd_spasm_causes", 0.83), ("ms_why_spasms", 0.10)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, "spasm"), slots))
    assert message["custom"]["answer_id"] == "ms_why_spasms"
    monkeypatch.setattr(config, "CONVERSATION_ARTICLE_BONUS", 0.0)
    followup_reader()._best.cache_clear()  # its readings were cached with the bonus
    dispatcher.messages.clear()
    try:
        message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, "spasm"), slots))
        assert message["custom"]["answer_id"] == "cd_spasm_causes"
    finally:
        followup_reader()._best.cache_clear()  # nor may later tests see readings without it


async def test_a_half_sure_not_covered_yields_to_an_answer_of_the_conversation(dispatcher, make_tracker):
    text = "is yoga worth a go?"
    slots = {"topic": "home_care", "last_answer": "cd_tip_stress"}
    half_sure = [("ask_not_covered", 0.40), ("cd_tip_stress", 0.30), ("followup_evidence", 0.13)]
    message, _ = await respond(dispatcher, make_tracker(half_sure, text, [], slots))
    assert message["custom"]["answer_id"] == "cd_tip_stress"
    # surer, or first in a conversation, or the answer not of its topics: the articles don't say
    for ranking, turn_slots in [([("ask_not_covered", 0.60), ("cd_tip_stress", 0.30)], slots),
                                (half_sure, {}),
                                ([("ask_not_covered", 0.40), ("ms_massage", 0.30)], slots)]:
        dispatcher.messages.clear()
        message, _ = await respond(dispatcher, make_tracker(ranking, text, [], turn_slots))
        assert message["custom"]["kind"] == "not_covered", ranking


async def test_the_same_side_of_another_topic_yields_to_a_sure_classifier_and_needs_an_ellipsis(dispatcher, make_tracker):
    from actions.reading import reader

    slots = {"topic": "muscle_spasms", "last_answer": "ms_take_anything"}
    text = "and for dystonia specifically?"
    sure = reader().read(make_tracker([("cd_oral_medications", 0.95)], text, topic_entities(text, "dystonia"), slots))
    assert ActionRespond().same_side_of_named(sure) is None
    text = "which pills?"  # asks which ones, not the treatments of pills
    slots = {"topic": "muscle_spasms", "last_answer": "ms_take_anything"}
    message, _ = await respond(dispatcher, make_tracker([("cd_oral_medications", 0.6)], text, topic_entities(text, "pills"), slots))
    assert message["custom"]["answer_id"] == "cd_oral_medications"


async def test_a_list_stays_open_while_the_patient_goes_through_its_things(dispatcher, make_tracker):
    """The home tips, then "the stress one" asked in words, then "and the last one": the tips' last."""
    _, events = await respond(dispatcher, make_tracker([("cd_home_tips", 0.9)], "any home remedies for neck dystonia"))
    assert SlotSet("listing", "cd_home_tips") in events
    dispatcher.messages.clear()
    slots = {"topic": "home_care", "last_answer": "cd_tip_stress", "listing": "cd_home_tips"}
    message, _ = await respond(dispatcher, make_tracker([("cd_other_name", 0.6)], "and the last one", slots=slots))
    assert message["custom"]["answer_id"] == "cd_tip_hydration_diet"


async def test_a_treatment_is_never_said_to_lack_a_treatment_of_its_own(dispatcher, make_tracker):
    """"back to pills then, what are the options?" read as asking how to treat: never "our articles don't say
    how to treat the oral medications"."""
    text = "back to pills then, what are the options"
    slots = {"topic": "oral_medications", "last_answer": "cd_oral_medications"}
    message, _ = await respond(dispatcher, make_tracker([("followup_treatment", 0.8)], text, topic_entities(text, "pills"), slots))
    assert message["custom"]["kind"] != "not_covered"


@pytest.mark.parametrize("text, more_of_last", [
    ("why not", True), ("why?", True), ("but why though?", True), ("how come", True), ("why there?", True),
    ("why exactly", True), ("y tho", True), ("y not?", True),  # texted
    ("why not just take more pills", False), ("why is it so stiff in the mornings", False), ("y", False),  # maybe a yes
])
async def test_a_bare_why_asks_for_the_reason_the_last_answer_gives(dispatcher, make_tracker, text, more_of_last):
    """"My physio says strengthening will fix my wobbly knee for good. True?", then "why not?": the answer on
    physical therapy again, which says why; the classifier made it something else."""
    slots = {"topic": "physical_therapy", "last_answer": "ms_physical_therapy"}
    ranking = [("cd_cause_muscle_injury", 0.5), ("cd_what_is", 0.3), ("ms_physical_therapy", 0.2)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert (message["custom"].get("answer_id") == "ms_physical_therapy") is more_of_last


async def test_words_asking_for_the_clinic_yield_to_an_answer_the_classifier_is_sure_of(dispatcher, make_tracker):
    """"Tips for looking after my neck dystonia between appointments" names an appointment but asks for the
    home tips; "can I book an appointment for botox?" still gets the clinic's contact."""
    text = "any tips for looking after my neck dystonia myself between appointments"
    message, _ = await respond(dispatcher, make_tracker([("cd_home_tips", 0.99), ("cd_tip_stretching", 0.01)], text))
    assert message["custom"]["answer_id"] == "cd_home_tips"
    dispatcher.messages.clear()
    text = "can I book an appointment for botox"
    message, _ = await respond(dispatcher, make_tracker([("cd_botox_what", 0.6), ("request_human", 0.3)], text))
    assert message["custom"]["kind"] == "handoff"


async def test_a_listed_thing_and_a_side_of_it_lead_to_the_answer_the_classifier_is_sure_of(dispatcher, make_tracker):
    """"and the first one, how often?" after the treatments: the place picks Botox, the classifier (sure) picks
    how often it is given; without a side the classifier is sure of, the thing's own answer."""
    slots = {"topic": "oral_medications", "last_answer": "cd_oral_medications", "listing": "cd_treatments"}
    tracker = make_tracker([("cd_botox_frequency", 0.97)], "and the first one, how long between them?", slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_botox_frequency"
    dispatcher.messages.clear()
    tracker = make_tracker([("cd_dbs_how", 0.97)], "and the first one, how long between them?", slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_botox_what"  # another topic's answer: the place decides


@pytest.mark.parametrize("text, terms, slots, named", [
    # "injections" with torticollis, or after an answer of the dystonia article, are Botox
    ("the neurologist mentioned injections for his torticollis", ["torticollis"], {}, ["botox", "cervical_dystonia"]),
    ("how often would he need the injections", [], {"topic": "cervical_dystonia", "last_answer": "cd_treatments"},
     ["botox"]),
    # for back spasms they may be trigger points or prolotherapy: no topic of their own
    ("are injections any good for back spasms", ["spasms"], {}, ["muscle_spasms"]),
    ("how often would he need the injections", [], {"topic": "muscle_spasms", "last_answer": "ms_take_anything"}, []),
    ("how often would he need the injections", [], {}, []),
    # the spasm article's one study is on whiplash; not a study of a treatment the message names
    ("who did that study you mentioned", [], {"topic": "muscle_spasms", "last_answer": "ms_common_treatments"},
     ["whiplash"]),
    ("is there a study showing prolotherapy works", ["prolotherapy"], {}, ["prolotherapy"]),
])
def test_a_word_names_a_topic_only_on_its_articles_ground(make_tracker, text, terms, slots, named):
    from actions.reading import reader

    turn = reader().read(make_tracker([("cd_what_is", 0.5)], text, topic_entities(text, *terms), slots))
    assert turn.named == named


@pytest.mark.parametrize("text, terms, last_answer, expected", [
    # a treatment both articles speak of, asked again for a condition of the other article: its answer there
    ("and for loose joints?", ["loose joints"], "cd_physical_therapy", "ms_physical_therapy"),
    ("and for the neck twisting?", ["neck twisting"], "ms_physical_therapy", "cd_physical_therapy"),
    # Botox is in one article only: the side the last answer covered, of the topic named
    ("and for dystonia specifically?", ["dystonia"], "ms_take_anything", "cd_treatments"),
])
async def test_and_for_another_condition_asks_the_last_question_of_it(dispatcher, make_tracker, text, terms,
                                                                      last_answer, expected):
    slots = {"topic": "physical_therapy", "last_answer": last_answer}
    tracker = make_tracker([("followup_what_about", 0.37), ("ms_why_spasms", 0.1)], text, topic_entities(text, *terms), slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, terms, expected", [
    ("is there anything besides botox for neck dystonia", ["botox", "neck dystonia"], "cd_treatments"),
    ("what else is on the list apart from baclofen", ["baclofen"], "cd_oral_medications"),
    # it asks about the thing it names of the same list, or about the one it names twice: not the list
    ("can i take tablets instead of botox", ["tablets", "botox"], None),
    ("does botox have anything in it besides the toxin", ["botox", "toxin"], None),
])
async def test_besides_a_listed_thing_asks_for_its_list(dispatcher, make_tracker, text, terms, expected):
    ranking = [("cd_botox_with_pills", 0.8), ("cd_botox_what", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms)))
    got = message["custom"]["answer_id"]
    assert got == expected if expected else got != "cd_treatments", got


@pytest.mark.parametrize("text, fresh", [
    ("different question, my husband's back spasms come back after every massage. why?", True),
    ("ok completely different question, does resting help a loose joint", True),
    ("unrelated but my aunt has dystonia, can physio help her", True),
    ("and a different kind of massage?", False), ("other tips?", False), ("is there another question i should ask?", False),
])
def test_a_turn_that_says_it_starts_afresh_is_read_without_the_conversation(make_tracker, text, fresh):
    from actions.reading import reader

    slots = {"topic": "home_care", "last_answer": "cd_tip_stress", "earlier_topics": ["cervical_dystonia"]}
    turn = reader().read(make_tracker([("ms_massage", 0.5)], text, slots=slots))
    assert (turn.context, turn.last_answer) == (([], None) if fresh else (["home_care", "cervical_dystonia"], "cd_tip_stress"))
    assert turn.conversation == ("home_care", "cervical_dystonia")  # still there to go back to later


async def test_two_unsure_readings_that_agree_give_their_answer_in_a_conversation(dispatcher, make_tracker, monkeypatch):
    """"so they're just overworked?" after why muscles feel tight: the classifier leans to muscles tiring out, short
    of confident, and the turn read with the conversation's topic reads closest to the same answer."""
    text = "so they're just overworked?"
    slots = {"topic": "muscle_spasms", "last_answer": "ms_why_spasms"}
    ranking = [("ms_muscles_tire", 0.36), ("ms_blood_supply", 0.3), ("ms_why_spasms", 0.2)]
    reading = ("ms_muscles_tire", config.AGREED_MIN_SIMILARITY + 0.01, 0.04, "ms_blood_supply")
    monkeypatch.setattr(type(followup_reader()), "best", lambda self, *args: reading)
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert message["custom"]["answer_id"] == "ms_muscles_tire"
    dispatcher.messages.clear()  # readings that disagree: "did you mean"
    monkeypatch.setattr(type(followup_reader()), "best", lambda self, *args: ("ms_blood_supply", 0.7, 0.04, None))
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert message["custom"]["kind"] == "clarify"
    dispatcher.messages.clear()  # a first question is read as it stands: readings that disagree, "did you mean"
    monkeypatch.setattr(type(followup_reader()), "best_of_all", lambda self, *args: ("ms_blood_supply", 0.7, 0.04, None))
    monkeypatch.setattr(type(followup_reader()), "alone", lambda self, *args: ("ms_blood_supply", 0.6, 0.0))
    message, _ = await respond(dispatcher, make_tracker(ranking, text))
    assert message["custom"]["kind"] == "clarify"


async def test_two_unsure_readings_that_agree_give_their_answer_in_a_first_turn(kb, dispatcher, make_tracker, monkeypatch):
    """A first turn read as it stands against every answer: a told symptom ("my neck is always tight and i get
    headaches") or a question the classifier leans to gets the answer both readings agree on; not where the
    question asks a side ("how often should i book a massage?", which the articles don't answer) or the classifier
    ranks "not covered" above the answer."""
    symptom = "hey so my neck is always tight and i get headaches most days"
    reader_type = type(followup_reader())
    agreeing = ("ms_spine_instability", config.AGREED_MIN_SIMILARITY + 0.01, 0.1, None)
    monkeypatch.setattr(reader_type, "best_of_all", lambda self, *args: agreeing)
    told = [("describe_symptom", 0.96), ("ms_spine_instability", 0.03)]
    message, _ = await respond(dispatcher, make_tracker(told, symptom))
    assert message["custom"]["answer_id"] == "ms_spine_instability"
    dispatcher.messages.clear()  # too far from it: the symptom's questions
    monkeypatch.setattr(reader_type, "best_of_all", lambda self, *args: (
        "ms_spine_instability", config.AGREED_MIN_SIMILARITY - 0.01, 0.1, None))
    message, _ = await respond(dispatcher, make_tracker(told, symptom))
    assert message["custom"]["kind"] == "clarify" and message["text"] == kb.message("symptom")
    dispatcher.messages.clear()
    monkeypatch.setattr(reader_type, "best_of_all", lambda self, *args: ("ms_massage", 0.8, 0.09, None))
    side = [("ms_massage", 0.31), ("ask_not_covered", 0.22)]
    message, _ = await respond(dispatcher, make_tracker(side, "how often should i book a massage for my back spasms"))
    assert message["custom"]["kind"] != "answer"
    dispatcher.messages.clear()
    monkeypatch.setattr(reader_type, "best_of_all", lambda self, *args: ("cd_early_signs", 0.77, 0.06, None))
    below = [("ask_not_covered", 0.35), ("cd_early_signs", 0.25)]
    message, _ = await respond(dispatcher, make_tracker(below, "does the neck dystonia hit you all at once"))
    assert message["custom"]["kind"] != "answer"


async def test_a_sure_classifier_decides_over_a_reading_of_what_the_turn_points_back_at(
        dispatcher, make_tracker, monkeypatch):
    """"so if it's not really a muscle problem, what is it" after massage: the classifier is sure it asks what muscle
    pain is a symptom of; "it" read with massage reads closer to the causes of spasms, which it does not ask."""
    text = "so if it's not really a muscle problem, what is it"
    slots = {"topic": "massage", "last_answer": "ms_massage"}
    monkeypatch.setattr(type(followup_reader()), "best", lambda self, *args: ("cd_spasm_causes", 0.85, 0.2, None))
    tracker = make_tracker([("ms_muscle_pain_symptom", 0.95), ("cd_spasm_causes", 0.02)], text, slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "ms_muscle_pain_symptom"
    dispatcher.messages.clear()  # a classifier short of sure leaves it to the reading
    tracker = make_tracker([("ms_muscle_pain_symptom", 0.8), ("ms_massage", 0.18), ("cd_spasm_causes", 0.02)], text, slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_spasm_causes"


async def test_an_elliptical_turn_naming_another_topic_follows_a_sure_classifier(dispatcher, make_tracker, monkeypatch):
    """"and botox for the twisted neck?" after trigger point injections, whose answer names Botox too, reads
    closest to that answer again: a classifier sure it asks what Botox does for dystonia decides."""
    text = "and botox for the twisted neck?"
    slots = {"topic": "trigger_point_injections", "last_answer": "ms_trigger_point_injections"}
    reading = ("ms_trigger_point_injections", 0.9, 0.5, None)
    monkeypatch.setattr(type(followup_reader()), "best", lambda self, *args: reading)
    tracker = make_tracker([("cd_botox_what", 0.96)], text, topic_entities(text, "botox"), slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_botox_what"


@pytest.mark.parametrize("confidence, kind", [(0.99, "answer"), (0.95, "not_covered")])
async def test_only_a_classifier_all_but_certain_overrules_a_side_the_articles_do_not_cover(
        dispatcher, make_tracker, confidence, kind):
    """"are these sore muscles the real issue?" reads as asking about pain, which the articles don't cover for the
    topic; a classifier all but certain it asks whether muscle pain is the cause decides (config.CERTAIN_CONFIDENCE)."""
    text = "are these sore shoulder muscles the real issue here"
    tracker = make_tracker([("ms_muscle_pain_symptom", confidence), ("ask_diagnosis", 1 - confidence)], text)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["kind"] == kind


async def test_a_side_of_two_things_is_answered_only_where_the_answer_names_both(dispatcher, make_tracker):
    """Botox with tablets is what the articles say of combining Botox: no answer to Botox with massage."""
    text = "could i get botox and a massage at the same time"
    entities = topic_entities(text, "botox", "massage")
    message, _ = await respond(dispatcher, make_tracker([("ask_not_covered", 0.6)], text, entities))
    assert message["custom"]["kind"] == "not_covered" and not message["custom"]["citations"]
    dispatcher.messages.clear()
    text = "could i get botox and tablets at the same time"
    entities = topic_entities(text, "botox", "tablets")
    message, _ = await respond(dispatcher, make_tracker([("ask_not_covered", 0.6)], text, entities))
    assert message["custom"]["answer_id"] == "cd_botox_with_pills"


async def test_the_other_of_two_things_may_be_the_conversations_topic_pointed_back_at(dispatcher, make_tracker):
    """"can I do physio alongside it?" after Botox pairs physio with Botox: prolotherapy with physio is no answer
    to it. After prolotherapy, the same words are answered by it."""
    text = "can i do physio alongside it?"
    ranking = [("followup_what_about", 0.85), ("ms_prolotherapy_with_therapy", 0.06), ("followup_combine", 0.04)]
    slots = {"topic": "botox", "last_answer": "cd_botox_frequency"}
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, "physio"), slots))
    assert message["custom"]["answer_id"] != "ms_prolotherapy_with_therapy"
    dispatcher.messages.clear()
    slots = {"topic": "prolotherapy", "last_answer": "ms_prolotherapy_what"}
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, "physio"), slots))
    assert message["custom"]["answer_id"] == "ms_prolotherapy_with_therapy"


@pytest.mark.parametrize("lead, expected", [(0.005, "ms_why_spasms"), (0.05, "ms_joint_instability")])
async def test_two_answers_read_all_but_alike_in_context_are_told_apart_by_the_classifier(
        dispatcher, make_tracker, monkeypatch, lead, expected):
    """A turn read in context as close to what joint instability is as to why loose ligaments bring spasms: the
    classifier, which leans to the second, breaks the tie (config.TIE_MAX_LEAD); a clear lead is not overruled."""
    best = ("ms_joint_instability", 0.85, lead, "ms_why_spasms")
    monkeypatch.setattr(type(followup_reader()), "best", lambda self, *args: best)
    slots = {"topic": "massage", "last_answer": "ms_massage"}
    ranking = [("out_of_scope", 0.3), ("ms_why_spasms", 0.25), ("ms_joint_instability", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "is that why mine knot up", slots=slots))
    assert message["custom"]["answer_id"] == expected


async def test_what_a_topic_causes_is_the_answer_that_says_it_not_what_causes_the_topic(dispatcher, make_tracker):
    """"can it cause headaches?" after joint instability asks what instability causes: spine instability, whose
    passages say headaches; "so what causes it?" still gets what causes instability."""
    slots = {"topic": "joint_instability", "last_answer": "ms_progression"}
    ranking = [("followup_side_effects", 0.46), ("ask_not_covered", 0.45), ("ms_spine_instability", 0.06)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "does it cause a headache?", slots=slots))
    assert message["custom"]["answer_id"] == "ms_spine_instability"
    dispatcher.messages.clear()
    message, _ = await respond(dispatcher, make_tracker([("followup_cause", 0.9)], "so what causes it?", slots=slots))
    assert message["custom"]["answer_id"] == "ms_joint_instability"
    # after what to take for spasms, whose own answers never say headaches: the one answer of that article that does
    dispatcher.messages.clear()
    slots = {"topic": "muscle_spasms", "last_answer": "ms_take_anything"}
    ranking = [("followup_side_effects", 0.45), ("ms_why_spasms", 0.2), ("ask_not_covered", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "can that cause headaches aswell", slots=slots))
    assert message["custom"]["answer_id"] == "ms_spine_instability"


@pytest.mark.parametrize("text, expected", [
    ("right, so what would they usually do about it", "cd_treatments"),
    ("what does it do to you", "cd_what_is"),  # "it": the condition, what it is
])
async def test_what_they_do_for_a_condition_is_how_its_doctors_treat_it(dispatcher, make_tracker, text, expected):
    """After whether cervical dystonia can be cured, "what would they usually do about it?" asks how doctors
    treat it, though the classifier reads "how does it work"; "what does it do to you?" is what it is."""
    slots = {"topic": "cervical_dystonia", "last_answer": "cd_cure"}
    message, _ = await respond(dispatcher, make_tracker([("followup_how_it_works", 0.88)], text, slots=slots))
    assert message["custom"]["answer_id"] == expected


def test_a_first_turn_is_read_by_meaning_against_every_answer():
    """The whole knowledge base's reading (the real sentence vectors): a question as it stands reads closest to
    the answer that answers it, whichever topic that answer is of."""
    answer, similarity, lead, runner_up = followup_reader().best_of_all("how often do i have to go back for botox")
    assert answer == "cd_botox_frequency" and similarity >= config.AGREED_MIN_SIMILARITY
    assert lead > 0 and runner_up != answer
    assert followup_reader().best_of_all("my neck is always tight and i get headaches")[0] == "ms_spine_instability"


async def test_a_close_call_between_two_readings_in_context_is_a_did_you_mean(dispatcher, make_tracker, monkeypatch):
    """Read in context, "is that the main thing" after what to take for spasms reads all but alike as the causes
    of spasms and as dehydration as one: no guess between them, but "did you mean" either, or the classifier's
    best answer. With the close-call lead at zero the reading answers."""
    slots = {"topic": "muscle_spasms", "last_answer": "ms_take_anything"}
    ranking = [("out_of_scope", 0.3), ("ms_when_evaluated", 0.2)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "is that the main thing", slots=slots))
    assert message["custom"]["kind"] == "clarify"
    offered = [s["payload"] for s in message["custom"]["suggestions"]]
    assert offered == ["/cd_spasm_causes", "/cd_cause_dehydration", "/ms_when_evaluated"]
    dispatcher.messages.clear()
    monkeypatch.setattr(config, "CLOSE_CALL_MAX_LEAD", 0.0)
    message, _ = await respond(dispatcher, make_tracker(ranking, "is that the main thing", slots=slots))
    assert message["custom"]["kind"] == "answer"


async def test_read_in_context_the_list_the_last_answer_is_one_of_means_that_one(dispatcher, make_tracker, monkeypatch):
    """"where in the body mostly?" after poor circulation as a cause of cramps reads closest to all the causes; it
    asks about circulation. "What else causes them?" still gets the list: the sides read it first."""
    slots = {"topic": "muscle_spasms", "last_answer": "cd_cause_circulation"}
    ranking = [("followup_where", 0.92), ("cd_spasm_causes", 0.03)]
    monkeypatch.setattr(type(followup_reader()), "best", lambda self, *args: ("cd_spasm_causes", 0.8, 0.1, None))
    message, _ = await respond(dispatcher, make_tracker(ranking, "where in the body mostly", slots=slots))
    assert message["custom"]["answer_id"] == "cd_cause_circulation"
    dispatcher.messages.clear()
    ranking = [("followup_cause", 0.9), ("cd_spasm_causes", 0.05)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "what else can cause them?", slots=slots))
    assert message["custom"]["answer_id"] == "cd_spasm_causes"


async def test_a_turn_that_asks_past_the_last_answer_is_not_narrowed_to_it(dispatcher, make_tracker, monkeypatch):
    """"what else commonly sets off spasms like that?" after nerve compression as a cause asks for the other
    causes: read in context as all the causes, it is not narrowed back to the one just given."""
    slots = {"topic": "muscle_spasms", "last_answer": "cd_cause_nerve_compression"}
    ranking = [("cd_spasm_causes", 0.7), ("ms_take_anything", 0.13), ("cd_cause_medical_conditions", 0.04)]
    monkeypatch.setattr(type(followup_reader()), "best", lambda self, *args: ("cd_spasm_causes", 0.84, 0.03, None))
    text = "what else commonly sets off spasms like that"
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert message["custom"]["answer_id"] == "cd_spasm_causes"


@pytest.mark.parametrize("text, ranking, expected", [
    ("what else could be going on", [("followup_cause", 0.3), ("ms_take_anything", 0.2)], "cd_spasm_causes"),
    ("could it be a pinched nerve instead", [("cd_cause_nerve_compression", 0.95), ("cd_spasm_causes", 0.03)],
     "cd_cause_nerve_compression"),
])
async def test_what_else_after_one_thing_of_a_list_asks_for_the_list(dispatcher, make_tracker, text, ranking, expected):
    """"what else could be going on?" after poor circulation as a cause of spasms asks for the other causes: the
    list circulation is one of, not what to take for spasms; unless the classifier is sure it names another of
    them ("could it be a pinched nerve instead?")."""
    slots = {"topic": "muscle_spasms", "last_answer": "cd_cause_circulation"}
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert message["custom"]["answer_id"] == expected


def test_an_answer_knows_the_list_it_is_one_of(kb):
    assert kb.listing_of("cd_cause_circulation") == "cd_spasm_causes"
    assert kb.listing_of("cd_baclofen") == "cd_oral_medications"
    assert kb.listing_of("ms_massage") is None and kb.listing_of(None) is None


def test_a_turn_read_alone_reads_near_its_answer_or_near_the_questions_without_one():
    """The projection that sets the answers apart (the real vectors): a first turn that asks an answer in lay words
    reads close to it and clearly closer than to any question without an answer; one the articles don't answer
    does not."""
    answer, similarity, lead = followup_reader().alone("what should i eat to stop getting cramps")
    assert answer in ("cd_cause_nutrition", "cd_tip_hydration_diet")
    assert similarity >= config.ALONE_MIN_SIMILARITY and lead >= config.ALONE_MIN_LEAD
    for unanswered in ("how often should i book a massage for my back spasms", "does cbd oil help with muscle spasms",
                       "would acupuncture do anything for cervical dystonia"):
        _, similarity, lead = followup_reader().alone(unanswered)
        assert similarity < config.ALONE_MIN_SIMILARITY or lead < config.ALONE_MIN_LEAD


async def test_a_first_turn_that_clearly_reads_alone_as_one_answer_gets_it(dispatcher, make_tracker, monkeypatch):
    """A first turn that nothing else answers ("i keep getting knots in my neck no matter what i do", told, or a
    question the classifier is unsure of) gets the answer it reads alone as, when the reading is close and clearly
    closer than to any question without an answer; otherwise "did you mean". Never in a conversation, and never
    for what the classifier is sure is off-topic and names nothing of ours."""
    reader_type = type(followup_reader())
    monkeypatch.setattr(reader_type, "best_of_all", lambda self, *args: ("cd_home_tips", 0.5, 0.01, None))
    close = ("ms_muscle_pain_symptom", config.ALONE_MIN_SIMILARITY + 0.01, config.ALONE_MIN_LEAD + 0.01)
    monkeypatch.setattr(reader_type, "alone", lambda self, *args: close)
    told = [("describe_symptom", 0.6), ("ms_take_anything", 0.1)]
    text = "i keep getting knots in my neck no matter what i do"
    message, _ = await respond(dispatcher, make_tracker(told, text))
    assert message["custom"]["answer_id"] == "ms_muscle_pain_symptom"
    dispatcher.messages.clear()
    unsure = [("ms_take_anything", 0.3), ("ms_muscle_pain_symptom", 0.25)]
    message, _ = await respond(dispatcher, make_tracker(unsure, "why do knots keep coming back"))
    assert message["custom"]["answer_id"] == "ms_muscle_pain_symptom"
    dispatcher.messages.clear()  # in a conversation the turn is read with it, not alone
    slots = {"topic": "massage", "last_answer": "ms_massage"}
    monkeypatch.setattr(reader_type, "best", lambda self, *args: ("ms_massage", 0.5, 0.01, None))
    message, _ = await respond(dispatcher, make_tracker(unsure, "why are knots so stubborn", slots=slots))
    assert message["custom"]["kind"] == "clarify"
    dispatcher.messages.clear()
    off_topic = [("out_of_scope", 0.8), ("cd_other_name", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(off_topic, "what should i name my new puppy"))
    assert message["custom"]["kind"] == "fallback"
    for near_unanswered in ((close[0], close[1], config.ALONE_MIN_LEAD - 0.01),
                            (close[0], config.ALONE_MIN_SIMILARITY - 0.01, close[2])):
        dispatcher.messages.clear()
        monkeypatch.setattr(reader_type, "alone", lambda self, *args: near_unanswered)
        message, _ = await respond(dispatcher, make_tracker(unsure, "why do knots keep coming back"))
        assert message["custom"]["kind"] == "clarify"


def test_an_answer_that_names_a_kind_of_thing_names_each_thing_of_that_kind(kb):
    """"Can I take baclofen with it?" after Botox is answered by Botox with oral medications: baclofen is one of
    them. Botox is one of dystonia's treatments, but no kind of dystonia: what dystonia is does not name it."""
    assert kb.names_topic("cd_botox_with_pills", "baclofen")
    assert not kb.names_topic("cd_botox_what", "baclofen")
    assert not kb.names_topic("cd_what_is", "botox")


async def test_a_treatment_taken_with_the_one_talked_about_asks_to_combine_them(dispatcher, make_tracker):
    """"and can I take baclofen with it" after how often Botox is given: Botox with tablets, not "not covered"."""
    slots = {"topic": "botox", "last_answer": "cd_botox_frequency"}
    ranking = [("ask_not_covered", 0.53), ("followup_combine", 0.24), ("cd_baclofen", 0.06)]
    entities = [{"entity": "topic", "value": "baclofen", "start": 15, "end": 23}]
    tracker = make_tracker(ranking, "and can I take baclofen with it", entities=entities, slots=slots)
    message, _ = await respond(dispatcher, tracker)
    assert message["custom"]["answer_id"] == "cd_botox_with_pills"


@pytest.mark.parametrize("text, terms, expected", [
    # a thing to combine that is no topic and that the answer never says: not Botox with pills
    ("can I have grapefruit juice with them", (), None),
    ("can i have a drink with them", (), None),
    # the thing named is a topic, or only words of asking and of chat: the answer on combining them
    ("can i take them with my botox", ("botox",), "cd_botox_with_pills"),
    ("going back a bit, can i take anything alongside the jabs", ("jabs",), "cd_botox_with_pills"),
    ("can i take them together", (), "cd_botox_with_pills"),
    ("do people usually combine them with anything", (), "cd_botox_with_pills"),  # "people usually" name nothing
    ("anything i can take with them so they work better", (), "cd_botox_with_pills"),  # words of purpose
])
async def test_combining_with_something_the_articles_never_name_is_not_covered(dispatcher, make_tracker, text, terms,
                                                                                expected):
    slots = {"topic": "oral_medications", "earlier_topics": ["botox"], "last_answer": "cd_oral_medications"}
    ranking = [("followup_combine", 0.6), ("ask_not_covered", 0.2)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots))
    assert message["custom"]["answer_id"] == expected
    if expected is None:
        assert message["custom"]["kind"] == "not_covered" and not message["custom"]["citations"]


@pytest.mark.parametrize("last_answer, expected", [("cd_tip_stretching", "cd_tip_stretching"), ("cd_tip_heat", None)])
async def test_a_side_the_last_answer_covers_is_answered_by_it(dispatcher, make_tracker, last_answer, expected):
    """"how often should i do them?" after the stretching tip: it says "daily" (desk work's table gives it for how
    often), although home care as a whole has no answer on how often. The heat tip says nothing of how often."""
    ranking = [("followup_frequency", 0.9), ("cd_botox_frequency", 0.05)]
    slots = {"topic": "home_care", "last_answer": last_answer}
    message, _ = await respond(dispatcher, make_tracker(ranking, "how often should i do them", slots=slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("last_answer, text, expected", [
    ("cd_tip_stress", "how long before it helps", None),  # the heat tip's "how long" is of heat
    ("cd_tip_heat", "how long do i leave it on", "cd_tip_heat"),
])
async def test_a_side_of_one_tip_is_not_answered_by_another_tip(dispatcher, make_tracker, last_answer, text, expected):
    """"how long before it helps?" after the tip on stress: the tip on heat says how long, but of heat; the articles
    say nothing of how long for stress (`another_item_of_last_list`). After the heat tip it is the heat tip."""
    ranking = [("followup_duration", 0.6), ("cd_go_away", 0.2), ("cd_tip_heat", 0.1), ("cd_botox_frequency", 0.1)]
    slots = {"topic": "home_care", "last_answer": last_answer}
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert message["custom"]["answer_id"] == expected
    assert message["custom"]["kind"] == ("answer" if expected else "not_covered")


async def test_what_the_clinic_recommends_is_how_the_condition_is_treated(dispatcher, make_tracker):
    """"well what does the clinic recommend" after acupuncture, which the articles don't cover: how dystonia is
    treated, not the fallback the classifier's "off-topic" would give."""
    slots = {"topic": "cervical_dystonia", "last_answer": None}
    ranking = [("out_of_scope", 0.8), ("ask_not_covered", 0.15), ("cd_what_is", 0.05)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "well what does the clinic recommend", slots=slots))
    assert message["custom"]["answer_id"] == "cd_treatments"


@pytest.mark.parametrize("text, expected", [
    ("how quick does prolotherapy work", "ms_ligament_repair_time"),  # a side of it: how soon it helps
    ("what is prolotherapy", "ms_prolotherapy_what"),
])
async def test_a_side_of_a_named_topic_is_not_overruled_by_what_the_topic_is(dispatcher, make_tracker, text, expected):
    """The classifier, sure, reads "how quick does prolotherapy work?" as what prolotherapy is: that is only a
    reading of the topic the question names, and the side its words ask (how soon it works) makes it precise."""
    ranking = [("ms_prolotherapy_what", 0.98), ("ms_ligament_repair_time", 0.01)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, "prolotherapy")))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("similarity, expected", [(0.9, "cd_cause_medical_conditions"), (0.8, None)])
async def test_asking_for_others_than_those_just_listed_gets_the_list_again(dispatcher, make_tracker, monkeypatch,
                                                                           similarity, expected):
    """"what other diseases do that?" after the diseases that cause spasms: the articles name no others, and the
    turn reads as that very answer; not where it reads only somewhat like it."""
    from actions.followups import followup_reader

    reading = ("cd_cause_medical_conditions", similarity, 0.1, "cd_spasm_causes")
    monkeypatch.setattr(type(followup_reader()), "best", lambda self, *args: reading)
    slots = {"topic": "muscle_spasms", "last_answer": "cd_cause_medical_conditions"}
    ranking = [("out_of_scope", 0.41), ("followup_cause", 0.3), ("cd_spasm_causes", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, "what other diseases do that", slots=slots))
    assert message["custom"]["answer_id"] == expected


async def test_something_told_after_a_list_tells_of_the_thing_of_it_it_reads_closest_to(
        kb, dispatcher, make_tracker, monkeypatch):
    """"i did pull something lifting a bag of compost" after overuse as a cause of spasms: muscle injury, another
    cause of that list, which it reads clearly closest to; with no thing clearly closest, the questions to choose."""
    from actions.followups import followup_reader

    reader_type = type(followup_reader())
    asked = []
    monkeypatch.setattr(reader_type, "best", lambda self, *args: ("cd_cause_overuse", 0.5, 0.01, None))
    monkeypatch.setattr(reader_type, "closest_of", lambda self, text, items: asked.append(items) or closest)
    slots = {"topic": "muscle_spasms", "last_answer": "cd_cause_overuse"}
    told = [("describe_symptom", 0.85), ("cd_cause_overuse", 0.05)]
    for closest, expected in (("cd_cause_muscle_injury", "cd_cause_muscle_injury"), (None, None)):
        dispatcher.messages.clear()
        message, _ = await respond(dispatcher, make_tracker(told, "i did pull something lifting a bag of compost", slots=slots))
        assert message["custom"]["answer_id"] == expected
    assert asked[0] == kb.answers[kb.listing_of("cd_cause_overuse")].items


@pytest.mark.parametrize("text, terms, ranking, slots, expected", [
    # the spasm article: instability in the spine often leads to spasms, tension and headaches
    ("and the headaches?", ("headaches",), [("out_of_scope", 0.4), ("followup_what_about", 0.3)],
     {"topic": "joint_instability", "last_answer": "ms_joint_instability"}, "ms_spine_instability"),
    ("i get headaches every day and my neck is always tight", ("headaches",), [("describe_symptom", 0.9)], {},
     "ms_spine_instability"),
    # a side of a treatment the articles don't cover: not the headaches' answer
    ("can botox give you headaches", ("botox", "headaches"), [("ask_not_covered", 0.6), ("cd_botox_what", 0.2)], {},
     None),
])
async def test_headaches_lead_to_what_the_articles_say_of_them(dispatcher, make_tracker, text, terms, ranking, slots,
                                                              expected):
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots=slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, terms, expected", [
    # electrolytes: a cause of spasms the dystonia article names (potassium, calcium, magnesium)
    ("so what minerals should i be topping up", ("minerals",), "cd_cause_electrolytes"),
    ("could it be salts or something", ("salts",), "cd_cause_electrolytes"),
    # which foods contain them: a side the articles don't give
    ("which foods have magnesium in", ("magnesium",), None),
])
async def test_electrolytes_named_after_the_causes_of_spasms(dispatcher, make_tracker, text, terms, expected):
    slots = {"topic": "muscle_spasms", "last_answer": "cd_cause_dehydration"}
    ranking = [("out_of_scope", 0.3), ("cd_cause_nutrition", 0.25), ("cd_tip_hydration_diet", 0.2)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots=slots))
    assert message["custom"]["answer_id"] == expected
    if expected is None:
        assert message["custom"]["kind"] == "not_covered" and not message["custom"]["citations"]


@pytest.mark.parametrize("text, terms, ranking, expected", [
    # heat, a topic of its own: its one answer is the dystonia article's tip
    ("and a heat pack?", ("heat pack",), [("followup_what_about", 0.99)], "cd_tip_heat"),
    # the tip says to keep a towel between the pad and the skin
    ("is it safe to put the heat pad straight on my skin", ("heat pad",), [("ask_not_covered", 0.6), ("cd_tip_heat", 0.2)],
     "cd_tip_heat"),
    # how hot, the articles don't say
    ("what temperature should the heat pad be on", ("heat pad",), [("ask_not_covered", 0.9), ("cd_tip_heat", 0.05)], None),
])
async def test_heat_named_gets_the_heat_tip(dispatcher, make_tracker, text, terms, ranking, expected):
    slots = {"topic": "home_care", "earlier_topics": ["cervical_dystonia"], "last_answer": "cd_home_tips"}
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots=slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, terms, expected", [
    # points back, and the last answer says Parkinson's: benztropine, not levodopa
    ("isn't that a parkinsons drug? I don't have parkinsons", (), "cd_anticholinergics"),
    ("arent those parkinsons drugs? she hasnt got parkinsons", ("drugs",), "cd_anticholinergics"),
    # names another thing of the list: that one
    ("what about levodopa, is that for parkinsons", ("levodopa",), "cd_levodopa"),
])
async def test_a_turn_pointing_back_means_the_last_answer_over_a_sibling_of_its_list(
        dispatcher, make_tracker, text, terms, expected):
    """After benztropine (an anticholinergic, also used in Parkinson's), the classifier reads "parkinsons drug" as
    levodopa, another of the dystonia medicines; a turn that points back and names nothing else means benztropine."""
    slots = {"topic": "anticholinergics", "earlier_topics": ["cervical_dystonia"], "last_answer": "cd_anticholinergics"}
    ranking = [("cd_levodopa", 0.95), ("cd_anticholinergics", 0.03)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots=slots))
    assert message["custom"]["answer_id"] == expected


async def test_a_sibling_the_turn_speaks_of_is_not_overruled_by_the_last_answer(dispatcher, make_tracker):
    """"could a carpal tunnel thing be causing that" after overuse as a cause: overuse says "cause" too, but only
    nerve compression, which the classifier reads, says carpal tunnel."""
    slots = {"topic": "muscle_spasms", "last_answer": "cd_cause_overuse"}
    ranking = [("cd_cause_nerve_compression", 0.98), ("cd_cause_overuse", 0.01)]
    text = "could a carpal tunnel thing be causing that"
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert message["custom"]["answer_id"] == "cd_cause_nerve_compression"


@pytest.mark.parametrize("text, terms, slots, expected", [
    # two treatments of dystonia the question names
    ("baclofen vs clonazepam", ("baclofen", "clonazepam"), {}, ["cd_baclofen", "cd_clonazepam"]),
    # one it names, beside the last answer's
    ("how does that compare to prolotherapy", ("prolotherapy",),
     {"topic": "trigger_point_injections", "last_answer": "ms_trigger_point_injections"},
     ["ms_prolotherapy_what", "ms_trigger_point_injections"]),
    # Botox is of the dystonia article, the back spasms of the other: not covered
    ("how does that compare to botox for back spasms", ("botox", "spasms"), {"topic": "baclofen", "last_answer": "cd_baclofen"},
     None),
    # one thing of ours and one the articles never name: not covered
    ("is a massage gun as good as a real massage", ("massage",), {}, None),
    # physical therapy, of both articles, compared with a treatment of one: that article's answer on it
    ("whats better for my sore back, massage or physio", ("massage", "physio"), {},
     ["ms_massage", "ms_physical_therapy"]),
    ("which is worse, the brain op or snipping the nerves", ("brain op", "snipping the nerves"), {},
     ["cd_dbs_what", "cd_nerve_surgery"]),
])
async def test_two_treatments_compared_get_what_the_articles_say_of_each(
        kb, dispatcher, make_tracker, text, terms, slots, expected):
    """The articles never compare treatments side by side: a comparison of two treatments of one condition gets
    "our articles don't compare them directly" and the answer on each, with every passage cited."""
    ranking = [("ask_not_covered", 0.65), ("cd_baclofen", 0.1)]
    message, events = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots=slots))
    if expected is None:
        assert message["custom"]["kind"] == "not_covered" and not message["custom"]["citations"]
        return
    cited = {c["passage_id"] for c in message["custom"]["citations"]}
    assert cited == {p for a in expected for p in kb.answers[a].citations}
    assert message["text"].startswith("Our articles don't compare")
    assert all(kb.answers[a].text in message["text"] for a in expected)
    assert SlotSet("last_answer", expected[0]) in events


@pytest.mark.parametrize("slots, text, ranking, expected", [
    # the last answer says "missed diagnosis"; the classifier reads dystonia's diagnosis, of the other article
    ({"topic": "muscle_spasms", "last_answer": "ms_muscle_pain_symptom"}, "whats the missed diagnosis then",
     [("cd_diagnosis", 0.8), ("ms_muscle_pain_symptom", 0.1)], "ms_muscle_pain_symptom"),
    # the last answer says nothing the turn asks: the classifier's answer from the other article stands
    ({"topic": "cervical_dystonia", "last_answer": "cd_what_is"}, "why do they heal so slowly",
     [("ms_blood_supply", 0.85), ("cd_what_is", 0.05)], "ms_blood_supply"),
])
async def test_a_turn_saying_words_of_the_last_answer_is_not_read_in_the_other_article(
        dispatcher, make_tracker, slots, text, ranking, expected):
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("slots, text, expected", [
    # the dystonia article says it may go away, never whether it comes back
    ({"topic": "cervical_dystonia", "last_answer": "cd_go_away"}, "will it come back tho", None),
    ({"topic": "cervical_dystonia", "last_answer": "cd_go_away"}, "whats the chance it comes back", None),
    # the spasm article says the tightness comes back after massage while the joint is loose
    ({"topic": "massage", "last_answer": "ms_massage"}, "will it come back if i stop", "ms_massage"),
])
async def test_whether_a_thing_comes_back_is_answered_only_where_the_articles_say(
        dispatcher, make_tracker, slots, text, expected):
    message, _ = await respond(dispatcher, make_tracker([("cd_go_away", 0.45), ("ms_massage", 0.2)], text, slots=slots))
    if expected is None:
        assert message["custom"]["kind"] == "not_covered" and message["custom"]["side"] == "recurrence"
    else:
        assert message["custom"]["answer_id"] == expected


@pytest.mark.parametrize("text, expected", [
    ("do they cause weight gain", None),  # the answer names tiredness and memory problems, not weight
    ("does it make you sick, he keeps feeling nauseous", None),
    ("will they make me drowsy", "cd_medication_side_effects"),  # tiredness the answer does name
])
async def test_a_particular_side_effect_the_answer_never_names_is_not_answered_with_it(
        dispatcher, make_tracker, text, expected):
    slots = {"topic": "oral_medications", "earlier_topics": ["cervical_dystonia"], "last_answer": "cd_medication_side_effects"}
    ranking = [("followup_side_effects", 0.5), ("ask_not_covered", 0.3), ("cd_medication_side_effects", 0.1)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, slots=slots))
    if expected:
        assert message["custom"]["answer_id"] == expected
        return
    assert message["custom"]["kind"] == "not_covered" and not message["custom"]["citations"]
    assert message["text"].startswith("Our articles don't name that among the side effects")
    assert message["buttons"][0]["payload"] == "/cd_medication_side_effects"  # what they do say, to read


@pytest.mark.parametrize("text, terms", [("do they cause dry mouth", []),
                                         ("does levodopa cause hallucinations", ["levodopa"])])
async def test_a_medicine_asked_to_cause_a_particular_side_effect_is_told_the_articles_dont_name_it(
        dispatcher, make_tracker, text, terms):
    """"Does levodopa cause hallucinations?" asks of its side effects, not what causes dystonia, nor what levodopa is."""
    slots = {"topic": "levodopa", "earlier_topics": ["cervical_dystonia"], "last_answer": "cd_levodopa"}
    ranking = [("cd_levodopa", 0.9), ("cd_causes", 0.05), ("ask_not_covered", 0.03)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, *terms), slots))
    assert message["custom"]["kind"] == "not_covered" and message["custom"]["side"] == "side_effects"
    assert message["text"].startswith("Our articles don't name that among the side effects")


async def test_a_kind_of_thing_asked_of_is_the_one_of_its_article_that_covers_the_side(dispatcher, make_tracker):
    """"where do the jabs go?" after the blood supply of ligaments: of the spasm article's injections, only
    Prolotherapy's place is said. Not after trigger point injections, whose jabs those are (not covered)."""
    ranking = [("followup_where", 0.9), ("ms_prolotherapy_where", 0.05)]
    slots = {"topic": "joint_instability", "last_answer": "ms_blood_supply"}
    message, _ = await respond(dispatcher, make_tracker(ranking, "where exactly do those jabs go", slots=slots))
    assert message["custom"]["answer_id"] == "ms_prolotherapy_where"
    dispatcher.messages.clear()
    slots = {"topic": "trigger_point_injections", "last_answer": "ms_trigger_point_injections"}
    message, _ = await respond(dispatcher, make_tracker(ranking, "where exactly do those jabs go", slots=slots))
    assert message["custom"]["kind"] == "not_covered"


async def test_a_cause_the_story_tells_and_the_question_points_back_at_is_the_cause_asked(dispatcher, make_tracker):
    """"He also takes a water tablet. Could that be why he gets cramps?": "that" is the water tablet, a medicine the
    articles name only as a cause, so medicines as a cause of cramps, not the classifier's dehydration (water)."""
    text = "He also takes a water tablet. Could that be why he gets cramps?"
    slots = {"topic": "oral_medications", "last_answer": "cd_medication_side_effects"}
    ranking = [("cd_cause_dehydration", 0.81), ("cd_cause_medication", 0.07)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, "water tablet", "cramps"),
                                                        slots))
    assert message["custom"]["answer_id"] == "cd_cause_medication"


async def test_a_bare_question_after_a_story_of_another_topic_asks_of_that_topic(dispatcher, make_tracker):
    """"he gets massages, they dont last. why" after rest: the classifier reads massage and the story names it, so
    the "why" asks of massage, not for more of what was said of rest."""
    text = "he gets massages, they dont last. why"
    slots = {"topic": "rest", "earlier_topics": ["muscle_spasms"], "last_answer": "ms_rest"}
    ranking = [("ms_massage", 0.89), ("ms_common_treatments", 0.06)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, topic_entities(text, "massages"), slots))
    assert message["custom"]["answer_id"] == "ms_massage"


@pytest.mark.parametrize("text, last_answer, topic, expected", [
    ("so who should i actually be seeing", "ms_physical_therapy", "physical_therapy", "ms_when_evaluated"),
    ("ok then whats the next step", "ms_physical_therapy", "physical_therapy", "ms_when_evaluated"),
    ("so where should i send them", "ms_massage", "massage", "ms_when_evaluated"),  # of the condition massage treats
    ("who should she see about it", "cd_physical_therapy", "physical_therapy", "cd_ask_doctor"),
])
async def test_who_to_see_next_after_a_treatment(dispatcher, make_tracker, text, last_answer, topic, expected):
    """Who to see, or the next step, after a treatment: the answer on who to see about the condition it treats, of
    the conversation's article; not "our articles don't say who to see about physical therapy"."""
    slots = {"topic": topic, "last_answer": last_answer}
    message, _ = await respond(dispatcher, make_tracker([("out_of_scope", 0.45), ("ms_when_evaluated", 0.15)], text,
                                                        slots=slots))
    assert message["custom"].get("answer_id") == expected


@pytest.mark.parametrize("text, last_answer, again", [
    ("what else is a sign", "cd_spasm_warning_signs", True),
    ("what else can press on a nerve like that", "cd_cause_nerve_compression", True),  # "like that" names nothing
    ("what else can be low", "cd_cause_electrolytes", True),
    ("what else can i do", "cd_tip_stress", False),  # no word of a kind: what there is besides
    ("so what's the alternative", "ms_trigger_point_injections", False),  # not the "s" of "what's"
])
async def test_what_else_of_a_kind_the_last_answer_lists_gets_that_list_again(dispatcher, make_tracker, text,
                                                                              last_answer, again):
    """"what else is a sign" after the warning signs: "else" asks for more of a kind the last answer lists, so that
    answer again, not what there is besides it."""
    slots = {"topic": "muscle_spasms", "last_answer": last_answer}
    message, _ = await respond(dispatcher, make_tracker([("ms_take_anything", 0.5), ("out_of_scope", 0.3)], text,
                                                        slots=slots))
    assert (message["custom"].get("answer_id") == last_answer) is again


@pytest.mark.parametrize("text, term", [
    ("why would loose ligaments do that", "loose ligaments"), ("how do lose ligaments cause that", "lose ligaments"),
])
async def test_why_a_named_cause_brings_on_what_was_talked_about(dispatcher, make_tracker, text, term):
    """"why would loose ligaments do that" after massage for spasms: why loose ligaments make muscles spasm, not
    what loose ligaments are, which the classifier reads."""
    slots = {"topic": "massage", "earlier_topics": ["muscle_spasms"], "last_answer": "ms_massage"}
    entities = [{"entity": "topic", "value": "loose ligaments", "start": text.index(term), "end": text.index(term) + len(term)}]
    ranking = [("ms_joint_instability", 0.46), ("ms_why_spasms", 0.2)]
    message, _ = await respond(dispatcher, make_tracker(ranking, text, entities, slots))
    assert message["custom"]["answer_id"] == "ms_why_spasms"
