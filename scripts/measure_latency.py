"""REST round-trip latency of the assistant: start the real servers, send N held-out questions one at a
time (after a warm-up), and print p50/p95/p99. Usage: python -m scripts.measure_latency [N]"""
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import requests
import yaml

from scripts.servers import ROOT, running_servers

WARM_UP = 10


def questions(n: int) -> list:
    heldout = yaml.safe_load((ROOT / "tests" / "heldout_questions.yml").read_text(encoding="utf-8"))
    pool = [q["text"] for q in heldout["questions"]] + list(heldout["off_topic"])
    return [pool[i % len(pool)] for i in range(n)]


def percentile(samples: list, p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(url: str, n: int) -> dict:
    session = requests.Session()
    for text in questions(WARM_UP):
        session.post(f"{url}/webhooks/rest/webhook", json={"sender": "warm-up", "message": text}, timeout=30)
    timings = []
    for text in questions(n):
        start = time.perf_counter()
        response = session.post(
            f"{url}/webhooks/rest/webhook", json={"sender": uuid.uuid4().hex, "message": text}, timeout=30
        )
        response.raise_for_status()
        timings.append((time.perf_counter() - start) * 1000)
    return {
        "requests": n,
        "p50_ms": round(percentile(timings, 50), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "p99_ms": round(percentile(timings, 99), 1),
        "mean_ms": round(statistics.mean(timings), 1),
    }


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with running_servers(rasa_port=5085, action_port=5086) as url:
        result = measure(url, n)
    out = Path(ROOT / "results" / "latency.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
