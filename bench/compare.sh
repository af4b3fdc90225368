#!/usr/bin/env bash
# Side by side (issue 12): a stock `rasa init` bot, asskomm-bot with `make run` and with
# `make prod`, one after the other in one run, with the same load (bench/load.py): fresh
# conversations, then one long conversation per sender; resident memory of every Rasa process.
# Writes the section "Speed (issue 12): side by side" of bench/RESULTS.md and
# bench/compare_latency.png.
#
#   bench/compare.sh                  (about 20 minutes on 2 cores)
#
# The stock bot lives in var/bench/stock (not tracked), made with the Rasa 3.6.21 of .venv: the
# same installation, nothing is installed a second time. PostgreSQL, Redis and RabbitMQ must run
# for `make prod` (as for `make prod` itself). Settings (environment):
#   BENCH_PORT (5930): the bots' port; make prod's replicas use the next ones, the action
#     server BENCH_PORT+9. A running `make run` or `make prod` on 5005 is not disturbed.
#   BENCH_SENDERS (20), BENCH_MESSAGES (400), BENCH_LONG (300 turns), BENCH_LONG_SENDERS
#   (= BENCH_SENDERS), BENCH_WARMUP (40 uncounted messages before each measurement),
#   BENCH_POSTGRES_URL (a database of its own on the local server, dropped afterwards),
#   ASSKOMM_PROD_REPLICAS (2).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=$ROOT/.venv/bin/python
BENCH=$ROOT/var/bench
STOCK=$BENCH/stock
RESULTS=$BENCH/results
PORT=${BENCH_PORT:-5930}
SENDERS=${BENCH_SENDERS:-20}
MESSAGES=${BENCH_MESSAGES:-400}
LONG=${BENCH_LONG:-300}
LONG_SENDERS=${BENCH_LONG_SENDERS:-$SENDERS}
WARMUP=${BENCH_WARMUP:-40}
REPLICAS=${ASSKOMM_PROD_REPLICAS:-2}
DEFAULT_POSTGRES=postgresql://postgres@127.0.0.1:5432/asskomm_bench
POSTGRES=${BENCH_POSTGRES_URL:-$DEFAULT_POSTGRES}
QUEUE=asskomm_bench_events
# A load test from one address: the flood limits would answer most messages with 429.
export ASSKOMM_RATE_LIMIT_PER_SENDER=0 ASSKOMM_RATE_LIMIT_PER_IP=0
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore

