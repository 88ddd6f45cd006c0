"""Builds models/phrasings.npz: the sentence vector of every training phrasing of an answer, for the action
server's reading of follow-ups (actions/followups.py), and a projection of those vectors that sets the answers
apart, for a first turn read by meaning alone. Run by `make`, never at run time.

The projection is linear discriminant analysis (scikit-learn, shrinkage 0.1) fitted on the same phrasings, with
those of questions the articles don't answer (intent ask_not_covered) and of off-topic ones (out_of_scope) as two
more classes: in the projected space a patient's wording lies near the answer it asks for, or near the questions
the assistant has no answer for.
"""
import sys
from pathlib import Path

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from actions.knowledge import knowledge_base
from nlu.encoder import encoder
from scripts.evaluate import nlu_examples

UNANSWERED = ("ask_not_covered", "out_of_scope")
SHRINKAGE = 0.1  # 0.05-0.5 read development turns alike; 0.1 a little better


def main(out: str) -> None:
    answers = knowledge_base().answers
    examples = nlu_examples("data/nlu")
    pairs = [(intent, text) for intent, texts in examples.items()
             if intent in answers and answers[intent].kind == "answer"
             for text in texts]
    unanswered = [(intent, text) for intent in UNANSWERED for text in examples[intent]]
    vectors = encoder().encode([text for _, text in pairs + unanswered])
    labels = [intent for intent, _ in pairs + unanswered]
    discriminant = LinearDiscriminantAnalysis(solver="eigen", shrinkage=SHRINKAGE).fit(vectors, labels)
    projected = discriminant.transform(vectors)  # with the eigen solver, vectors @ scalings_ (no centring)
    projection = discriminant.scalings_[:, : projected.shape[1]].astype(np.float32)
    projected /= np.linalg.norm(projected, axis=1, keepdims=True)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, vectors=vectors[: len(pairs)].astype(np.float16),
                        answers=np.array([intent for intent, _ in pairs]),
                        projection=projection, projected=projected.astype(np.float32),
                        projected_labels=np.array(labels))
    print(f"Wrote {out}: {len(pairs)} phrasings of {len({i for i, _ in pairs})} answers, "
          f"{len(unanswered)} of questions without an answer, projected to {projection.shape[1]} dimensions")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/phrasings.npz")
