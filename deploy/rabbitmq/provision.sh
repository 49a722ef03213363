#!/usr/bin/env bash
# The broker's topology and least privilege, as one definitions document: the shared exchanges, every service's
# dead-letter queue, one user per service, the operator user of the tools and the external publisher. compose's
# broker loads it at every boot (start.sh); `make dev` and the tests import it into a vhost of their own. Importing
# it again changes nothing (users, permissions, exchanges and queues are declared, never duplicated).
#
#   provision.sh [vhost]                 import into the broker that rabbitmqctl on this machine reaches
#   provision.sh --definitions [vhost]   print the definitions document instead (vhost default "/")
#   provision.sh --check [vhost]         exit 0 only if the broker holds every user's topic permissions and every
#                                        dead-letter queue of the document (compose's healthcheck)
#
# Passwords from the environment: <SERVICE>_AMQP_PASSWORD for each service (CATALOG_AMQP_PASSWORD, ...,
# TRAINING_GRADING_AMQP_PASSWORD), OPERATOR_AMQP_PASSWORD, EXTERNAL_PUBLISHER_AMQP_PASSWORD.
# AMQP_USER_PREFIX (default none) prefixes every user name: users are global to a broker and vhosts are not, so a
# shared broker holds several provisioned vhosts, each with users of its own (queue names and prefixes stay).
# PROVISION_NODE (default none: rabbitmqctl's own default node) names the node to import into or check, e.g.
# cluster1@localhost for `make cluster`'s nodes (a cluster shares its definitions: one node is enough).
# AMQP_EXTRA_SERVICES adds services to the table below, as "name=prefix|prefix ..." (the kernel's own tests).
#
# What each user may do (RabbitMQ permissions: configure, write, read; topic permissions: routing keys):
# - a service: declare, bind and consume its own queues `<name>.*` (its dead-letter queue excepted); publish
#   to district.events only its own prefixes; dead-letter through district.dlx only under its own name. It
#   cannot declare, delete or re-bind the shared exchanges, nor reach another service's queues.
# - operator (make seed, demo, dlq, replay-dlq): publish intake.*; listen to every outcome through a server-named
#   queue of its own; read every dead-letter queue; send a dead letter back to the queue it came from.
# - external-publisher (other district systems): publish intake.* and nothing else.
set -euo pipefail

ctl() { rabbitmqctl ${PROVISION_NODE:+-n "$PROVISION_NODE"} "$@"; }

mode=import
case "${1:-}" in
  --definitions) mode=print; shift ;;
  --check) mode=check; shift ;;
esac
vhost="${1:-/}"
prefix="${AMQP_USER_PREFIX:-}"
# Dead letters wait for an operator: a quorum queue's default delivery limit (none on 3.x, 20 on 4.x) would drop
# a dead letter after enough listings (each one hands the messages back), so the limit is set out of reach.
dlq_delivery_limit=2147483647

services="catalog=catalog registration=registration matching=matching training-grading=training|grading"
services="$services evaluation=evaluation ${AMQP_EXTRA_SERVICES:-}"

json() {  # a JSON string: backslash and quote escaped; control characters refused
  local value="$1"
  if [[ "$value" =~ [[:cntrl:]] ]]; then echo "provision: a value holds a control character" >&2; exit 1; fi
  value="${value//\\/\\\\}"
  printf '"%s"' "${value//\"/\\\"}"
}

password() {  # variable name -> its value, or stop naming it
  local value="${!1:-}"
  if [ -z "$value" ]; then echo "provision: $1 is not set" >&2; exit 1; fi
  printf '%s' "$value"
}

users=() permissions=() topics=() queues=() bindings=() expected_topics=() expected_queues=()

user() {  # name password configure write read
  users+=("{\"name\":$(json "$1"),\"password\":$(json "$2"),\"tags\":\"\"}")
  permissions+=("{\"user\":$(json "$1"),\"vhost\":$(json "$vhost"),\"configure\":$(json "$3"),\"write\":$(json "$4"),\"read\":$(json "$5")}")
}

