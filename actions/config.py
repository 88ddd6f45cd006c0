"""Settings of the action server, from the environment with safe defaults."""
import os


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


# How sure the intent classifier must be before an answer is given without asking back. Chosen by
# cross-validation on the training data (see README, "How answers are chosen"), never on the test files.
ANSWER_MIN_CONFIDENCE = _float("ANSWER_MIN_CONFIDENCE", 0.40)
# Without any medical term the entity ruler knows in the message, the classifier leans on small words
# ("what is ..."), so it must be surer before answering.
ANSWER_MIN_CONFIDENCE_WITHOUT_TERM = _float("ANSWER_MIN_CONFIDENCE_WITHOUT_TERM", 0.50)
# How far the best answer must lead the runner-up; closer than this is ambiguous and gets "did you mean".
ANSWER_MIN_MARGIN = _float("ANSWER_MIN_MARGIN", 0.10)
# From this confidence the classifier is sure: its answer decides over another answer the side rules found ("can
# tablets give you cramps as a side effect?" asks what causes cramps); never over a referral or "not covered".
SURE_CONFIDENCE = _float("SURE_CONFIDENCE", 0.90)
# A side's answer found by its words yields to another answer the classifier gives from this confidence ("should he
# be checked for something else?" after trigger point injections asks when to be evaluated, not for other treatments;
# "what vitamins would help?" after spasms asks about nutrition as a cause, not what to take for them).
OVER_A_SIDE_CONFIDENCE = _float("OVER_A_SIDE_CONFIDENCE", 0.60)
# From this confidence the classifier's answer, unless it is what its topic is in general, decides over a side the
# articles don't cover that the words seemed to ask ("are my sore muscles really the problem?" asks nothing of
# pain); no question of the development sets that the articles don't answer reached 0.97.
CERTAIN_CONFIDENCE = _float("CERTAIN_CONFIDENCE", 0.98)
# Below this, a candidate is too unlikely to be offered as "did you mean".
CLARIFY_MIN_CONFIDENCE = _float("CLARIFY_MIN_CONFIDENCE", 0.10)
# An unsure classifier's best answer is given when it belongs to the topic the question names, from this.
TOPIC_ANSWER_MIN_CONFIDENCE = _float("TOPIC_ANSWER_MIN_CONFIDENCE", 0.20)
# At most this many questions are offered as buttons.
MAX_CHOICES = 3
# The emergency intent is a second net behind the rules: it raises the alarm from this confidence on, when
# no rule matched the message at all (a negated or past mention is left to the rules).
EMERGENCY_MIN_CONFIDENCE = _float("EMERGENCY_MIN_CONFIDENCE", 0.50)
# A follow-up read in context (actions/followups.py) is answered from this cosine similarity on.
FOLLOWUP_MIN_SIMILARITY = _float("FOLLOWUP_MIN_SIMILARITY", 0.72)
# "The one about food" after the home tips: the listed thing whose phrasings the turn reads closest to is meant when
# it leads the next by this cosine similarity ("the injections one" after the treatments is Botox and pills alike).
ITEM_MIN_LEAD = _float("ITEM_MIN_LEAD", 0.10)
# A follow-up that points back ("how does that stop the spasms?") is read with the conversation's current topic,
# and that reading is answered over the classifier from this cosine similarity on.
POINTING_BACK_MIN_SIMILARITY = _float("POINTING_BACK_MIN_SIMILARITY", 0.80)
# In a conversation, "the articles don't say" (intent ask_not_covered) below this confidence yields to an answer
# of the conversation's topics with at least the second confidence ("does yoga count?" after stress).
NOT_COVERED_MIN_CONFIDENCE_IN_CONVERSATION = _float("NOT_COVERED_MIN_CONFIDENCE_IN_CONVERSATION", 0.50)
COMPETING_ANSWER_MIN_CONFIDENCE = _float("COMPETING_ANSWER_MIN_CONFIDENCE", 0.15)
# Read in context, an answer from the article the conversation is in counts this much more similar: "why does
# that make muscles spasm?" after joint instability means that article's answer, not the other's on spasms.
CONVERSATION_ARTICLE_BONUS = _float("CONVERSATION_ARTICLE_BONUS", 0.06)
# Where nothing else answers a turn in a conversation, the classifier's best answer is given when the turn read with
# the conversation's topics reads closest to the same answer, from this cosine similarity.
AGREED_MIN_SIMILARITY = _float("AGREED_MIN_SIMILARITY", 0.65)
# A first turn that nothing else answers, read alone by meaning in the projection that sets the answers apart
# (actions/followups.py), is answered from this similarity, when it reads at least the lead closer to the answer
# than to any question without an answer (not covered, off-topic).
ALONE_MIN_SIMILARITY = _float("ALONE_MIN_SIMILARITY", 0.70)
ALONE_MIN_LEAD = _float("ALONE_MIN_LEAD", 0.10)
# A reading in context is a guess, offered as "did you mean" and not given, where the classifier ranks the reading's
# answer below its first CLASSIFIER_SEES answers, the reading is under CONTEXT_CLOSE_SIMILARITY, and the turn does
# not point back or the classifier reads an answer of its own in it (from OPINION_MIN_CONFIDENCE).
OPINION_MIN_CONFIDENCE = _float("OPINION_MIN_CONFIDENCE", 0.35)
CLASSIFIER_SEES = 3
CONTEXT_CLOSE_SIMILARITY = _float("CONTEXT_CLOSE_SIMILARITY", 0.85)
# Two answers whose readings in context lie closer than this are a tie, which the classifier breaks.
TIE_MAX_LEAD = _float("TIE_MAX_LEAD", 0.01)
# Two answers whose readings lie closer than this, where the classifier gives neither at least CLASSIFIER_LEAN more
# than the other, are a close call: "did you mean" either, not a guess.
CLOSE_CALL_MAX_LEAD = _float("CLOSE_CALL_MAX_LEAD", 0.02)
CLASSIFIER_LEAN = _float("CLASSIFIER_LEAN", 0.10)
# An elliptical turn ("and a bad diet?", "what about ALS?") of at most this many words asks the last question
# again of another thing: the last answer's topic's answer it reads closest to, from this cosine similarity and
# this lead over the next answer, is given.
MAX_WORDS_ELLIPSIS = 6
SIBLING_MIN_SIMILARITY = _float("SIBLING_MIN_SIMILARITY", 0.80)
SIBLING_MIN_LEAD = _float("SIBLING_MIN_LEAD", 0.03)  # 0.04 sat on the edge: int8 vectors differ slightly between CPUs
# A message this short that names a topic and asks nothing the classifier is sure of ("and benztropine?") is
# "what about <topic>?".
MAX_WORDS_NAMING_ONLY = 4
# A follow-up of at most this many words that asks about a word of the last answer which no other answer
# says ("towel needed?" after heat) asks for that answer again.
MAX_WORDS_OF_LAST = 10
# A conversation longer than this many turns goes on in a new session (actions.py, `rollover`), so a turn's cost
# does not grow with the conversation.
MAX_SESSION_TURNS = int(os.environ.get("MAX_SESSION_TURNS", 12))
