"""`make bench`: how fast and how heavy, three contenders on the same data and held-out questions.

1. ours: this project's config.yml (the trained model and action server of `make run`);
2. rasa-default: the config.yml that `rasa init` writes (Rasa's default pipeline: DIET, TED, 100 epochs),
   trained on the same data, served with the same domain and action server;
3. search: a plain TF-IDF search over the passages, what a clinic might use instead of an assistant.
Ours is also measured with conversations in memory, and in the production layout (scripts/production.py: two
replicas on PostgreSQL and Redis behind nginx) when PostgreSQL, Redis and nginx are there.

For each: training time, time from start to ready, resident memory of the serving processes, REST latency
p50/p95/p99 with one client, throughput and errors with 8 and 32 concurrent clients, and answer accuracy. The Rasa
contenders are served as `make run` serves: conversations in SQLite, SANIC_WORKERS (2) processes of the Rasa
server sharing their locks (web/shared_state.py); ours runs once more with conversations in memory, in one
process, to show what the store costs.
Writes BENCHMARKS.md and docs/benchmarks.png. `--quick` is the smoke test of `make test`.
"""
import argparse
import asyncio
import datetime
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import aiohttp

from scripts import evaluate, production
from scripts.servers import ONE_ADDRESS_ENV, ROOT, WORKERS, running_servers, sqlite_store, workers_env

