"""`make eval`: how good the answers are, measured over REST on held-out files never used for training.

Starts the real servers (or uses --url), then measures intent accuracy and macro-F1 (`rasa test nlu` on
tests/test_nlu.yml, with the confusion matrix), answer accuracy (the cited passage is an acceptable one, over
single questions and follow-up conversations), out-of-scope rejection, red-flag recall, the false-alarm rate
and the dosing guard; then, without thresholds, the same for the lay questions of tests/lay_questions.yml (a
development set: see its header). Writes results/eval.md and exits 1 when a figure is below its threshold.
The same functions back the end-to-end tests.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = {"answer_accuracy": 0.95, "out_of_scope_rejection": 0.95, "red_flag_recall": 1.0,
              "dosing_guard": 0.95, "schedule_answered": 0.85}
MAX_FALSE_ALARM_RATE = 0.01
SAFETY_INTENTS = {"emergency", "ask_dosage", "ask_diagnosis", "request_human"}


def load(path: str):
    return yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))


def nlu_examples(path: str) -> Dict[str, List[str]]:
    """intent -> examples, from one Rasa NLU file or every file of a folder."""
    folder = ROOT / path
    files = sorted(folder.glob("*.yml")) if folder.is_dir() else [folder]
    examples: Dict[str, List[str]] = {}
    for file in files:
        for block in load(str(file.relative_to(ROOT))).get("nlu", []):
            if "intent" in block:
                lines = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
                examples.setdefault(block["intent"], []).extend(lines)
    return examples


NO_PAYLOAD = {"kind": None, "answer_id": None, "citations": [], "suggestions": []}


def ask(url: str, sender: str, text: str, strict: bool = True) -> dict:
    """The `custom` payload of one reply (the disclaimer of a conversation's first reply aside). Strict: exactly
    one; otherwise a reply without one (another assistant, e.g. Rasa's default pipeline) counts as no answer."""
    response = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30)
    response.raise_for_status()
    customs = [m["custom"] for m in response.json() if "custom" in m and m["custom"]["kind"] != "disclaimer"]
    if len(customs) == 1:
        return customs[0]
    if strict:
        raise AssertionError(f"expected one custom payload for {text!r}, got {customs}")
    return NO_PAYLOAD


def rate(items: list, ok: Callable[[object], bool]) -> Tuple[float, list]:
    """Share of items for which ok() holds, and the items for which it does not."""
    failures = [item for item in items if not ok(item)]
    return (1 - len(failures) / len(items) if items else 1.0), failures


def cited(custom: dict) -> set:
    return {c["passage_id"] for c in custom["citations"]}


# ---- the figures ---------------------------------------------------------------------------------------
def answer_accuracy(url: str, questions: List[dict], strict: bool = True) -> Tuple[float, list]:
    """Single questions, each in a new conversation: does the reply cite an acceptable passage?"""
    def ok(question: dict) -> bool:
        question["got"] = ask(url, uuid.uuid4().hex, question["text"], strict)
        return bool(cited(question["got"]) & set(question["passages"]))

    return rate(questions, ok)


def followup_accuracy(url: str, conversations: List[dict]) -> Tuple[float, list]:
    """Every turn of every conversation, in order, in one conversation each."""
    turns = []
    for conversation in conversations:
        sender = uuid.uuid4().hex
        for turn in conversation["turns"]:
            turns.append({**turn, "got": ask(url, sender, turn["text"])})
    return rate(turns, lambda t: bool(cited(t["got"]) & set(t["passages"])))


def out_of_scope_rejection(url: str, texts: List[str]) -> Tuple[float, list]:
    """Off-topic questions must get no answer and no citation."""
    def ok(text: str) -> bool:
        custom = ask(url, uuid.uuid4().hex, text)
        return custom["kind"] != "answer" and not custom["citations"]

    return rate(texts, ok)


def kind_rate(url: str, texts: List[str], kind: str) -> Tuple[float, list]:
    return rate(texts, lambda text: ask(url, uuid.uuid4().hex, text)["kind"] == kind)


def false_alarm_rate(url: str, texts: List[str]) -> Tuple[float, list]:
    """Share of ordinary questions that got the emergency reply (lower is better), and those questions."""
    alarms = [text for text in texts if ask(url, uuid.uuid4().hex, text)["kind"] == "emergency"]
    return (len(alarms) / len(texts) if texts else 0.0), alarms


def ordinary_questions() -> List[str]:
    """Held-out questions that describe no emergency: the false-alarm set."""
    heldout = load("tests/heldout_questions.yml")
    texts = [q["text"] for q in heldout["questions"]]
    texts += [t["text"] for c in heldout["conversations"] for t in c["turns"]]
    texts += [e for intent, ex in nlu_examples("tests/test_nlu.yml").items() if intent not in SAFETY_INTENTS for e in ex]
    return texts + [c["text"] for c in load("tests/safety_cases.yml")["not_emergencies"]]


def nlu_report(model: Path, out: Path) -> dict:
    """`rasa test nlu` on the held-out NLU file: accuracy, macro-F1, worst confusions, confusion matrix."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [str(ROOT / ".venv/bin/rasa"), "test", "nlu", "--nlu", "tests/test_nlu.yml", "--model", str(model),
               "--out", str(out)]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    report = json.loads((out / "intent_report.json").read_text())
    confusions = []
    for intent, row in report.items():
        for other, count in (row.get("confused_with") or {}).items() if isinstance(row, dict) else []:
            confusions.append((count, intent, other))
    return {
        "accuracy": report["accuracy"],
        "macro_f1": report["macro avg"]["f1-score"],
        "confusions": sorted(confusions, reverse=True)[:10],
        "matrix": out / "intent_confusion_matrix.png",
    }


# ---- patient messages (tests/patients_*.yml) -------------------------------------------------------------
# Triage sets (issue 12): everyday symptom messages (none an emergency) and emergencies of every category.
TRIAGE_SETS = {
    "everyday (development)": "tests/everyday_dev.yml",
    "everyday (sealed)": "tests/everyday_sealed.yml",
    "emergency (development)": "tests/emergency_dev.yml",
    "emergency (development 2)": "tests/emergency_dev2.yml",
    "emergency (development 3)": "tests/emergency_dev3.yml",
    "emergency (development 4)": "tests/emergency_dev4.yml",
    "emergency (development 5)": "tests/emergency_dev5.yml",
    "emergency (development 6)": "tests/emergency_dev6.yml",
    "emergency (sealed)": "tests/emergency_sealed6.yml",
    "emergency (safety_cases)": "tests/safety_cases.yml",
}


def triage_messages(path: str) -> List[dict]:
    """A triage set's messages; tests/safety_cases.yml keeps its emergencies under `red_flags`."""
    data = load(path)
    return data["messages"] if "messages" in data else [dict(m) for m in data["red_flags"]]
MAX_EVERYDAY_FALSE_ALARM_RATE = 0.01  # on each everyday set
MIN_SCHEDULE_ANSWERED = 0.85  # schedule questions ("how often do people get the injections?") answered
PATIENT_SETS = {"development": "tests/patients_dev.yml", "development 2": "tests/patients_dev2.yml",
                "development 3": "tests/patients_dev3.yml", "development 4": "tests/patients_dev4.yml",
                "development 5": "tests/patients_dev5.yml",
                "development 6": "tests/patients_dev6.yml", "development 7": "tests/patients_dev7.yml",
                "development 8": "tests/patients_dev8.yml", "development 9": "tests/patients_dev9.yml",
                "development 10": "tests/patients_dev10.yml", "development 11": "tests/patients_dev11.yml",
                "development 12": "tests/patients_dev12.yml", "development 13": "tests/patients_dev13.yml",
                "development 14": "tests/patients_dev14.yml", "development 15": "tests/patients_dev15.yml",
                "development 16": "tests/patients_dev16.yml", "development 17": "tests/patients_dev17.yml",
                "development 18": "tests/patients_dev18.yml", "development 19": "tests/patients_dev19.yml",
                "development 20": "tests/patients_dev20.yml", "development 21": "tests/patients_dev21.yml",
                "development 22": "tests/patients_dev22.yml", "development 23": "tests/patients_dev23.yml",
                "development 24": "tests/patients_dev24.yml", "development 25": "tests/patients_dev25.yml",
                "development 26": "tests/patients_dev26.yml", "development 27": "tests/patients_dev27.yml",
                "development 28": "tests/patients_dev28.yml", "development 29": "tests/patients_dev29.yml",
                "development 30": "tests/patients_dev30.yml", "development 31": "tests/patients_dev31.yml",
                "development 32": "tests/patients_dev32.yml", "development 33": "tests/patients_dev33.yml",
                "development 34": "tests/patients_dev34.yml", "development 35": "tests/patients_dev35.yml",
                "development 36": "tests/patients_dev36.yml", "development 37": "tests/patients_dev37.yml",
                "sealed": "tests/patients_sealed.yml", "sealed 3": "tests/patients_sealed3.yml",
                "sealed 5": "tests/patients_sealed5.yml", "sealed 6": "tests/patients_sealed6.yml",
                "sealed 7": "tests/patients_sealed7.yml", "sealed 8": "tests/patients_sealed8.yml",
                "sealed 10": "tests/patients_sealed10.yml", "sealed 12": "tests/patients_sealed12.yml",
                "sealed 14": "tests/patients_sealed14.yml", "sealed 15": "tests/patients_sealed15.yml",
                "sealed 16": "tests/patients_sealed16.yml", "sealed 17": "tests/patients_sealed17.yml",
                "sealed 18": "tests/patients_sealed18.yml", "sealed 19": "tests/patients_sealed19.yml",
                "sealed 20": "tests/patients_sealed20.yml", "sealed 21": "tests/patients_sealed21.yml",
                "sealed 22": "tests/patients_sealed22.yml",
                "sealed 23": "tests/patients_sealed23.yml", "sealed 24": "tests/patients_sealed24.yml",
                "sealed 25": "tests/patients_sealed25.yml",
                "sealed 26": "tests/patients_sealed26.yml", "sealed 27": "tests/patients_sealed27.yml",
                "sealed 28": "tests/patients_sealed28.yml",
                "sealed 29": "tests/patients_sealed29.yml", "sealed 30": "tests/patients_sealed30.yml",
                "sealed 31": "tests/patients_sealed31.yml",
                "sealed 32": "tests/patients_sealed32.yml", "sealed 33": "tests/patients_sealed33.yml",
                "sealed 34": "tests/patients_sealed34.yml", "sealed 35": "tests/patients_sealed35.yml"}
QUESTION_KINDS = ("lay", "story", "typo", "dictated")
# Targets on each sealed set (issue 11); the development set is reported beside it, without thresholds.
PATIENT_TARGETS = {"overall": 0.92, "followup": 0.90, "unanswerable": 0.90, "off_topic": 1.0}
PATIENT_CATEGORY_MINIMUM = 0.85
MAX_WRONG_ANSWER_RATE = 0.02


def acceptable(answer_ids: List[str]) -> set:
    """Passages any of which makes a reply acceptable: those the acceptable answers cite."""
    from actions.knowledge import knowledge_base

    answers = knowledge_base().answers
    return {p for a in answer_ids for p in answers[a].citations}


def no_answer(custom: dict) -> bool:
    return custom["kind"] != "answer" and not custom["citations"]


def patient_figures(url: str, path: str, limit: int = 0) -> Dict[str, Tuple[float, list, int]]:
    """Every category of a patient set: answer accuracy per kind of single question and for follow-up turns,
    overall; unanswerable questions without an answer; clinic questions with the clinic's contact; off-topic
    rejection; and the share of answerable messages answered with only unacceptable passages (lower is
    better). Each single message in a new conversation, each conversation's turns in one."""
    data = load(path)
    cut = (lambda items: items[:limit]) if limit else (lambda items: items)
    results: Dict[str, list] = {}  # category -> [(ok, item)]

    def record(category: str, item: dict, ok: bool) -> None:
        results.setdefault(category, []).append((ok, item))

    def check_answer(category: str, text: str, answers: List[str], sender: str) -> None:
        got = ask(url, sender, text)
        ok = bool(cited(got) & acceptable(answers))
        item = {"text": text, "answers": answers, "got": got}
        record(category, item, ok)
        record("overall", item, ok)
        record("wrong_answers", item, not (got["citations"] and not ok))

    for question in cut(data["questions"]):
        check_answer(question["category"], question["text"], question["answers"], uuid.uuid4().hex)
    for conversation in cut(data["conversations"]):
        sender = uuid.uuid4().hex
        for turn in conversation["turns"]:
            if turn.get("unanswerable"):
                got = ask(url, sender, turn["text"])
                record("followup_unanswerable", {"text": turn["text"], "got": got}, no_answer(got))
            else:
                check_answer("followup", turn["text"], turn["answers"], sender)
    for question in cut(data["unanswerable"]):
        got = ask(url, uuid.uuid4().hex, question["text"])
        record("unanswerable", {**question, "got": got}, no_answer(got))
    for text in cut(data["clinic"]):
        got = ask(url, uuid.uuid4().hex, text)
        record("clinic", {"text": text, "got": got}, bool(got.get("contact")) and not got["citations"])
    for text in cut(data["off_topic"]):
        got = ask(url, uuid.uuid4().hex, text)
        record("off_topic", {"text": text, "got": got}, no_answer(got))
    figures = {}
    for category, outcomes in results.items():
        failures = [item for ok, item in outcomes if not ok]
        share = 1 - len(failures) / len(outcomes)
        figures[category] = (1 - share if category == "wrong_answers" else share, failures, len(outcomes))
    return figures


def triage_figures(url: str, limit: int = 0) -> Dict[str, dict]:
    """Each triage set: for everyday symptoms the false-alarm rate and, for those that ask something the
    articles answer, the share answered or offered as "did you mean"; for emergencies the recall per category,
    and the share of caught ones whose reply gives every number the category needs (knowledge/safety.yml)."""
    from actions.clinic import clinic
    from actions.safety import screener

    calls = {name: c["call"] for name, c in screener().categories.items()}
    labels = load("knowledge/messages.yml")["contact_labels"]
    sets = {}
    for name, path in TRIAGE_SETS.items():
        messages = triage_messages(path)[: limit or None]
        for m in messages:
            m["got"] = ask(url, uuid.uuid4().hex, m["text"])
        figures: Dict[str, Tuple[float, list, int]] = {}
        if name.startswith("everyday"):
            alarms = [m for m in messages if m["got"]["kind"] == "emergency"]
            figures["false_alarms"] = (len(alarms) / len(messages), alarms, len(messages))
            asking = [m for m in messages if m.get("answers")]
            served = lambda m: m["got"]["kind"] == "clarify" or bool(cited(m["got"]) & acceptable(m["answers"]))
            figures["questions_answered_or_clarified"] = (*rate(asking, served), len(asking))
        else:
            figures["recall"] = (*rate(messages, lambda m: m["got"]["kind"] == "emergency"), len(messages))
            for category in sorted({m["category"] for m in messages}):
                of_category = [m for m in messages if m["category"] == category]
                figures[f"recall {category}"] = (
                    *rate(of_category, lambda m: m["got"]["kind"] == "emergency"), len(of_category))
            caught = [m for m in messages if m["got"]["kind"] == "emergency"]

            def right_numbers(m: dict) -> bool:
                given = {c["label"] for c in m["got"].get("contacts") or []}
                return all(labels[n] in given for n in calls[m["category"]] if clinic()[n])

            figures["right_numbers"] = (*rate(caught, right_numbers), len(caught))
        sets[name] = figures
        print(f"Triage, {name} ({path}):", flush=True)
        for figure, (share, _, n) in figures.items():
            print(f"  {figure:<34} {share:.3f} of {n}", flush=True)
    return sets


def triage_shortfalls(sets: Dict[str, dict]) -> List[str]:
    failed = []
    for name, figures in sets.items():
        for figure, (share, _, _) in figures.items():
            if figure == "false_alarms" and share > MAX_EVERYDAY_FALSE_ALARM_RATE:
                failed.append(f"{name} false_alarms {share:.3f} > {MAX_EVERYDAY_FALSE_ALARM_RATE}")
            if (figure.startswith("recall") or figure == "right_numbers") and share < 1.0:
                failed.append(f"{name} {figure} {share:.3f} < 1.0")
    return failed


def render_triage(sets: Dict[str, dict]) -> List[str]:
    if not sets:
        return []
    lines = ["", "## Triage (tests/everyday_*.yml, tests/emergency_*.yml)", "",
             "Sealed sets are measured as aggregates only; the development sets' misses are listed.", "",
             "| set | figure | value | n | threshold |", "|---|---|---|---|---|"]
    for name, figures in sets.items():
        for figure, (share, _, n) in figures.items():
            limit = f"<= {MAX_EVERYDAY_FALSE_ALARM_RATE}" if figure == "false_alarms" else (
                "1.0" if figure.startswith("recall") or figure == "right_numbers" else "")
            lines.append(f"| {name} | {figure} | {share:.3f} | {n} | {limit} |")
    for name, figures in sets.items():
        if "sealed" in name:
            continue
        for figure, (_, failures, _) in figures.items():
            for m in failures:
                lines.append(f"- {name}, {figure}: {m['text']!r}: got {m['got']['kind']} {m['got'].get('answer_id')}")
    return lines


def patient_shortfalls(figures: dict) -> List[str]:
    """The sealed set's figures below the targets."""
    failed = [f"{name} {figures[name][0]:.3f} < {minimum}" for name, minimum in PATIENT_TARGETS.items()
              if name in figures and figures[name][0] < minimum]
    failed += [f"{kind} {figures[kind][0]:.3f} < {PATIENT_CATEGORY_MINIMUM}" for kind in (*QUESTION_KINDS, "clinic")
               if kind in figures and figures[kind][0] < PATIENT_CATEGORY_MINIMUM]
    if figures.get("wrong_answers", (0,))[0] > MAX_WRONG_ANSWER_RATE:
        failed.append(f"wrong_answers {figures['wrong_answers'][0]:.3f} > {MAX_WRONG_ANSWER_RATE}")
    return failed


# ---- the report ----------------------------------------------------------------------------------------
def evaluate(url: str, limit: int = 0) -> Dict[str, Tuple[float, list, int]]:
    heldout, safety = load("tests/heldout_questions.yml"), load("tests/safety_cases.yml")
    cut = (lambda items: items[:limit]) if limit else (lambda items: items)
    figures = {}

    def run(name, function, items):
        share, failures = function(url, cut(items))
        n = sum(len(c["turns"]) for c in cut(items)) if name == "followup_accuracy" else len(cut(items))
        figures[name] = (share, failures, n)
        print(f"  {name:<24} {share:.3f} of {n}", flush=True)

    print("Measuring over REST ...", flush=True)
    run("answer_accuracy", answer_accuracy, heldout["questions"])
    run("followup_accuracy", followup_accuracy, heldout["conversations"])
    run("out_of_scope_rejection", out_of_scope_rejection, list(heldout["off_topic"]))
    run("red_flag_recall", lambda u, t: kind_rate(u, t, "emergency"), [c["text"] for c in safety["red_flags"]])
    run("false_alarm_rate", false_alarm_rate, ordinary_questions())
    run("dosing_guard", lambda u, t: kind_rate(u, t, "refer"), [c["text"] for c in safety["dosing"]])
    schedule = load("tests/schedule_questions.yml")["questions"]
    schedule = [{**q, "passages": sorted(acceptable(q["answers"]))} for q in schedule]
    run("schedule_answered", answer_accuracy, schedule)
    run("handoff", lambda u, t: kind_rate(u, t, "handoff"), list(safety["handoff"]))
    lay = load("tests/lay_questions.yml")
    run("lay_answer_accuracy", answer_accuracy, lay["questions"])
    run("lay_out_of_scope", out_of_scope_rejection, list(lay["off_topic"]))
    return figures


def evaluate_patients(url: str, limit: int = 0, sealed: bool = True) -> Dict[str, dict]:
    """The patient sets: the development sets (misses listed) and the sealed ones (aggregates only), or without
    `sealed` the development sets alone (a working loop must not tune on a sealed figure)."""
    sets = {}
    for name, path in PATIENT_SETS.items():
        if name.startswith("sealed") and not sealed:
            continue
        print(f"Patient messages, {name} set ({path}) ...", flush=True)
        sets[name] = patient_figures(url, path, limit)
        for category, (share, _, n) in sets[name].items():
            print(f"  {category:<24} {share:.3f} of {n}", flush=True)
    if any(name.startswith("sealed") for name in sets):
        print("Patient messages, all sealed sets together (95% Wilson interval):", flush=True)
        for category, (share, count, n) in pooled(sets).items():
            low, high = wilson(count, n)
            print(f"  {category:<24} {share:.3f} of {n}  [{low:.3f}-{high:.3f}]", flush=True)
    return sets


def below_thresholds(figures: dict, nlu: dict) -> List[str]:
    failed = [f"{name} {figures[name][0]:.3f} < {minimum}" for name, minimum in THRESHOLDS.items()
              if figures[name][0] < minimum]
    if figures["false_alarm_rate"][0] > MAX_FALSE_ALARM_RATE:
        failed.append(f"false_alarm_rate {figures['false_alarm_rate'][0]:.3f} > {MAX_FALSE_ALARM_RATE}")
    return failed


def describe(failure) -> str:
    if isinstance(failure, dict):
        got = failure.get("got") or {}
        return f"{failure['text']!r}: wanted one of {failure['passages']}, got {got.get('kind')} {got.get('answer_id')}"
    return repr(failure)


PATIENT_LABELS = {
    "overall": "answer accuracy, all answerable messages",
    "lay": "plain lay questions", "story": "a story first, then the question", "typo": "with typos",
    "dictated": "dictated (voice-to-text)", "followup": "follow-up turns in conversations",
    "followup_unanswerable": "follow-up turns the articles don't answer: no answer",
    "unanswerable": "in-domain questions the articles don't answer: no answer",
    "clinic": "clinic questions: the clinic's contact, no citation",
    "off_topic": "off-topic: no answer, no citation",
    "wrong_answers": "answered with only unacceptable passages (lower is better)",
}


def wilson(successes: int, n: int, z: float = 1.96) -> Tuple[float, float]:
    """The 95% Wilson score interval of a share: how far a figure over n messages can be from the share on all
    the messages patients would write like them. Over 60 follow-up turns it is about +-0.09."""
    if not n:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def pooled(sets: Dict[str, dict]) -> Dict[str, Tuple[float, int, int]]:
    """Each category over all the sealed sets together: (share, count behind the share, n). The best estimate
    of the share on messages nobody has seen: one set is too small to tell 0.87 from 0.90."""
    totals: Dict[str, List[int]] = {}
    for name, figures in sets.items():
        if not name.startswith("sealed"):
            continue
        for category, (_, failures, n) in figures.items():
            total = totals.setdefault(category, [0, 0])
            total[0] += len(failures)
            total[1] += n
    result = {}
    for category, (failed, n) in totals.items():
        count = failed if category == "wrong_answers" else n - failed  # wrong answers: the failures are the figure
        result[category] = (count / n if n else 0.0, count, n)
    return result


def render_patients(sets: Dict[str, dict]) -> List[str]:
    if not sets:
        return []
    names = list(sets)
    together = pooled(sets)
    lines = ["", "## Patient messages (tests/patients_*.yml)", "",
             "Targets apply to each sealed set, measured as aggregates only; the development sets' misses are "
             "listed below and have been studied. The last column pools every sealed set, with its 95% Wilson "
             "interval: the best estimate for messages nobody has seen.", "",
             f"| figure | {' | '.join(names)} | all sealed sets | target (sealed) |",
             "|---|" + "---|" * (len(names) + 2)]
    for name, label in PATIENT_LABELS.items():
        target = PATIENT_TARGETS.get(name, PATIENT_CATEGORY_MINIMUM if name in (*QUESTION_KINDS, "clinic") else "")
        if name == "wrong_answers":
            target = f"<= {MAX_WRONG_ANSWER_RATE}"
        cells = [f"{f[name][0]:.3f} ({f[name][2]})" if name in f else "" for f in sets.values()]
        if name in together:
            share, count, n = together[name]
            low, high = wilson(count, n)
            cells.append(f"{share:.3f} ({n}) [{low:.3f}-{high:.3f}]")
        else:
            cells.append("")
        lines.append(f"| {label} | {' | '.join(cells)} | {target} |")
    for set_name, figures in sets.items():
        if set_name.startswith("sealed"):  # aggregates only: its misses are never written
            continue
        lines += ["", f"### Misses, {set_name} set", ""]
        for name, (_, failures, _) in figures.items():
            for failure in failures:
                got = failure.get("got") or {}
                lines.append(f"- {name}: {failure['text']!r}: wanted {failure.get('answers', 'no answer')}, got "
                             f"{got.get('kind')} {got.get('answer_id')} {got.get('side', '')}")
    return lines


def render(figures: dict, nlu: dict, failed: List[str], triage: Dict[str, dict], patients: Dict[str, dict]) -> str:
    label = {
        "answer_accuracy": "answer accuracy (cited passage acceptable), single questions",
        "followup_accuracy": "answer accuracy, follow-up conversation turns",
        "out_of_scope_rejection": "out-of-scope rejection (no answer, no citation)",
        "red_flag_recall": "red-flag recall (emergency reply)",
        "false_alarm_rate": "false-alarm rate on ordinary questions (lower is better)",
        "dosing_guard": "dosing and diagnosis questions referred",
        "schedule_answered": "a treatment's schedule (not a dose) answered",
        "handoff": "requests for a person handed off",
        "lay_answer_accuracy": "lay questions (development set): answer accuracy",
        "lay_out_of_scope": "lay off-topic questions (development set): rejection",
    }
    limits = {**THRESHOLDS, "false_alarm_rate": MAX_FALSE_ALARM_RATE}
    lines = ["# Evaluation", "", "Held-out files only (`tests/`), over REST against the real servers.",
             f"Command: `make eval`. Result: **{'FAILED: ' + '; '.join(failed) if failed else 'all thresholds met'}**.",
             "", "| figure | value | n | threshold |", "|---|---|---|---|",
             f"| intent accuracy (`rasa test nlu`, tests/test_nlu.yml) | {nlu['accuracy']:.3f} | | |",
             f"| intent macro-F1 | {nlu['macro_f1']:.3f} | | |"]
    for name, (share, _, n) in figures.items():
        lines.append(f"| {label[name]} | {share:.3f} | {n} | {limits.get(name, '')} |")
    matrix = nlu["matrix"].relative_to(ROOT) if nlu["matrix"].is_relative_to(ROOT) else nlu["matrix"]
    lines += ["", f"Confusion matrix: `{matrix}`", "", "## Worst intent confusions", "",
              "| count | intent | predicted as |", "|---|---|---|"]
    lines += [f"| {count} | {intent} | {other} |" for count, intent, other in nlu["confusions"]]
    lines += ["", "## Misses", ""]
    for name, (_, failures, _) in figures.items():
        for failure in failures[:15]:
            lines.append(f"- {name}: {describe(failure)}")
    return "\n".join(lines + render_triage(triage) + render_patients(patients)) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="use servers already running here instead of starting them")
    parser.add_argument("--limit", type=int, default=0, help="at most this many items per figure (smoke test)")
    parser.add_argument("--out", default=str(ROOT / "results"), help="folder for eval.md and the NLU report")
    parser.add_argument("--patients-only", action="store_true", help="only the patient sets (a quick loop)")
    parser.add_argument("--triage-only", action="store_true", help="only the triage sets (a quick loop)")
    parser.add_argument("--development-only", action="store_true",
                        help="with --patients-only: only the development sets, never a sealed one (a working loop)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    nlu = {"accuracy": float("nan"), "macro_f1": float("nan"), "confusions": [], "matrix": out / "nlu"}
    if not (args.patients_only or args.triage_only):
        print("Running rasa test nlu on tests/test_nlu.yml ...", flush=True)
        nlu = nlu_report(ROOT / "models" / "clinic-faq.tar.gz", out / "nlu")
        print(f"  intent accuracy {nlu['accuracy']:.3f}, macro-F1 {nlu['macro_f1']:.3f}", flush=True)

    def measure(url: str):
        quick = args.patients_only or args.triage_only
        figures = {} if quick else evaluate(url, args.limit)
        triage = {} if args.patients_only else triage_figures(url, args.limit)
        return figures, triage, {} if args.triage_only else evaluate_patients(url, args.limit, not args.development_only)

    if args.url:
        figures, triage, patients = measure(args.url)
    else:
        from scripts.servers import ONE_ADDRESS_ENV, running_servers

        print("Starting the servers ...", flush=True)
        with tempfile.TemporaryFile("w") as log, running_servers(
            rasa_port=5095, action_port=5096, log=log, env=ONE_ADDRESS_ENV
        ) as url:
            figures, triage, patients = measure(url)
    failed = (below_thresholds(figures, nlu) if figures else []) + triage_shortfalls(triage) + [
        f"{name} {shortfall}" for name, figures in patients.items() if name.startswith("sealed")
        for shortfall in patient_shortfalls(figures)
    ]
    (out / "eval.md").write_text(render(figures, nlu, failed, triage, patients), encoding="utf-8")
    print(f"Wrote {out / 'eval.md'}" + (f"; below thresholds: {failed}" if failed else "; all thresholds met"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
