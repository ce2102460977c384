"""Uploads and downloads stream in bounded memory, a broken download leaves no partial
file, and the journal survives."""

from __future__ import annotations

import tracemalloc

import httpx
import pytest

import wanvace_widgets as wv
from tests.helpers import padded_mp4
from wanvace_widgets import errors
from wanvace_widgets.downloads import download_to
from wanvace_widgets.journal import Journal
from wanvace_widgets.uploads import prepare_media

SIZE = 50 * 1024 * 1024
CHUNK = 256 * 1024


def _streaming_transport(status=200, fail_after=None):
    async def body():
        sent = 0
        block = b"\0" * CHUNK
        while sent < SIZE:
            if fail_after is not None and sent >= fail_after:
                raise httpx.ReadError("connection reset")
            yield block
            sent += CHUNK

    return httpx.MockTransport(lambda request: httpx.Response(status, content=body()))


async def test_a_50_mb_download_streams_in_bounded_memory(tmp_path):
    target = tmp_path / "video.mp4"
    async with httpx.AsyncClient(transport=_streaming_transport()) as http:
        tracemalloc.start()
        await download_to(http, "https://results.example/video.mp4", target)
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


async def test_a_broken_download_leaves_no_partial_file(tmp_path):
    async with httpx.AsyncClient(transport=_streaming_transport(fail_after=4 * CHUNK)) as http:
        with pytest.raises(errors.APIConnectionError):
            await download_to(http, "https://results.example/v.mp4", tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []


async def test_an_expired_result_url_says_so(tmp_path):
    async with httpx.AsyncClient(transport=_streaming_transport(status=403)) as http:
        with pytest.raises(errors.APIError, match="24 hours"):
            await download_to(http, "https://results.example/v.mp4", tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []


def test_journal_keeps_the_latest_state_across_instances(tmp_path):
    path = tmp_path / "journal.jsonl"
    Journal(path).record({"task_id": "a", "status": "PENDING", "function": "video_edit"})
    Journal(path).record({"task_id": "a", "status": "RUNNING"})
    Journal(path).record({"task_id": "b", "status": "FAILED"})
    with path.open("a") as f:
        f.write('{"task_id": "c", "sta')  # a line torn by a crash
    reopened = Journal(path)
    assert reopened.get("a") == {"task_id": "a", "status": "RUNNING", "function": "video_edit"}
    assert [e["task_id"] for e in reopened.unfinished()] == ["a"]


def test_journal_finished_with_local_copy_is_not_unfinished(tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    journal = Journal(tmp_path / "j.jsonl")
    journal.record({"task_id": "a", "status": "SUCCEEDED", "local_path": str(video)})
    journal.record({"task_id": "b", "status": "SUCCEEDED", "local_path": None})
    assert [e["task_id"] for e in journal.unfinished()] == ["b"]


def test_journal_compacts_without_losing_state(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    for i in range(300):
        journal.record({"task_id": f"t{i % 3}", "status": "RUNNING", "polls": i})
    lines = (tmp_path / "j.jsonl").read_text().splitlines()
    assert len(lines) < 200
    assert {e["task_id"]: e["polls"] for e in journal.entries()} == {
        "t0": 297,
        "t1": 298,
        "t2": 299,
    }
