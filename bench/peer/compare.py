#!/usr/bin/python3
"""Runs latent's bench_steps and PyTorch's steps.py on this machine at the same
thread count and prints both throughputs and their ratio.

  bench/peer/compare.py [--threads 1] [--build build/release] [--seconds 2]

Debian's torch multiplies matrices with OpenBLAS, which torch.set_num_threads
does not bound, so OMP_NUM_THREADS and OPENBLAS_NUM_THREADS are set for both sides.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build", "release"))
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads))
    ours_exe = os.path.join(args.build, "bench", "bench_steps")
    if not os.path.exists(ours_exe):
        sys.exit(f"compare.py: {ours_exe} not found; build the release preset first")
    ours_json = subprocess.run(
        [ours_exe, "--benchmark_format=json", f"--benchmark_min_time={args.seconds}"],
        env=env, check=True, capture_output=True, text=True).stdout
    ours = {}
    for b in json.loads(ours_json)["benchmarks"]:
        name = b["name"].split("/")[0]
        ours[name] = b["items_per_second"]
    theirs = json.loads(subprocess.run([sys.executable, os.path.join(HERE, "steps.py"), str(args.seconds)],
                                       env=env, check=True, capture_output=True, text=True).stdout)

    print(f"threads: {args.threads} (OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = {args.threads}); torch {theirs['torch']}")
    print(f"{'step':<16}{'latent samples/s':>18}{'PyTorch samples/s':>20}{'ratio':>8}")
    for name in ("mlp_step", "conv_vae_step"):
        print(f"{name:<16}{ours[name]:>18.0f}{theirs[name]:>20.0f}{ours[name] / theirs[name]:>8.2f}")


if __name__ == "__main__":
    main()
