"""The app's page: a valid notebook that shows the studio, kept once its user edits it;
on the emulator every tab starts ready to Generate, with a key every form starts empty."""

from __future__ import annotations

import json

import nbformat
import pytest

import wanvace_widgets as wv
from wanvace_widgets import app


def test_the_app_notebook_is_valid_and_runs_the_studio(tmp_path):
    path = app.write_app_notebook(tmp_path / "app")
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert code == ["from wanvace_widgets.app import studio_app\n\nstudio_app()"]


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
