"""The one custom action: every user message gets its reply from `action_respond`.

It screens the message for red flags first (actions/safety.py), then reads the intent ranking and decides
between an answer, a referral, a handoff, a follow-up in context, a "did you mean", an honest fallback or
smalltalk, and attaches the `custom` payload the widget and the evaluations read.
"""
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import config
from actions.clinic import clinic, tel
from actions.knowledge import knowledge_base
from actions.safety import Screening, screener

SMALLTALK = {"greet", "goodbye", "thanks", "ask_capabilities", "bot_challenge"}
FOLLOWUP_PREFIX = "followup_"
OUT_OF_SCOPE = "out_of_scope"
WHAT_ABOUT = "followup_what_about"
EMERGENCY = "emergency"
HANDOFF = "request_human"
MAX_EARLIER_TOPICS = 3


def payload(kind: str, answer_id: Optional[str] = None, citations=(), suggestions=()) -> Dict[str, Any]:
    return {"kind": kind, "answer_id": answer_id, "citations": list(citations), "suggestions": list(suggestions)}


class ActionRespond(Action):
    def name(self) -> Text:
        return "action_respond"

    def __init__(self) -> None:
        self.kb = knowledge_base()
        self.safety_rules = screener()  # built once, when the action server starts

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        disclaimer = []
        if not tracker.get_slot("disclaimer_said"):  # action_session_start failed (action server down): say it now
            disclaimer = ActionSessionStart.disclaim(dispatcher)
        message = tracker.latest_message or {}
        screening = screener().screen(message.get("text") or "")
        named = self.named_topics(tracker)
        ranking = self.ranking(message, named)
        intent, confidence = ranking[0].get("name"), ranking[0].get("confidence") or 0.0

        # Safety first: a red flag in the words, or the emergency intent as a second net where no rule spoke.
        nlu_emergency = intent == EMERGENCY and confidence >= config.EMERGENCY_MIN_CONFIDENCE
        if screening.emergencies or (nlu_emergency and not screening.matched_anything):
            return disclaimer + self.emergency(dispatcher, screening.emergencies)
        events = self.reply(dispatcher, tracker, screening, ranking, named)
        if screening.history:
            what = " or ".join(self.safety_rules.categories[c]["label"] for c in screening.history)
            dispatcher.utter_message(text=self.kb.message("history_reminder", what=what))
        return disclaimer + events

    def ranking(self, message: Dict[Text, Any], named: List[str]) -> List[Dict[Text, Any]]:
        ranking = message.get("intent_ranking") or [message.get("intent") or {"name": None, "confidence": 0.0}]
        others = [r for r in ranking if r.get("name") != WHAT_ABOUT]
        if not named and others and len(others) < len(ranking):
            # "what about X?" is only that when X is a known term ("and how often?" is not): take the
            # classifier's probabilities given that it is something else.
            rest = sum(r["confidence"] for r in others) or 1.0
            ranking = [{**r, "confidence": r["confidence"] / rest} for r in others]
        return ranking

    def reply(self, dispatcher, tracker: Tracker, screening: Screening, ranking: List[dict], named: List[str]):
        top = ranking[0]
        runner_up = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
        intent, confidence = top.get("name"), top.get("confidence") or 0.0
        confident = confidence >= config.ANSWER_MIN_CONFIDENCE and confidence - runner_up >= config.ANSWER_MIN_MARGIN

        if screening.refer:
            return self.answer(dispatcher, screening.refer, tracker)
        if screening.handoff or (confident and intent == HANDOFF):
            return self.handoff(dispatcher)
        sure_enough = named or confidence >= config.ANSWER_MIN_CONFIDENCE_WITHOUT_TERM
        if confident and intent in self.kb.answers and sure_enough:
            return self.answer(dispatcher, intent, tracker)
        if confident and intent in SMALLTALK:
            return self.smalltalk(dispatcher, intent)
        if confident and intent and intent.startswith(FOLLOWUP_PREFIX):
            return self.followup(dispatcher, tracker, intent[len(FOLLOWUP_PREFIX) :])
        if not (confident and intent == OUT_OF_SCOPE):
            candidates = [
                r["name"]
                for r in ranking
                if r.get("name") in self.kb.answers and r["confidence"] >= config.CLARIFY_MIN_CONFIDENCE
            ]
            if candidates:
                return self.offer(dispatcher, self.kb.message("clarify"), "clarify", candidates)
        return self.offer(dispatcher, self.kb.message("fallback"), "fallback", self.kb.messages["starter_questions"])

    def emergency(self, dispatcher: CollectingDispatcher, categories: Tuple[str, ...]) -> List[Dict[Text, Any]]:
        """The fixed emergency reply: the numbers to call, and nothing else in this turn."""
        rules = self.safety_rules.categories
        what = " or ".join(rules[c]["label"] for c in categories) if categories else "what you describe"
        numbers = ["emergency_number"]
        for category in categories:
            numbers += [n for n in rules[category]["call"] if n not in numbers]
        texts = [self.kb.message("emergency", what=what)]
        texts += [self.kb.message(f"emergency_{n}") for n in numbers if n != "emergency_number"]
        contacts = [
            {"label": self.kb.messages["contact_labels"][n], "number": clinic()[n], "href": tel(clinic()[n])}
            for n in numbers
            if clinic()[n]
        ]
        custom = {**payload("emergency"), "categories": list(categories), "contacts": contacts}
        dispatcher.utter_message(text=" ".join(texts), json_message=custom)
        return []

    def handoff(self, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
        """A person to talk to: the clinic's phone, opening hours and booking link from clinic.yml."""
        details = clinic()
        text = self.kb.message(
            "handoff",
            by_phone=f" by phone at {details['phone']}" if details["phone"] else "",
            hours=f" ({details['opening_hours']})" if details["opening_hours"] and details["phone"] else "",
            booking=f" You can book an appointment at {details['booking_url']}" if details["booking_url"] else "",
        )
        contact = {
            "name": details["name"],
            "phone": details["phone"],
            "phone_href": tel(details["phone"]) if details["phone"] else None,
            "opening_hours": details["opening_hours"],
            "booking_url": details["booking_url"],
        }
        dispatcher.utter_message(text=text, json_message={**payload("handoff"), "contact": contact})
        return []

    def answer(
        self, dispatcher: CollectingDispatcher, answer_id: str, tracker: Tracker
    ) -> List[Dict[Text, Any]]:
        """Utter an answer with its passages; its topic becomes the conversation's current topic."""
        answer = self.kb.answers[answer_id]
        suggestions = [self.kb.suggestion(a) for a in self.kb.related(answer_id)]
        dispatcher.utter_message(
            text=answer.text,
            json_message=payload(answer.kind, answer_id, self.kb.citations(answer_id), suggestions),
        )
        return [SlotSet("last_answer", answer_id), *self.remember_topic(answer.topic, tracker)]

    def named_topics(self, tracker: Tracker) -> List[str]:
        """Topics of the terms the entity ruler found in the latest message, in order."""
        entities = (tracker.latest_message or {}).get("entities") or []
        topics = [self.kb.topic_for_term(e.get("value", "")) for e in entities]
        return [t for t in topics if t]

    def remember_topic(self, topic: str, tracker: Tracker) -> List[Dict[Text, Any]]:
        """The answer's topic becomes current; the previous one and any other topic the patient just named
        move to the front of `earlier_topics`, so that a later "it" can still refer to them."""
        candidates = [*self.named_topics(tracker), tracker.get_slot("topic"), *(tracker.get_slot("earlier_topics") or [])]
        earlier: List[str] = []
        for candidate in candidates:
            if candidate and candidate != topic and candidate not in earlier:
                earlier.append(candidate)
        return [SlotSet("topic", topic), SlotSet("earlier_topics", earlier[:MAX_EARLIER_TOPICS])]

    def smalltalk(self, dispatcher: CollectingDispatcher, intent: str) -> List[Dict[Text, Any]]:
        suggestions = []
        if intent in ("greet", "ask_capabilities"):
            suggestions = [self.kb.suggestion(a) for a in self.kb.messages["starter_questions"]]
        dispatcher.utter_message(
            text=self.kb.message("smalltalk", intent), json_message=payload("smalltalk", suggestions=suggestions)
        )
        return []

    def followup(self, dispatcher: CollectingDispatcher, tracker: Tracker, aspect: str) -> List[Dict[Text, Any]]:
        """A question that refers back ("how often?", "what about massage?").

        A topic named in the message wins; otherwise "it" is the most recent topic of the conversation for
        which the articles cover this aspect.
        """
        named = self.named_topics(tracker)
        if aspect == "what_about" and named:
            answer_id = self.kb.topic_answer(named[-1], tracker.get_slot("last_answer"))
            return self.answer(dispatcher, answer_id, tracker)
        recent = named[:1] or [tracker.get_slot("topic"), *(tracker.get_slot("earlier_topics") or [])]
        recent = [t for t in recent if t in self.kb.topics]
        if not recent:
            return self.offer(
                dispatcher, self.kb.message("followup_without_topic"), "clarify", self.kb.messages["starter_questions"]
            )
        for topic in recent:
            answer_id = self.kb.followup(topic, aspect)
            if answer_id:
                return self.answer(dispatcher, answer_id, tracker)
        topic = recent[0]
        text = self.kb.message(
            "followup_not_covered",
            aspect=self.kb.messages["aspects"].get(aspect, "that about"),
            topic=self.kb.topics[topic].label,
        )
        return self.offer(dispatcher, text, "clarify", self.kb.topic_answers(topic))

    def offer(self, dispatcher: CollectingDispatcher, text: str, kind: str, answer_ids: List[str]) -> List[Dict]:
        """A reply without an answer: the question buttons a patient can pick from instead."""
        buttons = [self.kb.suggestion(a) for a in answer_ids[: config.MAX_CHOICES]]
        dispatcher.utter_message(text=text, buttons=buttons, json_message=payload(kind, suggestions=buttons))
        return []


class ActionSessionStart(Action):
    """Every conversation starts with the disclaimer, once."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return [SessionStarted(), *self.disclaim(dispatcher), ActionExecuted("action_listen")]

    @staticmethod
    def disclaim(dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=knowledge_base().message("disclaimer"), json_message=payload("disclaimer"))
        return [SlotSet("disclaimer_said", True)]
