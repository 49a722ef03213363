#!/usr/bin/env bash
# Least privilege on the broker: one user per service, publishing only its own routing-key prefix on
# district.events (topic permissions), configuring and reading only its own queues; and an external-publisher
# user that may publish intake.* only. Idempotent. Usage: provision.sh [vhost]   (passwords from the environment)
# AMQP_USER_PREFIX (default none) prefixes every user name: users are global to a broker and vhosts are not, so a
# test on a shared broker provisions its own vhost with its own users (queue names and prefixes stay the same).
set -euo pipefail
vhost="${1:-/}"
prefix="${AMQP_USER_PREFIX:-}"
ctl() { rabbitmqctl -q "$@" </dev/null; }

ensure_user() {  # name password
  # grep reads all its input (no -q): under pipefail an early exit could fail the pipe and misreport the user.
  # `--` ends the options: a password may begin with a dash.
  if ctl list_users | awk '{print $1}' | grep -x -- "$1" >/dev/null; then ctl change_password -- "$1" "$2"
  else ctl add_user -- "$1" "$2"; fi
}

ctl list_vhosts | grep -x -- "$vhost" >/dev/null || ctl add_vhost "$vhost"

# name ; password variable ; queue-name prefix ; routing-key prefixes it may publish (regex)
while IFS=';' read -r name var queues publishes; do
  user="${prefix}${name}"
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
external="${prefix}external-publisher"
ensure_user "$external" "${EXTERNAL_PUBLISHER_AMQP_PASSWORD:?EXTERNAL_PUBLISHER_AMQP_PASSWORD is not set}"
ctl set_permissions -p "$vhost" "$external" '^$' '^district\.events$' '^$'
ctl set_topic_permissions -p "$vhost" "$external" district.events '^intake\.' '^$'
