"""Writes a whole 2 MiB request body before reading the answer, as Python's urllib does.

Usage: early_answer_client.py PORT PATH ROUNDS. A small send buffer keeps the client writing
while the server has already answered, so a server that closes with unread bytes makes this
client fail with a broken pipe. Prints a JSON object: first answer line (or error) -> count.
"""

import json
import socket
import sys

port, path, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = b"a" * (2 * 1024 * 1024)
head = (
    f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    f"content-type: application/json\r\nx-github-event: workflow_job\r\n"
    f"content-length: {len(body)}\r\n\r\n"
).encode()
results: dict[str, int] = {}
for _ in range(rounds):
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    try:
        connection.sendall(head + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        key = answer.split(b"\r\n", 1)[0].decode()
    except OSError as error:
        key = type(error).__name__
    finally:
        connection.close()
    results[key] = results.get(key, 0) + 1
print(json.dumps(results))
