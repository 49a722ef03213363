#!/usr/bin/env bash
# MongoDB 7 as a one-node replica set with authentication: replica-set members need a key file.
# A transaction left open by a killed process holds its documents until the server reaps it: 10 s here instead of
# the default 60 s (MONGO_TRANSACTION_LIFETIME_SECONDS); no handler's transaction comes near it.
set -euo pipefail
keyfile=/data/configdb/replica.key
if [ ! -s "$keyfile" ]; then
  openssl rand -base64 756 > "$keyfile"
fi
chmod 400 "$keyfile"
chown mongodb:mongodb "$keyfile" 2>/dev/null || true
exec docker-entrypoint.sh mongod --replSet rs0 --bind_ip_all --keyFile "$keyfile" --auth \
  --setParameter "transactionLifetimeLimitSeconds=${MONGO_TRANSACTION_LIFETIME_SECONDS:-10}"
