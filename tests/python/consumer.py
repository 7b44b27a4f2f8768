"""The github-runner reactive consumer's read path, on its own pinned stack (the venv).

kombu 5.6.2 + pymongo 4.16.0 + pydantic 1.10.26, as github-runner-manager pins them. Reads the
way its reactive consumer does: `Connection(uri)`, `closing(SimpleQueue(conn, flavour))`,
`get(block=True)`, `JobDetails.parse_raw(msg.payload)`, then `ack()`.

Usage:
  consumer.py read URI FLAVOUR=COUNT...
      For each flavour, reads exactly COUNT messages (blocking, as the consumer does, with a
      generous timeout so a missing job fails instead of hanging), then checks the queue is
      empty. FLAVOUR=COUNT+ reads at least COUNT, then whatever else is there. Prints one JSON line per message, oldest first:
      {"flavour", "payload", "labels", "url"}; labels sorted, url as pydantic normalised it.
      Exits 3 if a flavour holds more than COUNT, 4 if a payload fails JobDetails.
"""

import json
import sys
from contextlib import closing

from kombu import Connection
from pydantic import BaseModel, HttpUrl, ValidationError, validator

WAIT_SECONDS = 60


class JobDetails(BaseModel):
    """The consumer's model (github_runner_manager/reactive/types_.py), pydantic v1."""

    labels: set[str]
    url: HttpUrl

    @validator("url")
    @classmethod
    def check_path(cls, value):
        if not value.path:
            raise ValueError("path must be provided")
        return value


def read(uri, wanted):
    with Connection(uri) as connection:
        # Only how often an empty queue is polled (default 1 s); it keeps the test quick.
        connection.transport.polling_interval = 0.05
        for flavour, count, more in wanted:
            with closing(connection.SimpleQueue(flavour)) as queue:
                read = 0
                while more or read < count:
                    try:
                        wait = WAIT_SECONDS if read < count else 1
                        message = queue.get(block=True, timeout=wait)
                    except queue.Empty:
                        if read < count:
                            raise
                        break
                    read += 1
                    try:
                        job = JobDetails.parse_raw(message.payload)
                    except ValidationError as error:
                        message.reject(requeue=False)
                        print(f"JobDetails rejected {message.payload!r}: {error}", file=sys.stderr)
                        return 4
                    line = {
                        "flavour": flavour,
                        "payload": message.payload,
                        "labels": sorted(job.labels),
                        "url": str(job.url),
                    }
                    print(json.dumps(line), flush=True)
                    message.ack()
                if more:
                    continue
                try:
                    extra = queue.get(block=False)
                except queue.Empty:
                    continue
                print(f"{flavour} holds more than {count}: {extra.payload!r}", file=sys.stderr)
                extra.requeue()
                return 3
    return 0


def parse_wanted(args):
    wanted = []
    for arg in args:
        flavour, _, count = arg.rpartition("=")
        more = count.endswith("+")
        wanted.append((flavour, int(count.rstrip("+")), more))
    return wanted


def main(argv):
    if len(argv) >= 3 and argv[0] == "read":
        return read(argv[1], parse_wanted(argv[2:]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
