#!/usr/bin/python3
"""Runs latent's bench_steps and PyTorch's steps.py on this machine at the same
thread count and prints both throughputs and their ratio.

  bench/peer/compare.py [--threads 1] [--build build/release] [--seconds 2]
  bench/peer/compare.py --device cuda [--build build/cuda] [--out figures.txt]

With --device cuda it runs bench_gpu_steps (the CUDA build's) against
steps.py --device cuda and compares latent's eager and graph-captured MLP step
and its conv VAE step at batch 128 and 1024 with PyTorch eager on the same GPU.

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
    ap.add_argument("--build", default=ap_default_build())
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--out", help="also write the table to this file")
    args = ap.parse_args()
    if args.device == "cuda":
        return compare_cuda(args)

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads))
    ours_exe = os.path.join(args.build, "bench", "bench_steps")
    if not os.path.exists(ours_exe):
        sys.exit(f"compare.py: {ours_exe} not found; build the release preset first")
    ours_json = subprocess.run(
        [ours_exe, "--benchmark_format=json", f"--benchmark_min_time={args.seconds}"],
        env=env, check=True, capture_output=True, text=True).stdout
    ours, ours_wall, ours_params = {}, {}, {}
    for b in json.loads(ours_json)["benchmarks"]:
        name = b["name"].split("/")[0]
        ours[name] = b["items_per_second"]
        # items_per_second comes from CPU time unless the benchmark uses real time; the wall-clock
        # rate (what steps.py measures) is the same count over real_time.
        ours_wall[name] = b["items_per_second"] * b["cpu_time"] / b["real_time"] if "/real_time" not in b["name"] \
            else b["items_per_second"]
        if "params" in b:
            ours_params[name] = int(round(b["params"]))
    theirs = json.loads(subprocess.run([sys.executable, os.path.join(HERE, "steps.py"), str(args.seconds)],
                                       env=env, check=True, capture_output=True, text=True).stdout)

    print(f"threads: {args.threads} (OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = {args.threads}); torch {theirs['torch']}")
    print(f"{'step':<16}{'latent samples/s':>18}{'PyTorch samples/s':>20}{'ratio':>8}{'latent wall-clock':>19}")
    for name in ("mlp_step", "conv_vae_step", "csvae_step", "ccvae_step", "ccvae_step_semi"):
        print(f"{name:<16}{ours[name]:>18.0f}{theirs[name]:>20.0f}{ours[name] / theirs[name]:>8.2f}"
              f"{ours_wall[name]:>19.0f}")
    print("(latent samples/s: Google Benchmark's items_per_second, from CPU time except the ccvae steps, which "
          "use real time; latent wall-clock: the same from real time; PyTorch: wall clock)")
    if "ccvae_step" in ours_params:
        print(f"ccvae parameters: latent {ours_params['ccvae_step']}, PyTorch {theirs['ccvae_params']}")


def compare_cuda(args):
    build = args.build
    if build == ap_default_build():
        build = os.path.join(HERE, "..", "..", "build", "cuda")
    ours_exe = os.path.join(build, "bench", "bench_gpu_steps")
    if not os.path.exists(ours_exe):
        sys.exit(f"compare.py: {ours_exe} not found; build the cuda preset's latent_gpu_benches first")
    run = subprocess.run([ours_exe, "--benchmark_format=json", f"--benchmark_min_time={args.seconds}"],
                         capture_output=True, text=True)
    if run.returncode == 77:
        sys.exit("compare.py: no usable GPU: " + run.stdout.strip())
    run.check_returncode()
    ours = {b["name"].replace("/real_time", ""): b["items_per_second"] for b in json.loads(run.stdout)["benchmarks"]}
    theirs = json.loads(subprocess.run([sys.executable, os.path.join(HERE, "steps.py"), str(args.seconds),
                                        "--device", "cuda"], check=True, capture_output=True, text=True).stdout)
    rows = [("mlp_step (eager)", "mlp_step", "mlp_step", 3.0),
            ("mlp_step (graph)", "mlp_step_graph", "mlp_step", 3.0),
            ("conv_vae_step 128", "conv_vae_step/128", "conv_vae_step", 1.2),
            ("conv_vae_step 128 fused", "conv_vae_step_fused/128", "conv_vae_step", 1.2),
            ("conv_vae_step 1024", "conv_vae_step/1024", "conv_vae_step_1024", 1.2),
            ("conv_vae_step 1024 fused", "conv_vae_step_fused/1024", "conv_vae_step_1024", 1.2)]
    lines = [f"gpu: {theirs['gpu']}; torch {theirs['torch']} (eager, defaults)",
             f"{'step':<26}{'latent samples/s':>18}{'PyTorch samples/s':>20}{'ratio':>8}{'target':>8}"]
    for label, ours_name, theirs_name, target in rows:
        if ours_name not in ours:
            continue
        ratio = ours[ours_name] / theirs[theirs_name]
        lines.append(f"{label:<26}{ours[ours_name]:>18.0f}{theirs[theirs_name]:>20.0f}{ratio:>8.2f}{'>=' + str(target):>8}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


def ap_default_build():
    return os.path.join(HERE, "..", "..", "build", "release")


if __name__ == "__main__":
    main()
