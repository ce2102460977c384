"""Uploads and downloads stream in bounded memory; a broken, cut or foreign download leaves
no file behind."""

from __future__ import annotations

import tracemalloc

import httpx
import pytest

import wanvace_widgets as wv
from tests.helpers import padded_mp4
from wanvace_widgets import errors
from wanvace_widgets.downloads import download_to
from wanvace_widgets.uploads import prepare_media

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
