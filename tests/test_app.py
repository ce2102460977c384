"""The app's page: a valid notebook that shows the studio, kept once its user edits it;
on the emulator every tab starts ready to Generate, with a key every form starts empty.
The real `wanvace app`: every route behind its token, which its output never shows."""

from __future__ import annotations

import json
import signal
import stat
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import nbformat
import pytest

import wanvace_widgets as wv
from tests.commands import isolated_env, running, wait_for_url, whole_address
from wanvace_widgets.apps import voila_app as app
from wanvace_widgets.emulator.server import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_the_app_notebook_is_valid_and_runs_the_studio(tmp_path):
    path = app.write_app_notebook(tmp_path / "app")
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert code == ["from wanvace_widgets.apps.voila_app import studio_app\n\nstudio_app()"]


def test_the_app_keeps_a_notebook_its_user_edited(tmp_path):
    path = app.write_app_notebook(tmp_path)
    notebook = json.loads(path.read_text())
    notebook["cells"][0]["source"] = "# Our class's studio"
    path.write_text(json.dumps(notebook))
    assert app.write_app_notebook(tmp_path) == path
    assert "Our class's studio" in path.read_text()


def test_on_the_emulator_every_tab_starts_ready_to_generate(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    studio = app.studio_app(client=wv.emulator_client(results_dir=tmp_path / "results"))
    for widget in studio.function_widgets:
        widget.request  # noqa: B018 - raises ValidationError while a form is invalid
    assert (tmp_path / "sample-media" / "source.mp4").is_file()


def test_with_a_key_the_forms_start_empty(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    studio = app.studio_app(client=wv.VaceClient(api_key="sk-test", journal=False))
    for widget in studio.function_widgets:
        with pytest.raises(wv.ValidationError):
            widget.request  # noqa: B018
    assert not (tmp_path / "sample-media").exists()


#: a route of each kind the app serves: its page, a result, Voilà's assets, the kernels
ROUTES = [
    "/",
    "/voila/files/wanvace-results/result.mp4",
    "/voila/static/voila.js",
    "/voila/templates/lab/static/index.css",
    "/voila/api/themes/@jupyterlab/theme-light-extension/index.css",
    "/voila/labextensions/@voila-dashboards/widgets-manager8/package.json",
    "/api/kernels",
    "/voila/api/shutdown/0e5c7ad2-9d6a-4cf1-a8a4-45c8a2d5f2a0",
]


def _refused(response: httpx.Response) -> bool:
    """Refused, or sent to the login page (where the token is typed)."""
    if response.status_code == 302:
        return urlsplit(response.headers["location"]).path.endswith("/login")
    return response.status_code in (401, 403)


def test_every_route_of_the_app_needs_its_token_and_its_output_never_shows_it(tmp_path, media):
    folder = tmp_path / "studio"
    (folder / "wanvace-results").mkdir(parents=True)
    video = media["source"].read_bytes()
    (folder / "wanvace-results" / "result.mp4").write_bytes(video)
    env = isolated_env(tmp_path) | {"PYTHONPATH": str(ROOT)}  # the kernel imports this checkout
    command = [sys.executable, "-m", "wanvace_widgets.apps.cli", "app", str(folder), "--no-browser"]
    log = tmp_path / "app.log"
    with running([*command, f"--port={free_port()}"], tmp_path, env, log) as process:
        printed = wait_for_url(log, process)
        url = whole_address(printed, folder)
        token = parse_qs(urlsplit(url).query)["token"][0]
        assert token not in printed and len(token) >= 24
        assert stat.S_IMODE((folder / ".address").stat().st_mode) == 0o600
        base = f"http://{urlsplit(url).netloc}"
        with httpx.Client(base_url=base, timeout=120) as anonymous:
            for route in ROUTES:
                for method in ("GET", "HEAD"):
                    answer = anonymous.request(method, route)
                    assert _refused(answer), (method, route, answer.status_code)
                    assert video not in answer.content
            wrong = anonymous.get(ROUTES[1], params={"token": "not-the-token"})
            assert _refused(wrong) and video not in wrong.content
        with httpx.Client(base_url=base, timeout=120) as user:
            assert user.get(ROUTES[1], params={"token": token}).content == video
            page = user.get("/", params={"token": token})  # runs the studio in a kernel
            assert page.status_code == 200 and "voila" in page.text.lower()
            assert user.get(ROUTES[1]).content == video  # the login cookie stands for it
            for route, status in [
                ("/voila/files/studio.ipynb", 403),  # only media leave the app's folder
                ("/voila/files/missing.mp4", 404),
                ("/voila/static/no-such-file.js", 403),
            ]:
                assert user.get(route, params={"token": token}).status_code == status, route
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    output = log.read_text()
    assert "GET /voila/files/studio.ipynb?token=… " in output  # its 4xx lines were logged
    assert token not in output
    assert not (folder / ".address").exists()  # gone with the server


def test_the_address_is_printed_whole_only_on_a_terminal(tmp_path, monkeypatch):
    from wanvace_widgets.apps import launch

    url = "http://127.0.0.1:8866/?token=s3cret-token"
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert launch._address(url, "s3cret-token", tmp_path / ".address") == url
    assert not (tmp_path / ".address").exists()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    shown = launch._address(url, "s3cret-token", tmp_path / ".address")
    assert "s3cret-token" not in shown and "?token=…" in shown and ".address" in shown
    assert (tmp_path / ".address").read_text().strip() == url
