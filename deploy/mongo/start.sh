#!/usr/bin/env bash
# MongoDB 7 as a one-node replica set with authentication: replica-set members need a key file.
set -euo pipefail
keyfile=/data/configdb/replica.key
if [ ! -s "$keyfile" ]; then
  openssl rand -base64 756 > "$keyfile"
fi
chmod 400 "$keyfile"
chown mongodb:mongodb "$keyfile" 2>/dev/null || true
exec docker-entrypoint.sh mongod --replSet rs0 --bind_ip_all --keyFile "$keyfile" --auth
