#!/usr/bin/env bash
# Start the action server (127.0.0.1:5055) and the Rasa server (REST channel on :5005), wait until both
# answer, and stop both on Ctrl-C. `--shell` chats in the terminal instead of serving HTTP.
# Settings: RASA_PORT (5005), ACTION_PORT (5055), RASA_INTERFACE (0.0.0.0), CORS_ORIGINS (http://localhost:8000).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RASA_PORT=${RASA_PORT:-5005}
ACTION_PORT=${ACTION_PORT:-5055}
CORS_ORIGINS=${CORS_ORIGINS:-http://localhost:8000}
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_for() {  # url, name, seconds
  for _ in $(seq "$3"); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 1
  done
  echo "error: the $2 did not start within $3 s" >&2
  exit 1
}

SANIC_HOST=127.0.0.1 $BIN/rasa run actions --actions actions --port "$ACTION_PORT" &
pids+=($!)
wait_for "http://127.0.0.1:$ACTION_PORT/health" "action server" 60

if [[ "${1:-}" == "--shell" ]]; then
  $BIN/rasa shell --model models/clinic-faq.tar.gz --endpoints endpoints.yml
  exit 0
fi

$BIN/rasa run --model models/clinic-faq.tar.gz --credentials credentials.yml --endpoints endpoints.yml \
  --interface "${RASA_INTERFACE:-0.0.0.0}" --port "$RASA_PORT" --cors $CORS_ORIGINS &
pids+=($!)
wait_for "http://127.0.0.1:$RASA_PORT/" "Rasa server" 180

cat <<MSG

The assistant is ready. Talk to it over REST, for example:
  curl -s -X POST http://localhost:$RASA_PORT/webhooks/rest/webhook \\
       -H 'Content-Type: application/json' -d '{"sender": "try-it-1", "message": "what is cervical dystonia?"}'
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
