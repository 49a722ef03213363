#!/usr/bin/env bash
# Least privilege on the broker: one user per service, publishing only its own routing-key prefix on
# district.events (topic permissions), configuring and reading only its own queues; and an external-publisher
# user that may publish intake.* only. Idempotent. Usage: provision.sh [vhost]   (passwords from the environment)
set -euo pipefail
vhost="${1:-/}"
ctl() { rabbitmqctl -q "$@" </dev/null; }

ensure_user() {  # name password
  if ctl list_users | awk '{print $1}' | grep -qx "$1"; then ctl change_password "$1" "$2"; else ctl add_user "$1" "$2"; fi
}

ctl list_vhosts | grep -qx -- "$vhost" || ctl add_vhost "$vhost"

# name ; password variable ; queue-name prefix ; routing-key prefixes it may publish (regex)
while IFS=';' read -r user var queues publishes; do
  password="${!var:-}"
  if [ -z "$password" ]; then echo "provision: $var is not set" >&2; exit 1; fi
  ensure_user "$user" "$password"
  own="^(${queues}\\..*|district\\.events|district\\.dlx)\$"
  ctl set_permissions -p "$vhost" "$user" "$own" "$own" "$own"
  ctl set_topic_permissions -p "$vhost" "$user" district.events "^(${publishes})\\." ".*"
done <<'TABLE'
catalog;CATALOG_AMQP_PASSWORD;catalog;catalog
registration;REGISTRATION_AMQP_PASSWORD;registration;registration
matching;MATCHING_AMQP_PASSWORD;matching;matching
training-grading;TRAINING_GRADING_AMQP_PASSWORD;training-grading;training|grading
evaluation;EVALUATION_AMQP_PASSWORD;evaluation;evaluation
TABLE

# Other district systems and the operators' tools: publish intake.* to district.events, nothing else.
ensure_user external-publisher "${EXTERNAL_PUBLISHER_AMQP_PASSWORD:?EXTERNAL_PUBLISHER_AMQP_PASSWORD is not set}"
ctl set_permissions -p "$vhost" external-publisher '^$' '^district\.events$' '^$'
ctl set_topic_permissions -p "$vhost" external-publisher district.events '^intake\.' '^$'
