"""The action-validation speed-up checks exactly what Rasa checks."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from web import rasa_patches


@pytest.fixture(scope="module")
def action():
    assert rasa_patches.apply()
    return RemoteAction("action_respond", None)


def test_a_valid_response_passes(action):
    assert action._validate_action_result({"events": [], "responses": [{"text": "hi", "custom": {"kind": "x"}}]})


@pytest.mark.parametrize("bad", [{"events": "not a list"}, {"responses": [1]}, {"events": [{"event": 3}]}])
def test_an_invalid_response_fails_like_rasa(action, bad):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(bad)
