"""A speed-up for Rasa Open Source 3.6.21, applied when the Rasa server loads web/site.py (credentials.yml).

Rasa checks every action server response with `jsonschema.validate()`, which re-checks the constant response
schema itself on every call: about half of the Rasa server's CPU time per message here (py-spy, see
BENCHMARKS.md). The replacement builds the validator once and reports the same error jsonschema would.
"""
import logging

import rasa
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

logger = logging.getLogger(__name__)
PATCHED_VERSION = "3.6.21"
_validator = None


def _validate_action_result(self: RemoteAction, result: dict) -> bool:
    global _validator
    if _validator is None:
        schema = self.action_response_format_spec()
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)
        _validator = validator_class(schema)
    error = best_match(_validator.iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def apply() -> bool:
    """Install the patch on the Rasa version it was written for; leave any other version alone."""
    if rasa.__version__ != PATCHED_VERSION:
        logger.warning("rasa %s: not applying the 3.6.21 action-validation speed-up", rasa.__version__)
        return False
    RemoteAction._validate_action_result = _validate_action_result
    return True

