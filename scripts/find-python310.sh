#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 runs on 3.8–3.10, not on 3.11).
# Looks on PATH first, then in pyenv, then in the usual system places.
set -u
candidates=()
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for p in "$root"/versions/3.10.*/bin/python3.10; do candidates+=("$p"); done
fi
for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  candidates+=("$p")
done
for p in "${candidates[@]}"; do
  if [ -x "$p" ] && "$p" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
    echo "$p"
    exit 0
  fi
done
cat >&2 <<'MSG'
Fehler: Python 3.10 wurde nicht gefunden (Rasa 3.6 läuft nicht mit Python 3.11 oder neuer).
Bitte installieren Sie Python 3.10 mit venv, zum Beispiel:
  pyenv install 3.10.13            (mit pyenv)
  apt-get install python3.10 python3.10-venv   (Debian/Ubuntu, falls im Paketarchiv)
Danach erneut: make run
MSG
exit 1
