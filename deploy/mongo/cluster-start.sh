#!/usr/bin/env bash
# A member of deploy/compose.cluster.yml's three-member replica set: the members authenticate each other with one
# shared key file (MONGO_REPLICA_KEY, from .env), otherwise as start.sh (a one-node replica set) starts it.
set -euo pipefail
keyfile=/data/configdb/replica.key
umask 077
printf '%s\n' "${MONGO_REPLICA_KEY:?set MONGO_REPLICA_KEY}" > "$keyfile"
chmod 400 "$keyfile"
chown mongodb:mongodb "$keyfile" 2>/dev/null || true
exec docker-entrypoint.sh mongod --replSet rs0 --bind_ip_all --keyFile "$keyfile" --auth \
  --setParameter "transactionLifetimeLimitSeconds=${MONGO_TRANSACTION_LIFETIME_SECONDS:-10}"
