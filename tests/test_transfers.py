"""Uploads and downloads stream in bounded memory; a broken, cut or foreign download leaves
no file behind, and one a killed process left is cleaned by the next."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

import wanvace_widgets as wv
from tests.helpers import padded_mp4
from wanvace_widgets import errors
from wanvace_widgets.jobs.http.downloads import download_to
from wanvace_widgets.jobs.http.uploads import prepare_media

SIZE = 50 * 1024 * 1024
CHUNK = 256 * 1024


def _streaming_transport(video: bytes, status=200, fail_after=None, headers=None):
    """Serves a valid MP4 of SIZE bytes (``video`` then a padding box), chunk by chunk."""

    async def body():
        yield video
        pad = SIZE - len(video)
        yield pad.to_bytes(4, "big") + b"free"
        sent = len(video) + 8
        block = b"\0" * CHUNK
        while sent < SIZE:
            if fail_after is not None and sent >= fail_after:
                raise httpx.ReadError("connection reset")
            piece = block[: SIZE - sent]
            yield piece
            sent += len(piece)

    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=body(), headers=headers)
    )


async def test_a_50_mb_download_streams_in_bounded_memory(tmp_path, media):
    target = tmp_path / "video.mp4"
    video = media["source"].read_bytes()
    async with httpx.AsyncClient(transport=_streaming_transport(video)) as http:
        tracemalloc.start()
        await download_to(http, "https://results.example/video.mp4", target, 60)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert target.stat().st_size == SIZE
    assert peak < 20 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB"


class StorageSink(httpx.AsyncBaseTransport):
    """A storage host that reads an upload chunk by chunk and keeps only its size."""

    def __init__(self):
        self.received = self.largest_chunk = 0

    async def handle_async_request(self, request):
        async for chunk in request.stream:
            self.received += len(chunk)
            self.largest_chunk = max(self.largest_chunk, len(chunk))
        return httpx.Response(200)


async def test_a_49_mb_upload_streams_in_bounded_memory(tmp_path, media):
    big = padded_mp4(media["source"], tmp_path / "big.mp4", 49 * 1024 * 1024)
    policy = {
        "upload_host": "https://storage.example/",
        "upload_dir": "dashscope-instant/x",
        "oss_access_key_id": "id",
        "policy": "p",
        "signature": "s",
        "x_oss_object_acl": "private",
        "x_oss_forbid_overwrite": "true",
        "max_file_size_mb": 100,
    }

    async def get_policy(path, params):
        return {"data": policy}

    sink = StorageSink()
    request = wv.VideoOutpainting(prompt="wide", video=str(big))
    async with httpx.AsyncClient(transport=sink) as http:
        tracemalloc.start()
        uploaded, needs_header = await prepare_media(http, "wan2.1-vace-plus", get_policy, request)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert uploaded.video == "oss://dashscope-instant/x/big.mp4" and needs_header
    assert sink.received > big.stat().st_size and sink.largest_chunk <= 1024 * 1024
    assert peak < 20 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB"


async def test_a_broken_download_leaves_no_partial_file(tmp_path, media):
    broken = _streaming_transport(media["source"].read_bytes(), fail_after=4 * CHUNK)
    async with httpx.AsyncClient(transport=broken) as http:
        with pytest.raises(errors.DownloadError, match="ReadError") as info:
            await download_to(http, "https://results.example/v.mp4", tmp_path / "v.mp4", 60)
    assert not info.value.final
    assert list(tmp_path.iterdir()) == []


async def test_an_expired_result_url_says_so(tmp_path, media):
    expired = _streaming_transport(media["source"].read_bytes(), status=403)
    async with httpx.AsyncClient(transport=expired) as http:
        with pytest.raises(errors.DownloadError, match="24 hours") as info:
            await download_to(http, "https://results.example/v.mp4", tmp_path / "v.mp4", 60)
    assert info.value.final
    assert list(tmp_path.iterdir()) == []


# -- a download a killed process left behind ----------------------------------------------------

DOWNLOAD = """
import asyncio, sys
from pathlib import Path
import httpx
from wanvace_widgets.jobs.http.downloads import download_to

async def main():
    async with httpx.AsyncClient(timeout=300) as http:  # the server pauses mid-body
        await download_to(http, sys.argv[1], Path(sys.argv[2]), 300)

asyncio.run(main())
"""
#: a fresh process whose client saves its first video in the same results folder
FRESH = """
import sys
import wanvace_widgets as wv

client = wv.emulator_client(results_dir=sys.argv[1], journal=False)
request = wv.VideoOutpainting(prompt="wide hills", video=sys.argv[2], left_scale=1.2)
print(client.run(request, timeout=240).local_path)
"""


class SlowResults(BaseHTTPRequestHandler):
    """Sends half of the video, then the rest once the test says so (``release``)."""

    video = b""
    release = threading.Event()

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.video)))
        self.end_headers()
        half = len(self.video) // 2
        self.wfile.write(self.video[:half])
        self.wfile.flush()
        if self.release.wait(120):
            self.wfile.write(self.video[half:])

    def log_message(self, *args):
        pass


def _temporary(folder: Path) -> set[Path]:
    return set(folder.glob(".download-*.mp4"))


def _wait_for_new_temporary(folder: Path, known: set[Path], process) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        new = _temporary(folder) - known
        if new:
            return new.pop()
        time.sleep(0.05)
    pytest.fail(f"no temporary download appeared in {folder} (exit code {process.poll()})")


def test_a_killed_download_s_temporary_file_is_cleaned_by_the_next_process(tmp_path, media):
    SlowResults.video = media["source"].read_bytes()
    SlowResults.release = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowResults)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/result.mp4"
    results = tmp_path / "results"
    results.mkdir()
    env = os.environ | {"WANVACE_HOME": str(tmp_path / "home")}
    run = [sys.executable, "-c", DOWNLOAD, url]
    killed = subprocess.Popen([*run, str(results / "killed.mp4")], env=env)
    live: subprocess.Popen | None = None
    try:
        left = _wait_for_new_temporary(results, set(), killed)
        killed.send_signal(signal.SIGKILL)  # in the middle of its download
        assert killed.wait(30) == -signal.SIGKILL and left.exists()
        live = subprocess.Popen([*run, str(results / "live.mp4")], env=env)
        ongoing = _wait_for_new_temporary(results, {left}, live)
        hour_ago = time.time() - 2 * 3600  # the next process starts two hours later
        os.utime(left, (hour_ago, hour_ago))
        old_result = results / "kept.mp4"  # an old result is never touched
        old_result.write_bytes(SlowResults.video)
        os.utime(old_result, (hour_ago, hour_ago))
        fresh = subprocess.run(
            [sys.executable, "-c", FRESH, str(results), str(media["source"])],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert fresh.returncode == 0, fresh.stderr[-3000:]
        assert Path(fresh.stdout.strip()).parent == results
        assert not left.exists()  # what the killed process left is gone
        assert ongoing.exists() and old_result.exists()  # a live download and results stay
        SlowResults.release.set()
        assert live.wait(60) == 0  # the other process's download finishes, unharmed
        assert (results / "live.mp4").read_bytes() == SlowResults.video
        assert _temporary(results) == set()
    finally:
        SlowResults.release.set()
        for process in (killed, live):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        server.shutdown()
