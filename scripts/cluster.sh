#!/usr/bin/env bash
# The production profile on one machine, on loopback: PostgreSQL (tracker store),
# Redis (lock store), two Rasa servers and two action servers behind nginx, all from
# Debian's packages (installed if missing) and this checkout's .venv and model.
#   scripts/cluster.sh start        start everything, return once it answers
#   scripts/cluster.sh stop         stop everything (the next start deletes its data and logs)
#   scripts/cluster.sh kill NAME    SIGKILL one server (rasa-1, rasa-2, actions-1, actions-2)
#   scripts/cluster.sh pause|resume NAME   freeze / thaw one server (a slow server)
#   scripts/cluster.sh restart NAME start one server again
# Ports: $CLUSTER_PORT (public, nginx; default 5400), +1 nginx for the actions,
# +11/+12 Rasa, +21/+22 actions, +33 PostgreSQL, +39 Redis. $CARREFOUR_CLUSTER_DIR
# (default .run-cluster) holds the data, logs and cluster.json (what the tests read);
# $RASA_EXTRA_ARGS (e.g. --debug) go to both Rasa servers.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN=$(realpath -m "${CARREFOUR_CLUSTER_DIR:-.run-cluster}")
BASE=${CLUSTER_PORT:-5400}
PUBLIC_PORT=$BASE
ACTIONS_LB_PORT=$((BASE + 1))
PG_PORT=$((BASE + 33))
REDIS_PORT=$((BASE + 39))
MODEL=${MODEL:-models/carrefour.tar.gz}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-240}
# nginx's per-address limit: every test client is 127.0.0.1, so it is set high here.
NGINX_RATE=${CARREFOUR_NGINX_RATE:-2000r/s}
export RASA_TELEMETRY_ENABLED=false

