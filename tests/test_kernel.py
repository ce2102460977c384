"""In a real ipykernel (7, and 6 when tests/kernels/make_ipykernel6.sh has run):
a click on Generate reaches SUCCEEDED with no further cell executed (a second click makes
no second job; the static summary is updated), and the blocking
conveniences work inside the kernel's running loop and leave it healthy."""

from __future__ import annotations

import os
import queue
import textwrap
import time
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

pytestmark = pytest.mark.kernel

#: the ipykernel 6 environment keeps its kernelspec to itself (tests/kernels/make_ipykernel6.sh;
#: ./scripts/test --latest puts it elsewhere, in WANVACE_K6_VENV)
K6_VENV = Path(os.environ.get("WANVACE_K6_VENV") or Path(__file__).parents[1] / ".venv-ipykernel6")
SPECS = KernelSpecManager(
    kernel_dirs=[str(K6_VENV / "share" / "jupyter" / "kernels"), *KernelSpecManager().kernel_dirs]
)
HAS_IPYKERNEL6 = "wanvace-ipykernel6" in SPECS.find_kernel_specs()
if os.environ.get("CI") and not HAS_IPYKERNEL6:
    raise RuntimeError("CI must test ipykernel 6: run tests/kernels/make_ipykernel6.sh")
KERNELS = ["python3"] + (["wanvace-ipykernel6"] if HAS_IPYKERNEL6 else [])

SETUP = """
import httpx, wanvace_widgets as wv
from wanvace_widgets.emulator import EmulatorConfig, create_app
from wanvace_widgets.media.samples import write_samples
media = write_samples({samples!r})
app = create_app(EmulatorConfig(pending_s=0.1, running_s=0.2))
client = wv.VaceClient("kernel-key", base_url="http://emulator.local",
                       transport=httpx.ASGITransport(app=app), journal=False,
                       results_dir={results!r}, poll=wv.PollPolicy(first_delay=0.1, max_delay=0.2))
request = wv.VideoOutpainting(prompt="wide", video=media["source"], left_scale=1.5)
"""


@pytest.fixture(params=KERNELS)
def kernel(request, tmp_path):
    manager = KernelManager(kernel_name=request.param, kernel_spec_manager=SPECS)
    manager.start_kernel(cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(kc, code: str, timeout: float = 60) -> list[dict]:
    """Run one cell; return its iopub messages (raises on an error output)."""
    msg_id = kc.execute(textwrap.dedent(code))
    messages = []
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            messages.append(msg)  # e.g. comm traffic of widgets from earlier cells
            continue
        messages.append(msg)
        if msg["msg_type"] == "error":
            raise AssertionError("\n".join(msg["content"]["traceback"]))
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages


def stdout(messages: list[dict]) -> str:
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")


def test_click_reaches_succeeded_with_no_further_cell(kernel, tmp_path):
    """Two clicks on Generate (as a page with a slow kernel could send) make one job; the
    status follows it to SUCCEEDED with no further cell, and the static summary displayed
    after the widget is updated with the finished job."""
    execute(kernel, SETUP.format(samples=str(tmp_path / "s"), results=str(tmp_path / "r")))
    opened = execute(
        kernel,
        """
        widget = wv.VideoOutpaintingWidget(client=client, request=request)
        display(widget)
    """,
    )
    states = {
        m["content"]["comm_id"]: m["content"]["data"]["state"]
        for m in opened
        if m["msg_type"] == "comm_open"
    }
    buttons = next(cid for cid, s in states.items() if "generate_enabled" in s)
    status = next(cid for cid, s in states.items() if "wanvace-status" in s.get("_dom_classes", ()))
    summary = next(m for m in opened if m["content"].get("transient", {}).get("display_id"))
    assert "No finished jobs yet" in summary["content"]["data"]["text/html"]
    display_id = summary["content"]["transient"]["display_id"]
    for _ in range(2):
        click = kernel.session.msg(
            "comm_msg",
            {"comm_id": buttons, "data": {"method": "custom", "content": {"click": "generate"}}},
        )
        kernel.shell_channel.send(click)
    seen, updates, deadline = [], [], time.monotonic() + 60
    while time.monotonic() < deadline and not (updates and any("SUCCEEDED" in v for v in seen)):
        try:
            msg = kernel.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        content = msg["content"]
        if msg["msg_type"] == "comm_msg" and content.get("comm_id") == status:
            seen.append(content["data"].get("state", {}).get("value", ""))
        if msg["msg_type"] == "update_display_data":
            assert content["transient"]["display_id"] == display_id
            updates.append(content["data"]["text/html"])
    assert updates and "SUCCEEDED" in updates[0] and "data:image/jpeg;base64," in updates[0]
    assert "wide" in updates[0]  # the prompt
    assert any("SUCCEEDED" in v for v in seen), seen[-3:]
    assert any("RUNNING" in v or "PENDING" in v for v in seen)
    assert len(list((tmp_path / "r").glob("*.mp4"))) == 1
    assert stdout(execute(kernel, "print(len(client.tasks))")).strip() == "1"


def test_blocking_run_inside_the_kernel_loop_and_the_loop_stays_usable(kernel, tmp_path):
    execute(kernel, SETUP.format(samples=str(tmp_path / "s"), results=str(tmp_path / "r")))
    out = stdout(
        execute(
            kernel,
            """
        task = client.run(request, timeout=60)
        print(task.status, task.local_path.exists(), task.result(timeout=5) == task.local_path)
    """,
        )
    )
    assert out.strip() == "SUCCEEDED True True"
    out = stdout(
        execute(
            kernel,
            """
        import asyncio
        async def later():
            await asyncio.sleep(0.05)
            return "background ok"
        print(await asyncio.get_running_loop().create_task(later()))
        task2 = await client.submit(request)
        await task2.wait(60)
        print(task2.status)
    """,
        )
    )
    assert out.split() == ["background", "ok", "SUCCEEDED"]