topic() {  # user exchange write read
  topics+=("{\"user\":$(json "$1"),\"vhost\":$(json "$vhost"),\"exchange\":$(json "$2"),\"write\":$(json "$3"),\"read\":$(json "$4")}")
  expected_topics+=("$(printf '%s\t%s\t%s\t%s' "$1" "$2" "$3" "$4")")
}

for entry in $services; do
  name="${entry%%=*}" publishes="${entry#*=}"
  variable="$(printf '%s' "$name" | tr 'a-z-' 'A-Z_')_AMQP_PASSWORD"
  own="${name//./\\.}\\.(?!dlq\$).+"
  user "$prefix$name" "$(password "$variable")" "^${own}\$" "^(${own}|district\\.events|district\\.dlx)\$" \
    "^(${own}|district\\.events)\$"
  topic "$prefix$name" district.events "^(${publishes})\\." ".*"
  topic "$prefix$name" district.dlx "^${name//./\\.}\$" '^$'
  expected_queues+=("$name.dlq")
  queues+=("{\"name\":$(json "$name.dlq"),\"vhost\":$(json "$vhost"),\"durable\":true,\"auto_delete\":false,\"arguments\":{\"x-queue-type\":\"quorum\",\"x-delivery-limit\":$dlq_delivery_limit}}")
  bindings+=("{\"source\":\"district.dlx\",\"vhost\":$(json "$vhost"),\"destination\":$(json "$name.dlq"),\"destination_type\":\"queue\",\"routing_key\":$(json "$name"),\"arguments\":{}}")
done

# The operator listens through exclusive queues of its own, named by the broker (amq.gen-...) or by the client
# library (aio-pika's robust channels name them amq_<hex>); `amq.default` is how a dead letter goes back to its queue.
listening='amq\.gen-.*|amq_[0-9a-f]{32}'
user "${prefix}operator" "$(password OPERATOR_AMQP_PASSWORD)" "^(${listening})\$" \
  "^(district\\.events|amq\\.default|${listening})\$" "^(district\\.events|${listening}|[a-z0-9-]+\\.dlq)\$"
topic "${prefix}operator" district.events '^intake\.' '.*'
topic "${prefix}operator" district.dlx '^$' '^$'

user "${prefix}external-publisher" "$(password EXTERNAL_PUBLISHER_AMQP_PASSWORD)" '^$' '^district\.events$' '^$'
topic "${prefix}external-publisher" district.events '^intake\.' '^$'

exchange() {  # name
  printf '{"name":%s,"vhost":%s,"type":"topic","durable":true,"auto_delete":false,"internal":false,"arguments":{}}' \
    "$(json "$1")" "$(json "$vhost")"
}

joined() { local IFS=,; printf '%s' "$*"; }

definitions="{\"vhosts\":[{\"name\":$(json "$vhost")}],\"users\":[$(joined "${users[@]}")],\
\"permissions\":[$(joined "${permissions[@]}")],\"topic_permissions\":[$(joined "${topics[@]}")],\
\"exchanges\":[$(exchange district.events),$(exchange district.dlx)],\"queues\":[$(joined "${queues[@]}")],\
\"bindings\":[$(joined "${bindings[@]}")]}"

if [ "$mode" = print ]; then
  printf '%s\n' "$definitions"
elif [ "$mode" = check ]; then
  listing() {  # a broker busy with other work can time a listing out: ask again before calling it unhealthy
    local attempt out
    for attempt in 1 2 3; do
      if out="$(ctl -q "$@" </dev/null)"; then printf '%s' "$out"; return 0; fi
      [ "$attempt" = 3 ] || sleep 2
    done
    return 1
  }
  held="$(listing list_topic_permissions -p "$vhost")"
  present="$(listing list_queues -p "$vhost" name)"
  for line in "${expected_topics[@]}"; do
    grep -qxF -- "$line" <<<"$held" || { echo "provision: missing topic permission: $line" >&2; exit 1; }
  done
  for queue in "${expected_queues[@]}"; do
    grep -qxF -- "$queue" <<<"$present" || { echo "provision: missing queue $queue" >&2; exit 1; }
  done
else
  # From standard input, so the passwords never touch a file.
  printf '%s\n' "$definitions" | ctl -q import_definitions </dev/stdin >/dev/null
fi
