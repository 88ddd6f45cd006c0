#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter (Rasa 3.6 needs Python <= 3.10).
# Looks on PATH first, then in pyenv's versions; exits 1 with a clear message when none is found.
set -u
candidates=(python3.10)
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -V -r); do
    candidates+=("$root/versions/$v/bin/python3.10")
  done
fi
for c in "${candidates[@]}"; do
  # A pyenv shim for an inactive version exists on PATH but fails when run, so run each candidate.
  if out=$("$c" -c 'import sys; print(sys.executable) if sys.version_info[:2] == (3, 10) else sys.exit(1)' 2>/dev/null); then
    echo "$out"
    exit 0
  fi
done
echo "error: Python 3.10 not found (Rasa 3.6 needs Python 3.8-3.10)." >&2
echo "       Install it, e.g. 'pyenv install 3.10', or put python3.10 on PATH, then run make again." >&2
exit 1
