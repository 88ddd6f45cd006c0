"""Reads one patient turn, once: what it says and what it refers back to.

A `Turn` holds everything the reply is decided on: the safety screening, the intent ranking, the topics the
message names (those in the question's own sentence first, so a story before the question does not decide),
the sides of a topic it asks about ("is it safe?", "how often?", from knowledge/aspects.yml) and the
conversation's topics, most recent first. actions/actions.py turns it into a reply.
"""
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

from rasa_sdk import Tracker

from actions import config
from actions.followups import followup_reader
from actions.knowledge import KnowledgeBase, knowledge_base
from actions.nlp import RuleMatcher, lemma_pipeline
from actions.safety import Screening, screener

WHAT_ABOUT = "followup_what_about"
EMERGENCY = "emergency"
QUESTION_WORDS = set(
    "how what why when where which who whose can could is are am was does do did should will would may might "
    "any anything".split()
)
FOLLOWUP_PREFIX = "followup_"
# A turn that names no topic is read as being about the conversation's article: the other article's answers
# weigh this much of what the classifier gives them.
OTHER_ARTICLE_WEIGHT = 0.5
# Words by which a turn points back at what was just said ("how does that stop the spasms?" after deep brain
# stimulation, "why there?"), and words that ask for something other than what was just said ("is there
# another kind of surgery?", "and the other parkinsons ones?").
POINTING_BACK = set("that this it its those these them they there".split())
ASKING_FOR_ANOTHER = set("another other others different else alternative alternatives instead".split())
# "whats the other name for it": another name of the same thing, not another thing
OTHER_NAME = re.compile(r"\b(?:other|another|different|alternative)\s+(?:name|names|word|words|term|terms)\b")
# "Treatments that don't last", "anything in my diet that might be lacking": a "that" after a thing and before a
# verb starts a relative clause and points back at nothing ("is that why", "does that help" do point back).
RELATIVE_THAT = re.compile(
    r"\b([a-z']+)\s+that\s+(?=(?:might|may|can|could|would|will|should|must|dont|don't|doesnt|doesn't|didnt|didn't|"
    r"wont|won't|cant|can't|isnt|isn't|arent|aren't|helps?|works?|causes?|actually)\b)")
NO_ANTECEDENT = set(
    "is are was were be been does do did can could would will should might may must has have had about like with for "
    "of if so and but or why how what when where which who think thought mean means say said says know believe all "
    "just not then because cos since than".split())
# "Besides the jabs, what else helps?": the topic named next is what the question does not ask about.
SETTING_ASIDE = re.compile(r"\b(?:besides|apart from|aside from|other than|except(?: for)?|instead of|not counting)"
                           r"\s+(?:(?:the|my|his|her|your|those|these)\s+)?")
# "Different question, ...", "unrelated but ...": a turn that says it starts afresh is read as a first question.
SWITCH = (r"(?:(?:completely|totally|slightly|somewhat|a|an|one|bit of an?)\s+)*"
          r"(?:different|unrelated|new|separate|random|another|other)\s+(?:question|topic|subject|thing)")
FRESH_QUESTION = re.compile(rf"^\W*(?:(?:ok|okay|so|and|also|right|oh|now|sorry|but)\W+)*(?:{SWITCH}|unrelated|"
                            r"off[- ]topic|changing (?:the )?subject|change of subject|on another note)\b")
# "Is there ...", "there are ...": no "there" that points back.
THERE_IS = re.compile(r"\b(?:is|are|was|were|be)\s+there\b|\bthere(?:'s|s|\s+is|\s+are|\s+was|\s+were)\b")
# "The second one", "the last one?", "the 5th one": a thing the last answer listed (its `items` in
# knowledge/answers.yml, up to nine).
ORDINAL_WORDS = "first second third fourth fifth sixth seventh eighth ninth".split()
NUMBER_WORDS = "one two three four five six seven eight nine".split()
ORDINAL_INDEX = {**{w: n for n, w in enumerate(ORDINAL_WORDS)},
                 **{w: n for n, w in enumerate("1st 2nd 3rd 4th 5th 6th 7th 8th 9th".split())}, "last": -1}