RASA = str(ROOT / ".venv" / "bin" / "rasa")
DEFAULT_CONFIG = ROOT / ".venv/lib/python3.10/site-packages/rasa/cli/initial_project/config.yml"
# Trained contender models, by the hash of their inputs: outside the checkout, so a fresh clone on the same
# machine finds them too. BENCH_CACHE sets another folder.
BENCH_CACHE = Path(os.environ.get("BENCH_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                   / "clinic-faq-assistant" / "bench")
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
LOADS = (8, 32)
# The Rasa contenders' servers: no per-address limit (every client is 127.0.0.1) and none per sender (the long
# conversation sends hundreds of messages in a row).
SERVER_ENV = {**ONE_ADDRESS_ENV, "RATE_LIMIT_PER_SENDER": "1000000"}
TURNS = 6  # messages per conversation: each client starts a new conversation after this many


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def questions() -> List[str]:
    heldout = evaluate.load("tests/heldout_questions.yml")
    return [q["text"] for q in heldout["questions"]] + list(heldout["off_topic"])


def process_tree(pids: List[int]) -> Iterator[int]:
    """The processes and all their children (from /proc), each once; those that have exited are left out."""
    seen, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            continue
        yield pid


def rss_mb(pids: List[int]) -> float:
    """Resident memory of processes and their children, from /proc."""
    total = 0
    for pid in process_tree(pids):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
        except (OSError, StopIteration):
            continue
    return total / 1024


def cpu_seconds(pids: List[int]) -> float:
    """CPU time (user + system) used so far by processes and their children, from /proc."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in process_tree(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total


def _spin(seconds: float) -> int:
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        hashlib.sha256(b"x" * 4096).digest()
        count += 1
    return count


def parallel_capacity(seconds: float = 2.0) -> float:
    """How many cores' worth of work the machine gives two CPU-bound processes at once: their work together over
    the work of one alone (2.0 on two whole cores; less where the cores are shared, as on some virtual
    machines). Throughput under load is bounded by this over the CPU a message costs. One process alone is
    measured twice and the better run kept, so that a moment's interruption by another process is not taken
    for the machine's speed (a clean-clone CI once measured 2.22 on two cores that way)."""
    import multiprocessing

    alone = max(_spin(seconds), _spin(seconds))
    with multiprocessing.Pool(2) as pool:
        together = sum(pool.map(_spin, [seconds, seconds]))
    return together / alone


def percentile(samples: List[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


# ---- load ---------------------------------------------------------------------------------------------
async def _load(url: str, clients: int, total: int, seconds: float, answered: Optional[Counter] = None,
                own_addresses: bool = False) -> dict:
    """`clients` concurrent clients sending held-out questions until `total` requests or `seconds`, each in
    conversations of TURNS messages (patients' conversations are short; an ever-growing one is not typical).
    `answered`, if given, counts the messages answered per sender. With `own_addresses`, client n sends from
    127.0.1.n, as patients come from their own addresses (nginx keeps an address on one replica)."""
    texts, timings, errors, sent = questions(), [], 0, 0
    deadline = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=30)

    async def client(n: int, session: aiohttp.ClientSession) -> None:
        nonlocal errors, sent
        turns = 0
        while sent < total and time.monotonic() < deadline:
            if turns % TURNS == 0:
                sender = uuid.uuid4().hex
            turns += 1
            text = texts[sent % len(texts)]
            sent += 1
            start = time.perf_counter()
            try:
                async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
                        continue
                    if answered is not None:
                        answered[sender] += 1
            except (aiohttp.ClientError, asyncio.TimeoutError):
                errors += 1
                continue
            timings.append((time.perf_counter() - start) * 1000)

    def session(n: int) -> aiohttp.ClientSession:
        address = {"local_addr": (f"127.0.1.{n + 1}", 0)} if own_addresses else {}
        return aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=clients, **address))

    started = time.perf_counter()
    sessions = [session(n) for n in range(clients)] if own_addresses else [session(0)] * clients
    try:
        await asyncio.gather(*(client(n, sessions[n]) for n in range(clients)))
    finally:
        for shared in set(sessions):
            await shared.close()
    elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(timings) + errors,
        "errors": errors,
        "throughput": round(len(timings) / elapsed, 1),
        "p50_ms": round(percentile(timings, 50), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "p99_ms": round(percentile(timings, 99), 1),
    }


def load_test(url: str, clients: int, total: int, seconds: float, answered: Optional[Counter] = None,
              own_addresses: bool = False) -> dict:
    return asyncio.run(_load(url, clients, total, seconds, answered, own_addresses))


def answer_accuracy(url: str, limit: int) -> float:
    heldout = evaluate.load("tests/heldout_questions.yml")
    items = [dict(q) for q in heldout["questions"]][: limit or None]
    return evaluate.answer_accuracy(url, items, strict=False)[0]


# ---- contenders ---------------------------------------------------------------------------------------
def default_config(folder: Path) -> Path:
    """`rasa init`'s config (its pipeline and policies left to Rasa's defaults), reading the project's data
    through the same importer as ours: the same domain, answer intents and stories."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    path = folder / "rasa-default-config.yml"
    path.write_text(text + "\nimporters:\n  - name: dialogue.importer.KnowledgeImporter\n", encoding="utf-8")
    return path


def training_key(config: Path) -> str:
    """What a trained model depends on: the config, domain, training data, answers and the Rasa version."""
    import rasa

    digest = hashlib.sha256(rasa.__version__.encode())
    inputs = [config, ROOT / "domain.yml", ROOT / "knowledge" / "answers.yml", *sorted((ROOT / "data").rglob("*.yml"))]
    for path in inputs:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def cached_train(config: Path, name: str) -> Tuple[Path, float, Optional[str]]:
    """(model, training seconds, date of the cached training or None). Rasa's default pipeline takes most of
    a bench run to train (19 to over 30 min): its model is kept in BENCH_CACHE, keyed by the hash of its inputs,
    and trained again only when one of them changes."""
    key = training_key(config)
    model, meta = BENCH_CACHE / f"{name}-{key}.tar.gz", BENCH_CACHE / f"{name}-{key}.json"
    if model.exists() and meta.exists():
        saved = json.loads(meta.read_text())
        return model, saved["train_s"], saved["trained"]
    BENCH_CACHE.mkdir(parents=True, exist_ok=True)
    seconds = train(config, BENCH_CACHE, f"{name}-{key}")
    meta.write_text(json.dumps({"train_s": seconds, "trained": datetime.datetime.now().strftime("%Y-%m-%d %H:%M")}))
    return model, seconds, None


def train(config: Path, out: Path, name: str) -> float:
    """Training from scratch: an empty Rasa cache, so no component is reused from an earlier run."""
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        subprocess.run([RASA, "train", "--config", str(config), "--out", str(out), "--fixed-model-name", name],
                       cwd=ROOT, env={**ENV, "RASA_CACHE_DIRECTORY": cache}, check=True, capture_output=True)
        return time.perf_counter() - start


@contextmanager
def rasa_contender(model: Path, port: int, store: bool = True, workers: str = WORKERS) -> Iterator[dict]:
    """`store`: as `make run` serves, conversations in SQLite and `workers` processes sharing their locks;
    otherwise conversations in memory, in one process (what the store costs)."""
    processes: list = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile("w") as logfile:
        conversations = Path(folder) / "conversations.db"
        with running_servers(
            rasa_port=port, action_port=port + 1, log=logfile, processes=processes, model=model,
            stores=sqlite_store(conversations) if store else None,
            env={**SERVER_ENV, **workers_env(conversations, workers if store else "1")},
        ) as url:
            ready = time.perf_counter() - start
            yield {"url": url, "ready_s": ready, "pids": [p.pid for p in processes]}


@contextmanager
def production_contender(model: Path) -> Iterator[dict]:
    """The production layout (scripts/production.py): two replicas on PostgreSQL and Redis and two action
    servers, behind nginx; each load client from its own address."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as logs, production.production_layout(Path(logs), model, SERVER_ENV) as layout:
        yield {"url": layout.url, "ready_s": time.perf_counter() - start, "own_addresses": True,
               "pids": [p.pid for p in layout.processes], "db": layout.services.db}


class SearchIndex:
    """TF-IDF over the passages (word and character n-grams): the best passage for a question."""

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        from actions.knowledge import knowledge_base

        kb = knowledge_base()
        self.passages = list(kb.passages.values())
        self.kb = kb
        self.vectorizer = FeatureUnion([
            ("words", TfidfVectorizer(sublinear_tf=True, stop_words="english")),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
        ])
        self.matrix = self.vectorizer.fit_transform([p.text for p in self.passages])

    def reply(self, text: str) -> list:
        scores = (self.matrix @ self.vectorizer.transform([text]).T).toarray().ravel()
        passage = self.passages[int(scores.argmax())]
        source = self.kb.sources[passage.source_id]
        citation = {"source_id": source.source_id, "title": source.title, "url": source.url,
                    "section": passage.section, "passage_id": passage.id, "quote": passage.text}
        custom = {"kind": "answer", "answer_id": None, "citations": [citation], "suggestions": []}
        return [{"text": passage.text}, {"custom": custom}]


def serve_search(port: int) -> None:
    """The search contender's own process: fit the index, then answer the REST contract's shape."""
    start = time.perf_counter()
    index = SearchIndex()
    fit = time.perf_counter() - start

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body in one send: unbuffered, http.server writes them in two, and with keep-alive the
        # second waits for the client's delayed ACK (about 40 ms), which measured the wait, not the search.
        wbufsize = -1  # buffered; handle_one_request flushes after do_POST
        disable_nagle_algorithm = True

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            data = json.dumps(index.reply(str(body.get("message", "")))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 256  # the default backlog of 5 refuses a burst of 32 clients
        daemon_threads = True

    server = Server(("127.0.0.1", port), Handler)
    print(f"ready {fit:.3f}", flush=True)
    server.serve_forever()


@contextmanager
def search_contender(port: int) -> Iterator[dict]:
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "scripts.bench", "--serve-search", str(port)], cwd=ROOT,
                               env=ENV, stdout=subprocess.PIPE, text=True)
    try:
        fit = float(process.stdout.readline().split()[1])
        yield {"url": f"http://127.0.0.1:{port}", "ready_s": time.perf_counter() - start, "train_s": fit,
               "pids": [process.pid]}
    finally:
        process.terminate()
        process.wait(timeout=10)


