"""Reads every message waiting in one RabbitMQ queue with py-amqp (kombu's own AMQP 0-9-1
client, independent of the router's amqplib) and prints one JSON line per message.

Usage: python amqp_read.py HOST:PORT QUEUE
"""
import base64
import json
import sys

import amqp


def main() -> None:
    host, queue = sys.argv[1], sys.argv[2]
    with amqp.Connection(host=host, userid="guest", password="guest", virtual_host="/") as conn:
        channel = conn.channel()
        while True:
            message = channel.basic_get(queue=queue, no_ack=False)
            if message is None:
                break
            props = message.properties
            print(
                json.dumps(
                    {
                        "body": base64.b64encode(message.body).decode(),
                        "exchange": message.delivery_info["exchange"],
                        "routing_key": message.delivery_info["routing_key"],
                        "content_type": props.get("content_type"),
                        "delivery_mode": props.get("delivery_mode"),
                        "headers": props.get("application_headers"),
                        "other_properties": sorted(
                            k
                            for k in props
                            if k not in ("content_type", "delivery_mode", "application_headers")
                        ),
                    }
                )
            )
            channel.basic_ack(message.delivery_tag)


if __name__ == "__main__":
    main()