ORDINAL = re.compile(
    rf"\bthe\s+({'|'.join(ORDINAL_INDEX)})\b"
    r"(?=\s*(?:one|ones|option|thing|item|treatment|tip|medication|medicine|pill|drug|[?.!,]|$))"
    # "first one?", "and 3rd one sounds intense": without "the" only at the start and before "one" ("first, ...")
    rf"|^\W*(?:(?:and|or|what about|how about|ok|okay|so|then)\s+)*({'|'.join(ORDINAL_INDEX)})\s+(?:one|ones|option)\b"
)
# "Number 3 please", "option two?", "#2": a thing the last answer listed, by its number.
NUMBERED = re.compile(rf"(?:\b(?:number|no\.?|option|item)\s*|#\s*)([1-9]|{'|'.join(NUMBER_WORDS)})\b")
# "and 9", "7?": after a list (or a thing of it picked by its number), a number alone is the next pick
BARE_NUMBER = re.compile(r"^\W*(?:(?:and|or|what about|how about|ok|okay|now|then|also|so)\s+)*([1-9]|"
                         rf"{'|'.join(NUMBER_WORDS[1:])})\s*[?.!]*\s*$")
NUMBER_INDEX = {**{str(n + 1): n for n in range(9)}, **{w: n for n, w in enumerate(NUMBER_WORDS)}}
PLACE_INDEX = {**ORDINAL_INDEX, **NUMBER_INDEX}
# "The one about food", "the bow talks one": a thing the last answer listed, told by its words, not its place.
DESCRIBED_ONE = re.compile(
    r"\bthe\s+(?:one|ones)\s+(?:about|for|with|on)\s+\w|\bthe\s+(?:[a-z'-]+\s+){1,3}(?:one|ones)\b")
# "the other parkinsons type one", "the other one on that list, benz-something": another thing, described
OTHER_ONE_DESCRIBED = re.compile(
    r"\bthe\s+other\s+(?:[a-z'-]+\s+){1,3}(?:one|ones)\b|\bthe\s+other\s+(?:one|ones)\b.*\b(?:list|[a-z]+-something)\b")
NOT_DESCRIBING = set("other another same different next previous".split()) | set(ORDINAL_INDEX)
# "the one for seizures", "which one calms the nervous system": a thing of the list, by what its answer says
ONE_SAID_TO = re.compile(r"\b(?:the|which)\s+(?:other\s+)?(?:one|ones)\s+"
                         r"((?:for|that|thats|which|used|they|you|doctors?|is|are|also|with|about)\b.+)")
PICKING_WORDS = set("use used uses using give gives given prescribe prescribes prescribed take taken they you doctors "
                    "doctor docs doc also one ones thats work works working help helps helping".split())
# "which one works best", "which one lasts longest": a comparison, which no one thing's answer makes
COMPARING = re.compile(r"\b(?:best|better|worse|worst|most|least|more|less|fewer|(?:fast|quick|long|strong|weak|safe|eas|"
                       r"cheap|gentl|mild|harsh|soon)(?:i?e?r|i?e?st)|common|likely|recommend\w*|prefer\w*|pick|choose)\b")
# "what's better for him, massage or physio": which of two, however many words stand between (not "does stress make
# it worse or not")
CHOICE = re.compile(r"\b(?:what|whats|what's|which)\s+(?:\w+\s+){0,2}(?:better|worse|best|worst)\b[^?.]*\bor\b")
COMPARE = "compare"
# A bare "why?" or "why not?" asks for the reason behind what was just said: more of the last answer, which
# gives it (the side `details` of knowledge/aspects.yml).
BARE_WHY = re.compile(  # texted "y tho" too (a bare "y" may be a yes)
    r"^\s*(?:but\s+|so\s+)?(?:(?:why|how come)(?:\s+(?:not|so|is that|that|though|tho|there|then|exactly))?"
    r"|y\s+(?:not|so|is that|that|though|tho|then|exactly))\s*[?!.]*\s*$")