def long_conversation(url: str, turns: int) -> dict:
    """One conversation of `turns` held-out questions, one after another: p50 around turn 5 and over the last
    20 turns (a whole cycle of sessions, actions/actions.py `rollover`)."""
    sender, texts, seconds = uuid.uuid4().hex, questions(), []
    for n in range(turns):
        started = time.perf_counter()
        evaluate.ask(url, sender, texts[n % len(texts)], strict=False)
        seconds.append(time.perf_counter() - started)
    early, late = statistics.median(seconds[2:8]), statistics.median(seconds[-20:])
    return {"turns": turns, "early_p50_ms": round(early * 1000, 1), "late_p50_ms": round(late * 1000, 1)}


def measure(name: str, contender: dict, args) -> dict:
    url = contender["url"]
    log(f"{name}: ready in {contender['ready_s']:.1f} s; warming up")
    for text in questions()[:10]:
        evaluate.ask(url, "warm-up", text, strict=False)
    log(f"{name}: one client, {args.single} requests")
    spread = contender.get("own_addresses", False)
    single = load_test(url, 1, args.single, args.seconds, own_addresses=spread)
    loads = {}
    for clients in LOADS:
        log(f"{name}: {clients} concurrent clients, up to {args.requests} requests / {args.seconds:.0f} s")
        used = cpu_seconds(contender["pids"])
        loads[clients] = load_test(url, clients, args.requests, args.seconds, own_addresses=spread)
        answered = loads[clients]["requests"] - loads[clients]["errors"]
        loads[clients]["cpu_ms"] = round((cpu_seconds(contender["pids"]) - used) * 1000 / max(answered, 1), 1)
        log(f"{name}:   {loads[clients]['throughput']} msg/s, p95 {loads[clients]['p95_ms']} ms, "
            f"{loads[clients]['errors']} errors, {loads[clients]['cpu_ms']} ms of CPU a message")
    profiled = None
    if name == "ours":
        log(f"{name}: profiling the Rasa server under 32 clients for {args.profile_seconds:.0f} s (py-spy)")
        profiled = profile(contender["pids"][-1], url, 32, args.profile_seconds)
    log(f"{name}: one conversation of {args.long_turns} messages")
    long = long_conversation(url, args.long_turns)
    log(f"{name}:   p50 {long['early_p50_ms']} ms around turn 5, {long['late_p50_ms']} ms over the last 20")
    rss = rss_mb(contender["pids"])
    log(f"{name}: answer accuracy on held-out questions")
    accuracy = answer_accuracy(url, args.accuracy_limit)
    log(f"{name}: accuracy {accuracy:.3f}, memory {rss:.0f} MB")
    return {"name": name, "train_s": contender.get("train_s"), "ready_s": contender["ready_s"], "rss_mb": rss,
            "single": single, "loads": loads, "long": long, "accuracy": accuracy, "profile": profiled}


