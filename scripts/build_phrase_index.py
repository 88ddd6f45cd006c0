"""Builds models/phrasings.npz: the sentence vector of every training phrasing of an answer, for the action
server's reading of follow-ups (actions/followups.py). Run by `make`, never at run time."""
import sys
from pathlib import Path

import numpy as np

from actions.knowledge import knowledge_base
from nlu.encoder import encoder
from scripts.evaluate import nlu_examples


def main(out: str) -> None:
    answers = knowledge_base().answers
    pairs = [(intent, text) for intent, texts in nlu_examples("data/nlu").items()
             if intent in answers and answers[intent].kind == "answer"
             for text in texts]
    vectors = encoder().encode([text for _, text in pairs]).astype(np.float16)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, vectors=vectors, answers=np.array([intent for intent, _ in pairs]))
    print(f"Wrote {out}: {len(pairs)} phrasings of {len({i for i, _ in pairs})} answers")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/phrasings.npz")
