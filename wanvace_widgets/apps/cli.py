"""The wanvace command: the tutorials, the studio as an app, and the offline emulator."""

from __future__ import annotations

import argparse
import sys

from .launch import MissingExtraError

DESCRIPTION = """\
Jupyter widgets for Wan2.1 VACE video editing, with an offline DashScope emulator.
Without DASHSCOPE_API_KEY, demo and app run every job on the emulator (free, not Wan output).
"""


def port(text: str) -> int:
    """A TCP port number, checked before anything starts."""
    number = int(text)
    if not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"{text} is not a port (1-65535)")
    return number


def _emulator(args: argparse.Namespace) -> int:
    import uvicorn

    from ..emulator import EmulatorConfig, create_app

    keys = frozenset(k for k in (args.keys or "").split(",") if k) or None
    config = EmulatorConfig.profile(args.profile, region=args.region, api_keys=keys)
    config.public_base_url = f"http://{args.host}:{args.port}"
    print(
        f"wanvace emulator ({args.region}, {', '.join(config.models)}, {args.profile} tasks) on "
        f"{config.public_base_url}\n"
        f'  VaceClient(base_url="{config.public_base_url}", api_key="any-key")',
        flush=True,
    )
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args.folder, no_browser=args.no_browser, port=args.port)


def _tutorials(args: argparse.Namespace) -> int:
    from .tutorials import copy_tutorials

    print(copy_tutorials(args.folder, overwrite=args.overwrite).describe())
    return 0


def _app(args: argparse.Namespace) -> int:
    from .voila_app import run_app

    return run_app(args.folder, no_browser=args.no_browser, port=args.port)


def _add_folder(parser: argparse.ArgumentParser, default: str, what: str) -> None:
    parser.add_argument(
        "folder",
        nargs="?",
        default=default,
        metavar="FOLDER",
        help=f"{what} (default: ./{default})",
    )


def _add_server_options(parser: argparse.ArgumentParser, default_port: int, what: str) -> None:
    parser.add_argument("--no-browser", action="store_true", help="print the URL, open no browser")
    parser.add_argument("--port", type=port, default=default_port, help=f"{what} ({default_port})")


def build_parser() -> argparse.ArgumentParser:
    """The command line, also used by the tests to check the README's commands."""
    from .demo import DEFAULT_FOLDER as TUTORIALS_FOLDER
    from .voila_app import DEFAULT_FOLDER as APP_FOLDER

    parser = argparse.ArgumentParser(prog="wanvace", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="copy the tutorials into a folder and open JupyterLab on the quickstart",
        description="Copy the tutorial notebooks into FOLDER (your edited copies are kept) "
        'and open JupyterLab on the quickstart. Needs: pip install "wanvace-widgets[demo]"',
    )
    _add_folder(demo, TUTORIALS_FOLDER, "where the tutorials go")
    _add_server_options(demo, 8888, "JupyterLab's port")
    demo.set_defaults(run=_demo)

    tutorials = commands.add_parser(
        "tutorials",
        help="copy the tutorial notebooks into a folder, start nothing",
        description="Copy the tutorial notebooks into FOLDER. A notebook you have edited is "
        "kept unless --overwrite is given.",
    )
    _add_folder(tutorials, TUTORIALS_FOLDER, "where the tutorials go")
    tutorials.add_argument(
        "--overwrite", action="store_true", help="replace copies that differ from this version's"
    )
    tutorials.set_defaults(run=_tutorials)

    app = commands.add_parser(
        "app",
        help="serve the studio as a web app with Voila (no code shown)",
        description="Serve the studio (all five functions) as a web page with no code, "
        'through Voila. Needs: pip install "wanvace-widgets[app]"',
    )
    _add_folder(app, APP_FOLDER, "the app's page and results")
    _add_server_options(app, 8866, "preferred port")
    app.set_defaults(run=_app)

    emu = commands.add_parser("emulator", help="serve the offline DashScope emulator")
    emu.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    emu.add_argument("--port", type=port, default=8765)
    emu.add_argument("--region", choices=("intl", "cn"), default="intl")
    emu.add_argument("--profile", choices=("fast", "realistic", "instant"), default="fast")
    emu.add_argument("--keys", help="comma-separated accepted API keys (default: any key)")
    emu.set_defaults(run=_emulator)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (MissingExtraError, OSError) as error:
        print(f"wanvace {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
