"""Benchmarks against the official dashscope SDK, both on one emulator over loopback.

Run ``python bench/run_benchmarks.py`` (a few minutes) to rewrite docs/benchmarks.md;
``--tiny`` runs every measure on a small setting in seconds (the test suite does that,
to prove the command works; it asserts no timings). Figures are ratios against the SDK or
a plain baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from importlib.metadata import version
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import wanvace_widgets as wv  # noqa: E402
from wanvace_widgets.emulator import EmulatorConfig, EmulatorServer  # noqa: E402

KEY = "bench-key"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def request(server: EmulatorServer, i: int = 0) -> wv.VideoOutpainting:
    return wv.VideoOutpainting(prompt=f"hills {i}", video=server.base_url + "/samples/source.mp4")


def payload(server: EmulatorServer, i: int = 0) -> dict:
    return request(server, i).to_payload("wan2.1-vace-plus")


def sdk():
    import dashscope
    from dashscope.aigc.video_synthesis import AioVideoSynthesis, VideoSynthesis

    return dashscope, VideoSynthesis, AioVideoSynthesis


def sdk_submit(server, i=0):
    dashscope, video_synthesis, _ = sdk()
    dashscope.base_http_api_url = server.base_url + "/api/v1"
    inp = payload(server, i)["input"]
    return video_synthesis.async_call(
        api_key=KEY,
        model="wan2.1-vace-plus",
        prompt=inp["prompt"],
        extra_input={"function": inp["function"], "video_url": inp["video_url"]},
    )


def our_client(server, tmp, **kw) -> wv.VaceClient:
    return wv.VaceClient(KEY, base_url=server.base_url, journal=False, results_dir=tmp, **kw)


async def lag_while(work, seconds: float) -> list[float]:
    """Event-loop lag samples (ms) of a 10 ms ticker while ``work`` runs."""
    lags, stop = [], time.monotonic() + seconds
    job = asyncio.get_running_loop().create_task(work())
    while time.monotonic() < stop:
        start = time.monotonic()
        await asyncio.sleep(0.01)
        lags.append((time.monotonic() - start - 0.01) * 1000)
    job.cancel()
    try:
        await job
    except (asyncio.CancelledError, Exception):  # noqa: BLE001
        pass
    return lags


def bench_loop_lag(server, counts, seconds, tmp) -> list[str]:
    server.config.quota_policy = "queue"
    server.config.max_concurrent = server.config.submits_per_second = 10_000
    server.config.queries_per_second = 100_000
    server.config.running_s = 3600.0
    ids = [
        server.emulator.tasks.submit(KEY, payload(server, i)).task_id for i in range(max(counts))
    ]
    rows = []
    _, video_synthesis, aio = sdk()

    for n in counts:

        async def ours(n=n):
            client = our_client(server, tmp)
            for task_id in ids[:n]:
                client.attach(task_id)
            await asyncio.sleep(3600)

        async def sdk_aio(n=n):
            await asyncio.gather(*(aio.wait(t, api_key=KEY) for t in ids[:n]))

        ours_lag = asyncio.run(lag_while(ours, seconds))
        aio_lag = asyncio.run(lag_while(sdk_aio, seconds))
        rows.append(
            f"| {n} | {pct(ours_lag, 0.5):.2f} / {pct(ours_lag, 0.99):.2f} | "
            f"{pct(aio_lag, 0.5):.2f} / {pct(aio_lag, 0.99):.2f} |"
        )
    server.config.running_s = 1.0

    async def blocking_call():
        await asyncio.sleep(0.05)
        video_synthesis.wait(sdk_submit(server), api_key=KEY)  # what VideoSynthesis.call does

    block = asyncio.run(lag_while(blocking_call, seconds + 3))
    rows.append(
        f"| 1, SDK `VideoSynthesis.call` in the loop | — | max lag {max(block):.0f} ms "
        "(the loop is frozen until the task ends) |"
    )
    return [
        "## 1. Kernel responsiveness: event-loop lag while tracking tasks",
        "",
        f"A 10 ms ticker on the loop for {seconds:g} s while tasks are followed. ms, p50 / p99.",
        "",
        "| tasks | wanvace-widgets | SDK `AioVideoSynthesis.wait` |",
        "|---|---|---|",
        *rows,
        "",
    ]


def bench_batch(server, n, task_s, tmp) -> list[str]:
    server.config.quota_policy = "reject"
    server.config.max_concurrent, server.config.submits_per_second = 2, 2
    server.config.queries_per_second = 20
    server.config.pending_s, server.config.running_s = 0.2, task_s - 0.2
    seen = []

    class Recording(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, req):
            response = await super().handle_async_request(req)
            seen.append(response.status_code)
            return response

    async def ours():
        client = our_client(
            server, tmp, transport=Recording(), poll=wv.PollPolicy(first_delay=0.5, max_delay=1.0)
        )
        start = time.monotonic()
        tasks = [client.enqueue(request(server, i)) for i in range(n)]
        await asyncio.gather(*(t.wait(600) for t in tasks))
        await client.aclose()
        return time.monotonic() - start

    ours_s = asyncio.run(ours())
    _, video_synthesis, _ = sdk()
    start = time.monotonic()
    for i in range(n):  # the plain way: one VideoSynthesis.call after another
        video_synthesis.wait(sdk_submit(server, i), api_key=KEY)
    serial_s = time.monotonic() - start
    answers = [sdk_submit(server, 1000 + i).status_code for i in range(n)]  # all at once
    throttled = answers.count(429)
    ideal = math.ceil(n / 2) * task_s
    return [
        f"## 2. Batch makespan: {n} requests under 2 running / 2 per second",
        "",
        f"Emulated task time {task_s:g} s; ideal = ceil(N/2) × task time = {ideal:.1f} s.",
        "",
        "| client | makespan | vs ideal | 429s that reach the user |",
        "|---|---|---|---|",
        f"| wanvace-widgets (enqueue all, quota guard) | {ours_s:.1f} s | {ours_s / ideal:.2f}× | "
        f"{seen.count(429)} |",
        f"| SDK, `call` in a plain loop | {serial_s:.1f} s | {serial_s / ideal:.2f}× | 0 |",
        f"| SDK, `async_call` for all at once | — | — | {throttled} of {n} submits |",
        "",
    ]


def bench_detection(server, durations, tmp) -> list[str]:
    server.config.quota_policy = "queue"
    server.config.max_concurrent = server.config.submits_per_second = 10_000
    server.config.pending_s = 0.5
    rows, ours_lat, sdk_lat, ours_gets, sdk_gets = [], [], [], [], []
    for d in durations:
        server.config.running_s = d - 0.5
        before = server.emulator.stats["query"]

        async def ours():
            client = our_client(server, tmp)
            task = await client.submit(request(server))
            seen = []
            task.add_observer(
                lambda s: seen.append(time.time()) if s.status == "SUCCEEDED" and not seen else None
            )
            await task.wait(600)
            await client.aclose()
            return seen[0] - server.emulator.tasks.tasks[task.task_id].ended_at

        ours_lat.append(asyncio.run(ours()))
        ours_gets.append(server.emulator.stats["query"] - before)
        before = server.emulator.stats["query"]
        _, video_synthesis, _ = sdk()
        answer = sdk_submit(server)
        video_synthesis.wait(answer, api_key=KEY)
        sdk_lat.append(time.time() - server.emulator.tasks.tasks[answer.output.task_id].ended_at)
        sdk_gets.append(server.emulator.stats["query"] - before)
        rows.append(
            f"| {d:g} s | {ours_lat[-1]:.2f} s, {ours_gets[-1]} GETs | "
            f"{sdk_lat[-1]:.2f} s, {sdk_gets[-1]} GETs |"
        )
    return [
        "## 3. Detection latency and polling cost",
        "",
        "Time from the emulator's end_time to the client seeing SUCCEEDED, and status GETs per task.",
        "",
        "| task duration | wanvace-widgets | SDK `wait` |",
        "|---|---|---|",
        *rows,
        f"| **p50** | {statistics.median(ours_lat):.2f} s, {statistics.mean(ours_gets):.1f} GETs | "
        f"{statistics.median(sdk_lat):.2f} s, {statistics.mean(sdk_gets):.1f} GETs |",
        f"| **p95** | {pct(ours_lat, 0.95):.2f} s | {pct(sdk_lat, 0.95):.2f} s |",
        "",
    ]


def bench_download(size_mb, tmp) -> list[str]:
    blob = b"\0" * (1 << 20)

    async def body():
        for _ in range(size_mb):
            yield blob

    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=body()))

    async def ours():
        async with httpx.AsyncClient(transport=transport) as http:
            await wv.downloads.download_to(http, "https://x/v.mp4", Path(tmp) / "ours.mp4")

    async def plain():
        async with httpx.AsyncClient(transport=transport) as http:
            async with http.stream("GET", "https://x/v.mp4") as r:
                with open(Path(tmp) / "plain.mp4", "wb") as f:
                    async for chunk in r.aiter_bytes():
                        f.write(chunk)

    results = {}
    for name, fn in (("plain httpx streaming", plain), ("wanvace-widgets download_to", ours)):
        tracemalloc.start()
        start = time.monotonic()
        asyncio.run(fn())
        elapsed = time.monotonic() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        results[name] = (size_mb / elapsed, peak / 2**20)
    base = results["plain httpx streaming"][0]
    rows = [
        f"| {n} | {mbps:.0f} MB/s ({mbps / base:.2f}×) | {peak:.1f} MB |"
        for n, (mbps, peak) in results.items()
    ]
    return [
        f"## 4. Transfers: a {size_mb} MB result download",
        "",
        "Throughput (ratio to plain httpx) and peak Python memory growth (tracemalloc).",
        "",
        "| client | throughput | peak memory |",
        "|---|---|---|",
        *rows,
        "",
        "Uploads are not measured here: they read the local file into memory once (at most "
        "50 MB for a video by the API's limits), then POST it.",
        "",
    ]


def bench_widget_traffic(server, tmp) -> list[str]:
    import comm
    import ipywidgets as W

    sent = []

    class Counting(comm.base_comm.BaseComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            sent.append(msg_type)

    original = comm.create_comm
    comm.create_comm = lambda **kw: Counting(**kw)
    W.Widget.comm.klass = Counting if hasattr(W.Widget.comm, "klass") else None
    server.config.pending_s, server.config.running_s = 1.0, 3.0
    try:

        async def job():
            widget = wv.VideoOutpaintingWidget(
                client=our_client(server, tmp), request=request(server)
            )
            statuses = []
            widget.observe(lambda c: statuses.append(c["new"]), "status")
            sent.clear()
            start = time.monotonic()
            widget.submit()
            await widget.wait(600)
            return len(sent), len(statuses), time.monotonic() - start

        messages, changes, elapsed = asyncio.run(job())
    finally:
        comm.create_comm = original
    budget = changes + math.ceil(elapsed)
    return [
        "## 5. Widget traffic per task",
        "",
        f"Comm messages from Generate to the played result: **{messages}**, for {changes} status "
        f"changes over {elapsed:.1f} s; the target is at most status changes + one per second "
        f"of elapsed-time display = {budget}.",
        "",
    ]


def bench_import() -> list[str]:
    def run(code: str) -> float:
        times = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
            )
            times.append(float(out.stdout.strip()))
        return min(times)

    timer = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"
    ours = run(timer.format("import wanvace_widgets"))
    base = run(timer.format("import ipywidgets"))
    build = run(
        "import time, wanvace_widgets as wv; t = time.perf_counter(); wv.VaceStudio(); "
        "print(time.perf_counter() - t)"
    )
    plain = run(
        "import time, ipywidgets as W; t = time.perf_counter(); "
        "W.Tab([W.VBox([W.Text(), W.Textarea(), W.Dropdown(options=['a']), W.FloatSlider(), "
        "W.FileUpload(), W.Button(), W.HTML()] * 4) for _ in range(5)]); "
        "print(time.perf_counter() - t)"
    )
    return [
        "## 6. Import and construction",
        "",
        "| what | wanvace-widgets | baseline | ratio |",
        "|---|---|---|---|",
        f"| import | {ours * 1000:.0f} ms | `import ipywidgets` {base * 1000:.0f} ms | {ours / base:.1f}× |",
        f"| build the studio | {build * 1000:.0f} ms | plain Tab of 5 VBoxes, 28 controls each "
        f"{plain * 1000:.0f} ms | {build / plain:.1f}× |",
        "",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="a quick run on small settings")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    tiny = args.tiny
    lines = [
        "# Benchmarks",
        "",
        f"Command: `python bench/run_benchmarks.py{' --tiny' if tiny else ''}` · machine: "
        f"{platform.machine()}, {platform.system()}, Python {platform.python_version()} · "
        f"wanvace-widgets {wv.__version__}, dashscope {version('dashscope')}, httpx {httpx.__version__}"
        " · both clients against one emulator on loopback, in the same run.",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(EmulatorConfig()) as server:
        lines += bench_loop_lag(server, [1, 3] if tiny else [1, 10, 100], 1.0 if tiny else 5.0, tmp)
        lines += bench_batch(server, 4 if tiny else 20, 1.0 if tiny else 3.0, tmp)
        lines += bench_detection(server, [1.0, 2.0] if tiny else [20.0, 40.0, 60.0], tmp)
        lines += bench_download(5 if tiny else 50, tmp)
        lines += bench_widget_traffic(server, tmp)
    lines += bench_import()
    text = "\n".join(lines) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
