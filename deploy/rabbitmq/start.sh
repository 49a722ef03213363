#!/usr/bin/env bash
# Start RabbitMQ, then provision the per-service users once it answers; stays in the foreground.
set -euo pipefail
rabbitmq-server &
server=$!
until rabbitmqctl -q await_startup >/dev/null 2>&1; do sleep 1; done
/deploy/rabbitmq/provision.sh /
touch /tmp/provisioned
wait "$server"
