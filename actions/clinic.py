"""The clinic's contact details and emergency numbers, from clinic.yml (or CLINIC_CONFIG)."""
import os
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional

import yaml

DEFAULTS: Dict[str, Optional[str]] = {
    "name": "our clinic",
    "phone": None,
    "booking_url": None,
    "opening_hours": None,
    "emergency_number": "911",
    "poison_control": "1-800-222-1222",
    "crisis_line": "988",
}
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "clinic.yml"


def load(path: Optional[Path] = None) -> Dict[str, Optional[str]]:
    path = Path(path or os.environ.get("CLINIC_CONFIG") or DEFAULT_PATH)
    configured = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    unknown = set(configured or {}) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    return {key: str(value) if value is not None else None for key, value in {**DEFAULTS, **(configured or {})}.items()}


@lru_cache(maxsize=1)
def clinic() -> Dict[str, Optional[str]]:
    return load()


def tel(number: str) -> str:
    """A tel: link target: digits and a leading + only."""
    return "tel:" + "".join(c for c in number if c.isdigit() or c == "+")
