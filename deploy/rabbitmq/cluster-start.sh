#!/usr/bin/env bash
# A node of deploy/compose.cluster.yml: the cluster's shared Erlang cookie (RABBITMQ_CLUSTER_COOKIE, from .env) and
# its peer list (cluster.conf), then the same start as the single broker's (start.sh: provision.sh's definitions
# loaded at every boot, then the image's entrypoint takes this process's place).
set -euo pipefail
cookie=/var/lib/rabbitmq/.erlang.cookie
umask 077
printf '%s' "${RABBITMQ_CLUSTER_COOKIE:?set RABBITMQ_CLUSTER_COOKIE}" > "$cookie"
chown rabbitmq:rabbitmq "$cookie"
chmod 400 "$cookie"
mkdir -p /etc/rabbitmq/conf.d
cp /deploy/rabbitmq/cluster.conf /etc/rabbitmq/conf.d/20-cluster.conf
exec bash /deploy/rabbitmq/start.sh "$@"
