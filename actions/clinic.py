"""The clinic's contact details and emergency numbers, from clinic.yml (or CLINIC_CONFIG)."""
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

DEFAULTS: Dict[str, Any] = {
    "name": "our clinic",
    "phone": None,
    "booking_url": None,
    "opening_hours": None,
    "emergency_number": "911",
    "poison_control": "1-800-222-1222",
    "crisis_line": "988",
    "allowed_origins": ["http://localhost:8000"],
}
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "clinic.yml"


def load(path: Optional[Path] = None) -> Dict[str, Any]:
    """The clinic's details. A file named by CLINIC_CONFIG (or `path`) must exist: a typo must not make the
    assistant run as "our clinic" without a phone number."""
    named = path or os.environ.get("CLINIC_CONFIG")
    if named and not Path(named).is_file():
        raise FileNotFoundError(f"CLINIC_CONFIG names {named}, which is not a file")
    path = Path(named or DEFAULT_PATH)
    configured = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None) or {}
    unknown = set(configured) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    merged = {**DEFAULTS, **configured}
    origins = checked_origins(merged.pop("allowed_origins") or [], str(path))
    details = {key: str(value) if value is not None else None for key, value in merged.items()}
    return {**details, "allowed_origins": origins}


def checked_origins(origins, where: str) -> list:
    """Origins the browser may call the chat from: http(s) origins only, never '*'."""
    origins = [str(origin).rstrip("/") for origin in origins]
    if any(origin == "*" or not origin.startswith(("http://", "https://")) for origin in origins):
        raise ValueError(f"{where}: allowed origins must be http(s) origins, never '*': {origins}")
    return origins


@lru_cache(maxsize=1)
def clinic() -> Dict[str, Any]:
    return load()


def tel(number: str) -> str:
    """A tel: link target: digits and a leading + only."""
    return "tel:" + "".join(c for c in number if c.isdigit() or c == "+")


if __name__ == "__main__":  # python -m actions.clinic ORIGIN...: the production start checks CLINIC_ORIGIN (deploy/compose.yml)
    import sys

    try:
        checked_origins(sys.argv[1:] or [""], "CLINIC_ORIGIN")
    except ValueError as error:
        sys.exit(str(error))
