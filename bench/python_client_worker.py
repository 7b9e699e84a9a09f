"""One timed run of ipyparallel's Python client: N `execute('pass')` round
trips to engine 0, sequential or pipelined; prints {mode, n, seconds,
cpu_seconds} as JSON. CPU is this process's user+system time (all threads,
the client's IO thread included) during the loop."""

import json
import resource
import sys
import time

import ipyparallel as ipp


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    path, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = ipp.Client(path)
    view = client[0]
    for _ in range(50):
        view.execute("pass").get(timeout=30)
    c0, t0 = cpu(), time.perf_counter()
    if mode == "sequential":
        for _ in range(n):
            view.execute("pass").get(timeout=60)
    else:
        ars = [view.execute("pass") for _ in range(n)]
        for ar in ars:
            ar.get(timeout=600)
    seconds, cpu_seconds = time.perf_counter() - t0, cpu() - c0
    client.close()
    print(
        json.dumps(
            {
                "client": "python",
                "mode": mode,
                "n": n,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