# ---- profile ------------------------------------------------------------------------------------------
PY_SPY = ROOT / ".venv" / "bin" / "py-spy"
# Where a message's time goes in the Rasa server: a sample counts for the first of these frames on its stack.
PROFILE_RATE = 200  # py-spy samples a second, per process
STAGES = [
    ("sentence vectors (ONNX, nlu/sentence_embedding.py)", "(nlu/sentence_embedding.py"),
    ("intent classifier", "logistic_regression_classifier.py"),
    ("rest of the NLU pipeline (spelling, spaCy, count vectors)", "_parse_message_with_graph (rasa/core/processor.py"),
    ("loading the conversation (tracker store)", "get_tracker (rasa/core/processor.py"),
    ("saving the turn (tracker store)", "save_tracker (rasa/core/processor.py"),
    ("checking the action server's reply", "_validate_action_result ("),
    ("calling the action server", "run (rasa/core/actions/action.py"),
    ("dialogue policy", "predict_next_with_tracker_if_should (rasa/core/processor.py"),
    ("locks and rate limits the workers share (web/shared_state.py)", "web/shared_state.py"),
    ("rest of Rasa's turn", "handle_message (rasa/core/processor.py"),
    ("chat channel and HTTP (web/channel.py, Sanic)", ""),
]


def profile(pid: int, url: str, clients: int, seconds: float) -> Optional[dict]:
    """py-spy samples the Rasa server, its workers included, while `clients` send messages: the share of samples
    per STAGES entry and the functions with the most samples of their own. None when py-spy cannot attach (it
    needs ptrace)."""
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "profile.txt"
        spy = subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--subprocesses", "--duration",
                                str(int(seconds)), "--rate", str(PROFILE_RATE), "--format", "raw", "--output", str(raw)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        load = load_test(url, clients, 10 ** 6, seconds)
        _, error = spy.communicate(timeout=seconds + 60)
        if spy.returncode != 0 or not raw.exists():
            log(f"py-spy could not profile the server: {error.strip()[-200:]}")
            return None
        stages, own, total = Counter(), Counter(), 0
        for line in raw.read_text().splitlines():
            stack, count = line.rsplit(" ", 1)
            frames, count = stack.split(";"), int(count)
            total += count
            own[frames[-1]] += count
            stages[next(name for name, frame in STAGES if any(frame in f for f in frames))] += count
    answered = load["throughput"] * seconds
    return {"clients": clients, "seconds": seconds, "throughput": load["throughput"], "samples": total,
            "ms_a_message": total / PROFILE_RATE * 1000 / answered if answered else float("nan"),
            "stages": [(name, stages[name] / total) for name, _ in STAGES],
            "own": [(frame, count / total) for frame, count in own.most_common(8)]}


def render_profile(result: dict) -> List[str]:
    p = result["profile"]
    per_message = p["ms_a_message"]
    lines = ["", f"## Where the time goes: {LABELS[result['name']]}", "",
             f"py-spy sampled the Rasa server's workers for {p['seconds']:.0f} s while {p['clients']} clients sent "
             f"messages ({p['throughput']} msg/s under the profiler, {per_message:.1f} ms of the workers' time a "
             f"message, busy threads only; {p['samples']} samples at {PROFILE_RATE} a second, in this run).", "",
             "| stage of a message | share of samples | ms a message |", "|---|---|---|"]
    lines += [f"| {name} | {share:.1%} | {share * per_message:.1f} |" for name, share in p["stages"]]
    lines += ["", "Functions with the most samples of their own:", "", "| function | share |", "|---|---|"]
    lines += [f"| `{frame}` | {share:.1%} |" for frame, share in p["own"]]
    return lines