# Installed already (make run or make prod ran before): make is told not to install again.
if [ ! -f .venv/.installed ]; then echo "Erst make install (oder make run): .venv fehlt." >&2; exit 1; fi
mkdir -p "$BENCH" "$RESULTS" && chmod 700 "$ROOT/var" "$BENCH"
rm -f "$RESULTS"/*.json

GROUP=""
stop_group() {
  [ -n "$GROUP" ] || return 0
  kill -INT -- "-$GROUP" 2>/dev/null
  for _ in $(seq 120); do kill -0 -- "-$GROUP" 2>/dev/null || break; sleep 1; done
  kill -KILL -- "-$GROUP" 2>/dev/null
  GROUP=""
}
trap 'stop_group; exit 130' INT TERM
trap 'stop_group' EXIT

# start NAME COMMAND...: in a process group of its own, so that it is stopped with all children.
start() {
  local name=$1; shift
  setsid "$@" >"$RESULTS/$name.log" 2>&1 &
  GROUP=$!
}

wait_for() {  # URL: 200 within 10 minutes, or the bot's log and failure
  for _ in $(seq 600); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ]; then return 0; fi
    if ! kill -0 -- "-$GROUP" 2>/dev/null; then break; fi
    sleep 1
  done
  echo "Nicht bereit: $1" >&2; return 1
}

measure() {  # NAME: the same load for every bot
  local name=$1 url=http://127.0.0.1:$PORT
  echo "== $name: $SENDERS Absender, $MESSAGES Nachrichten (neue Gespräche) =="
  "$PY" -m bench.load --url "$url" --senders "$SENDERS" --messages "$MESSAGES" --warmup "$WARMUP" \
    --json "$RESULTS/$name-fresh.json"
  echo "== $name: je Absender ein Gespräch mit $LONG Nachrichten ($LONG_SENDERS Absender) =="
  "$PY" -m bench.load --url "$url" --senders "$LONG_SENDERS" --long "$LONG" --json "$RESULTS/$name-long.json"
  "$PY" -m bench.side_by_side rss --pgid "$GROUP" --json "$RESULTS/$name-rss.json"
}

check_port_free() {
  for port in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "Port $port ist belegt: BENCH_PORT anders setzen." >&2; exit 1
    fi
  done
}
check_port_free "$PORT" $(seq $((PORT + 1)) $((PORT + REPLICAS))) $((PORT + 9))

load_now() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START=$(load_now)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')

# 1. The stock bot: `rasa init` makes and trains it (once; later runs reuse it).
if [ ! -f "$STOCK/config.yml" ] || ! ls "$STOCK"/models/*.tar.gz >/dev/null 2>&1; then
  echo "== Stock-Bot: rasa init --no-prompt in $STOCK (Rasa $("$PY" -c 'import rasa; print(rasa.__version__)') aus .venv) =="
  mkdir -p "$STOCK"
  (cd "$STOCK" && "$ROOT/.venv/bin/rasa" init --no-prompt --init-dir .) >"$BENCH/stock-init.log" 2>&1 \
    || { echo "rasa init fehlgeschlagen, siehe $BENCH/stock-init.log" >&2; exit 1; }
fi
# Its own defaults: endpoints.yml and credentials.yml of rasa init (REST, in-memory tracker store).
cd "$STOCK" && start stock "$ROOT/.venv/bin/rasa" run --port "$PORT"; cd "$ROOT"
wait_for "http://127.0.0.1:$PORT/" && measure stock
stop_group

# 2. asskomm-bot as `make run` starts it: one Rasa process (its own SQLite tracker store here).
rm -f "$BENCH/run-tracker.db"
ASSKOMM_RASA_PORT=$PORT ASSKOMM_ACTION_PORT=$((PORT + 9)) ASSKOMM_TRACKER_STORE_URL="sqlite:///$BENCH/run-tracker.db" \
  start run make --no-print-directory -o .venv/.installed run
wait_for "http://127.0.0.1:$PORT/ready" && measure run
stop_group

# 3. `make prod`: replicas behind nginx on PostgreSQL, Redis and RabbitMQ.
ASSKOMM_PROD_PORT=$PORT ASSKOMM_ACTION_PORT=$((PORT + 9)) ASSKOMM_PROD_REPLICAS=$REPLICAS \
  ASSKOMM_TRACKER_STORE_URL=$POSTGRES DATABASE_URL=$POSTGRES ASSKOMM_RABBITMQ_QUEUE=$QUEUE \
  start prod make --no-print-directory -o .venv/.installed prod
wait_for "http://127.0.0.1:$PORT/ready" && measure prod
stop_group

# The events of the load test are not kept: RabbitMQ queue and (own) database away.
"$PY" - "$QUEUE" "$POSTGRES" "$DEFAULT_POSTGRES" <<'EOF'
import asyncio
import sys

import aio_pika
import psycopg2

queue, postgres, default = sys.argv[1:]


async def delete_queue():
    connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)

try:
    asyncio.run(delete_queue())
except Exception as error:  # the results are written all the same
    print(f"RabbitMQ-Warteschlange {queue} nicht gelöscht: {error}", file=sys.stderr)
if postgres == default:
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS asskomm_bench")
    admin.close()
EOF

"$PY" - "$RESULTS/meta.json" <<EOF
import json, os, platform, sys
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
memory = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 1024 / 1024
json.dump({"date": "$DATE", "machine": f"{os.cpu_count()} cores ({cpu}), {memory:.1f} GB RAM",
           "load_start": "$LOAD_START", "load_end": "$(load_now)", "senders": $SENDERS, "messages": $MESSAGES,
           "long": $LONG, "long_senders": $LONG_SENDERS, "warmup": $WARMUP, "replicas": $REPLICAS},
          open(sys.argv[1], "w"), indent=2)
EOF
"$PY" -m bench.side_by_side report --dir "$RESULTS"