MORE_OF_LAST = "details"
SENTENCE_END = re.compile(r"[.!?]+\s+|\n+")
CAUSE = "cause"
# "A symptom of what?", "protecting it from what?": a question word left at the end echoes what was just said and
# asks to fill in a part of it. The filler words after it, and the question words, are no words echoed.
ECHO_FILLER = frozenset("though tho exactly then again anyway specifically actually".split())
ECHO_QUESTION = re.compile(
    r"^(?!\s*(?:what|which|where|who|whom|when|how|why)\b)[^?]*\b(?:what|which|where|who|whom)"
    rf"(?:\s+(?:{'|'.join(sorted(ECHO_FILLER))}))?\s*[?!.]*\s*$")
ECHO_WORDS = ECHO_FILLER | {"what", "which", "where", "who", "whom"}  # words an echo asks with, not repeats
# Where a story ends and the question starts inside one sentence ("..., the tablets stopped helping — how does
# that work?").
CLAUSE_BREAK = re.compile(r"\s[-–—]+\s|;|\.\.+|:\s")


@dataclass(frozen=True)
class Turn:
    text: str
    screening: Screening
    ranking: List[dict]
    named: List[str]  # topics named in the message: the question's own first, then the story's, latest first
    in_question: int  # how many of `named` stand in the question itself
    sides: List[str]  # sides of a topic the question asks about, in the priority order of aspects.yml
    context: List[str]  # the conversation's topics before this turn, most recent first
    last_answer: Optional[str]
    question_start: int = 0  # where the question's own sentence starts in `text`
    points_back: bool = False  # the question says "that", "it", "there" ... in a conversation
    emergency_set_aside: bool = False  # the classifier said "emergency", the words named no danger to back it
    meant_item: Optional[str] = None  # the answer of a thing a list named ("and the last one?")
    listing: Optional[str] = None  # the answer whose list `meant_item` is from
    not_meant: Tuple[str, ...] = ()  # answers a turn asking for another one does not mean
    echo: bool = False  # a short question that leaves its question word at the end ("a symptom of what?")
    set_aside: Tuple[str, ...] = ()  # topics the question names as what it does not ask about ("besides botox")
    conversation: Tuple[str, ...] = ()  # the conversation's topics, also where a fresh question reads without them

    @property
    def topics_in_focus(self) -> List[str]:
        """What the turn is about: the topics its question names, else its story's, else the conversation's."""
        return self.named[: self.in_question] or self.named or self.context

    @property
    def intent(self) -> Optional[str]:
        return self.ranking[0].get("name")

    @property
    def confidence(self) -> float:
        return self.ranking[0].get("confidence") or 0.0

    @property
    def confident(self) -> bool:
        runner_up = self.ranking[1]["confidence"] if len(self.ranking) > 1 else 0.0
        return (
            self.confidence >= config.ANSWER_MIN_CONFIDENCE
            and self.confidence - runner_up >= config.ANSWER_MIN_MARGIN
        )

    @property
    def asks(self) -> bool:
        """The message asks something: a question mark, or its question sentence opens with a question word."""
        words = self.text[self.question_start :].lower().split()
        return "?" in self.text or bool(words and words[0] in QUESTION_WORDS)

    @property
    def followup_aspect(self) -> Optional[str]:
        """The aspect of a confident follow-up intent ("how often?" -> frequency)."""
        if self.confident and self.intent and self.intent.startswith(FOLLOWUP_PREFIX):
            return self.intent[len(FOLLOWUP_PREFIX) :]
        return None