# ---- report -------------------------------------------------------------------------------------------
LABELS = {"ours": "this project (config.yml)", "rasa-default": "Rasa default pipeline (rasa init)",
          "rasa-default-one-process": "Rasa default pipeline, one process (as `rasa run` serves it)",
          "ours-in-memory": "this project, conversations in memory, one process",
          "production": "this project, production layout (2 replicas, PostgreSQL, Redis, nginx)",
          "search": "TF-IDF search over passages"}


def render(results: List[dict], args, started: str, elapsed: float) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))) / 1024 / 1024
    header = ("| | training s | start to ready s | memory MB | p50 ms | p95 ms | p99 ms | "
              + " | ".join(f"{c} clients msg/s (errors), p95 ms" for c in LOADS)
              + f" | CPU ms a message at {LOADS[-1]} clients"
              + f" | one conversation, p50 ms at turn 5 / turns {args.long_turns - 19}-{args.long_turns} | answer accuracy |")
    lines = ["# Benchmarks", "",
             f"Run: `make bench`, {started}, in {elapsed / 60:.1f} min{' (quick smoke run)' if args.quick else ''}.",
             f"Machine: {os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, "
             f"Linux {platform.release()}. Clients and servers on the same machine (127.0.0.1). Two CPU-bound "
             f"processes at once do {args.capacity:.2f} times the work of one (`parallel_capacity`: 2.0 on two whole "
             "cores).", "",
             header, "|" + "---|" * (header.count("|") - 1)]
    for r in results:
        loads = " | ".join(f"{r['loads'][c]['throughput']} ({r['loads'][c]['errors']}), {r['loads'][c]['p95_ms']}"
                           for c in LOADS)
        train_s = f"{r['train_s']:.1f}" if r["train_s"] is not None else "n/a"
        s = r["single"]
        lines.append(f"| {LABELS[r['name']]} | {train_s} | {r['ready_s']:.1f} | {r['rss_mb']:.0f} | "
                     f"{s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | {loads} | {r['loads'][LOADS[-1]]['cpu_ms']} | "
                     f"{r['long']['early_p50_ms']} / {r['long']['late_p50_ms']} | {r['accuracy']:.3f} |")
    lines += ["", "- Latency: REST round trip of held-out questions, one client (conversations of 6 messages), after 10 "
              f"warm-up requests; {args.single} requests.",
              f"- Load: {LOADS} concurrent clients, each in conversations of {TURNS} messages, at most "
              f"{args.requests} requests or {args.seconds:.0f} s per run.",
              f"- CPU a message: user and system time of the serving processes (those of the memory figure) during "
              f"the {LOADS[-1]}-client run, over the messages answered. The load client, the kernel's loopback "
              "networking and, for the production layout, PostgreSQL and Redis are not in it. A contender can serve "
              f"at most about {args.capacity:.2f} x 1000 / that figure messages a second on this machine.",
              f"- One conversation: {args.long_turns} held-out questions in one conversation, one after another; p50 "
              "around turn 5 (turns 3-8) and over the last 20 turns.",
              "- The Rasa contenders are served as `make run` serves them (endpoints.yml): conversations in SQLite, "
              f"{WORKERS} Sanic workers of the Rasa server sharing their conversation locks and rate limits in "
              "workers.db (web/shared_state.py); except two rows. \"Conversations in memory, one process\": the same "
              "model with Rasa's in-memory tracker and lock stores, in one process (the only way they work). "
              "\"Rasa default pipeline, one process\": the default model served as `rasa run` serves a new bot, "
              "one process (Rasa runs several only with a lock store they share, which it has only on Redis), "
              "its conversations in SQLite.",
              "- Production layout: deploy/endpoints.production.yml (conversations in PostgreSQL, locks in Redis) "
              "on two Rasa replicas and two action servers behind deploy/nginx.conf in nginx, all on this machine; "
              "each load client sends from its own address (nginx keeps an address on one replica)."
              + (f" Not measured in this run: {', '.join(args.production_missing)} not found."
                 if getattr(args, "production_missing", None) else ""),
              "- Memory: resident set of the serving processes (Rasa server + action server, or the search "
              "process; all replicas, action servers and nginx for the production layout), after the load runs.",
              "- Answer accuracy: share of the held-out single questions (`tests/heldout_questions.yml`) whose "
              "cited passage is an acceptable one.",
              "- Training: ours is trained from scratch in this run. Rasa's default pipeline (the `rasa init` config, "
              "the project's data through the same importer) is trained once and its model kept in "
              f"`{BENCH_CACHE}`, keyed by the hash of its config, domain, data and the Rasa version; "
              + (f"this run used the cached model, so its training time is from the run of {args.default_cached}."
                 if args.default_cached else "this run trained it, so every figure is from this run."),
              "", "![Latency and throughput against concurrency](docs/benchmarks.png)"]
    for r in results:
        if r.get("profile"):
            lines += render_profile(r)
    return "\n".join(lines) + "\n"


