"""The tutorial notebooks, wherever the package is installed from.

A wheel carries them in ``wanvace_widgets/notebooks/`` (see ``pyproject.toml``); a checkout
keeps them in ``notebooks/`` beside the package, where nbval and Binder use them. The
notebooks make their own sample media when they run, so nothing else is copied.

A user's copy is never replaced without ``overwrite=True``: a notebook edited by its
owner is work, and an upgrade must not throw it away.
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["QUICKSTART", "CopyReport", "copy_tutorials", "tutorial_folder"]

QUICKSTART = "quickstart.ipynb"


def tutorial_folder() -> Path:
    """The folder holding the tutorials: the installed package's, else the checkout's."""
    package = Path(__file__).resolve().parents[1]  # wanvace_widgets/, above apps/
    for folder in (package / "notebooks", package.parent / "notebooks"):
        if (folder / QUICKSTART).is_file():
            return folder
    raise FileNotFoundError(
        f"the tutorial notebooks are missing from {package}: reinstall wanvace-widgets"
    )


@dataclass
class CopyReport:
    """What ``copy_tutorials`` did, one notebook name per entry."""

    folder: Path
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the user's copy differs and stays
    replaced: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """A few lines for the terminal."""
        lines = [f"Tutorials in {self.folder}:"]
        if self.copied:
            lines.append(f"  copied {len(self.copied)}: {', '.join(self.copied)}")
        if self.replaced:
            lines.append(f"  replaced {len(self.replaced)}: {', '.join(self.replaced)}")
        if self.unchanged:
            lines.append(f"  already up to date: {len(self.unchanged)}")
        if self.kept:
            lines.append(
                f"  kept your edited copies of {', '.join(self.kept)}; to replace them with "
                f"this version's: wanvace tutorials {shlex.quote(str(self.folder))} --overwrite"
            )
        return "\n".join(lines)


def copy_tutorials(folder: str | Path, overwrite: bool = False) -> CopyReport:
    """Copy the tutorial notebooks into ``folder`` (made if missing).

    A notebook already there with other content is kept, unless ``overwrite``.

    >>> report = copy_tutorials("my-tutorials")
    >>> "quickstart.ipynb" in report.copied
    True
    >>> copy_tutorials("my-tutorials").copied
    []
    """
    source = tutorial_folder()
    target = Path(folder).expanduser().resolve()
    target.mkdir(parents=True, exist_ok=True)
    report = CopyReport(target)
    for notebook in sorted(source.glob("*.ipynb")):
        destination = target / notebook.name
        if not destination.exists():
            shutil.copyfile(notebook, destination)
            report.copied.append(notebook.name)
        elif destination.read_bytes() == notebook.read_bytes():
            report.unchanged.append(notebook.name)
        elif overwrite:
            shutil.copyfile(notebook, destination)
            report.replaced.append(notebook.name)
        else:
            report.kept.append(notebook.name)
    return report
