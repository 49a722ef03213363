"""The bus topology: the events exchange, the dead-letter exchange, and each service's quorum queues."""

from __future__ import annotations

from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue

EVENTS_EXCHANGE_NAME = "district.events"
DLX_NAME = "district.dlx"

EVENTS_EXCHANGE = RabbitExchange(EVENTS_EXCHANGE_NAME, type=ExchangeType.TOPIC, durable=True)
DEAD_LETTER_EXCHANGE = RabbitExchange(DLX_NAME, type=ExchangeType.DIRECT, durable=True)


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
    """The service's dead-letter queue, bound to `district.dlx` with the service's name."""
    return RabbitQueue(
        dead_letter_queue_name(service),
        queue_type=QueueType.QUORUM,
        durable=True,
        routing_key=service,
    )
