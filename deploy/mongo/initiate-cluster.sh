#!/usr/bin/env bash
# One-shot, on every `up` of deploy/compose.cluster.yml: make the three members one replica set (mongo-1 preferred
# as primary), wait for a primary, then create or update each service's user (service-users.js). Idempotent, and
# like initiate.sh it talks only to the real servers (healthy.js), never an image's temporary initdb server.
set -euo pipefail
shell=(mongosh --quiet --host mongo-1 -u "$MONGO_ROOT_USER" -p "$MONGO_ROOT_PASSWORD" --authenticationDatabase admin)
for attempt in $(seq 120); do
  if "${shell[@]}" --file /deploy/mongo/healthy.js >/dev/null 2>&1; then break; fi
  if [ "$attempt" = 120 ]; then echo "mongo-1 did not come up with its replica set configured" >&2; exit 1; fi
  sleep 1
done
"${shell[@]}" --eval '
  try { rs.status().ok } catch (e) {
    if (e.codeName !== "NotYetInitialized") throw e;
    rs.initiate({_id: "rs0", members: [
      {_id: 0, host: "mongo-1:27017", priority: 2},
      {_id: 1, host: "mongo-2:27017", priority: 1},
      {_id: 2, host: "mongo-3:27017", priority: 1},
    ]}).ok
  }'
primary=(mongosh --quiet "mongodb://mongo-1:27017,mongo-2:27017,mongo-3:27017/?replicaSet=rs0" -u "$MONGO_ROOT_USER"
         -p "$MONGO_ROOT_PASSWORD" --authenticationDatabase admin)
for _ in $(seq 120); do
  if "${primary[@]}" --eval 'db.hello().isWritablePrimary' | grep -q true; then
    exec "${primary[@]}" --file /deploy/mongo/service-users.js
  fi
  sleep 1
done
echo "replica set did not elect a primary" >&2
exit 1
