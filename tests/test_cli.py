"""The wanvace command without a server: help text, `tutorials`, missing extras, ports,
serving and the JupyterLab URL. (`demo` and `app` with a real server: test_demo.py,
test_wheel.py and tests/browser/test_app_browser.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wanvace_widgets.apps import demo, launch, tutorials
from wanvace_widgets.apps.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("command", [[], ["demo"], ["tutorials"], ["app"], ["emulator"]])
def test_help_is_plain_text(command, capsys):
    with pytest.raises(SystemExit) as exit:
        main([*command, "--help"])
    assert exit.value.code == 0
    text = capsys.readouterr().out
    assert "usage: wanvace" in text
    assert "`" not in text and ":func:" not in text and ".. " not in text


def test_every_command_is_listed_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in ("demo", "tutorials", "app", "emulator"):
        assert f"\n    {command}" in text


def test_tutorials_come_from_the_checkout_here():
    assert tutorials.tutorial_folder() == ROOT / "notebooks"
    assert "quickstart.ipynb" in NOTEBOOKS


def test_tutorials_copies_every_notebook_into_a_new_folder(tmp_path, capsys):
    target = tmp_path / "a new" / "folder"
    assert main(["tutorials", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == NOTEBOOKS
    for name in NOTEBOOKS:
        assert (target / name).read_bytes() == (ROOT / "notebooks" / name).read_bytes()
    assert f"copied {len(NOTEBOOKS)}" in capsys.readouterr().out


def test_tutorials_keep_an_edited_copy_unless_asked(tmp_path, capsys):
    main(["tutorials", str(tmp_path)])
    edited = tmp_path / "quickstart.ipynb"
    edited.write_text("my notes")
    (tmp_path / "03_video_edit.ipynb").unlink()
    capsys.readouterr()
    assert main(["tutorials", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert edited.read_text() == "my notes"
    assert "kept your edited copies of quickstart.ipynb" in out
    assert f"wanvace tutorials {tmp_path} --overwrite" in out
    assert "copied 1: 03_video_edit.ipynb" in out  # a deleted one comes back
    assert main(["tutorials", str(tmp_path), "--overwrite"]) == 0
    assert edited.read_bytes() == (ROOT / "notebooks" / "quickstart.ipynb").read_bytes()
    assert "replaced 1: quickstart.ipynb" in capsys.readouterr().out


def test_tutorials_into_the_folder_they_come_from_change_nothing():
    report = tutorials.copy_tutorials(ROOT / "notebooks")  # what ./scripts/demo does
    assert report.unchanged == NOTEBOOKS and not (report.copied or report.kept)


def test_tutorials_into_a_file_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    assert main(["tutorials", str(tmp_path / "taken")]) == 1
    assert "wanvace tutorials:" in capsys.readouterr().err


def test_tutorials_when_the_package_lost_them(tmp_path, monkeypatch):
    monkeypatch.setattr(tutorials, "__file__", str(tmp_path / "pkg" / "apps" / "tutorials.py"))
    with pytest.raises(FileNotFoundError, match="reinstall wanvace-widgets"):
        tutorials.copy_tutorials(tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("command", "module", "product"),
    [("demo", "jupyterlab", "JupyterLab"), ("app", "voila", "Voilà")],
)
def test_a_missing_front_end_names_the_pip_command(
    command, module, product, tmp_path, monkeypatch, capsys
):
    monkeypatch.setitem(sys.modules, module, None)  # what Python does for a missing module
    assert main([command, str(tmp_path / "out"), "--no-browser"]) == 1
    err = capsys.readouterr().err
    assert f"{product} is not installed" in err
    assert f'pip install "wanvace-widgets[{command}]"' in err
    assert not (tmp_path / "out").exists()  # nothing is copied before the check


def test_the_parser_defaults_to_folders_in_the_current_one():
    parser = build_parser()
    assert parser.parse_args(["demo"]).folder == "wanvace-tutorials"
    assert parser.parse_args(["tutorials"]).folder == "wanvace-tutorials"
    assert parser.parse_args(["app"]).folder == "wanvace-app"


@pytest.mark.parametrize("value", ["0", "70000", "-1", "http"])
def test_a_port_that_cannot_be_is_refused_before_anything_starts(value, capsys):
    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args(["app", "--port", value])
    assert exit.value.code == 2
    assert "port" in capsys.readouterr().err


def test_serve_prints_the_url_and_returns_the_server_exit_code(tmp_path, capsys):
    server = [sys.executable, "-c", "import time, sys; time.sleep(0.3); sys.exit(3)"]
    assert launch.serve(server, tmp_path, lambda p: "http://127.0.0.1:1/?token=t") == 3
    assert "Open http://127.0.0.1:1/?token=t" in capsys.readouterr().out


def test_serve_returns_when_the_server_dies_before_answering(tmp_path, capsys):
    server = [sys.executable, "-c", "import sys; sys.exit(5)"]
    assert launch.serve(server, tmp_path, lambda p: None) == 5
    assert "Open" not in capsys.readouterr().out


def test_serve_never_leaves_the_server_running_when_it_fails(tmp_path):
    started = []

    def broken(process):
        started.append(process)
        raise RuntimeError("cannot tell")

    server = [sys.executable, "-c", "import time; time.sleep(120)"]
    with pytest.raises(RuntimeError):
        launch.serve(server, tmp_path, broken)
    assert started[0].poll() is not None


def test_lab_url_waits_for_a_whole_runtime_file_of_its_server(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        info = tmp_path / f"jpserver-{process.pid}.json"
        whole = json.dumps({"pid": process.pid, "url": "http://localhost:8888/", "token": "a b"})
        info.write_text(whole[: len(whole) // 2])  # caught while Jupyter writes it
        assert demo.lab_url(process, "quickstart.ipynb") is None
        info.write_text(json.dumps({"pid": process.pid, "url": None}))
        assert demo.lab_url(process, "quickstart.ipynb") is None
        info.write_text(whole)
        assert (
            demo.lab_url(process, "quick start.ipynb")
            == "http://localhost:8888/lab/tree/quick%20start.ipynb?token=a%20b"
        )
    finally:
        process.kill()
        process.wait()
