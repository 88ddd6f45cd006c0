"""The spelling corrector of the NLU pipeline (nlu/spelling.py): typos and dictated medical words, and what
it must leave alone. Uses the word lists `make` builds into models/spelling/words.json."""
import pytest

from nlu.speller import Speller, edit_distance, sound_key


@pytest.fixture(scope="module")
def speller():
    return Speller.from_file()


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("distonia", "dystonia"), ("baclophen", "baclofen"), ("botax", "botox"), ("proletherapy", "prolotherapy"),
        ("ligiment", "ligament"), ("torticolis", "torticollis"), ("cervicle", "cervical"), ("clonazapam", "clonazepam"),
        ("trihexyfenidil", "trihexyphenidyl"), ("benztropene", "benztropine"), ("levadopa", "levodopa"),
    ],
)
def test_misspelled_medical_words_are_corrected(speller, typed, meant):
    assert speller.correct(f"what is {typed} for") == f"what is {meant} for"


@pytest.mark.parametrize(
    "dictated, meant",
    [
        ("back low fen", "baclofen"), ("zee oh min", "xeomin"), ("level dopa", "levodopa"),
        ("pro low therapy", "prolotherapy"), ("bow tox", "botox"), ("lido cane", "lidocaine"),
        ("in jections", "injections"), ("whip lash", "whiplash"),
        # four words, a common last word, an ordinary word of the terms, the articles' rarer words by sound
        ("clone as a pam", "clonazepam"), ("pearl oh therapy", "prolotherapy"), ("mass age", "massage"),
        ("lig a mints", "ligaments"), ("mag nee see um", "magnesium"), ("electro lights", "electrolytes"),
    ],
)
def test_dictated_terms_split_into_sound_alike_words_are_joined(speller, dictated, meant):
    assert speller.correct(f"my doctor mentioned {dictated} today") == f"my doctor mentioned {meant} today"


@pytest.mark.parametrize(
    "text",
    [
        "i dont know if it doesnt help", "can a loose spine give me a tight neck", "is there any medicine by mouth",
        "a torn ligament how long till its repaired", "the rest of it is fine", "to day i have been",
        "the ligament is still sore", "explain it to me in simple words", "a spasm a day",
        "how many units of botox do you inject in the neck", "the tablets stopped helping", "my back is low down",
    ],
)
def test_ordinary_words_and_correct_terms_are_left_alone(speller, text):
    assert speller.correct(text) == text


def test_case_and_punctuation_outside_the_corrected_word_are_kept(speller):
    assert speller.correct("Is Botax safe?? (asking for my mum)") == "Is botox safe?? (asking for my mum)"


def test_edit_distance_counts_a_swap_as_one_and_stops_at_its_limit():
    assert edit_distance("ligiment", "ligament", 2) == 1
    assert edit_distance("botxo", "botox", 2) == 1
    assert edit_distance("massage", "baclofen", 2) == 3


def test_sound_keys_hear_x_as_z_and_drop_vowels():
    assert sound_key("zeeohmin") == sound_key("xeomin") and sound_key("backlowfen") == sound_key("baclofen")


def test_the_classifier_reads_the_folded_text():
    """Fullwidth letters and look-alikes of other scripts reach the classifier as plain Latin words."""
    from rasa.shared.nlu.training_data.message import Message

    from nlu.spelling import SpellingCorrector

    component = SpellingCorrector.create(SpellingCorrector.get_default_config(), None, None, None)
    message = Message(data={"text": "ｗｈａｔ ｉｓ b\u043etox"})
    component.process([message])
    assert message.get("text") == "what is botox"


def test_a_message_that_folds_to_nothing_is_kept():
    from rasa.shared.nlu.training_data.message import Message

    from nlu.spelling import SpellingCorrector

    component = SpellingCorrector.create(SpellingCorrector.get_default_config(), None, None, None)
    message = Message(data={"text": "\u00a8"})  # NFKC: a space and a combining diaeresis
    component.process([message])
    assert message.get("text") == "\u00a8"


@pytest.mark.parametrize(
    "typed, meant", [("musles", "muscles"), ("stimulaton", "stimulation"), ("ligiments", "ligaments"), ("zeomin", "xeomin")]
)
def test_typos_of_the_articles_common_words_and_sound_alike_terms_are_corrected(speller, typed, meant):
    assert speller.correct(f"tell me about {typed} please") == f"tell me about {meant} please"


def test_a_change_of_the_word_lists_makes_rasa_retrain_what_follows(tmp_path):
    from nlu.spelling import SpellingCorrector

    words = tmp_path / "words.json"
    words.write_text('{"targets": [], "terms": [], "common": []}')
    before = SpellingCorrector.fingerprint_addon({"words": str(words)})
    words.write_text('{"targets": ["baclofen"], "terms": [], "common": []}')
    assert SpellingCorrector.fingerprint_addon({"words": str(words)}) != before


def test_a_question_word_after_a_dictated_term_is_not_joined_into_it(speller):
    """Four words may make a term, but "how" starts the question after it."""
    assert speller.correct("a torn lig a mint how long till it heals") == "a torn ligament how long till it heals"


@pytest.mark.parametrize("typed, meant", [
    ("can you explain deep rain stimulation for dystonia", "can you explain deep brain stimulation for dystonia"),
    ("deep brian stimulaton explained simply pls", "deep brain stimulation explained simply pls"),
    ("ive had trigger pint shots in my shoulders", "ive had trigger point shots in my shoulders"),
    ("how do lose ligaments cause that", "how do loose ligaments cause that"),
])
def test_a_term_of_several_words_is_restored_when_one_word_came_as_another(speller, typed, meant):
    """A sound dropped ("rain", "pint", "lose") or two letters swapped ("brian") inside a term of two words or more."""
    assert speller.correct(typed) == meant


@pytest.mark.parametrize("text", ["my head keeps burning", "head keep turning", "shots in my neck", "op on the brains",
                                  "my black cat", "i lose sleep over it"])
def test_another_letter_or_a_plural_inside_a_term_is_left_alone(speller, text):
    assert speller.correct(text) == text
