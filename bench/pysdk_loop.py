"""The official Python SDK (ucloud-sdk-python3) as an optional floor of bench section 2.

    PYTHONPATH=DIR python3 bench/pysdk_loop.py BASE_URL N

DIR is a directory from which `import ucloud` works (COMPSHARE_BENCH_PYSDK); the SDK itself is
not part of this project. One client is made, with the bench keys and BASE_URL, and sends three
untimed calls (a warm-up and a check of the answer); then N client.invoke("DescribeCompShareImages")
calls are timed in this process. Prints "SECONDS CONNECTIONS": the time of the N calls and how many
nginx connections (X-Connection) the three untimed calls used. The SDK's transport opens a
requests.Session per call, so that is its connection reuse, as shipped.

The client gets a logger that drops INFO records: the SDK's default one writes two lines per call
to stderr. Its middleware still formats them, as it does for every user.
"""
import logging
import sys
import time

from ucloud.core.client import Client

KEYS = {"public_key": "my_public_key", "private_key": "my_private_key"}
# The SDK's config has no zone: Zone goes with each call, as its users send it.
PARAMS = {"Zone": "cn-wlcb-01", "ImageType": "System", "Limit": 20, "Offset": 0}


def checked_calls(client, count):
    seen = []

    def note(resp):
        seen.append(resp.headers.get("X-Connection"))
        return resp

    client.transport.middleware.response(note)
    for _ in range(count):
        answer = client.invoke("DescribeCompShareImages", PARAMS)
        if len(answer.get("ImageSet") or []) != 2:
            raise SystemExit("unexpected answer from the bench nginx: %r" % (answer,))
    client.transport.middleware.response_handlers.remove(note)
    return len(set(seen))


def main():
    url, n = sys.argv[1], int(sys.argv[2])
    quiet = logging.getLogger("compshare-bench-pysdk")
    quiet.setLevel(logging.WARNING)
    config = dict(KEYS, region="cn-wlcb", base_url=url)
    client = Client(config, logger=quiet)
    connections = checked_calls(client, 3)
    invoke = client.invoke
    t0 = time.perf_counter()
    for _ in range(n):
        invoke("DescribeCompShareImages", PARAMS)
    seconds = time.perf_counter() - t0
    print("%.6f %d" % (seconds, connections))


if __name__ == "__main__":
    main()