class Reader:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.nlp = lemma_pipeline()
        self.matcher = RuleMatcher(self.nlp, kb.aspect_rules["max_gap"])
        for side, aspect in kb.aspects.items():
            for rule in aspect.rules:
                self.matcher.add(side, rule)
        self.priority = {side: n for n, side in enumerate(kb.aspects)}
        self.listed = {item for answer in kb.answers.values() for item in answer.items}  # what some list names
        self.article_words = {  # topic -> its article_terms as one pattern of whole words
            name: re.compile(r"\b(?:" + "|".join(map(re.escape, t.article_terms)) + r")\b")
            for name, t in kb.topics.items() if t.article_terms}

    def read(self, tracker: Tracker) -> Turn:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        question_start = self.question_start(text)
        conversation = [t for t in [tracker.get_slot("topic"), *(tracker.get_slot("earlier_topics") or [])] if t]
        fresh = bool(FRESH_QUESTION.match(text.lower()))  # "different question, ...": no context to read with
        last_answer = None if fresh else tracker.get_slot("last_answer")
        context = [] if fresh else conversation
        mentions = self.mentions(message, last_answer)
        named, in_question = self.named_topics(mentions, question_start)
        screening = screener().screen(text, conversation)
        if screening.handoff and question_start and "?" in text[question_start:]:
            # "He's booked in with a neurologist. How do they diagnose it?" asks for no person: the question decides
            screening = replace(screening, handoff=screener().screen(text[question_start:]).handoff)
        top = message.get("intent") or {}
        confidence = top.get("confidence") or 0.0
        said_emergency = top.get("name") == EMERGENCY and confidence >= config.EMERGENCY_MIN_CONFIDENCE
        question = RELATIVE_THAT.sub(
            lambda m: m.group() if m.group(1) in NO_ANTECEDENT else m.group(1) + " ", text[question_start:].lower())
        words = set(re.findall(r"[a-z]+", OTHER_NAME.sub(" ", THERE_IS.sub(" ", question))))
        not_meant = tuple(self.given_already(named, context, last_answer)) if words & ASKING_FOR_ANOTHER else ()
        set_aside = tuple(self.set_aside(text, mentions))
        not_meant += tuple(self.kb.topics[t].answers[0] for t in set_aside)  # nor what the thing set aside is
        listing = self.listing(last_answer, tracker.get_slot("listing"))
        # "the medical conditions one worries me. which ones": the story points at the thing, the question asks
        story_points = None if in_question else DESCRIBED_ONE.search(text[:question_start].lower())
        meant_item = (self.listed_item(text[question_start:], listing)
                      or self.other_item_described(text[question_start:], last_answer)
                      or self.item_said_to(text[question_start:], listing, last_answer, named[:in_question])
                      or (self.listed_item(story_points.group(), listing) if story_points else None))
        if meant_item and self.kb.answers[meant_item].topic not in named[:in_question]:
            named, in_question = [self.kb.answers[meant_item].topic, *named], in_question + 1
        return Turn(
            text=text,
            screening=screening,
            ranking=self.ranking(message, named, screening, last_answer, not_meant,
                                 topics=named[:in_question] or named or context),
            named=named,
            in_question=in_question,
            sides=self.sides(text[question_start:], first=not last_answer and not self.names_treatment(named),
                             story=text[:question_start]),
            context=context,
            last_answer=last_answer,
            question_start=question_start,
            points_back=bool(context) and bool(words & POINTING_BACK),
            emergency_set_aside=said_emergency and not screening.alarming and not screening.matched_anything,
            meant_item=meant_item,
            listing=listing if meant_item else None,
            not_meant=not_meant,
            set_aside=set_aside,
            conversation=tuple(conversation),
            echo=bool(context) and len(text[question_start:].split()) <= config.MAX_WORDS_ELLIPSIS
            and bool(ECHO_QUESTION.match(text[question_start:].lower())),
        )

    def listing(self, last_answer: Optional[str], pointed_into: Optional[str]) -> Optional[str]:
        """The list a place ("the last one") counts in: the open list (the latest answer with a list, or the one
        just pointed into) while the patient goes through its things ("the second one", or "the stress one" asked
        in words, then "and the last one?"), else the last answer's."""
        if pointed_into in self.kb.answers and last_answer in self.kb.answers[pointed_into].items:
            return pointed_into
        listed_nothing = last_answer in self.kb.answers and not self.kb.answers[last_answer].items
        if listed_nothing and pointed_into in self.kb.answers:
            return pointed_into  # "back to that list, the second option?" after another answer: the latest list
        return last_answer

    def listed_item(self, question: str, listing: Optional[str]) -> Optional[str]:
        """The answer of the thing `listing` names that the question points at by its place ("the second one"),
        or by its words ("the one about food": the item whose phrasings the question reads clearly closest to)."""
        items = self.kb.answers[listing].items if listing in self.kb.answers else []
        if not items:
            return None
        lowered = question.lower()
        found = ORDINAL.search(lowered) or NUMBERED.search(lowered) or BARE_NUMBER.match(lowered)
        if found:
            index = PLACE_INDEX[next(g for g in found.groups() if g)]
            return items[index] if index < len(items) else None
        described = DESCRIBED_ONE.search(lowered)
        if described and not set(described.group().split()) & NOT_DESCRIBING:
            return followup_reader().closest_of(question, items)
        return None

    def other_item_described(self, question: str, last_answer: Optional[str]) -> Optional[str]:
        """After one thing of a list, another of its things in words ("whats the other parkinsons type one on the
        list?" after levodopa): the other item the question reads clearly closest to."""
        described = OTHER_ONE_DESCRIBED.search(question.lower())
        others = self.other_items_of_its_list(last_answer) if described else []
        return followup_reader().closest_of(question, others) if others else None

    def other_items_of_its_list(self, answer_id: Optional[str]) -> List[str]:
        """The other things of the list this answer is one thing of ("the causes of spasms" for dehydration)."""
        listing = self.kb.listing_of(answer_id)
        return [a for a in self.kb.answers[listing].items if a != answer_id] if listing else []

    def item_said_to(self, question: str, listing: Optional[str], last_answer: Optional[str],
                     named: Sequence[str]) -> Optional[str]:
        """A thing of the open list (else of the list the last answer is one thing of, less that one) that the
        question picks by what it is said to do or be for: "and the one they use for seizures", "which one calms
        the nervous system" (clonazepam). The one thing whose answer says the most of the words, if any, where the
        question names no other topic."""
        picked = ONE_SAID_TO.search(question.lower())
        if not picked or COMPARING.search(picked.group(1)):
            return None
        items = (self.kb.answers[listing].items if listing in self.kb.answers else []) or self.other_items_of_its_list(
            last_answer)
        words = self.kb.content_words(picked.group(1), PICKING_WORDS)
        said = {a: len(self.kb.words_said(a, words)) for a in items}
        best = max(said.values(), default=0)
        found = [a for a, n in said.items() if n == best]
        if not (best and len(found) == 1) or set(named) - {self.kb.answers[found[0]].topic}:
            return None  # "is botox the one that relaxes the muscle?" asks of Botox
        return found[0]

    @staticmethod
    def question_start(text: str) -> int:
        """Character offset where the question itself starts: its sentence (the last one with a question mark,
        else the last one), from the clause after a dash or semicolon that holds the question mark."""
        ends = [m.end() for m in re.finditer(r"[.!?]+\s+|\n+", text)]
        spans = [(s, e) for s, e in zip([0, *ends], [*ends, len(text)]) if text[s:e].strip()] or [(0, len(text))]
        start, end = ([span for span in spans if "?" in text[span[0] : span[1]]] or spans)[-1]
        for clause_start in reversed([m.end() for m in CLAUSE_BREAK.finditer(text, start, end)]):
            if "?" in text[clause_start:end] or "?" not in text[start:end]:
                return clause_start
        return start

    def mentions(self, message: dict, last_answer: Optional[str] = None) -> List[Tuple[int, str]]:
        """(where, topic) of each topic the message names. A word that names a topic only on its article's ground
        ("injections", knowledge/topics.yml `article_terms`) names it where the message's other topics, else the
        last answer, are from that article, and the message names no treatment."""
        found = []
        for entity in message.get("entities") or []:
            topic = self.kb.topic_for_term(entity.get("value", ""))
            if topic:
                found.append((entity.get("start", 0), topic))
        named_article = next(filter(None, (self.kb.article_of_topic(t) for _, t in found)), None)
        ground = named_article or self.kb.article_of(last_answer)
        text = (message.get("text") or "").lower()
        named = {t for _, t in found}
        beside_treatment = any(self.kb.topics[t].treats for t in named)  # "a study showing prolotherapy works"
        for topic, words in self.article_words.items():
            if ground == self.kb.article_of_topic(topic) and topic not in named and not beside_treatment:
                found += [(m.start(), topic) for m in words.finditer(text)][:1]
        return sorted(found)

    def set_aside(self, text: str, mentions: List[Tuple[int, str]]) -> List[str]:
        """Things a list names (a treatment, a medication) that the message sets aside as what it does not ask
        about ("besides the jabs, what else helps?"), and names nowhere else ("does botox have anything in it
        besides the toxin?" asks about Botox)."""
        ends = {m.end() for m in SETTING_ASIDE.finditer(text.lower())}
        elsewhere = {topic for start, topic in mentions if start not in ends}
        aside = {topic for start, topic in mentions if start in ends} - elsewhere
        return [t for t in aside if self.kb.topics[t].answers[0] in self.listed]

    def named_topics(self, mentions: List[Tuple[int, str]], question_start: int) -> Tuple[List[str], int]:
        """Topics named in the message: those in the question first, then the story's, the latest first."""
        in_question, in_story = [], []
        for start, topic in mentions:
            (in_question if start >= question_start else in_story).append(topic)
        in_question = list(dict.fromkeys(in_question))
        in_story = [t for t in dict.fromkeys(reversed(in_story)) if t not in in_question]
        return in_question + in_story, len(in_question)

    def names_treatment(self, named: Sequence[str]) -> bool:
        """Whether one of the topics named is a treatment (it `treats` a condition)."""
        return any(self.kb.topics[t].treats for t in named if t in self.kb.topics)

    def sides(self, question: str, first: bool = False, story: str = "") -> List[str]:
        """Sides asked about in the question, in the priority order of knowledge/aspects.yml. A bare "why?" asks
        the reason behind the last answer; in a first message whose story names no treatment, what causes what it
        tells ("on my knees under sinks all day and my calves lock up with cramp. why"). After a story, also a side
        whose rule reads the story's last sentence with that "why" ("massage helps for a day, then its back again.
        why" asks why it keeps coming back)."""
        lowered = question.lower()
        found = {side for side, _, _ in self.matcher(self.nlp(lowered))}
        if BARE_WHY.match(lowered):  # "why not?"
            found.add(CAUSE if first else MORE_OF_LAST)
            told = SENTENCE_END.split(story.lower().strip())[-1].strip(" .!?,;") if story.strip() else ""
            if told:
                doc = self.nlp(f"{told} {lowered}")
                why = len(self.nlp.tokenizer(told))  # the question's first word: counted, not parsed
                found |= {side for side, _, end in self.matcher(doc) if end > why}
        if CHOICE.search(lowered):  # "whats better for him, massage or physio"
            found.add(COMPARE)
        return sorted(found, key=self.priority.get)

    def ranking(
        self, message: dict, named: List[str], screening: Screening, last_answer: Optional[str],
        not_meant: Sequence[str] = (), topics: Sequence[str] = (),
    ) -> List[dict]:
        """The classifier's ranking, less what the words rule out, and leaning to the conversation's article.

        "What about X?" needs a known X ("and how often?" is not one): the rest is taken as the classifier's
        probabilities given that it is something else. "Emergency" needs the words to name acute danger or a
        serious sign they don't deny (knowledge/safety.yml): a classifier may learn that "neck" and "hurts" go
        with danger. It is dropped without raising the others, so a calm symptom story gets a "did you mean"
        rather than a confident answer. A turn that asks for another or a different one ("is there another kind of
        surgery?") does not mean what was just given (`not_meant`, from `given_already`): dropped the same way.
        """
        ranking = message.get("intent_ranking") or [message.get("intent") or {"name": None, "confidence": 0.0}]
        if not screening.alarming:
            ranking = without(ranking, EMERGENCY)
        for answer_id in not_meant:
            ranking = without(ranking, answer_id)
        article = self.kb.article_of(last_answer)
        others = [r for r in ranking if r.get("name") != WHAT_ABOUT]
        if not named and others and len(others) < len(ranking):
            rest = sum(r["confidence"] for r in others) or 1.0
            ranking = [{**r, "confidence": r["confidence"] / rest} for r in others]
        if not named and article:  # "why does it cause spasms?" after joint instability: that article's answer
            weigh = lambda r: OTHER_ARTICLE_WEIGHT if self.kb.article_of(r.get("name")) not in (None, article) else 1.0
            weighed = [{**r, "confidence": r["confidence"] * weigh(r)} for r in ranking]
            total = sum(r["confidence"] for r in weighed) or 1.0
            ranking = sorted(
                ({**r, "confidence": r["confidence"] / total} for r in weighed), key=lambda r: -r["confidence"]
            )
        return self.one_reading(ranking, topics, last_answer)

    def given_already(self, named: List[str], context: Sequence[str], last_answer: Optional[str]) -> List[str]:
        """What a turn asking for another one ("is there any other kind of operation?") does not mean: the answer
        just given and, when it names no other topic than the conversation's and that is a treatment ("operation"
        is deep brain stimulation's word too), that treatment's answers (not those that list things: "any other
        tips?" after heat is all the tips)."""
        current = self.kb.topics.get(context[0]) if context and set(named) <= {context[0]} else None
        same_treatment = [
            a for a in self.kb.topic_answers(current.name) if not self.kb.answers[a].items
        ] if current and current.treats else []
        return [a for a in [last_answer, *same_treatment] if a]

    def one_reading(self, ranking: List[dict], topics: Sequence[str], last_answer: Optional[str]) -> List[dict]:
        """The two best intents as one when they are two readings of the same question: a follow-up and the
        answer it means about the turn's topics ("can i take pills with it?" after Botox: followup_combine 0.50,
        cd_botox_with_pills 0.45). Split between them, neither was sure; together they are."""
        if len(ranking) < 2:
            return ranking
        followup, answer = sorted(ranking[:2], key=lambda r: not (r.get("name") or "").startswith(FOLLOWUP_PREFIX))
        name = followup.get("name") or ""
        if not name.startswith(FOLLOWUP_PREFIX) or name == WHAT_ABOUT or answer.get("name") not in self.kb.answers:
            return ranking
        aspect = name[len(FOLLOWUP_PREFIX) :]
        meant = next(filter(None, (self.kb.followup(t, aspect, last_answer) for t in topics)), None)
        if meant != answer["name"]:
            return ranking
        return [{**answer, "confidence": followup["confidence"] + answer["confidence"]}, *ranking[2:]]


def without(ranking: List[dict], name: str) -> List[dict]:
    """The ranking less one intent, the others not raised; an empty ranking holds no intent."""
    return [r for r in ranking if r.get("name") != name] or [{"name": None, "confidence": 0.0}]


@lru_cache(maxsize=1)
def reader() -> Reader:
    """The shared reader, built once when the action server starts."""
    return Reader(knowledge_base())
