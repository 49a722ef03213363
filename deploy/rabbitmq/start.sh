#!/usr/bin/env bash
# The broker, provisioned at every boot: provision.sh's definitions (users, permissions, exchanges, dead-letter
# queues) are written where RabbitMQ itself loads them as it starts, then the image's own entrypoint takes this
# process's place (exec), so the broker receives `docker compose stop`'s SIGTERM and shuts down cleanly.
# Nothing marks "provisioned": the healthcheck asks the running broker (provision.sh --check), after a restart too.
set -euo pipefail
definitions=/etc/rabbitmq/district-definitions.json
umask 077
bash /deploy/rabbitmq/provision.sh --definitions / > "$definitions"
chown rabbitmq:rabbitmq "$definitions"
printf 'load_definitions = %s\n' "$definitions" > /etc/rabbitmq/conf.d/90-district-definitions.conf
exec docker-entrypoint.sh "$@"