def plot(results: List[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for r in results:
        xs = [1, *LOADS]
        runs = [r["single"], *(r["loads"][c] for c in LOADS)]
        left.plot(xs, [run["p95_ms"] for run in runs], marker="o", label=LABELS[r["name"]])
        right.plot(xs, [run["throughput"] for run in runs], marker="o", label=LABELS[r["name"]])
    left.set(xlabel="concurrent clients", ylabel="p95 latency (ms)", title="Latency", xscale="log", yscale="log")
    right.set(xlabel="concurrent clients", ylabel="messages / s", title="Throughput", xscale="log")
    for axis in (left, right):
        axis.set_xticks([1, *LOADS], [str(x) for x in [1, *LOADS]])
        axis.grid(True, alpha=0.3)
    right.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: ours and search only, few requests")
    parser.add_argument("--out", default=str(ROOT), help="folder for BENCHMARKS.md (and docs/benchmarks.png)")
    parser.add_argument("--serve-search", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_search:
        serve_search(args.serve_search)
        return 0
    args.single, args.requests, args.seconds, args.accuracy_limit, args.long_turns, args.profile_seconds = (
        (20, 40, 10.0, 10, 30, 3) if args.quick else (200, 1000, 30.0, 0, 500, 20))
    args.default_cached = None
    args.capacity = parallel_capacity(0.5 if args.quick else 2.0)  # before any server starts: a quiet machine
    log(f"two CPU-bound processes at once do {args.capacity:.2f} times the work of one")
    out = Path(args.out)
    started, clock = datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory() as models:
        models = Path(models)
        if args.quick:
            contenders = [("ours", ROOT / "models" / "clinic-faq.tar.gz", None, True)]
        else:
            log("training ours (config.yml) ...")
            ours_s = train(ROOT / "config.yml", models, "ours")
            log(f"trained ours in {ours_s:.1f} s; Rasa's default pipeline (rasa init config) ...")
            default_model, default_s, args.default_cached = cached_train(default_config(models), "rasa-default")
            log(f"rasa-default: trained in {default_s:.1f} s" +
                (f" (cached model, trained {args.default_cached})" if args.default_cached else ""))
            contenders = [("ours", models / "ours.tar.gz", ours_s, True),
                          ("rasa-default", default_model, default_s, True),
                          ("rasa-default-one-process", default_model, default_s, True),
                          ("ours-in-memory", models / "ours.tar.gz", ours_s, False)]
        for port, (name, model, train_s, store) in zip((5071, 5073, 5079, 5077), contenders):
            log(f"{name}: starting the servers")
            with rasa_contender(model, port, store, "1" if name.endswith("one-process") else WORKERS) as contender:
                results.append(measure(name, {**contender, "train_s": train_s}, args))
        args.production_missing = [] if args.quick else production.missing()
        if args.production_missing:
            log(f"production layout not measured: {', '.join(args.production_missing)} not here")
        elif not args.quick:
            log("production: starting nginx, two replicas and two action servers")
            with production_contender(models / "ours.tar.gz") as contender:
                results.append(measure("production", {**contender, "train_s": ours_s}, args))
        with search_contender(5075) as contender:
            results.append(measure("search", contender, args))
    (out / "docs").mkdir(parents=True, exist_ok=True)
    plot(results, out / "docs" / "benchmarks.png")
    (out / "BENCHMARKS.md").write_text(render(results, args, started, time.perf_counter() - clock), encoding="utf-8")
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "results" / "bench.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"wrote {out / 'BENCHMARKS.md'} and {out / 'docs' / 'benchmarks.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
