"""The dialogue policy: every patient message is answered by `action_respond`, then the assistant listens.

The decision between an answer, a follow-up, a "did you mean", the fallback or an emergency reply is made by the
action (actions/actions.py), which reads the knowledge base. Rasa's RulePolicy needed a rule listing every intent
and predicted twice per turn from the featurised history; this policy looks at the last two events only.
"""
from typing import Any, Dict, List, Optional, Text

from rasa.core.constants import POLICY_PRIORITY, RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import (
    ACTION_BACK_NAME, ACTION_LISTEN_NAME, ACTION_RESTART_NAME, ACTION_SESSION_START_NAME,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

RESPOND = "action_respond"
# Rasa's own intents keep the actions RulePolicy's default rules gave them ("/restart" in `make shell`; the web
# channel passes a slash only in a payload the assistant offered, and it offers none of these).
DEFAULT_INTENT_ACTIONS = {
    "restart": ACTION_RESTART_NAME, "back": ACTION_BACK_NAME, "session_start": ACTION_SESSION_START_NAME,
}


def next_action(tracker: DialogueStateTracker) -> str:
    """`action_respond` right after a patient's message, `action_listen` after anything else.

    After a message the tracker ends with the message itself (and the entity and slot events Rasa adds to it);
    after an action it ends with that action. A rejected action is not tried again in the same turn."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return DEFAULT_INTENT_ACTIONS.get(event.intent_name, RESPOND)
        if isinstance(event, (ActionExecuted, ActionExecutionRejected)):
            return ACTION_LISTEN_NAME
    return ACTION_LISTEN_NAME


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class RespondToEveryMessagePolicy(Policy):
    """Sends every message to `action_respond`: nothing to learn, so training stores nothing."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {POLICY_PRIORITY: RULE_POLICY_PRIORITY}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        with self._model_storage.write_to(self._resource):
            pass  # the graph loads every policy from its resource, even one without parameters
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        return self._prediction(confidence_scores_for(next_action(tracker), 1.0, domain))

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "RespondToEveryMessagePolicy":
        return cls(config, model_storage, resource, execution_context)
