#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# A private RabbitMQ node on loopback, without systemd, with its own data dir.
#   scripts/rabbitmq.sh start DIR [AMQP_PORT [MGMT_PORT]]   # ports: free ones if omitted
#   scripts/rabbitmq.sh stop DIR
# On start, prints shell assignments (and writes them to DIR/env):
#   EBB_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:PORT/
#   EBB_TEST_RABBITMQ_MGMT_URL=http://guest:guest@127.0.0.1:MPORT/
# The node name is derived from DIR, so several nodes can run side by side.
set -euo pipefail

cmd=${1:?usage: rabbitmq.sh start|stop DIR [AMQP_PORT [MGMT_PORT]]}
dir=${2:?usage: rabbitmq.sh start|stop DIR [AMQP_PORT [MGMT_PORT]]}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
name="ebb$(echo -n "$dir" | cksum | cut -d' ' -f1)"
RMQ=/usr/lib/rabbitmq/bin

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

case "$cmd" in
start)
  if [ ! -x "$RMQ/rabbitmq-server" ]; then
    echo "rabbitmq.sh: rabbitmq-server is not installed; run scripts/setup.sh" >&2
    exit 1
  fi
  port=${3:-$(free_port)}
  mport=${4:-$(free_port)}
  dport=$(free_port)
  mkdir -p "$dir/mnesia" "$dir/log"
  cat >"$dir/rabbitmq.conf" <<C
listeners.tcp.1 = 127.0.0.1:$port
management.tcp.ip = 127.0.0.1
management.tcp.port = $mport
collect_statistics_interval = 1000
loopback_users = none
C
  echo "[rabbitmq_management]." >"$dir/enabled_plugins"
  # The Erlang cookie lives in $HOME; give the node a private HOME.
  mkdir -p "$dir/home"
  export HOME="$dir/home"
  export RABBITMQ_NODENAME="$name@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT=$port RABBITMQ_DIST_PORT=$dport \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_PID_FILE="$dir/pid" ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  "$RMQ/rabbitmq-server" -detached
  # Wait for the AMQP port (it opens last, after management), up to 60 s.
  for _ in $(seq 1 600); do
    if (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
      {
        echo "EBB_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:$port/"
        echo "EBB_TEST_RABBITMQ_MGMT_URL=http://guest:guest@127.0.0.1:$mport/"
        echo "EBB_TEST_RABBITMQ_NODE=$name@localhost"
      } | tee "$dir/env"
      exit 0
    fi
    sleep 0.1
  done
  echo "rabbitmq.sh: node $name did not open port $port within 60 s; log in $dir/log" >&2
  exit 1
  ;;
stop)
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/pid"
  fi
  ;;
*)
  echo "usage: rabbitmq.sh start|stop DIR [AMQP_PORT [MGMT_PORT]]" >&2
  exit 2
  ;;
esac
