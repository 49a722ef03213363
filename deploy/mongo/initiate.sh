#!/usr/bin/env bash
# One-shot, on every `docker compose up`: make the single node a replica set (transactions and change streams need
# one), wait for it to elect itself, then create or update each service's user. Idempotent. It talks only to the
# real server (`mongo:27017`, with the replica set configured): the image's temporary initdb server listens on the
# container's loopback only and without a replica set, so it is never mistaken for it.
set -euo pipefail
shell=(mongosh --quiet --host mongo -u "$MONGO_ROOT_USER" -p "$MONGO_ROOT_PASSWORD" --authenticationDatabase admin)
for attempt in $(seq 120); do
  if "${shell[@]}" --file /deploy/mongo/healthy.js >/dev/null 2>&1; then break; fi
  if [ "$attempt" = 120 ]; then echo "mongo did not come up with its replica set configured" >&2; exit 1; fi
  sleep 1
done
"${shell[@]}" --eval '
  try { rs.status().ok } catch (e) {
    if (e.codeName !== "NotYetInitialized") throw e;
    rs.initiate({_id: "rs0", members: [{_id: 0, host: "mongo:27017"}]}).ok
  }'
for _ in $(seq 60); do
  if "${shell[@]}" --eval 'db.hello().isWritablePrimary' | grep -q true; then
    exec "${shell[@]}" --file /deploy/mongo/service-users.js
  fi
  sleep 1
done
echo "replica set did not elect a primary" >&2
exit 1
