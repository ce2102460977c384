"""``wanvace app``: the studio as a web app with no code cells, served by Voilà.

For people who do not write code (a teacher in front of a class, a designer): one page
with every function in tabs (Wan2.1 VACE's five, Wan 2.7's instruction edit). The page
is a small notebook written into the app's folder (default ``./wanvace-app``), which
Voilà runs and shows without its code; results
are saved in that folder and played through Voilà's ``/voila/files/`` route, which is
allowed to serve media files only. Without an API key the jobs go to the offline
emulator and the forms start filled with the package's sample media, ready to Generate.

Voilà runs with a token, like JupyterLab: with a key set, whoever opens the page spends
the key's money. Every route asks for it, the result files too (``voila_server.py``), and
it is never written to the server's log; the address is printed with it on a terminal
only, else written to an owner-only file (``launch.serve``).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .demo import backend_notice
from .launch import available_port, listening, require_extra, serve

if TYPE_CHECKING:
    from ..widgets import VaceStudio

__all__ = ["APP_NOTEBOOK", "DEFAULT_FOLDER", "run_app", "studio_app", "write_app_notebook"]

DEFAULT_FOLDER = "wanvace-app"
APP_NOTEBOOK = "studio.ipynb"
#: what Voilà may serve from the app's folder: the results and the media beside them
MEDIA_FILES = ".*[.](mp4|png|jpe?g|gif|svg)"  # no backslash: shells and literals keep it
_CELLS = (  # (id, type, source)
    ("title", "markdown", "# Wan video studio"),
    ("studio", "code", "from wanvace_widgets.apps.voila_app import studio_app\n\nstudio_app()"),
)


def studio_app(client: Any = None) -> VaceStudio:
    """The studio the app shows; on the emulator, its forms are filled with sample media.

    >>> import wanvace_widgets as wv
    >>> studio = studio_app(client=wv.emulator_client(results_dir="app-results"))
    >>> widget = studio.select("video_outpainting")
    >>> task = widget.submit()  # what a click on Generate does
    >>> (await widget.wait(timeout=600)).status
    'SUCCEEDED'
    """
    from ..widgets import VaceStudio

    studio = VaceStudio(client=client)
    if studio.function_widgets[0].client.is_emulator:
        from ..media.samples import write_samples

        for function, request in _examples(write_samples("sample-media")).items():
            studio[function].set_request(request)
    return studio


def _examples(media: dict[str, Path]) -> dict[str, Any]:
    """One ready request per function, made of the sample media (as in the quickstart)."""
    from ..contract import request_models as r

    return {
        "image_reference": r.ImageReference(
            prompt="An orange figure walks across green hills under a bright sun.",
            ref_images=[media["subject"], media["background"]],
            obj_or_bg=["obj", "bg"],
        ),
        "video_repainting": r.VideoRepainting(
            prompt="A watercolour painting of a figure walking over hills.",
            video=media["source"],
            control_condition="depth",
        ),
        "video_edit": r.VideoEdit(
            prompt="A knight in shining armour walks across the hills.",
            video=media["source"],
            mask_image=media["mask"],
        ),
        "video_extension": r.VideoExtension(
            prompt="The figure keeps walking across the hills.",
            first_clip=media["first_clip"],
            last_clip=media["last_clip"],
        ),
        "video_outpainting": r.VideoOutpainting(
            prompt="A wide landscape of rolling hills.",
            video=media["source"],
            left_scale=1.5,
            right_scale=1.5,
        ),
        "instruction_edit": r.InstructionEdit(
            prompt="Turn the scene into a pencil sketch; the walker wears the figure of the "
            "reference image.",
            video=media["source"],
            ref_images=[media["subject"]],
            resolution="720P",
        ),
    }


def write_app_notebook(folder: str | Path) -> Path:
    """Write the app's notebook into ``folder`` unless one is there already (a user may
    have edited it to change what the app shows); returns its path."""
    folder = Path(folder).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / APP_NOTEBOOK
    if not path.exists():
        cells: list[dict[str, Any]] = [
            {"id": cell_id, "cell_type": kind, "metadata": {}, "source": source}
            | ({"execution_count": None, "outputs": []} if kind == "code" else {})
            for cell_id, kind, source in _CELLS
        ]
        notebook = {
            "cells": cells,
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        path.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
    return path


def run_app(folder: str | Path = DEFAULT_FOLDER, no_browser: bool = False, port: int = 8866) -> int:
    """Serve the studio with Voilà from ``folder``; returns Voilà's exit code."""
    require_extra("voila", "Voilà", "app")
    notebook = write_app_notebook(folder)
    print(f"The app's page and results: {notebook.parent}", flush=True)
    print(backend_notice(), flush=True)
    port = available_port(port)
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_urlsafe(24)
    command = [
        sys.executable,
        "-m",
        "wanvace_widgets.apps.voila_server",  # Voilà with every route behind the token
        notebook.name,
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        "--Voila.port_retries=0",
        "--no-browser",  # Voilà would open the page without the token
        "--token",
        f"--VoilaConfiguration.file_allowlist={[MEDIA_FILES]!r}",
    ]
    url = f"http://127.0.0.1:{port}/?token={token}"
    return serve(
        command,
        cwd=notebook.parent,
        ready_url=lambda _: url if listening(port) else None,
        open_browser=not no_browser,
        env=os.environ | {"JUPYTER_TOKEN": token},  # not on the command line, where ps shows it
        secret=token,
    )
