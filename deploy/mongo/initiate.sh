#!/usr/bin/env bash
# One-shot: make the single node a replica set (transactions and change streams need one). Idempotent.
set -euo pipefail
mongosh --quiet --host mongo -u "$MONGO_ROOT_USER" -p "$MONGO_ROOT_PASSWORD" --authenticationDatabase admin --eval '
  try { rs.status().ok } catch (e) {
    rs.initiate({_id: "rs0", members: [{_id: 0, host: "mongo:27017"}]}).ok
  }'
for _ in $(seq 60); do
  if mongosh --quiet --host mongo -u "$MONGO_ROOT_USER" -p "$MONGO_ROOT_PASSWORD" --authenticationDatabase admin \
       --eval 'db.hello().isWritablePrimary' | grep -q true; then exit 0; fi
  sleep 1
done
echo "replica set did not elect a primary" >&2
exit 1
