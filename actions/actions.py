"""The one custom action: every user message gets its reply from `action_respond`.

It reads the turn once (actions/reading.py: the safety screening, intent ranking, topics, the side asked
about, the conversation's topics), then decides between an emergency reply, a referral, a handoff, an answer
(in context for follow-ups), "the articles don't say that", a "did you mean", an honest fallback or
smalltalk, and attaches the `custom` payload the widget and the evaluations read.
"""
import re
from itertools import chain
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import config
from actions.clinic import clinic, tel
from actions.followups import Reading, followup_reader
from actions.knowledge import Aspect, knowledge_base
from actions.reading import ECHO_WORDS, MORE_OF_LAST, Turn, reader
from actions.safety import screener

SMALLTALK = {"greet", "goodbye", "thanks", "ask_capabilities", "bot_challenge"}
OUT_OF_SCOPE = "out_of_scope"
NOT_COVERED = "ask_not_covered"  # an in-domain question the articles don't answer
EMERGENCY = "emergency"
SYMPTOM = "describe_symptom"  # an everyday symptom told without a question
HANDOFF = "request_human"
MAX_EARLIER_TOPICS = 3
CARRIED_SLOTS = ("topic", "earlier_topics", "last_answer", "listing", "disclaimer_said")  # into a session started by rollover
# "What do they (normally) do (for it)?": people who do something, not a thing that works; not "what do they do
# in the sessions?", which asks how a treatment goes
THEY_DO = re.compile(r"\bwhat\s+(?:do|would|will|can|could)\s+they\s+(?:\w+\s+)?do\b(?!\s+(?:in|at|during|with|to)\b)")
# What a topic is asked to cause ("can it cause headaches?", "could that give you headaches too?")
CAUSES_WHAT = re.compile(r"\b(?:cause|causes|give|gives|bring on|brings on|lead to|leads to|trigger|triggers)\b(.+)")
ELLIPTICAL_OPENING = r"(?:and|or|also|what about|how about)"
ELLIPSIS = re.compile(rf"\s*{ELLIPTICAL_OPENING}\b", re.IGNORECASE)  # "and a bad diet?"
FOR_ANOTHER = re.compile(rf"^\W*{ELLIPTICAL_OPENING}\s+(?:for|with)\b")  # "and for loose joints?"
COMPARED_WITH = re.compile(r"\b(?:vs|versus|compared?|comparison)\b")  # "vs prolo, which lasts longer?"
# "why would loose ligaments do that", "how do they cause that": how a named thing brings on what was talked about
HOW_IT_DOES_THAT = re.compile(r"\b(?:why|how)\b.*\b(?:(?:do|does|did)\s+(?:that|this)|(?:cause|causes|make|makes|lead to|"
                              r"leads to|trigger|triggers|bring on|brings on)\s+(?:that|this|it|them))\b")
# "which minerals matter?", "so what pills": which of a thing, asked at the question's start
WHICH_OF = re.compile(r"^\W*(?:(?:so|and|but|ok|okay)\W+)?(?:which|what)\s+([a-z]+)")
# Asks for an amount or a particular the last answer does not give, or for another thing than it
ASKS_PAST_LAST = re.compile(r"\b(?:how\s+(?:much|many)|percent\w*|exactly|other|else|another)\b")
MAX_CARRIED_ANSWERS = 20  # answers a patient can still vote on after a rollover
# Words of chat that name nothing to combine ("can we do both at once lol")
CHAT_WORDS = frozenset("""lol tho pls plz please ok okay thanks thank yeah yes u ur im hmm hm um uh ah oh
actually really just like also too going back bit bother people usually normally generally typically folks patients
doctors""".split())
# Words that say what a thing should do, not a thing: "something i can take with it so it works better"
PURPOSE_WORDS = frozenset("better work works working help helps helping effective improve stronger longer".split())
knowledge_base()  # read and checked when the action server starts: contradicting knowledge files stop it here


def payload(kind: str, answer_id: Optional[str] = None, citations=(), suggestions=()) -> Dict[str, Any]:
    return {"kind": kind, "answer_id": answer_id, "citations": list(citations), "suggestions": list(suggestions)}


