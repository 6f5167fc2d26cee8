#!/usr/bin/python3
"""A hubpeer worker as a process of its own, for tests that kill or
restart workers: joins (sending init points when asked), then contributes
--batch random points per round until --rounds are done (0: forever),
waiting for each new model and resending as a kmeans-worker does.

One line per event on stdout:  `model V`  (a model of version V arrived),
`sent V R`  (statistics against version V, round R),  `refused REASON`.
"""
import argparse
import sys

import numpy as np

import hubpeer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("worker", type=int)
    ap.add_argument("--d", type=int, default=2)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed or a.worker)
    means = np.arange(a.k * a.d, dtype=float).reshape(a.k, a.d) * 4.0

    def batch(n):
        return (means[rng.integers(a.k, size=n)]
                + rng.normal(size=(n, a.d))).astype("<f4")

    peer = hubpeer.Peer(a.endpoint, a.worker, a.d)
    kind, what = peer.join(batch(4096))
    if kind == hubpeer.REFUSED:
        print("refused", what, flush=True)
        return 2
    print("model", what["version"], flush=True)
    done = 0
    while a.rounds == 0 or done < a.rounds:
        body = peer.contribute(batch(a.batch))
        print("sent", peer.model["version"], peer.control["next_round"],
              flush=True)
        kind, what = peer.next_model(resend_body=body, timeout_ms=60000)
        if kind == hubpeer.REFUSED:
            print("refused", what, flush=True)
            return 2
        print("model", what["version"], flush=True)
        done += 1
    peer.send(hubpeer.BYE)
    peer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
