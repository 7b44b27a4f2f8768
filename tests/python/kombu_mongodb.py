"""kombu's mongodb transport on a real MongoDB-protocol server, for the MongoDB interop test.

The venv's Python (kombu 5.6.2, pymongo 4.16.0: the consumer's pins).

Usage:
  kombu_mongodb.py consume URL FLAVOUR...
      drains each flavour with SimpleQueue(FLAVOUR).get(timeout=...) and prints
      {"consumed": [...], "requeued": {...}}. The first message of the first flavour is given
      back with requeue() once, the way the github-runner consumer gives a job back, and must
      come back unchanged.
  kombu_mongodb.py produce URL FLAVOUR BODY
      SimpleQueue(FLAVOUR).put(BODY) as the upstream router does; prints the documents and the
      index names kombu left behind.
  kombu_mongodb.py show URL
      prints the same, without producing.
"""

import json
import sys

import pymongo
from kombu import Connection


def open_connection(url):
    connection = Connection(url)
    connection.transport.polling_interval = 0.05
    return connection


def database(url):
    return pymongo.MongoClient(url).get_default_database("kombu_default")


def plain(document):
    return {key: value for key, value in document.items() if key != "_id"}


def consume(url, flavours):
    consumed = []
    requeued = None
    with open_connection(url) as connection:
        for flavour in flavours:
            queue = connection.SimpleQueue(flavour)
            try:
                while True:
                    try:
                        message = queue.get(timeout=0.5)
                    except queue.Empty:
                        break
                    if requeued is None:
                        requeued = {"flavour": flavour, "payload": message.payload}
                        message.requeue()
                        continue
                    consumed.append(
                        {
                            "flavour": flavour,
                            "payload": message.payload,
                            "payload_type": type(message.payload).__name__,
                        }
                    )
                    message.ack()
            finally:
                queue.close()
    print(json.dumps({"consumed": consumed, "requeued": requeued}))


def produce(url, flavour, body):
    with open_connection(url) as connection:
        queue = connection.SimpleQueue(flavour)
        try:
            queue.put(body, retry=True)
        finally:
            queue.close()
    show(url)


def show(url):
    db = database(url)
    result = {
        "database": db.name,
        "messages": [plain(d) for d in db["messages"].find()],
        "routing": [plain(d) for d in db["messages.routing"].find()],
        "indexes": {
            name: sorted(db[name].index_information().keys())
            for name in ("messages", "messages.routing")
        },
    }
    print(json.dumps(result))


def main(argv):
    if len(argv) >= 3 and argv[0] == "consume":
        consume(argv[1], argv[2:])
    elif len(argv) == 4 and argv[0] == "produce":
        produce(argv[1], argv[2], argv[3])
    elif len(argv) == 2 and argv[0] == "show":
        show(argv[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
