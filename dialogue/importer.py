"""Training data as Rasa reads it from the project, plus what follows from the knowledge base: one intent per
answer in the domain, and one story per intent saying that action_respond answers it.

An answer is written once, in knowledge/answers.yml, with its phrasings in data/nlu/; no other list names it.
domain.yml lists only the intents the action treats in its own way (follow-ups, emergency, smalltalk and the
like). The knowledge base is validated here too, so a broken knowledge file stops training.
"""
from typing import Optional

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.rasa import RasaFileImporter

from actions.knowledge import KNOWLEDGE_DIR, KnowledgeBase
from dialogue.policy import DEFAULT_INTENT_ACTIONS, RESPOND


class KnowledgeImporter(RasaFileImporter):
    """RasaFileImporter, with the answers' intents in the domain and a story for every intent."""

    def get_domain(self) -> Domain:
        answers = Domain.from_dict({"intents": sorted(KnowledgeBase(KNOWLEDGE_DIR).answers)})
        return super().get_domain().merge(answers)

    def get_stories(self, exclusion_percentage: Optional[int] = None) -> StoryGraph:
        # The policy needs no examples, but Rasa trains a dialogue model only when it has a story, and
        # `rasa data validate` asks that every intent appear in one.
        domain = self.get_domain()
        stories = [
            {"story": f"{intent} is answered", "steps": [{"intent": intent}, {"action": RESPOND}]}
            for intent in domain.intents
            if intent not in DEFAULT_INTENT_ACTIONS  # /restart and the like have actions of their own
        ]
        generated = StoryGraph(YAMLStoryReader(domain).read_from_parsed_yaml({"stories": stories}))
        return super().get_stories(exclusion_percentage).merge(generated)
