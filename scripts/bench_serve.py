#!/usr/bin/env python3
"""Benchmark ``tf1-course serve`` under load: a live server, 1, 4 and 16 concurrent clients.

Starts ``tf1-course serve`` on a free 127.0.0.1 port (a subprocess), then for each photo kind
(the 64x64 SIGNS test JPEGs, then the bundled 3024x3024 phone photo) and each number of clients
sends ``--requests`` POST /api/predict requests over keep-alive connections. Prints p50/p95/p99
latency, requests/s, errors (must be 0) and the server's RSS before and after each load (must grow
by under 10%), the server's own split of each request (its Server-Timing header), and for the
phone photo where the time goes inside the one preprocessing function (decode, EXIF and RGB,
square and resize), measured in this process. A benchmark, not a test: timings depend on the
machine and on what else runs on it. Traffic goes to 127.0.0.1 only, and stops by itself.

    .venv/bin/python scripts/bench_serve.py                       # runs/signs (tf1-course train)
    .venv/bin/python scripts/bench_serve.py --model exports/signs --json bench.json
"""

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from tf1_course.core.command import Parser, run_main  # noqa: E402

CLIENTS = (1, 4, 16)
WARMUP = 20  # requests before each load, not counted (first runs allocate TensorFlow's buffers)
TARGETS = {"p50_ms_one_client_signs": 15.0, "rss_growth": 0.10}


