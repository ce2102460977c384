"""Which URL the player gives the browser: Jupyter's /files/ route, or Voilà's own
/voila/files/ on a Voilà page, never another server's."""

from __future__ import annotations

from pathlib import Path

import pytest

from wanvace_widgets.widgets import player


@pytest.fixture
def results(tmp_path, monkeypatch):
    for name in ("VOILA_BASE_URL", "SCRIPT_NAME", "JUPYTERHUB_SERVICE_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "app" / "wanvace-results"
    folder.mkdir(parents=True)
    video = folder / "a b#1.mp4"
    video.write_bytes(b"mp4")
    return video


def serve_jupyter(monkeypatch, root: Path, base_url: str = "/") -> None:
    monkeypatch.setattr(player, "_servers", lambda: [{"root_dir": str(root), "base_url": base_url}])


def test_a_jupyter_server_serves_files_under_its_root(results, monkeypatch):
    serve_jupyter(monkeypatch, results.parents[2], "/user/ann/")
    assert player.served_url(results) == "/user/ann/files/app/wanvace-results/a%20b%231.mp4"


def test_the_hub_prefix_wins_over_the_server_base_url(results, monkeypatch):
    serve_jupyter(monkeypatch, results.parents[2], "/")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/bob/")
    assert player.served_url(results).startswith("/user/bob/files/app/")


def test_a_file_outside_every_server_root_has_no_url(results, monkeypatch):
    serve_jupyter(monkeypatch, results.parent / "elsewhere")
    assert player.served_url(results) is None


def test_a_voila_page_plays_through_voila_even_with_a_jupyter_server_running(results, monkeypatch):
    serve_jupyter(monkeypatch, results.parents[2])  # e.g. a JupyterLab open on the home folder
    monkeypatch.setenv("VOILA_BASE_URL", "/")
    monkeypatch.setenv("SCRIPT_NAME", "/")  # `voila studio.ipynb`: root = the notebook's folder
    monkeypatch.chdir(results.parents[1])
    assert player.served_url(results) == "/voila/files/wanvace-results/a%20b%231.mp4"


def test_voila_serving_a_tree_roots_files_where_the_tree_starts(results, monkeypatch):
    monkeypatch.setenv("VOILA_BASE_URL", "/base/")
    monkeypatch.setenv("SCRIPT_NAME", "/base/voila/render/app/studio%20one.ipynb")
    monkeypatch.chdir(results.parents[1])  # Voilà starts the kernel beside the notebook
    assert player.served_url(results) == "/base/voila/files/app/wanvace-results/a%20b%231.mp4"


def test_voila_with_a_notebook_path_deeper_than_the_disk_gives_no_url(results, monkeypatch):
    monkeypatch.setenv("VOILA_BASE_URL", "/")
    monkeypatch.setenv("SCRIPT_NAME", "/voila/render/" + "d/" * 60 + "x.ipynb")
    monkeypatch.chdir(results.parent)
    assert player.served_url(results) is None


def test_voila_does_not_serve_files_outside_its_root(results, monkeypatch):
    monkeypatch.setenv("VOILA_BASE_URL", "/")
    monkeypatch.setenv("SCRIPT_NAME", "/")
    monkeypatch.chdir(results.parent)
    assert player.served_url(results.parents[1] / "secret.mp4") is None


def test_without_a_url_a_small_result_is_embedded(results, monkeypatch):
    monkeypatch.setattr(player, "_servers", lambda: [])
    shown = player.ResultPlayer()
    shown.show(results)
    assert any(getattr(child, "value", None) == b"mp4" for child in shown.children)
