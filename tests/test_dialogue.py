"""The dialogue extensions: the importer derives the domain's answer intents and their stories from the
knowledge files, and the policy sends every message to action_respond."""
import shutil

import pytest
import yaml
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_RESTART_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted, ActionExecutionRejected, SessionStarted, SlotSet, UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from dialogue import importer as importer_module
from dialogue.policy import RESPOND, next_action
from tests.conftest import ROOT, load_yaml


def project_importer() -> TrainingDataImporter:
    # The way `rasa train` and `rasa data validate` build it: from config.yml, which names our importer. Rasa only
    # warns when a named importer cannot be imported, and then trains without the answers' intents.
    return TrainingDataImporter.load_from_config(str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")])


def test_the_domain_holds_every_answer_and_every_listed_intent(kb):
    domain = project_importer().get_domain()
    assert set(kb.answers) <= set(domain.intents)
    assert set(load_yaml("domain.yml")["intents"]) <= set(domain.intents)
    # The rest of domain.yml is kept as written.
    assert domain.session_config.session_expiration_time == 60
    assert not domain.session_config.carry_over_slots
    assert {"topic", "earlier_topics", "disclaimer_said", "last_answer"} <= {s.name for s in domain.slots}


def test_every_intent_has_a_story_answered_by_action_respond(kb):
    importer = project_importer()
    stories = importer.get_stories()
    answered = {
        step.events[0].intent_name
        for step in stories.story_steps
        if [type(e) for e in step.events] == [UserUttered, ActionExecuted] and step.events[1].action_name == RESPOND
    }
    assert set(kb.answers) | set(load_yaml("domain.yml")["intents"]) <= answered


def test_an_answer_added_to_the_knowledge_files_becomes_an_intent(tmp_path, monkeypatch, kb):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    answers = yaml.safe_load((knowledge / "answers.yml").read_text(encoding="utf-8"))
    first = next(iter(answers["answers"].values()))
    answers["answers"]["cd_new_question"] = dict(first)
    (knowledge / "answers.yml").write_text(yaml.safe_dump(answers, sort_keys=False), encoding="utf-8")
    monkeypatch.setattr(importer_module, "KNOWLEDGE_DIR", knowledge)
    assert "cd_new_question" in project_importer().get_domain().intents
    monkeypatch.undo()
    assert "cd_new_question" not in project_importer().get_domain().intents


def test_a_broken_knowledge_file_stops_training(tmp_path, monkeypatch):
    from actions.knowledge import KnowledgeError

    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    answers = yaml.safe_load((knowledge / "answers.yml").read_text(encoding="utf-8"))
    next(iter(answers["answers"].values()))["citations"] = ["cd-000000"]
    (knowledge / "answers.yml").write_text(yaml.safe_dump(answers, sort_keys=False), encoding="utf-8")
    monkeypatch.setattr(importer_module, "KNOWLEDGE_DIR", knowledge)
    with pytest.raises(KnowledgeError, match="cd-000000"):
        project_importer().get_domain()


def tracker(*events) -> DialogueStateTracker:
    domain = Domain.from_dict({"intents": ["greet", "restart"], "actions": [RESPOND]})
    return DialogueStateTracker.from_events("patient", list(events), domain.slots)


SESSION = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)]


def test_a_message_is_answered_by_action_respond():
    message = UserUttered("hello", {"name": "greet", "confidence": 1.0})
    assert next_action(tracker(*SESSION, message)) == RESPOND
    assert next_action(tracker(*SESSION, message, SlotSet("topic", "botox"))) == RESPOND


def test_after_the_reply_the_assistant_listens():
    message = UserUttered("hello", {"name": "greet", "confidence": 1.0})
    assert next_action(tracker(*SESSION)) == ACTION_LISTEN_NAME
    assert next_action(tracker(*SESSION, message, ActionExecuted(RESPOND))) == ACTION_LISTEN_NAME
    assert next_action(tracker(*SESSION, message, ActionExecuted(RESPOND), SlotSet("topic", "botox"))) == ACTION_LISTEN_NAME
    # A rejected reply is not tried again and again in the same turn.
    assert next_action(tracker(*SESSION, message, ActionExecutionRejected(RESPOND))) == ACTION_LISTEN_NAME


def test_rasa_s_own_intents_keep_their_actions():
    restart = UserUttered("/restart", {"name": "restart", "confidence": 1.0})
    assert next_action(tracker(*SESSION, restart)) == ACTION_RESTART_NAME
