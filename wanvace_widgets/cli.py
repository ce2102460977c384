"""The ``wanvace`` command: ``wanvace emulator`` serves the offline DashScope emulator,
``wanvace demo`` opens JupyterLab on the quickstart notebook."""

from __future__ import annotations

import argparse
import sys


def _emulator(args: argparse.Namespace) -> int:
    import uvicorn

    from .emulator import EmulatorConfig, create_app

    keys = frozenset(k for k in (args.keys or "").split(",") if k) or None
    config = EmulatorConfig.profile(args.profile, region=args.region, api_keys=keys)
    config.public_base_url = f"http://{args.host}:{args.port}"
    print(
        f"wanvace emulator ({args.region}, {config.model}, {args.profile} tasks) on "
        f"{config.public_base_url}\n"
        f'  VaceClient(base_url="{config.public_base_url}", api_key="any-key")',
        flush=True,
    )
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(no_browser=args.no_browser, port=args.port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wanvace", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    emu = commands.add_parser("emulator", help="serve the offline DashScope emulator")
    emu.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    emu.add_argument("--port", type=int, default=8765)
    emu.add_argument("--region", choices=("intl", "cn"), default="intl")
    emu.add_argument("--profile", choices=("fast", "realistic", "instant"), default="fast")
    emu.add_argument("--keys", help="comma-separated accepted API keys (default: any key)")
    emu.set_defaults(run=_emulator)
    demo = commands.add_parser("demo", help="open JupyterLab on the quickstart notebook")
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser")
    demo.add_argument("--port", type=int, default=8888)
    demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
