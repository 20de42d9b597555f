#!/usr/bin/env bash
# Start, wait for, and stop the action server and the Rasa server.
#   scripts/serve.sh foreground   start both, print how to talk to them, Ctrl-C stops both
#   scripts/serve.sh background   start both and return once they answer
#   scripts/serve.sh stop         stop what `background` started
set -euo pipefail
cd "$(dirname "$0")/.."

RUN=${CARREFOUR_RUN_DIR:-.run}  # another folder lets a second copy run on other ports
RASA_PORT=${RASA_PORT:-5005}
ACTION_PORT=${ACTION_PORT:-5055}
export RASA_TELEMETRY_ENABLED=false
MODEL=${MODEL:-models/carrefour.tar.gz}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-240}
mkdir -p "$RUN"

token() {
  # The HTTP API token: $RASA_TOKEN, or one generated once and kept in .run/token (not committed).
  if [ -n "${RASA_TOKEN:-}" ]; then echo "$RASA_TOKEN"; return; fi
  [ -s "$RUN/token" ] || .venv/bin/python -c 'import secrets; print(secrets.token_hex(24))' > "$RUN/token"
  cat "$RUN/token"
}

console_token() {
  # The agent console's token: $CARREFOUR_CONSOLE_TOKEN, or one generated once and kept in .run/console-token.
  if [ -n "${CARREFOUR_CONSOLE_TOKEN:-}" ]; then echo "$CARREFOUR_CONSOLE_TOKEN"; return; fi
  [ -s "$RUN/console-token" ] || .venv/bin/python -c 'import secrets; print(secrets.token_hex(18))' > "$RUN/console-token"
  cat "$RUN/console-token"
}

stop() {
  for name in rasa actions; do
    if [ -s "$RUN/$name.pid" ]; then
      kill "$(cat "$RUN/$name.pid")" 2>/dev/null || true
      rm -f "$RUN/$name.pid"
    fi
  done
}

start() {
  stop
  local auth
  auth=$(token)
  # Each server runs in its own session: Ctrl-C reaches this script, which stops
  # both cleanly, rather than killing them half-way.
  setsid .venv/bin/rasa run actions --actions actions --port "$ACTION_PORT" >"$RUN/actions.log" 2>&1 &
  echo $! >"$RUN/actions.pid"
  sed -e "s#http://localhost:5055/webhook#http://localhost:$ACTION_PORT/webhook#" \
    -e "s#db: .run/trackers.db#db: $RUN/trackers.db#" endpoints.yml \
    >"$RUN/endpoints.yml"
  local cors=()
  [ -n "${CORS_ORIGINS:-}" ] && cors=(--cors "$CORS_ORIGINS")
  CARREFOUR_CONSOLE_TOKEN=$(console_token) setsid .venv/bin/rasa run --model "$MODEL" --port "$RASA_PORT" --enable-api --auth-token="$auth" \
    --endpoints "$RUN/endpoints.yml" --credentials "${CREDENTIALS:-credentials.yml}" "${cors[@]}" >"$RUN/rasa.log" 2>&1 &
  echo $! >"$RUN/rasa.pid"
  local waited=0
  until curl -sf "http://localhost:$ACTION_PORT/health" >/dev/null 2>&1 \
     && curl -sf "http://localhost:$RASA_PORT/status?token=$auth" >/dev/null 2>&1; do
    for name in rasa actions; do
      if ! kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
        echo "The $name server failed to start; the end of $RUN/$name.log:" >&2
        tail -n 30 "$RUN/$name.log" >&2
        stop
        exit 1
      fi
    done
    if [ "$waited" -ge "$STARTUP_TIMEOUT" ]; then
      echo "The servers did not answer within ${STARTUP_TIMEOUT}s (see $RUN/*.log)." >&2
      stop
      exit 1
    fi
    sleep 2
    waited=$((waited + 2))
  done
}

case "${1:-foreground}" in
  background)
    start
    ;;
  stop)
    stop
    ;;
  foreground)
    start
    # Stop both servers however this script ends (Ctrl-C, a closed terminal, an error).
    trap stop EXIT
    trap 'exit 0' INT TERM HUP
    cat <<MSG

Carrefour is running: Rasa on http://localhost:$RASA_PORT, actions on http://localhost:$ACTION_PORT.

  Web chat demo:  http://localhost:$RASA_PORT/demo/   (français : http://localhost:$RASA_PORT/demo/fr/)
  Agent console:  http://localhost:$RASA_PORT/console/   token: $(console_token)
  SMS (Twilio):   POST http://localhost:$RASA_PORT/webhooks/twilio/webhook  (needs \$TWILIO_AUTH_TOKEN; see README)

  Talk to it:   curl -s -XPOST http://localhost:$RASA_PORT/webhooks/rest/webhook \\
                  -H 'Content-Type: application/json' \\
                  -d '{"sender": "me", "message": "I lost my passport"}'
  Or:           make shell        (in another terminal)
  French:       add  "metadata": {"language": "fr"}  or just write in French.
  HTTP API token (for /status, /conversations...): $RUN/token or \$RASA_TOKEN

Press Ctrl-C to stop both servers.
MSG
    while kill -0 "$(cat "$RUN/rasa.pid")" 2>/dev/null && kill -0 "$(cat "$RUN/actions.pid")" 2>/dev/null; do
      sleep 2 &
      wait $! || true
    done
    echo "A server stopped; see $RUN/*.log." >&2
    exit 1
    ;;
  *)
    echo "usage: $0 foreground|background|stop" >&2
    exit 2
    ;;
esac