rasa_port() { echo $((BASE + 10 + ${1#rasa-})); }
action_port() { echo $((BASE + 20 + ${1#actions-})); }

as_postgres() {
  # PostgreSQL refuses to run as root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] && echo "$bin"
}

install_packages() {
  local missing=()
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ ${#missing[@]} -eq 0 ] && return
  echo "Installing ${missing[*]} from Debian's packages..."
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  # Debian starts the packaged services after installing them; this cluster runs its own.
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

secret() {
  # A secret generated once per cluster and kept in its folder (never committed).
  [ -s "$RUN/$1" ] || .venv/bin/python -c 'import secrets; print(secrets.token_hex(24))' >"$RUN/$1"
  chmod 600 "$RUN/$1"
  cat "$RUN/$1"
}

start_postgres() {
  local bin data=$RUN/pg/data
  bin=$(pg_bin)
  mkdir -p "$RUN/pg"
  if [ ! -s "$data/PG_VERSION" ]; then
    secret db-password >"$RUN/pg/pwfile"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$RUN/pg"
    as_postgres "$bin/initdb" -D "$data" -U carrefour --auth=scram-sha-256 \
      --pwfile="$RUN/pg/pwfile" >"$RUN/pg/initdb.log"
    rm -f "$RUN/pg/pwfile"
  fi
  as_postgres "$bin/pg_ctl" -D "$data" -l "$RUN/pg/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $RUN/pg -c listen_addresses=127.0.0.1" start >/dev/null
  PGPASSWORD=$(secret db-password) "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U carrefour -d postgres \
    -tAc "SELECT 1 FROM pg_database WHERE datname = 'carrefour'" | grep -q 1 \
    || PGPASSWORD=$(secret db-password) "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U carrefour carrefour
}

start_redis() {
  # No persistence: Redis only holds the conversation locks, which live for seconds.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --requirepass "$(secret redis-password)" \
    --save '' --appendonly no --daemonize yes --dir "$RUN" \
    --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log"
}

start_nginx() {
  mkdir -p "$RUN/nginx"
  local user=""
  [ "$(id -u)" = 0 ] && user="user root;"
  CARREFOUR_RASA_SERVERS="server 127.0.0.1:$(rasa_port rasa-1) max_fails=1 fail_timeout=5s; server 127.0.0.1:$(rasa_port rasa-2) max_fails=1 fail_timeout=5s;" \
  CARREFOUR_ACTION_SERVERS="server 127.0.0.1:$(action_port actions-1) max_fails=1 fail_timeout=5s; server 127.0.0.1:$(action_port actions-2) max_fails=1 fail_timeout=5s;" \
  CARREFOUR_PUBLIC_LISTEN="127.0.0.1:$PUBLIC_PORT" CARREFOUR_ACTIONS_LISTEN="127.0.0.1:$ACTIONS_LB_PORT" \
  CARREFOUR_NGINX_RATE="$NGINX_RATE" CARREFOUR_NGINX_ADMIN_ALLOW="" \
    envsubst '${CARREFOUR_RASA_SERVERS} ${CARREFOUR_ACTION_SERVERS} ${CARREFOUR_PUBLIC_LISTEN} ${CARREFOUR_ACTIONS_LISTEN} ${CARREFOUR_NGINX_RATE} ${CARREFOUR_NGINX_ADMIN_ALLOW}' \
    <deploy/nginx/carrefour.conf.template >"$RUN/nginx/carrefour.conf"
  cat >"$RUN/nginx/nginx.conf" <<CONF
$user
worker_processes 1;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/error.log warn;
events { worker_connections 1024; }
http {
    # No access log: request lines carry the Rasa API token and the conversation ids.
    access_log off;
    client_body_temp_path $RUN/nginx/body;
    proxy_temp_path $RUN/nginx/proxy;
    fastcgi_temp_path $RUN/nginx/fastcgi;
    uwsgi_temp_path $RUN/nginx/uwsgi;
    scgi_temp_path $RUN/nginx/scgi;
    include $RUN/nginx/carrefour.conf;
}
CONF
  /usr/sbin/nginx -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -e "$RUN/nginx/error.log"
}

rasa_env() {
  export CARREFOUR_ACTION_URL="http://127.0.0.1:$ACTIONS_LB_PORT/webhook"
  export CARREFOUR_DB_HOST=127.0.0.1 CARREFOUR_DB_PORT=$PG_PORT CARREFOUR_DB_NAME=carrefour
  export CARREFOUR_DB_USER=carrefour CARREFOUR_DB_PASSWORD; CARREFOUR_DB_PASSWORD=$(secret db-password)
  export CARREFOUR_REDIS_HOST=127.0.0.1 CARREFOUR_REDIS_PORT=$REDIS_PORT CARREFOUR_REDIS_DB=0
  export CARREFOUR_REDIS_PASSWORD; CARREFOUR_REDIS_PASSWORD=$(secret redis-password)
  export CARREFOUR_CONSOLE_TOKEN; CARREFOUR_CONSOLE_TOKEN=$(secret console-token)
  export TWILIO_AUTH_TOKEN=${TWILIO_AUTH_TOKEN:-local-test-token}
  # The SMS state (opt-outs, numbered choices) is shared by the Rasa servers, in PostgreSQL.
  export SMS_STATE_URL="postgresql://carrefour:$CARREFOUR_DB_PASSWORD@127.0.0.1:$PG_PORT/carrefour"
  # A server killed while it holds a conversation's lock frees it after this many seconds.
  export TICKET_LOCK_LIFETIME=${TICKET_LOCK_LIFETIME:-10}
}

start_server() {
  local name=$1
  case $name in
    rasa-*)
      (rasa_env; exec setsid .venv/bin/rasa run --model "$MODEL" --port "$(rasa_port "$name")" \
        --enable-api --auth-token="$(secret token)" --endpoints endpoints.prod.yml \
        --credentials credentials.yml ${RASA_EXTRA_ARGS:-}) >>"$RUN/$name.log" 2>&1 &
      ;;
    actions-*)
      setsid .venv/bin/rasa run actions --actions actions --port "$(action_port "$name")" \
        >>"$RUN/$name.log" 2>&1 &
      ;;
    *) echo "unknown server: $name" >&2; exit 2 ;;
  esac
  echo $! >"$RUN/$name.pid"
}

healthy() {
  local name=$1
  case $name in
    rasa-*) curl -sf "http://127.0.0.1:$(rasa_port "$name")/status?token=$(secret token)" >/dev/null 2>&1 ;;
    actions-*) curl -sf "http://127.0.0.1:$(action_port "$name")/health" >/dev/null 2>&1 ;;
  esac
}

wait_for() {
  local waited=0 name
  for name in "$@"; do
    until healthy "$name"; do
      if ! kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
        echo "$name failed to start; the end of $RUN/$name.log:" >&2
        tail -n 30 "$RUN/$name.log" >&2
        return 1
      fi
      if [ "$waited" -ge "$STARTUP_TIMEOUT" ]; then
        echo "$name did not answer within ${STARTUP_TIMEOUT}s (see $RUN/$name.log)." >&2
        return 1
      fi
      sleep 1
      waited=$((waited + 1))
    done
  done
}

wait_for_table() {
  local waited=0
  until PGPASSWORD=$(secret db-password) "$(pg_bin)/psql" -h 127.0.0.1 -p "$PG_PORT" -U carrefour \
      -d carrefour -tAc "SELECT to_regclass('public.events')" 2>/dev/null | grep -q events; do
    [ "$waited" -ge "$STARTUP_TIMEOUT" ] && return
    kill -0 "$(cat "$RUN/rasa-1.pid")" 2>/dev/null || return
    sleep 0.5
    waited=$((waited + 1))
  done
}

write_description() {
  cat >"$RUN/cluster.json" <<JSON
{
  "public": "http://127.0.0.1:$PUBLIC_PORT",
  "rasa": {"rasa-1": "http://127.0.0.1:$(rasa_port rasa-1)", "rasa-2": "http://127.0.0.1:$(rasa_port rasa-2)"},
  "actions": {"actions-1": "http://127.0.0.1:$(action_port actions-1)", "actions-2": "http://127.0.0.1:$(action_port actions-2)"},
  "database": "postgresql://carrefour@127.0.0.1:$PG_PORT/carrefour",
  "redis": "redis://127.0.0.1:$REDIS_PORT/0",
  "run_dir": "$RUN"
}
JSON
}

stop() {
  local name bin
  for name in rasa-1 rasa-2 actions-1 actions-2; do
    if [ -s "$RUN/$name.pid" ]; then
      kill -CONT "$(cat "$RUN/$name.pid")" 2>/dev/null || true
      kill "$(cat "$RUN/$name.pid")" 2>/dev/null || true
      rm -f "$RUN/$name.pid"
    fi
  done
  [ -s "$RUN/nginx/nginx.pid" ] && { kill -QUIT "$(cat "$RUN/nginx/nginx.pid")" 2>/dev/null || true; }
  [ -s "$RUN/redis.pid" ] && { kill "$(cat "$RUN/redis.pid")" 2>/dev/null || true; }
  bin=$(pg_bin || true)
  if [ -n "$bin" ] && [ -s "$RUN/pg/data/postmaster.pid" ]; then
    as_postgres "$bin/pg_ctl" -D "$RUN/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

start() {
  install_packages
  stop
  # Each start is a new cluster: the data of an earlier one (conversations) is not kept.
  rm -rf "$RUN"
  mkdir -p "$RUN"
  chmod 755 "$RUN"
  start_postgres
  start_redis
  local name
  for name in actions-1 actions-2 rasa-1; do start_server "$name"; done
  # The second Rasa server starts once the first has created the tracker store's table.
  wait_for_table
  start_server rasa-2
  start_nginx
  write_description
  if ! wait_for actions-1 actions-2 rasa-1 rasa-2; then stop; exit 1; fi
  echo "Cluster up: http://127.0.0.1:$PUBLIC_PORT (Rasa $(rasa_port rasa-1), $(rasa_port rasa-2);" \
    "actions $(action_port actions-1), $(action_port actions-2); PostgreSQL $PG_PORT; Redis $REDIS_PORT)."
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  kill) kill -KILL "$(cat "$RUN/$2.pid")" ;;
  pause) kill -STOP "$(cat "$RUN/$2.pid")" ;;
  resume) kill -CONT "$(cat "$RUN/$2.pid")" ;;
  restart) start_server "$2"; wait_for "$2" ;;
  *) echo "usage: $0 start|stop|kill NAME|pause NAME|resume NAME|restart NAME" >&2; exit 2 ;;
esac