def build_parser():
    p = Parser(prog="bench_serve.py", description=__doc__.split("\n\n")[0])
    which = p.add_mutually_exclusive_group()
    which.add_argument("--run-dir", default="runs/signs", help="the run to serve (default runs/signs)")
    which.add_argument("--model", help="serve this SavedModel folder instead (tf1-course export)")
    p.add_argument("--requests", type=int, default=500, help="requests per load (default 500)")
    p.add_argument("--clients", default=",".join(map(str, CLIENTS)), help="concurrent clients (default 1,4,16)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    return p


def start_server(args):
    """(Popen, host, port) of a live ``tf1-course serve`` on a free port of 127.0.0.1."""
    which = ["--model", args.model] if args.model else ["--run-dir", args.run_dir]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "tf1_course", "serve", "--port", "0", "--device", "cpu",
                             *which], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        match = re.search(r"open http://([\d.]+):(\d+)/", line)
        if match:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # drain
            return proc, match.group(1), int(match.group(2))
    proc.wait()
    from tf1_course.core.errors import UsageError

    raise UsageError("the server did not start: " + " ".join("".join(lines).split())[-400:])


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def multipart(data, filename):
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{filename}\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def load(host, port, bodies, n, clients):
    """Send ``n`` requests from ``clients`` threads (one keep-alive connection each), cycling
    through ``bodies``. Returns (latencies in s, errors, wall seconds, Server-Timing sums)."""
    latencies, errors, timings = [], [], {}
    lock, counter = threading.Lock(), iter(range(n))

    def client():
        conn = http.client.HTTPConnection(host, port, timeout=120)
        while True:
            with lock:
                k = next(counter, None)
            if k is None:
                break
            body, ctype = bodies[k % len(bodies)]
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/predict", body, {"Content-Type": ctype})
                response = conn.getresponse()
                data = response.read()
                ok = response.status == 200 and "sign" in json.loads(data)
                header = response.getheader("Server-Timing") or ""
            except (OSError, http.client.HTTPException, ValueError) as e:
                ok, header = False, ""
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=120)
                data = repr(e).encode()
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(data[:200])
                for name, dur in re.findall(r"(\w+);dur=([\d.]+)", header):
                    timings.setdefault(name, []).append(float(dur))
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - t0, timings


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def where_the_time_goes(path, served, repeats=15):
    """Median ms of each step of read_image on ``path`` (the same calls, split), of the model and
    of the PNG; the split's result is checked equal to read_image's."""
    import io

    from PIL import Image, ImageOps

    from tf1_course.data import images as im
    from tf1_course.serving.app import png_data_url

    data = Path(path).read_bytes()
    steps = {"decode": [], "exif_rgb": [], "square_resize": [], "model": [], "png": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        picture = Image.open(io.BytesIO(data))
        picture.load()
        t1 = time.perf_counter()
        ImageOps.exif_transpose(picture, in_place=True)
        picture = im._to_rgb(picture, path)
        t2 = time.perf_counter()
        picture = im.make_square(picture, "crop").resize((im.IMAGE_SIZE, im.IMAGE_SIZE), Image.BILINEAR)
        pixels = im.np.asarray(picture, dtype=im.np.uint8)
        t3 = time.perf_counter()
        served.probabilities(pixels[None])
        t4 = time.perf_counter()
        png_data_url(pixels)
        t5 = time.perf_counter()
        for name, dt in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            steps[name].append(1e3 * dt)
    assert (pixels == im.read_image(data, path)).all(), "the split steps are not read_image's"
    t0 = time.perf_counter()
    for _ in range(repeats):
        im.read_image(data, path)
    whole = 1e3 * (time.perf_counter() - t0) / repeats
    return {name: statistics.median(v) for name, v in steps.items()}, whole


def run(args):
    from tf1_course.core.errors import UsageError
    from tf1_course.core.fileio import write_json
    from tf1_course.data import bundle

    clients = [int(c) for c in args.clients.split(",") if c.strip()]
    if args.requests < 1 or not clients or min(clients) < 1:
        raise UsageError("--requests and --clients must be positive")
    signs = sorted(bundle.path("signs/64x64_SIGNS/test_signs").glob("*.jpg"))
    phone = bundle.photo()
    kinds = {"SIGNS 64x64 JPEG": [multipart(p.read_bytes(), p.name) for p in signs],
             "phone 3024x3024 JPEG": [multipart(phone.read_bytes(), phone.name)]}
    proc, host, port = start_server(args)
    results = {"requests": args.requests, "cpus": os.cpu_count(), "loads": []}
    try:
        print(f"server pid {proc.pid} on {host}:{port}; {args.requests} requests per load; "
              f"{os.cpu_count()} CPUs; RSS at start {rss_mib(proc.pid):.0f} MiB", flush=True)
        for kind, bodies in kinds.items():
            for n_clients in clients:
                load(host, port, bodies, WARMUP, n_clients)
                before = rss_mib(proc.pid)
                latencies, errors, wall, timings = load(host, port, bodies, args.requests, n_clients)
                after = rss_mib(proc.pid)
                row = {"photo": kind, "clients": n_clients, "p50_ms": 1e3 * percentile(latencies, 50),
                       "p95_ms": 1e3 * percentile(latencies, 95), "p99_ms": 1e3 * percentile(latencies, 99),
                       "requests_per_s": len(latencies) / wall, "errors": len(errors),
                       "rss_before_mib": before, "rss_after_mib": after, "rss_growth": after / before - 1,
                       "server_ms": {k: statistics.median(v) for k, v in timings.items()},
                       "first_errors": [e.decode(errors="replace") for e in errors[:3]]}
                results["loads"].append(row)
                print(f"{kind:<22} {n_clients:>2} clients: p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f}  "
                      f"p99 {row['p99_ms']:7.1f}  {row['requests_per_s']:6.1f} req/s  errors {row['errors']}  "
                      f"RSS {before:.0f} -> {after:.0f} MiB ({100 * row['rss_growth']:+.1f}%)", flush=True)
    finally:
        proc.terminate()
        proc.wait(30)

    from tf1_course.serving.models import open_served

    served = open_served(model=args.model, run_dir=args.run_dir, device="cpu", log=lambda m: None)
    try:
        split, whole = where_the_time_goes(phone, served)
    finally:
        served.close()
    results["phone_photo_ms"] = {**split, "read_image": whole}

    print()
    print("| photo | clients | p50 ms | p95 ms | p99 ms | requests/s | errors | server RSS MiB before -> after |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results["loads"]:
        print(f"| {r['photo']} | {r['clients']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['requests_per_s']:.1f} | {r['errors']} | {r['rss_before_mib']:.0f} -> {r['rss_after_mib']:.0f} "
              f"({100 * r['rss_growth']:+.1f}%) |")
    print()
    print("server's own split, median ms (Server-Timing: read = receiving the upload, preprocess = read_image, "
          "model, png = the 64x64 as a PNG):")
    for r in results["loads"]:
        print(f"  {r['photo']:<22} {r['clients']:>2} clients: " +
              "  ".join(f"{k} {v:.2f}" for k, v in r["server_ms"].items()))
    print("phone photo, one at a time in this process, median ms: " +
          "  ".join(f"{k} {v:.1f}" for k, v in split.items()) + f"  (read_image whole: {whole:.1f})")

    one = next((r for r in results["loads"] if r["clients"] == 1 and r["photo"].startswith("SIGNS")), None)
    checks = {"0 errors everywhere": all(r["errors"] == 0 for r in results["loads"]),
              "RSS growth < 10% in every load": all(r["rss_growth"] < TARGETS["rss_growth"] for r in results["loads"])}
    if one:
        checks["p50 < 15 ms, one client, SIGNS-size"] = one["p50_ms"] < TARGETS["p50_ms_one_client_signs"]
    for name, ok in checks.items():
        print(f"{'met' if ok else 'MISSED'}: {name}")
    results["targets_met"] = checks
    if args.json:
        write_json(args.json, results)
    return 0 if all(checks.values()) else 1


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
