"""kombu's mongodb transport on mongomock, for the MongoDB interop test (no mongod needed).

Debian's /usr/bin/python3 with python3-kombu, python3-pymongo and python3-mongomock.

Usage:
  mongomock_interop.py consume URL FLAVOUR...   stdin: {"collections": {name: [doc, ...]}}
      inserts the documents (in order, as our adapter wrote them), then drains each flavour with
      SimpleQueue(FLAVOUR).get(timeout=...) and prints {"consumed": [...], "requeued": {...}}.
      The first message of the first flavour is rejected with requeue=True once, the way the
      github-runner consumer gives a job back, and must come back unchanged.
  mongomock_interop.py produce URL FLAVOUR BODY
      SimpleQueue(FLAVOUR).put(BODY) as the upstream router does; prints the documents and index
      names kombu left behind.

mongomock cannot create capped collections, which kombu asks for `messages.broadcast` (fanout
only; our adapter never touches it), so this harness creates that one uncapped.
"""

import json
import sys
import warnings

import mongomock
import pymongo
from kombu import Connection

warnings.simplefilter("ignore")

_create_collection = mongomock.database.Database.create_collection


def _create_collection_uncapped(self, name, **kwargs):
    kwargs.pop("capped", None)
    kwargs.pop("size", None)
    return _create_collection(self, name, **kwargs)


mongomock.database.Database.create_collection = _create_collection_uncapped


def open_connection(url):
    connection = Connection(url)
    connection.transport.polling_interval = 0.05
    return connection


def database(url):
    return pymongo.MongoClient(url).get_default_database("kombu_default")


def plain(document):
    return {key: value for key, value in document.items() if key != "_id"}


def consume(url, flavours, collections):
    db = database(url)
    for name, documents in collections.items():
        for document in documents:
            db[name].insert_one(document)
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
    with mongomock.patch(servers=(("localhost", 27017),)):
        if len(argv) >= 3 and argv[0] == "consume":
            consume(argv[1], argv[2:], json.load(sys.stdin)["collections"])
        elif len(argv) == 4 and argv[0] == "produce":
            produce(argv[1], argv[2], argv[3])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
