"""JSON through orjson where Rasa's turn spends time on it: the stored events of a conversation, read back every
turn, and the tracker sent to the action server every turn (about 4x faster to read and 10x to write than the
standard library, py-spy under load: docs/figures.md). Anything orjson refuses (a number that is NaN in stored
JSON, an object it does not know) goes through the standard library, as before."""
import json
from typing import Any

import orjson

OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, option=OPTIONS).decode()
    except TypeError:
        return json.dumps(value)


def loads(text: Any) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
