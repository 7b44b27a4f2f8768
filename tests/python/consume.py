"""kombu consumer and producer used by the interop tests (Debian's /usr/bin/python3).

Reads and writes queues exactly the way the github-runner reactive consumer and the upstream
router do: `Connection(url).SimpleQueue(name)`, `get(timeout=...)`, `put(str)`.

Usage:
  consume.py drain URL FLAVOUR...      print one JSON line per message, oldest first, per flavour
  consume.py produce URL FLAVOUR BODY  put BODY (a str) the way the upstream router does
  consume.py size URL FLAVOUR          print SimpleQueue(FLAVOUR).qsize()
  consume.py schema SQLITE_PATH        print sqlite_master as JSON (type, name, tbl_name, sql)

Each JSON line of `drain` is {"flavour", "payload", "payload_type", "content_type",
"delivery_tag"}; `payload` is what the consumer would hand to JobDetails.parse_raw.
"""

import json
import sqlite3
import sys

from kombu import Connection


def open_connection(url):
    connection = Connection(url)
    # The virtual transports sleep this long between empty polls; keep the test fast.
    connection.transport.polling_interval = 0.05
    return connection


def drain(url, flavours):
    with open_connection(url) as connection:
        for flavour in flavours:
            queue = connection.SimpleQueue(flavour)
            try:
                while True:
                    try:
                        message = queue.get(timeout=0.5)
                    except queue.Empty:
                        break
                    line = {
                        "flavour": flavour,
                        "payload": message.payload,
                        "payload_type": type(message.payload).__name__,
                        "content_type": message.content_type,
                        "delivery_tag": message.delivery_tag,
                    }
                    print(json.dumps(line), flush=True)
                    message.ack()
            finally:
                queue.close()


def produce(url, flavour, body):
    with open_connection(url) as connection:
        queue = connection.SimpleQueue(flavour)
        try:
            queue.put(body, retry=True)
        finally:
            queue.close()


def size(url, flavour):
    with open_connection(url) as connection:
        queue = connection.SimpleQueue(flavour)
        try:
            print(queue.qsize())
        finally:
            queue.close()


def schema(path):
    database = sqlite3.connect(path)
    try:
        rows = database.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
    finally:
        database.close()
    keys = ("type", "name", "tbl_name", "sql")
    print(json.dumps([dict(zip(keys, row)) for row in rows]))


def main(argv):
    if len(argv) >= 3 and argv[0] == "drain":
        drain(argv[1], argv[2:])
    elif len(argv) == 4 and argv[0] == "produce":
        produce(argv[1], argv[2], argv[3])
    elif len(argv) == 3 and argv[0] == "size":
        size(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "schema":
        schema(argv[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
