# Sourced by the scripts that start a server: waits until it answers /readyz.
#
#   wait_ready PORT PID LOG   # up to 60 s; fails at once, printing LOG, if PID exits first
wait_ready() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the server exited before it was ready:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "the server was not ready within 60 s" >&2
  return 1
}