class ActionRespond(Action):
    def name(self) -> Text:
        return "action_respond"

    def __init__(self) -> None:
        self.kb = knowledge_base()
        self.held = set(self.kb.held())
        self.reader = reader()  # built once, when the action server starts
        self.followups = followup_reader()
        self.safety_rules = screener()
        self.term_words = {  # topic -> the words of its terms
            t.name: frozenset(w for term in t.terms for w in re.findall(r"[a-z]+", term.lower())) for t in self.kb.topics.values()}
        self.naming_nothing = self.words_naming_nothing()  # for names_something_unsaid, built once
        kind_words = sorted({w for t in self.kb.topics.values() for w in t.article_terms})  # "shots", "study"
        self.kind_word = re.compile(r"\b(?:" + "|".join(map(re.escape, kind_words)) + r")\b")
        # conditions: what a treatment treats or a cause causes
        self.ailments = self.kb.conditions | {c for t in self.kb.topics.values() for c in t.as_cause}

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        events = self.respond(dispatcher, tracker)
        return events + self.rollover(dispatcher, tracker, events)

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        """This turn's reply (safety first, then the ladder of `reply`) and the slots it sets."""
        disclaimer = []
        if not tracker.get_slot("disclaimer_said"):  # action_session_start failed (action server down): say it now
            disclaimer = ActionSessionStart.disclaim(dispatcher)
        turn = self.reader.read(tracker)

        # Safety first: a red flag in the words, or the emergency intent as a second net where no rule spoke and
        # the words name acute danger or a serious sign (without that, the reader has already set it aside).
        nlu_emergency = (
            turn.intent == EMERGENCY and turn.confidence >= config.EMERGENCY_MIN_CONFIDENCE and turn.screening.alarming
        )
        if turn.screening.emergencies:
            events = self.emergency(dispatcher, turn.screening.emergencies, turn.screening.suspected)
            return disclaimer + events + self.remember(turn)
        if nlu_emergency and not turn.screening.matched_anything:
            return disclaimer + self.emergency(dispatcher, turn.screening.suspected) + self.remember(turn)
        events = self.reply(dispatcher, turn)
        if turn.emergency_set_aside:  # the uncertain middle: the signs and the number, without the alarm
            dispatcher.utter_message(text=self.kb.message("emergency_check"))
        elif turn.screening.history:
            what = " or ".join(self.safety_rules.categories[c]["label"] for c in turn.screening.history)
            dispatcher.utter_message(text=self.kb.message("history_reminder", what=what))
        return disclaimer + events

    @staticmethod
    def rollover(dispatcher: CollectingDispatcher, tracker: Tracker, events: List[Dict]) -> List[Dict[Text, Any]]:
        """After config.MAX_SESSION_TURNS turns a new session starts behind this reply, with the conversation's
        slots, this reply's buttons and the answers given lately carried over (for follow-ups, the `/` rule
        and votes). Rasa loads, replays and sends every event of a session at every turn: this keeps a turn's
        cost flat however long the conversation goes on. The patient sees nothing of it."""
        if sum(1 for e in tracker.events if e.get("event") == "user") < config.MAX_SESSION_TURNS:
            return []
        slots = {name: tracker.get_slot(name) for name in CARRIED_SLOTS}
        slots.update({e["name"]: e["value"] for e in events if e.get("event") == "slot" and e["name"] in slots})
        replies = [e.get("data") or {} for e in tracker.events if e.get("event") == "bot"]
        replies += [{"custom": m.get("custom"), "buttons": m.get("buttons")} for m in dispatcher.messages]
        given = list(tracker.get_slot("given_answers") or [])
        for custom in (r.get("custom") or {} for r in replies):
            if custom.get("kind") == "answer" and custom.get("answer_id"):
                given = [a for a in given if a != custom["answer_id"]] + [custom["answer_id"]]
        offered = [c["payload"] for m in dispatcher.messages
                   for c in [*(m.get("buttons") or []), *((m.get("custom") or {}).get("suggestions") or [])]]
        return [SessionStarted(), *(SlotSet(name, value) for name, value in slots.items() if value is not None),
                SlotSet("given_answers", given[-MAX_CARRIED_ANSWERS:]), SlotSet("offered_payloads", offered)]

    def reply(self, dispatcher: CollectingDispatcher, turn: Turn) -> List[Dict[Text, Any]]:
        """The decision ladder: the first step that fits the turn gives the reply."""
        intent, confident = turn.intent, turn.confident
        side = self.side_asked(turn)
        clinic_question = bool(side) and self.kb.aspects[side[0]].clinic  # "how much does botox cost" is no dose
        if turn.screening.refer and not clinic_question:
            return self.refer(dispatcher, turn)
        # Words that ask for the clinic yield to an answer the classifier is sure of ("tips for between appointments")
        if (turn.screening.handoff and not self.sure_answer(turn)) or (confident and intent == HANDOFF):
            return self.handoff(dispatcher, turn)
        # told, not asked; unless it tells of a side the articles answer ("it's making me so sleepy" after clonazepam)
        if confident and intent == SYMPTOM and not turn.asks and not (side and side[2]) and not turn.meant_item:
            if turn.screening.told_refer:  # "my mum's head keeps pulling to the left on its own": how it's diagnosed
                return self.answer(dispatcher, turn.screening.told_refer, turn)
            told = (self.told_in_context(turn) or self.agreed_in_context(turn) or self.read_alone(turn)
                    or self.told_item_of_last_list(turn))
            if told:  # "they come even at night when im lying still" after rest: what that means for it; a first
                # "my neck is always tight and i get headaches": the answer the classifier and the meaning agree on
                return self.answer(dispatcher, told, turn)
            told_of_last = self.told_as_last_said(turn)
            if told_of_last:  # "he says the neck feels weak too" after the warning signs, which name weakness
                return self.answer(dispatcher, told_of_last, turn)
            options = self.symptom_options(turn)
            if turn.named and len(options) == 1:  # "i sit at a computer all day": what the articles say of that
                return self.answer(dispatcher, options[0], turn)
            return self.offer(dispatcher, self.kb.message("symptom"), "clarify", options, turn)
        if turn.meant_item and not side:  # "tell me more about the second one"; "and the first one, how often?"
            return self.answer(dispatcher, self.of_meant_item(turn), turn) + [SlotSet("listing", turn.listing)]
        beyond = self.list_beyond(turn)
        if beyond:  # "is there anything besides botox for neck dystonia": the list Botox is one of
            return self.answer(dispatcher, beyond, turn)
        if self.echoes_last(turn):  # "a symptom of what?" after "muscle pain is a symptom": more of the same
            return self.answer(dispatcher, turn.last_answer, turn)
        brings_on = self.how_named_brings_on_what_was_said(turn)
        if brings_on:  # "why would loose ligaments do that" after massage for spasms: why loose ligaments make spasms
            return self.answer(dispatcher, brings_on, turn)
        if side:
            aspect, topic, answer_id = side
            if answer_id:
                return self.answer(dispatcher, answer_id, turn)
            compared = self.treatments_compared(turn) if self.kb.aspects[aspect].each_described else []
            if compared:  # "baclofen vs clonazepam?": the articles describe each, never side by side
                return self.describe_each(dispatcher, aspect, compared, turn)
            return self.not_covered(dispatcher, turn, aspect, topic, self.particular_unsaid(turn, aspect, topic))
        if self.asks_of_words_last_said(turn):  # "can i put it straight on my skin?" after heat: the towel between
            return self.answer(dispatcher, turn.last_answer, turn)
        situation = self.situation_named(turn)
        if situation:  # "i'm at a desk all day, does that change anything": the tip for desk workers
            return self.answer(dispatcher, situation, turn)
        which = None if confident and intent in self.kb.answers else self.which_of_named(turn)
        if which:  # "which minerals matter for cramps": the electrolytes the article names
            return self.answer(dispatcher, which, turn)
        if confident and intent == NOT_COVERED:
            competing = self.competing_answer(turn)
            if competing:  # "does yoga count?" after stress: the tip on stress, which the classifier saw too
                return self.answer(dispatcher, competing, turn)
            says_all = self.named_answer_says_all(turn)
            if says_all:  # "can yoga make it better?": the tip on stress says yoga and better
                return self.answer(dispatcher, says_all, turn)
            return self.not_covered(dispatcher, turn, "other", (turn.named or turn.context or [None])[0])
        cause_told = self.cause_named_in_context(turn)
        if cause_told:  # "i started a new antidepressant last month" after the causes of cramps: medicines as a cause
            return self.answer(dispatcher, cause_told, turn)
        same_side = self.same_side_of_named(turn)
        if same_side:  # "and for dystonia specifically?" after what to take for spasms: dystonia's treatments
            return self.answer(dispatcher, same_side, turn)
        sibling = self.sibling_of_last(turn)
        if sibling:  # "and a bad diet?" after dehydration as a cause of cramps: diet as a cause too
            return self.answer(dispatcher, sibling, turn)
        if turn.named and not confident and len(turn.text.split()) <= config.MAX_WORDS_NAMING_ONLY:
            return self.answer(dispatcher, self.kb.topic_answer(turn.named[0], turn.last_answer), turn)  # "and diet?"
        if turn.in_question and turn.followup_aspect != "what_about" and self.asks_for_named_topic(turn):
            # "are there pills for it?" after dystonia: the pills, not how to treat dystonia or the pills
            return self.answer(dispatcher, self.kb.topic_answer(turn.named[0], turn.last_answer), turn)
        close = self.close_call(turn)
        if close:  # "is that the main thing" after what to take for spasms: their causes, or dehydration as one?
            return self.offer(dispatcher, self.kb.message("clarify"), "clarify", close, turn)
        in_context = self.in_context(turn)
        if in_context and self.readings_disagree(turn, in_context):  # a guess: offered, not asserted
            return self.offer(dispatcher, self.kb.message("clarify"), "clarify", self.guesses(turn, in_context), turn)
        if in_context:
            return self.answer(dispatcher, in_context, turn)
        cause_of_named = self.named_condition_of_last_cause(turn)
        if cause_of_named:  # "why would the muscles spasm though" after loose ligaments: why loose ligaments do that
            return self.answer(dispatcher, cause_of_named, turn)
        last_meant = confident and intent in self.kb.answers and (
            self.other_article_meant_last(turn) or self.sibling_meant_last(turn))
        if last_meant:
            # "what's the missed diagnosis?" after muscle pain as a symptom: joint instability's, not dystonia's;
            # "isn't that a parkinsons drug?" after benztropine: benztropine (also used in Parkinson's), not levodopa
            return self.answer(dispatcher, turn.last_answer, turn)
        if confident and intent in self.kb.answers and self.sure_enough(turn):
            return self.answer(dispatcher, intent, turn)
        if confident and intent in SMALLTALK:
            return self.smalltalk(dispatcher, intent)
        if self.asks_for_named_topic(turn):  # "and diet?"; "back to pills then, what are the options?"
            return self.answer(dispatcher, self.kb.topic_answer(turn.named[0], turn.last_answer), turn)
        if turn.followup_aspect:  # a follow-up with nothing to refer to
            text = self.kb.message("followup_without_topic")
            return self.offer(dispatcher, text, "clarify", self.kb.messages["starter_questions"], turn)
        best_of_topic = self.best_of_named_topic(turn)
        if best_of_topic:  # "going back to the tablets, what are they?"
            return self.answer(dispatcher, best_of_topic, turn)
        agreed = self.agreed_in_context(turn)
        if agreed:  # "so they're just overworked?" after why muscles feel tight: two unsure readings that agree
            return self.answer(dispatcher, agreed, turn)
        alone = self.read_alone(turn)
        if alone:  # "what should i eat to stop getting cramps": a first turn that clearly reads as one answer
            return self.answer(dispatcher, alone, turn)
        if self.more_than_listed(turn):  # "what other diseases do that?" after the diseases: all the articles name
            return self.answer(dispatcher, turn.last_answer, turn)
        if turn.screening.told_refer and set(turn.named[: turn.in_question]) <= self.ailments:
            # "my neck keeps twisting to the left on its own, wat even is that": a sign told, and a question of no
            # treatment that nothing above answers: how it is diagnosed, as where the sign is told alone
            return self.answer(dispatcher, turn.screening.told_refer, turn)
        if not (confident and intent == OUT_OF_SCOPE):
            candidates = [
                r["name"]
                for r in turn.ranking
                if r.get("name") in self.kb.answers and r["confidence"] >= config.CLARIFY_MIN_CONFIDENCE
            ]
            if candidates:
                return self.offer(dispatcher, self.kb.message("clarify"), "clarify", candidates, turn)
        if confident and intent == SYMPTOM:  # "knots in my traps that never shift. why wont they go": no "I can't
            # answer that", but what the articles can tell of what is told
            return self.offer(dispatcher, self.kb.message("symptom"), "clarify", self.symptom_options(turn), turn)
        return self.offer(dispatcher, self.kb.message("fallback"), "fallback", self.kb.messages["starter_questions"], turn)

    def symptom_options(self, turn: Turn) -> List[str]:
        """What the articles can tell of a symptom told: the answers of the topic it names or the conversation is
        about (desk work files its one answer under the home-care tips), else the general questions."""
        topic = (turn.named or turn.context or [None])[0]
        if topic:
            return self.kb.topic_answers(topic) or self.kb.topics[topic].answers
        return self.kb.messages["symptom_questions"]

    def named_answer_says_all(self, turn: Turn) -> Optional[str]:
        """Where the classifier reads "the articles don't say", the answer on the one thing the question names (not
        a condition: what something treats or causes) when it names that thing as the question does and says
        every other word the question says: "i do yoga already, is that ok?", "is yoga ok with a wry neck?" get
        the tip on stress and yoga. Not where the question or its story asks a side ("im 4 months pregnant ... can
        i still have my botox"), nor beside a condition of the other article ("would prolotherapy help dystonia")."""
        named = set(turn.named[: turn.in_question])
        things = [t for t in named if t not in self.ailments]
        if len(things) != 1 or turn.sides:
            return None
        answer = self.kb.topic_answer(things[0], turn.last_answer)
        if any(self.kb.article_of_topic(t) != self.kb.article_of(answer) for t in named):
            return None
        if turn.question_start and self.reader.sides(turn.text[: turn.question_start]):
            return None
        question = turn.text[turn.question_start :]
        naming = set().union(*(self.term_words[t] for t in named))
        words = self.kb.content_words(question, ECHO_WORDS | CHAT_WORDS | PURPOSE_WORDS | naming)
        if not self.kb.speaks_of(answer, things[0], question) or self.kb.words_said(answer, words) != words:
            return None
        return answer

    def which_of_named(self, turn: Turn) -> Optional[str]:
        """The answer on a thing the question opens by asking "which" or "what" of ("which minerals matter?"): that
        answer names them. Not of a condition ("which dystonia is the worst kind"), nor where the question asks a
        side ("which minerals are safe in pregnancy")."""
        found = WHICH_OF.match(turn.text[turn.question_start :].lower())
        if not found or turn.sides:
            return None
        for topic in turn.named[: turn.in_question]:
            if topic not in self.ailments and found.group(1) in self.term_words[topic]:
                return self.kb.topic_answer(topic, turn.last_answer)
        return None

    def situation_named(self, turn: Turn) -> Optional[str]:
        """The one answer of an everyday situation (`situation` in knowledge/topics.yml) that is the only topic the
        question names, where it asks no side and the classifier is sure of nothing else: "i work at a desk all
        day, does that matter?" gets the tip for desk workers, not "the articles don't say"."""
        named = turn.named[: turn.in_question]
        if len(named) != 1 or not self.kb.topics[named[0]].situation or turn.sides:
            return None
        if self.sure_answer(turn) or self.sure_not_covered(turn):
            return None
        return self.kb.topic_answer(named[0], turn.last_answer)

    def more_than_listed(self, turn: Turn) -> bool:
        """A turn that asks for other things than those just listed ("what other vitamins or minerals matter?"
        after what diet has to do with cramps), names nothing and reads as that very answer
        (config.CONTEXT_CLOSE_SIMILARITY): the articles name no others, so the list again."""
        if not turn.last_answer or turn.named or turn.last_answer not in turn.not_meant:
            return False
        best = self.reading_in_conversation(turn)
        return bool(best) and best[0] == turn.last_answer and best[1] >= config.CONTEXT_CLOSE_SIMILARITY

    def sibling_meant_last(self, turn: Turn) -> bool:
        """A turn that points back at the last answer ("that", "those") and names no other topic, where the classifier
        reads another thing of the same list, and the last answer says what the turn asks about and the other
        nothing more: the last answer is meant ("arent those parkinsons drugs?" after benztropine, which is also
        used in Parkinson's; not "could a carpal tunnel thing be causing that?" after overuse)."""
        last = turn.last_answer
        if not (turn.points_back and last and turn.intent != last):
            return False
        listing = self.kb.listing_of(last)
        if not listing or listing != self.kb.listing_of(turn.intent):
            return False
        if set(turn.named[: turn.in_question]) - {self.kb.answers[listing].topic, self.kb.answers[last].topic}:
            return False  # names another thing than the list's kind ("drugs") or the last answer's
        words = self.kb.content_words(turn.text[turn.question_start :], ECHO_WORDS | self.naming_nothing)
        said = self.kb.words_said(last, words)
        # and the classifier's answer says nothing of the turn that the last one doesn't ("carpal tunnel")
        return bool(said) and not self.kb.words_said(turn.intent, [w for w in words if w not in said])

    def other_article_meant_last(self, turn: Turn) -> bool:
        """A turn that names no topic, where the classifier reads an answer of the other article than the last
        answer's, and the last answer says words of the turn that the classifier's does not: the last answer is
        meant ("what's the missed diagnosis?" after muscle pain as a symptom, which may be a missed diagnosis of
        joint instability, is not how dystonia is diagnosed)."""
        last = turn.last_answer
        if not last or turn.named or turn.intent == last or self.kb.article_of(turn.intent) == self.kb.article_of(last):
            return False
        words = [w for w in self.kb.content_words(turn.text[turn.question_start :], CHAT_WORDS) if len(w) > 2]
        said = self.kb.words_said(last, words)
        return bool(said) and not set(said) <= set(self.kb.words_said(turn.intent, words))

    def agreed_in_context(self, turn: Turn) -> Optional[str]:
        """The answer that both the classifier, unsure, ranks first and the turn read by meaning reads closest to
        (config.AGREED_MIN_SIMILARITY): two readings that agree. In a conversation the turn is read with its
        topics ("can physio at least stop it getting worse" after joint instability). In a first turn it is read
        as it stands, and only where the classifier ranks nothing above that answer but a told symptom and the
        question asks no side ("hey so my neck is always tight and i get headaches"; not "how often should i
        book a massage?", which the articles don't answer)."""
        top = next((r["name"] for r in turn.ranking if r.get("name") in self.kb.answers), None)
        if not turn.context and (turn.sides or turn.intent not in (top, SYMPTOM)):
            return None
        best = self.reading_by_meaning(turn)
        if top and best and best[0] == top and best[1] >= config.AGREED_MIN_SIMILARITY and top not in turn.not_meant:
            return top
        return None

    def read_alone(self, turn: Turn) -> Optional[str]:
        """A first turn that clearly reads by meaning alone as asking one answer ("what should i eat to stop getting
        cramps"): close to its phrasings (config.ALONE_MIN_SIMILARITY) and clearly closer to them than to any
        question without an answer (config.ALONE_MIN_LEAD). Not where the classifier is confident that a turn that
        names nothing of ours is off-topic: the projection can place "what should i name my puppy" near an answer."""
        if turn.context or (turn.confident and turn.intent == OUT_OF_SCOPE and not turn.named):
            return None
        answer, similarity, lead = self.followups.alone(turn.text)
        if similarity >= config.ALONE_MIN_SIMILARITY and lead >= config.ALONE_MIN_LEAD and answer not in turn.not_meant:
            return answer
        return None

    def told_in_context(self, turn: Turn) -> Optional[str]:
        """A symptom told in a conversation ("its mostly my calfs" after the causes of cramps) tells more of what
        was asked: the answer the turn, read with the conversation's topics, clearly reads as
        (config.FOLLOWUP_MIN_SIMILARITY)."""
        best = self.reading_in_conversation(turn)
        return best[0] if best and best[1] >= config.FOLLOWUP_MIN_SIMILARITY else None

    def told_as_last_said(self, turn: Turn) -> Optional[str]:
        """A symptom told right after an answer whose own words name it ("he says the neck feels weak too" after
        the warning signs of spasms, which name weakness): that answer again."""
        told = self.kb.content_words(turn.text, self.naming_nothing)
        return turn.last_answer if turn.last_answer and self.kb.text_says(turn.last_answer, told) else None

    def told_item_of_last_list(self, turn: Turn) -> Optional[str]:
        """After a list (the causes of spasms) or a thing of one, something told ("i did pull something lifting a
        bag of compost") tells of the thing of that list it reads clearly closest to (`FollowupReader.closest_of`)."""
        last = self.kb.answers.get(turn.last_answer) if turn.last_answer else None
        listing = (last.id if last.items else self.kb.listing_of(last.id)) if last else None
        return self.followups.closest_of(turn.text, self.kb.answers[listing].items) if listing else None

    def reading_in_conversation(self, turn: Turn) -> Optional[Reading]:
        """The turn read with the topics it is about (its own, else the conversation's); None in a first turn."""
        if not turn.context:
            return None
        return self.followups.best(turn.text, turn.topics_in_focus, self.kb.article_of(turn.last_answer))

    def reading_by_meaning(self, turn: Turn) -> Optional[Reading]:
        """The turn read in its conversation, or in a first turn as it stands, against every answer."""
        return self.reading_in_conversation(turn) if turn.context else self.followups.best_of_all(turn.text)

    def list_beyond(self, turn: Turn) -> Optional[str]:
        """"Besides X, what else?" asks for the list X is one of (the treatments, the medications): the answer that
        lists X's own answer, unless the question names another thing of that list, which it asks about
        ("can I take tablets instead of botox?")."""
        for topic in turn.set_aside:
            own = self.kb.topics[topic].answers[0]
            listing = self.kb.listing_of(own)
            others = [t for t in turn.named[: turn.in_question] if t not in turn.set_aside and t in self.kb.topics]
            if listing and not any(self.kb.topics[t].answers[0] in self.kb.answers[listing].items for t in others):
                return listing
        return None

    def echoes_last(self, turn: Turn) -> bool:
        """An echo question ("protecting it from what?", "overworked doing what though?") of words the last answer
        says asks for more of it: the answer, with its passages, again. Not when the turn names a topic of its own
        or the classifier is sure of another answer."""
        if not (turn.echo and turn.last_answer) or turn.named[: turn.in_question]:
            return False
        if self.sure_answer(turn) not in (None, turn.last_answer):
            return False
        return self.kb.says_word_of(turn.last_answer, turn.text[turn.question_start :], ECHO_WORDS, every=True)

    def asks_of_words_last_said(self, turn: Turn) -> bool:
        """A short follow-up naming no topic of its own that asks about a word only the last answer says ("towel
        needed?" after heat; "in the legs mostly?" after poor circulation): that answer again. Not when it asks
        for an amount or another thing, holds a word only another answer says, or the classifier is sure of
        another answer."""
        question = turn.text[turn.question_start :]
        if not turn.last_answer or len(question.split()) > config.MAX_WORDS_OF_LAST:
            return False
        if any(turn.last_answer not in self.kb.answers_of_topic(t) for t in turn.named[: turn.in_question]):
            return False  # names a topic the last answer is not of ("can i sleep with the heat pad on?" does not)
        if ASKS_PAST_LAST.search(question.lower()):
            return False
        if self.sure_answer(turn) not in (None, turn.last_answer):
            return False
        saying = {word: self.kb.answers_saying(word) for word in self.kb.content_words(question, ECHO_WORDS)}
        if any(len(answers) == 1 and answers != [turn.last_answer] for answers in saying.values()):
            return False  # "fast enough to protect you in a crash?": the crash is another answer's word
        return any(answers == [turn.last_answer] for answers in saying.values())

    def asks_for_named_topic(self, turn: Turn) -> bool:
        """A follow-up that the sides left unanswered asks for the named topic's own answer when it is "what about
        X?", or a side a treatment has none of, asked of one: the options of the pills are the pills."""
        aspect = turn.followup_aspect
        if not (aspect and turn.named):
            return False
        side, topic = self.kb.aspects.get(aspect), self.kb.topics.get(turn.named[0])
        return aspect == "what_about" or bool(side and side.not_of_treatments and topic and topic.treats)

    def of_meant_item(self, turn: Turn) -> str:
        """The place ("the first one") picks the thing; the classifier, when sure of another answer about that
        thing ("and the first one, how often is it done?": how often Botox is given), picks what is asked."""
        sure = self.sure_answer(turn)
        if sure and self.kb.answers[sure].topic == self.kb.answers[turn.meant_item].topic:
            return sure
        return turn.meant_item

    def side_asked(self, turn: Turn) -> Optional[Tuple[str, Optional[str], Optional[str]]]:
        """(side, topic, answer or None) when the turn asks about a side of a topic ("is botox safe?", "how
        often?", "how much does it cost?"), else None.

        The topic is the one the question names, else one the story names, else the conversation's (the most
        recent for which the articles cover the side; for a specific side, the last answer's topic: "is it
        reversible?" after nerve surgery), else that of the classifier's best guess. The first specific side asked decides: its answer
        where the articles cover it, else "not covered", never the topic's general answer. A broad side
        ("how long", "why") leads to its answer where covered, unless the classifier is sure of an answer
        about the same topic; it is said not to be covered only when the turn leans on the conversation.
        """
        topics = turn.topics_in_focus
        if not topics and turn.intent in self.kb.answers and turn.confidence >= config.ANSWER_MIN_CONFIDENCE:
            # "can you fly after having the brain wire put in?"
            topics = [self.kb.answers[turn.intent].topic]
        clinic_side = next((s for s in turn.sides if self.kb.aspects[s].clinic), None)
        if clinic_side:
            return clinic_side, (topics or [None])[0], None
        asked = list(turn.sides)
        if turn.followup_aspect and turn.followup_aspect != "what_about" and turn.followup_aspect not in asked:
            asked.append(self.reason_of_last(turn) or turn.followup_aspect)
        if not asked or not topics:
            return None
        if topics[0] in self.kb.topics and not self.kb.topics[topics[0]].treats and THEY_DO.search(turn.text.lower()):
            # "what do they do for it?" of a condition: "they" are its doctors; a condition does not "work"
            asked = ["treatment" if aspect == "how_it_works" else aspect for aspect in asked]
        classifier_agrees = (
            turn.confident and turn.intent in self.kb.answers and self.kb.answers[turn.intent].topic in topics
        )
        last_topic = self.kb.answers[turn.last_answer].topic if turn.last_answer in self.kb.answers else None
        for aspect in asked:
            side = self.kb.aspects[aspect]
            candidates = topics + [t for t in turn.context if t not in topics] if side.pairs else list(topics)
            if not side.covered_only and not turn.named and not side.pairs and last_topic in candidates:
                candidates = [last_topic]  # "is it reversible?" after nerve surgery: of nerve surgery, not of dystonia
            if side.of_condition and not turn.in_question:  # "so what causes it then?" after massage: the condition's
                candidates += [self.kb.topics[t].treats for t in candidates if t in self.kb.topics]
            if side.of_treatment and set(turn.named[: turn.in_question] or turn.named) - self.ailments:
                # "does physical therapy for dystonia hurt?": the therapy's, not dystonia's
                candidates = [t for t in candidates if t not in self.ailments]
                topics = candidates + [t for t in topics if t not in candidates]  # and the reply names the therapy
            candidates = [t for t in dict.fromkeys(candidates) if t]
            if side.of_last and (turn.in_question or not turn.last_answer):
                continue  # "what else?" asks past what was just said; "what about lidocaine instead?" about lidocaine
            if side.of_last and side.new_answer and self.more_of_the_same_kind(turn, side):
                return aspect, topics[0], turn.last_answer  # "what else is a sign" after the warning signs
            listing = self.kb.listing_of(turn.last_answer) if side.of_last and side.new_answer else None
            if listing and not self.classifier_over_side(turn, listing, aspect):
                # "what else could be going on?" after poor circulation as a cause: the list of causes; not "could
                # it be a pinched nerve instead?", which the classifier is sure names another of them
                return aspect, topics[0], listing
            if side.likens:  # "is it the same stuff they use for wrinkles?": where the answer on it names that
                likened = self.likened(turn, side)
                if likened:
                    return aspect, topics[0], likened
                continue
            # "which kind?"; "does twitching count?" names a thing, which may be a topic of its own
            if side.more_of_last and turn.last_answer and (not turn.in_question or side.names_it):
                if side.names_it and not self.kb.says_word_of(turn.last_answer, turn.text, side.asking_words):
                    continue  # "does cycling count?" after Botox: the last answer says nothing of it
                if self.story_of_another_topic(turn):
                    return None  # "he gets massages, they dont last. why" after rest: of massage, not of rest
                sure = self.sure_answer(turn)
                return None if sure not in (None, turn.last_answer) else (aspect, topics[0], turn.last_answer)
            question = turn.text[turn.question_start :]
            causes = {t: self.as_cause(turn, side, t) for t in candidates}
            # a cause the question names comes first: "is it his statin?" with cramps asks of medicines, not all causes
            named_causes = [(t, causes[t]) for t in candidates if causes[t] and t in turn.named[: turn.in_question]]
            told_cause = None if named_causes else self.cause_pointed_back(turn, side)
            if told_cause:  # "He also takes a water tablet. Could that be why he gets cramps?": medicines as a cause
                named_causes = [told_cause]
            # "how often should i do them?" after the stretching tip: the last answer, where it covers the side asked
            last_covers = ([(last_topic, turn.last_answer)] if not turn.named and turn.last_answer
                           and self.kb.covers(turn.last_answer, aspect) else [])
            answers = chain(named_causes, last_covers, ((t, self.effect_asked(turn, side, t)
                                            or self.kb.followup(t, aspect, turn.last_answer) or causes[t])
                                           for t in candidates))
            answer_id = next((a for t, a in answers if a and not (side.new_answer and a == turn.last_answer)
                              and not self.another_item_of_last_list(a, turn)
                              and (not side.names_it or self.kb.speaks_of(a, t, question))
                              and not self.names_particular_unsaid(a, side, question)
                              and self.speaks_of_the_other(a, t, side, turn)), None)
            told = bool(told_cause) and answer_id == told_cause[1]  # the story's cause yields only to a sure classifier
            if answer_id and (self.sure_answer(turn) not in (None, answer_id) if told
                              else self.classifier_over_side(turn, answer_id, aspect)):
                return None  # the classifier is sure of another answer: the side's words were only a hint
            # "does it wear off faster if I go to the gym?"; not "is it hereditary?" after dystonia, which the
            # classifier, blind to the topic, reads as not covered (it is, of joint instability)
            if answer_id and self.sure_not_covered(turn) and not side.words_decide:
                return "other", topics[0], None
            only_classifier = aspect == turn.followup_aspect and aspect not in turn.sides
            said_to_lack = topics[0] in self.kb.topics and aspect in self.kb.topics[topics[0]].says_nothing_of
            specific = not side.covered_only or only_classifier or said_to_lack
            if not answer_id and only_classifier and self.in_context(turn):
                return None  # "what about strains?" is no question of side effects: its meaning decides
            if answer_id:
                # The classifier's answer stands unless the side's answer is from another article: the one of
                # the conversation ("why does that cause spasms?" after joint instability).
                same_article = not turn.last_answer or self.kb.article_of(turn.intent) == self.kb.article_of(answer_id)
                agreed = not specific and classifier_agrees and same_article and not told
                return None if agreed else (aspect, topics[0], answer_id)
            treatment = topics[0] in self.kb.topics and self.kb.topics[topics[0]].treats
            if specific and not (side.not_of_treatments and treatment):  # never "how to treat the pills"
                if self.certain_of_specific_answer(turn):  # "are my sore muscles really the problem?" asks no pain
                    return None
                if self.named_cause_answered(turn, asked):  # "can psychiatric meds cause the neck twisting?"
                    continue
                return aspect, topics[0], None
        if not turn.named and turn.context:  # "and how long?" about a topic the articles say nothing of that for
            of_kind = self.one_of_kind_asked(turn, asked)
            if of_kind:  # "where do the shots go?" after the usual treatments for spasms: Prolotherapy's
                return of_kind
            return None if self.answered_in_context(turn, asked) else (asked[0], topics[0], None)
        return None

    def more_of_the_same_kind(self, turn: Turn, side: Aspect) -> bool:
        """"what else is a sign", "what else can press on a nerve like that": "else" asks for more of a kind the last
        answer lists, the question's every other word is one that answer says, so the list is that answer again."""
        words = [w for w in self.kb.content_words(turn.text[turn.question_start :], self.naming_nothing | side.asking_words)
                 if len(w) > 2]  # not the "s" of "what's"
        return bool(words) and all(self.kb.text_says(turn.last_answer, [w]) for w in words)

    def story_of_another_topic(self, turn: Turn) -> bool:
        """The story names a topic other than the last answer's, and the classifier reads an answer of that topic
        with confidence: a bare question after it ("he gets massages, they dont last. why") asks of the story's topic,
        not for more of the last answer."""
        last_topic = self.kb.answers[turn.last_answer].topic if turn.last_answer in self.kb.answers else None
        told = [t for t in turn.named[turn.in_question :] if t != last_topic]
        return bool(told) and turn.confident and turn.intent in self.kb.answers and (
            self.kb.answers[turn.intent].topic in told)

    def cause_pointed_back(self, turn: Turn, side: Aspect) -> Optional[Tuple[str, str]]:
        """(topic, answer) of a thing the story names that the articles name only as a cause, where the question
        points back at it as the cause asked of: "He also takes a water tablet. Could that be why he gets cramps?"."""
        if not (side.names_a_cause and turn.points_back):
            return None
        told = [t for t in turn.named[turn.in_question :]
                if t in self.kb.topics and self.kb.topics[t].as_cause and not self.kb.topics[t].treats]
        return next(((t, a) for t in told for a in [self.as_cause(turn, side, t)] if a), None)

    def one_of_kind_asked(self, turn: Turn, asked: Sequence[str]) -> Optional[Tuple[str, str, str]]:
        """(side, topic, answer) where the question names a kind of thing ("the shots", a word that names a topic
        only on its article's ground), the conversation has spoken of no thing of that kind, and one of them in its
        article covers the side: "where do the shots go?" after the usual treatments for spasms is about
        Prolotherapy, the one injection whose place the article says. Not after trigger point injections."""
        words = set(self.kind_word.findall(turn.text[turn.question_start :].lower()))
        article = self.kb.article_of(turn.last_answer)
        of_kind = [t for t, term_words in self.term_words.items()  # "prolo shots" names Prolotherapy a shot
                   if words & term_words and self.kb.article_of_topic(t) == article]
        if not of_kind or set(of_kind) & set(turn.context):
            return None
        for aspect in asked:
            covering = [a for a in (self.kb.followup(t, aspect) for t in of_kind) if a]
            if len(covering) == 1:
                return aspect, self.kb.answers[covering[0]].topic, covering[0]
        return None

    def treatments_compared(self, turn: Turn) -> List[str]:
        """The treatments a comparison asks about, where they treat one condition: two or more the question names,
        or one it names beside the last answer's ("how does that compare to prolo?" after trigger point
        injections). Empty where another thing the question names is of the other article: "baclofen vs botox for
        back spasms" asks of Botox for what the articles never use it for."""
        named = turn.named[: turn.in_question]
        treatments = [t for t in named if self.kb.topics[t].treats]
        last_topic = self.kb.answers[turn.last_answer].topic if turn.last_answer in self.kb.answers else None
        beside_last = len(treatments) == 1 and (turn.points_back or COMPARED_WITH.search(turn.text.lower()))
        if beside_last and last_topic in self.kb.topics and self.kb.topics[last_topic].treats:
            treatments.append(last_topic)
        conditions = {self.kb.topics[t].treats for t in treatments}
        if len(conditions) == 1:  # physical therapy, in both articles, treats here the other treatment's condition
            treatments += [t for t in named if t not in self.kb.conditions and not self.kb.topics[t].treats
                           and len({self.kb.article_of(a) for a in self.kb.topics[t].answers}) > 1]
        treatments = list(dict.fromkeys(treatments))
        if len(treatments) < 2 or len(conditions) != 1:
            return []
        article = self.kb.article_of_topic(conditions.pop())
        others = [t for t in named if t not in treatments]
        return treatments if all(self.kb.article_of_topic(t) == article for t in others) else []

    def particular_unsaid(self, turn: Turn, aspect: str, topic: Optional[str]) -> Optional[str]:
        """The topic's answer on the side where the question names a particular thing of it that the answer never
        says ("do they cause weight gain?" after the medicines' side effects), for the patient to read instead."""
        side = self.kb.aspects[aspect]
        answer_id = self.kb.followup(topic, aspect, turn.last_answer) if topic and side.particular else None
        question = turn.text[turn.question_start :]
        return answer_id if answer_id and self.names_particular_unsaid(answer_id, side, question) else None

    def names_particular_unsaid(self, answer_id: str, side: Aspect, question: str) -> bool:
        """The question names a particular thing of the side (`particular` in knowledge/aspects.yml: "weight gain"
        as a side effect) that the answer never says: the answer on side effects names tiredness and memory
        problems, so "do they cause weight gain?" is told the articles don't say."""
        words = [w for w in re.findall(r"[a-z]+", question.lower()) if w in side.particular]
        return bool(words) and not self.kb.words_said(answer_id, words)

    def another_item_of_last_list(self, answer_id: str, turn: Turn) -> bool:
        """Whether the answer is another thing of the list the last answer is one of, for a turn that names no topic:
        "how long before it helps?" after the tip on stress asks of that tip, not of heat, the tip that says how
        long."""
        listing = self.kb.listing_of(turn.last_answer)
        return bool(listing) and not turn.named and answer_id != turn.last_answer and (
            answer_id in self.kb.answers[listing].items)

    def likened(self, turn: Turn, side: Aspect) -> Optional[str]:
        """What "is it the same as X?" is answered by: the answer on the thing talked about (the topic the question
        names, else the last answer) where it or its passages name X, a word of the question other than the
        thing's own names ("same as what my grandad took for parkinsons?" after levodopa). None where the
        classifier is sure of another answer."""
        named = [t for t in turn.named[: turn.in_question] if t in self.kb.topics]
        answer = self.kb.topic_answer(named[0], turn.last_answer) if named else turn.last_answer
        if answer not in self.kb.answers or self.sure_answer(turn) not in (None, answer):
            return None
        question = turn.text[turn.question_start :].lower()
        for term in self.kb.topics[self.kb.answers[answer].topic].terms:
            question = re.sub(rf"\b{re.escape(term.lower())}\b", " ", question)
        return answer if self.kb.says_word_of(answer, question, side.asking_words) else None

    def cause_named_in_context(self, turn: Turn) -> Optional[str]:
        """A thing the articles name only as a cause (a medicine for something else), named in a conversation on a
        condition it can cause, where the classifier is confident of no answer: its answer as that cause ("or his heart
        tablets?" after medicines as a cause of cramps; "i was on antipsychotics for a while, related?" after
        dystonia's causes)."""
        if not turn.context or (turn.confident and turn.intent in self.kb.answers):
            return None
        only_causes = [t for t in turn.named if t in self.kb.topics and self.kb.topics[t].as_cause
                       and not self.kb.topics[t].treats]
        return next((a for a in (self.kb.as_cause_of(t, turn.context) for t in only_causes) if a), None)

    def named_condition_of_last_cause(self, turn: Turn) -> Optional[str]:
        """Why the condition the question names comes, asked right after an answer on one of its causes: that
        answer's topic as its cause ("why would the muscles spasm though" after loose ligaments is why loose
        ligaments make muscles spasm, not every cause of spasms). Only where the question names nothing else."""
        named = turn.named[: turn.in_question]
        if not (turn.last_answer and named and "why" in turn.text[turn.question_start :].lower().split()):
            return None
        if any(t not in self.ailments for t in named):
            return None
        return self.kb.why_it_brings_on(self.kb.answers[turn.last_answer].topic, named)

    def how_named_brings_on_what_was_said(self, turn: Turn) -> Optional[str]:
        """Why or how the one thing the question names brings on "that", the condition the conversation is about:
        "why would loose ligaments do that", "how do lose ligaments cause that" after spasms get why loose ligaments
        make muscles spasm (the thing's `explains` in knowledge/topics.yml), not what loose ligaments are."""
        named = turn.named[: turn.in_question]
        if len(named) != 1 or not turn.context or not HOW_IT_DOES_THAT.search(turn.text[turn.question_start :].lower()):
            return None
        conditions = [*turn.context, *(self.kb.topics[t].treats for t in turn.context if t in self.kb.topics)]
        return self.kb.why_it_brings_on(named[0], [c for c in conditions if c and c != named[0]])

    def named_cause_answered(self, turn: Turn, asked: Sequence[str]) -> bool:
        """A side asked that takes a thing the question names as the cause of a condition, and the articles answer
        it so: "can psychiatric meds cause the neck twisting problem?" asks of dystonia's causes, not (uncovered) of
        the side effects of those medicines."""
        named = turn.named[: turn.in_question]
        return any(self.as_cause(turn, self.kb.aspects[a], t) for a in asked for t in named)

    def classifier_over_side(self, turn: Turn, answer_id: str, aspect: str) -> bool:
        """Another answer the classifier gives decides over the side's: from config.SURE_CONFIDENCE, or from
        config.OVER_A_SIDE_CONFIDENCE where it is from the conversation's article and the side is not one whose
        words decide (`words_decide` in knowledge/aspects.yml). "Should he be checked for something else?" after
        trigger point injections asks when to be evaluated, not for other treatments. Not the general answer of a
        topic the question names: "how quick does prolotherapy work?" asks that side of it, not what it is."""
        sure = self.sure_answer(turn)
        if self.general_answer_of_named(turn, sure):
            return False
        if sure not in (None, answer_id):
            return True
        leaning = self.sure_answer(turn, config.OVER_A_SIDE_CONFIDENCE)
        if leaning in (None, answer_id) or self.kb.aspects[aspect].words_decide:
            return False
        return not turn.last_answer or self.kb.article_of(leaning) == self.kb.article_of(turn.last_answer)

    def general_answer_of_named(self, turn: Turn, answer_id: Optional[str]) -> bool:
        """Whether the answer is what a topic the question names is in general ("what is prolotherapy?"): a reading
        of the topic, which the side the words ask ("how quick does prolotherapy work?") makes more precise."""
        return any(answer_id in self.kb.topics[t].answers for t in turn.named[: turn.in_question])

    def speaks_of_the_other(self, answer_id: str, topic: str, side: Aspect, turn: Turn) -> bool:
        """A side of two things ("can I have Botox and prolotherapy at the same time?") is answered only by an
        answer that names the other thing the question names too: Botox with tablets is no answer to that."""
        if not side.pairs:
            return True
        others = [other for other in turn.named[: turn.in_question] if other != topic]
        if not others and self.names_something_unsaid(answer_id, side, turn):
            return False  # "can I have grapefruit juice with them?" after the tablets: not Botox with pills
        if not others and turn.points_back and turn.context and turn.context[0] != topic:
            others = turn.context[:1]  # "and physical therapy alongside it?" after Botox: physio with Botox
        return all(self.kb.names_topic(answer_id, other) for other in others)

    def names_something_unsaid(self, answer_id: str, side: Aspect, turn: Turn) -> bool:
        """The question names a thing that is no topic (neither a term nor a word the side asks with) and that the
        answer never says: "grapefruit juice", "a drink"."""
        words = self.kb.content_words(turn.text[turn.question_start :], self.naming_nothing | side.asking_words)
        return bool(words) and not self.kb.words_said(answer_id, words)

    def words_naming_nothing(self) -> frozenset:
        """Small words, words of chat and of purpose, and the words of the topics' own terms."""
        from spacy.lang.en.stop_words import STOP_WORDS

        return frozenset(STOP_WORDS | CHAT_WORDS | PURPOSE_WORDS | set().union(*self.term_words.values()))

    @staticmethod
    def reason_of_last(turn: Turn) -> Optional[str]:
        """A "why" that only the classifier reads as asking for a cause, in a conversation, asks for the reason
        behind what was just said ("why does it wear off?" after the usual treatments, "why is it a last resort?"
        after deep brain stimulation), as a bare "why?" does: more of the last answer. Words of a cause ("what
        causes it then?", "how did she get it?") are read by the side rules and lead to the causes."""
        if turn.followup_aspect == "cause" and not turn.in_question and turn.last_answer:
            return MORE_OF_LAST
        return None

    def as_cause(self, turn: Turn, side: Aspect, topic: str) -> Optional[str]:
        """The answer on `topic` as the cause asked about, of a condition the turn names beside it or the
        conversation is about ("could my water pills be doing it?" after cramps); with no condition said, of the one
        condition the articles say it causes ("my neck locks up on shift. could it be the repetitive movements?")."""
        if not side.names_a_cause:
            return None
        causes = self.kb.topics[topic].as_cause if topic in self.kb.topics else {}
        conditions = [t for t in [*turn.named, *turn.context] if t != topic]
        if not any(t in self.ailments for t in conditions) and len(causes) == 1:
            return next(iter(causes.values()))
        return self.kb.as_cause_of(topic, conditions)

    def effect_asked(self, turn: Turn, side: Aspect, topic: str) -> Optional[str]:
        """"can it cause headaches?" after joint instability asks what the topic causes, not what causes it: the
        one answer of the topic that says the thing asked of (spine instability: "...tension, and headaches"),
        else the one answer of the conversation's article that says it. Only for a question that names no topic of
        its own, so "it" is the conversation's."""
        found = CAUSES_WHAT.search(turn.text[turn.question_start :].lower()) if side.names_a_cause else None
        if not found or turn.in_question:
            return None
        says_it = lambda a: self.kb.says_word_of(a, found.group(1), side.asking_words)
        saying = [a for a in self.kb.topic_answers(topic) if says_it(a)]
        if not saying and turn.last_answer:  # "can that cause headaches too?" after what to take for spasms: the
            article = self.kb.article_of(turn.last_answer)  # one answer of the conversation's article that says so
            saying = [a for a, answer in self.kb.answers.items()
                      if answer.kind == "answer" and self.kb.article_of(a) == article and says_it(a)]
        return saying[0] if len(saying) == 1 else None

    def competing_answer(self, turn: Turn) -> Optional[str]:
        """In a conversation, a half-sure "the articles don't say" yields to an answer of the conversation's topics
        that the classifier also sees: "do they really cut a hole in your skull??" after deep brain stimulation."""
        if not turn.context or turn.confidence >= config.NOT_COVERED_MIN_CONFIDENCE_IN_CONVERSATION:
            return None
        return next((r["name"] for r in turn.ranking[1:] if r.get("name") in self.kb.answers
                     and r["confidence"] >= config.COMPETING_ANSWER_MIN_CONFIDENCE
                     and self.kb.answers[r["name"]].topic in turn.context), None)

    @staticmethod
    def sure_enough(turn: Turn) -> bool:
        """A confident answer is given when the turn names a topic, or without one above a higher confidence."""
        return bool(turn.named) or turn.confidence >= config.ANSWER_MIN_CONFIDENCE_WITHOUT_TERM

    def sure_answer(self, turn: Turn, at: Optional[float] = None) -> Optional[str]:
        """The best answer of the turn's ranking when it is sure of it (config.SURE_CONFIDENCE, or `at`), else None."""
        answer = self.kb.answers.get(turn.intent) if turn.intent else None
        if answer and answer.kind == "answer" and turn.confident and turn.confidence >= (at or config.SURE_CONFIDENCE):
            return turn.intent
        return None

    def certain_of_specific_answer(self, turn: Turn) -> bool:
        """The classifier is all but certain (config.CERTAIN_CONFIDENCE) of an answer that is not what its topic
        is in general: that decides over a side the articles don't cover, which the words only seemed to ask.
        "Is botox safe?" never gets what Botox is, however sure the classifier."""
        sure = self.sure_answer(turn)
        return bool(sure) and turn.confidence >= config.CERTAIN_CONFIDENCE and (
            sure not in self.kb.topics[self.kb.answers[sure].topic].answers)

    @staticmethod
    def sure_not_covered(turn: Turn) -> bool:
        """The classifier is sure the articles don't answer this (config.SURE_CONFIDENCE): that decides over the
        answer of a side the words ask ("wear off" asks how long Botox lasts, but not "faster if I go to the gym")."""
        return turn.confident and turn.intent == NOT_COVERED and turn.confidence >= config.SURE_CONFIDENCE

    def same_side_of_named(self, turn: Turn) -> Optional[str]:
        """For a short elliptical turn that names another topic ("and for X?", "what about X?"), the answer to
        that topic's side the last answer covered, unless the classifier is sure of another answer."""
        named = turn.named[: turn.in_question]
        elliptical = ELLIPSIS.match(turn.text) and len(turn.text.split()) <= config.MAX_WORDS_ELLIPSIS
        if not named or not elliptical or self.sure_answer(turn):
            return None
        last_topic = self.kb.answers[turn.last_answer].topic if turn.last_answer in self.kb.answers else None
        if last_topic and last_topic != named[0] and FOR_ANOTHER.search(turn.text.lower()):
            # "and for loose joints?" after physical therapy for dystonia: physical therapy, as the other article has it
            other_article = self.kb.article_of_topic(named[0])
            there = [a for a in self.kb.topics[last_topic].answers
                     if self.kb.article_of(a) == other_article != self.kb.article_of(turn.last_answer)]
            if there:
                return there[0]
        return self.kb.same_side(named[0], turn.last_answer)

    def sibling_of_last(self, turn: Turn) -> Optional[str]:
        """The answer of the last answer's topic that an elliptical turn means, read with that topic and clearly
        closest to it: the same question of another thing ("and a bad diet?" after dehydration as a cause), or
        the last answer again where it names that thing too ("what about ALS?" after diseases that cause
        spasms)."""
        if not turn.last_answer or not ELLIPSIS.match(turn.text) or len(turn.text.split()) > config.MAX_WORDS_ELLIPSIS:
            return None
        topic, article = self.kb.answers[turn.last_answer].topic, self.kb.article_of(turn.last_answer)
        best = self.followups.best(turn.text, [topic], article)
        if self.sure_answer(turn) not in (None, best and best[0]):
            return None  # "what about botox for neck dystonia?" after trigger point injections, which name Botox
        if best and best[1] >= config.SIBLING_MIN_SIMILARITY and best[2] >= config.SIBLING_MIN_LEAD:
            return best[0]
        return None

    def answered_in_context(self, turn: Turn, sides: Sequence[str]) -> bool:
        """A turn that leans on the conversation ("why does it keep coming back then?") has an answer when the
        classifier is sure of one from the conversation's article, or when the turn read with a topic of the
        conversation means one of its answers that covers a side asked ("how long does that take?" after "can it
        go away by itself?" is not answered by the early signs, though it reads close to them)."""
        article = self.kb.article_of(turn.last_answer)
        same_article = article is not None and self.kb.article_of(turn.intent) == article
        # or a confident answer that covers a side asked, of whatever topic ("why do they heal so slowly" after
        # dystonia: ligaments heal slowly)
        if turn.confident and (same_article or any(self.kb.covers(turn.intent, side) for side in sides)):
            return True
        meant = self.in_context(turn)
        return meant is not None and any(self.kb.covers(meant, side) for side in sides)

    def best_of_named_topic(self, turn: Turn) -> Optional[str]:
        """The classifier's best answer, when it is one of the topic the question names and likely enough,
        although the classifier is not sure; not when the question asks a side of the topic that the topic's
        answers don't cover ("how often should I book a massage?")."""
        asked_about = turn.named[: turn.in_question or 1]
        # "is there a pill instead?" names the other thing it asks for; "had botox and pills. any other options?" not
        sides = [self.kb.aspects[s] for s in turn.sides]
        unanswered_side = any(not side.topic_answer_speaks or (side.of_last and not turn.in_question) for side in sides)
        if not asked_about or turn.intent in (OUT_OF_SCOPE, NOT_COVERED) or unanswered_side:
            return None
        best = next((r for r in turn.ranking if r.get("name") in self.kb.answers), None)
        # a topic's answers, and those it names as its own: a cause (overuse) has its answer filed under spasms
        topic_answers = {a for t in asked_about for a in self.kb.answers_of_topic(t)}
        if best and best["name"] in topic_answers and best["confidence"] >= config.TOPIC_ANSWER_MIN_CONFIDENCE:
            return best["name"]
        return None

    def in_context(self, turn: Turn) -> Optional[str]:
        """The answer a turn means in this conversation ("how long does that last?", "why is the steroid kind
        bad?" after trigger point injections), from its reading in context (`context_reading`)."""
        best = self.context_reading(turn)
        return self.narrowed(turn, self.tie_broken(turn, best)) if best else None

    def readings_disagree(self, turn: Turn, answer: str) -> bool:
        """The reading in context is a guess: the classifier does not rank its answer among its first
        config.CLASSIFIER_SEES, the reading is not close (config.CONTEXT_CLOSE_SIMILARITY), and either the turn
        does not point back at the conversation ("that", "it", "what about ...?") or the classifier reads an
        answer of its own in it (config.OPINION_MIN_CONFIDENCE). In conversations no rule was written from, such
        readings were wrong more often than right; "what is it for anyway?" after baclofen points back, and the
        classifier reads no answer in it."""
        seen = [r["name"] for r in turn.ranking if r.get("name") in self.kb.answers][: config.CLASSIFIER_SEES]
        reading = self.context_reading(turn)
        if not reading or {answer, reading[0]} & set(seen) or reading[1] >= config.CONTEXT_CLOSE_SIMILARITY:
            return False
        opinion = turn.intent in self.kb.answers and turn.confidence >= config.OPINION_MIN_CONFIDENCE
        return opinion or not (turn.points_back or ELLIPSIS.match(turn.text))

    def guesses(self, turn: Turn, answer: str) -> List[str]:
        """What a turn the readings disagree on may ask: the reading in context's answer, its runner-up and the
        classifier's answer."""
        reading = self.context_reading(turn)
        candidates = [answer, reading[3] if reading else None, turn.intent]
        return [a for a in dict.fromkeys(candidates) if a in self.kb.answers]

    def context_reading(self, turn: Turn) -> Optional[Reading]:
        """The turn read with each topic it names spelled out, else with each earlier topic, the most recent
        first, and compared by meaning with that topic's phrasings: the first reading close enough. Only in a
        conversation, and when the classifier is not sure enough to answer without a term, or sure only that
        this is a follow-up."""
        sure = turn.confident and turn.confidence >= config.ANSWER_MIN_CONFIDENCE_WITHOUT_TERM
        topics = turn.topics_in_focus
        article = self.kb.article_of(turn.last_answer)
        if not turn.context:  # a first question: the classifier decides
            return None
        # "how does that stop the spasms?" after deep brain stimulation: "that" is the topic, or one the question
        # names ("why would loose ligaments do that?" after massage): the closer reading, unless the classifier is
        # sure ("so if it's not really a muscle problem, what is it" asks what muscle pain is a symptom of)
        if turn.points_back and not self.sure_answer(turn):
            best = self.followups.best(turn.text, [turn.context[0], *turn.named[: turn.in_question]], article)
            if best and best[1] >= config.POINTING_BACK_MIN_SIMILARITY and best[0] not in turn.not_meant:
                return best
        if sure and not turn.followup_aspect:
            return None
        for topic in topics:
            best = self.followups.best(turn.text, [topic], article)
            if best and best[1] >= config.FOLLOWUP_MIN_SIMILARITY and best[0] not in turn.not_meant:
                return best
        return None

    def close_call(self, turn: Turn) -> Optional[List[str]]:
        """The two answers the turn read in context reads all but alike (config.CLOSE_CALL_MAX_LEAD), where the
        classifier leans to neither (config.CLASSIFIER_LEAN): the reading is no more than a guess between them, so
        "did you mean" either, or the classifier's best answer."""
        best = self.context_reading(turn)
        if not best or not best[3] or best[2] >= config.CLOSE_CALL_MAX_LEAD or best[3] in turn.not_meant:
            return None
        confidence = {r.get("name"): r["confidence"] for r in turn.ranking}
        if abs(confidence.get(best[0], 0.0) - confidence.get(best[3], 0.0)) >= config.CLASSIFIER_LEAN:
            return None  # the classifier tells them apart (`tie_broken`)
        pair = [best[0], best[3]]
        if turn.last_answer in pair or any(turn.last_answer in self.kb.answers[a].items for a in pair):
            return None
        classifier_best = next((r["name"] for r in turn.ranking if r.get("name") in self.kb.answers), None)
        return pair + [classifier_best] if classifier_best and classifier_best not in pair else pair

    def narrowed(self, turn: Turn, answer: str) -> str:
        """Read in context, the list the last answer is one of means that one thing: "where in the body mostly?"
        after poor circulation as a cause of cramps asks about circulation, not all the causes again. ("What else
        causes them?", which does ask for the list, is read by the sides and the classifier before this; "what else
        sets off spasms like that?" after nerve compression, which asks past it, is not narrowed.)"""
        narrows = turn.last_answer in self.kb.answers[answer].items and turn.last_answer not in turn.not_meant
        return turn.last_answer if narrows else answer

    @staticmethod
    def tie_broken(turn: Turn, best: Reading) -> str:
        """The reading's best answer, or its runner-up where the two read all but alike (config.TIE_MAX_LEAD) and
        the classifier gives the runner-up more: "why would loose ligaments do that?" after massage reads as close
        to what joint instability is as to why loose ligaments bring spasms, which the classifier leans to. Never
        the last answer again by a tie."""
        answer, _, lead, runner_up = best
        if not runner_up or lead >= config.TIE_MAX_LEAD or runner_up in (*turn.not_meant, turn.last_answer):
            return answer
        confidence = {r.get("name"): r["confidence"] for r in turn.ranking}
        return runner_up if confidence.get(runner_up, 0.0) > confidence.get(answer, 0.0) else answer

    def emergency(
        self, dispatcher: CollectingDispatcher, categories: Tuple[str, ...], suspected: Tuple[str, ...] = ()
    ) -> List[Dict[Text, Any]]:
        """The fixed emergency reply: the numbers to call, also those of what a rule half-recognised ("took my
        baclofen ... now I'm slurring": Poison Control beside 911), and nothing else in this turn."""
        rules = self.safety_rules.categories
        what = " or ".join(rules[c]["label"] for c in categories) if categories else "what you describe"
        numbers = ["emergency_number"]
        for call in [rules[c]["call"] for c in categories + suspected] or [self.safety_rules.unknown_call]:
            numbers += [n for n in call if n not in numbers]
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

    def handoff(self, dispatcher: CollectingDispatcher, turn: Turn) -> List[Dict[Text, Any]]:
        """A person to talk to: the clinic's phone, opening hours and booking link from clinic.yml. A topic named
        stays for the next turn ("can i drive after my botox?", then "and how often will i have to go back?")."""
        dispatcher.utter_message(
            text=self.handoff_text(), json_message={**payload("handoff"), "contact": self.contact()}
        )
        return self.remember(turn)

    def handoff_text(self) -> str:
        details = clinic()
        return self.kb.message(
            "handoff",
            by_phone=f" by phone at {details['phone']}" if details["phone"] else "",
            hours=f" ({details['opening_hours']})" if details["opening_hours"] and details["phone"] else "",
            booking=f" You can book an appointment at {details['booking_url']}" if details["booking_url"] else "",
        )

    @staticmethod
    def contact() -> Dict[str, Any]:
        details = clinic()
        return {
            "name": details["name"],
            "phone": details["phone"],
            "phone_href": tel(details["phone"]) if details["phone"] else None,
            "opening_hours": details["opening_hours"],
            "booking_url": details["booking_url"],
        }

    def not_covered(
        self, dispatcher: CollectingDispatcher, turn: Turn, aspect: str, topic: Optional[str],
        said_instead: Optional[str] = None,
    ) -> List[Dict[Text, Any]]:
        """ "Our articles don't say <what>", with the topic's questions as buttons; for what the clinic itself
        can answer (cost, insurance, hours ...), its contact too. With `said_instead`, the answer on the side that
        does not name the particular thing asked: "Our articles don't name that among <the side of the topic>",
        and that answer first among the buttons."""
        side = self.kb.aspects[aspect]
        if said_instead and topic and side.says_particular:
            texts = [self.kb.message("not_named", what=side.says_particular.format(topic=self.kb.topics[topic].label))]
        elif topic and "{topic}" in side.says:
            texts = [self.kb.message("not_covered", what=side.says.format(topic=self.kb.topics[topic].label))]
        else:
            texts = [self.kb.message("not_covered", what=side.says_without_topic or side.says.format(topic="that"))]
        if side.clinic:
            texts.append(self.handoff_text())
        options = self.kb.topic_answers(topic) if topic else [] if side.clinic else self.kb.messages["starter_questions"]
        if said_instead:
            options = [said_instead, *(a for a in options if a != said_instead)]
        buttons = [self.kb.suggestion(a) for a in options[: config.MAX_CHOICES]]
        if buttons:
            texts.append(self.kb.message("not_covered_offer"))
        custom = {**payload("not_covered", suggestions=buttons), "side": aspect, "topic": topic}
        if side.clinic:
            custom["contact"] = self.contact()
        dispatcher.utter_message(text=" ".join(texts), buttons=buttons, json_message=custom)
        return self.remember(turn, topic)

    def describe_each(
        self, dispatcher: CollectingDispatcher, aspect: str, topics: List[str], turn: Turn
    ) -> List[Dict[Text, Any]]:
        """"Our articles don't compare X and Y directly", then what they say of each, with every passage cited (the
        side's "not covered" where fewer than two answers can be given). The first thing the question names becomes
        the conversation's topic and last answer; the others stay near."""
        answers = [self.kb.topic_answer(t, turn.last_answer) for t in topics]
        answers = [a for a in dict.fromkeys(answers) if a not in self.held]
        if len(answers) < 2:
            return self.not_covered(dispatcher, turn, aspect, topics[0])
        labels = [self.kb.topics[t].label for t in topics]
        text = self.kb.message("described_each", first=", ".join(labels[:-1]), second=labels[-1],
                               each="\n\n".join(self.kb.answers[a].text for a in answers))
        citations = [c for a in answers for c in self.kb.citations(a)]
        suggestions = [self.kb.suggestion(a) for a in self.kb.related(answers[0]) if a not in self.held]
        dispatcher.utter_message(text=text, json_message=payload("answer", answers[0], citations, suggestions))
        return [SlotSet("last_answer", answers[0]), *self.remember(turn, topics[0])]

    def answer(self, dispatcher: CollectingDispatcher, answer_id: str, turn: Turn) -> List[Dict[Text, Any]]:
        """Utter an answer with its passages; its topic becomes the conversation's current topic. An answer held
        since its source changed (`make knowledge`) is not given: the topic's other questions are offered."""
        answer = self.kb.answers[answer_id]
        if answer_id in self.held:
            others = [a for a in self.kb.topic_answers(answer.topic) if a != answer_id]
            if others:
                return self.offer(dispatcher, self.kb.message("clarify"), "clarify", others, turn)
            return self.offer(dispatcher, self.kb.message("fallback"), "fallback", self.kb.messages["starter_questions"], turn)
        suggestions = [self.kb.suggestion(a) for a in self.kb.related(answer_id) if a not in self.held]
        dispatcher.utter_message(
            text=answer.text,
            json_message=payload(answer.kind, answer_id, self.kb.citations(answer_id), suggestions),
        )
        # A list stays open while the patient goes through its things ("the stress one", then "and the last one?")
        listing = [SlotSet("listing", answer_id)] if answer.items else []
        return [SlotSet("last_answer", answer_id), *listing, *self.remember(turn, self.topic_of(answer_id, turn))]

    def topic_of(self, answer_id: str, turn: Turn) -> str:
        """The topic an answer leaves the conversation on: its own, but for a referral the one the patient asked
        about ("do I have joint instability?" is about joint instability, whatever topic the referral is filed
        under), so that "when should I get it looked at?" reads with it."""
        answer = self.kb.answers[answer_id]
        asked_about = turn.named[: turn.in_question] or turn.named
        return asked_about[0] if answer.kind == "refer" and asked_about else answer.topic

    def refer(self, dispatcher: CollectingDispatcher, turn: Turn) -> List[Dict[Text, Any]]:
        """The dosing or diagnosis referral, always. When the classifier is confident the question is one an
        article answers ("can tablets with the botox mean a lower dose?", "what dose botax do?", said for "does"),
        the article's answer follows the referral in the same reply, with its passage: it names no dose."""
        referral = turn.screening.refer
        answered = self.kb.answers.get(turn.intent) if turn.intent else None
        article_answer = answered and answered.kind == "answer" and turn.intent not in self.held
        if not (article_answer and turn.confident and self.sure_enough(turn)):
            return self.answer(dispatcher, referral, turn)
        suggestions = [self.kb.suggestion(a) for a in self.kb.related(referral) if a not in self.held]
        text = self.kb.message("refer_and_answer", referral=self.kb.answers[referral].text, answer=answered.text)
        citations = [*self.kb.citations(referral), *self.kb.citations(turn.intent)]
        dispatcher.utter_message(text=text, json_message=payload("refer", referral, citations, suggestions))
        return [SlotSet("last_answer", turn.intent), *self.remember(turn, answered.topic)]

    @staticmethod
    def remember(turn: Turn, topic: Optional[str] = None) -> List[Dict[Text, Any]]:
        """The turn's topic (an answer's, else the first the patient named) becomes current; the previous one
        and any other topic just named move to the front of `earlier_topics`, so that a later "it" or "back to
        X" can still refer to them, also after a "did you mean", a fallback or an emergency reply."""
        topic = topic or (turn.named or [None])[0]
        if not topic:
            return []
        earlier: List[str] = []
        for candidate in [*turn.named, *turn.conversation]:
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

    def offer(
        self, dispatcher: CollectingDispatcher, text: str, kind: str, answer_ids: List[str], turn: Turn
    ) -> List[Dict]:
        """A reply without an answer: the question buttons a patient can pick from instead."""
        answer_ids = [a for a in answer_ids if a not in self.held]
        buttons = [self.kb.suggestion(a) for a in answer_ids[: config.MAX_CHOICES]]
        dispatcher.utter_message(text=text, buttons=buttons, json_message=payload(kind, suggestions=buttons))
        return self.remember(turn)


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
