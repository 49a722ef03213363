"""The bus topology: the events exchange, the dead-letter exchange, and each service's quorum queues.

The two shared exchanges and every dead-letter queue are provisioned with the broker's users
(`deploy/rabbitmq/provision.sh`), never declared by a service: a service's user may not declare, delete or re-bind
them, so a service only checks that they exist (a passive declaration) and declares its own queues.
"""

from __future__ import annotations

from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue

EVENTS_EXCHANGE_NAME = "district.events"
DLX_NAME = "district.dlx"

# Topic exchanges both: the broker's topic permissions then say which routing keys each user may publish, on the
# dead-letter exchange too (a service dead-letters only under its own name).
EVENTS_EXCHANGE = RabbitExchange(EVENTS_EXCHANGE_NAME, type=ExchangeType.TOPIC, durable=True, declare=False)
DEAD_LETTER_EXCHANGE = RabbitExchange(DLX_NAME, type=ExchangeType.TOPIC, durable=True, declare=False)
# Dead letters wait for an operator. A quorum queue hands back what a listing read, and counts it as a delivery:
# with no limit on 3.x but 20 by default on 4.x, enough listings would drop a dead letter. Set out of reach.
DEAD_LETTER_DELIVERY_LIMIT = 2_147_483_647


def dead_letter_queue_name(service: str) -> str:
    return f"{service}.dlq"


def service_queue(service: str, purpose: str, binding: str, delivery_limit: int) -> RabbitQueue:
    """A durable quorum queue `<service>.<purpose>` bound to `binding` on `district.events`.

    A message rejected without requeue, or redelivered more than `delivery_limit` times, is dead-lettered
    (at-least-once, so a dead letter is never dropped on the way) to the service's own dead-letter queue.
    """
    return RabbitQueue(
        f"{service}.{purpose}",
        queue_type=QueueType.QUORUM,
        durable=True,
        routing_key=binding,
        arguments={
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": DLX_NAME,
            "x-dead-letter-routing-key": service,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def dead_letter_queue(service: str) -> RabbitQueue:
    """The service's dead-letter queue, bound to `district.dlx` with the service's name (as provisioned)."""
    return RabbitQueue(
        dead_letter_queue_name(service),
        queue_type=QueueType.QUORUM,
        durable=True,
        declare=False,
        routing_key=service,
        arguments={"x-delivery-limit": DEAD_LETTER_DELIVERY_LIMIT},
    )
