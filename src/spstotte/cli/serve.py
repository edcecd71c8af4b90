"""``spstotte serve``: the library over HTTP (docs/service.md). Needs the server extra:
``pip install "spstotte[server]"``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ..errors import ExitCode, InputError, Message


def add_parser(sub: Any, lang_help: str) -> None:
    se = sub.add_parser("serve", help="the decision service over HTTP (needs spstotte[server])")
    se.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default: 127.0.0.1, this machine only)")
    se.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    se.add_argument("--municipalities", action="append",
                    help="folder of municipal rule sets (repeatable; default: the project's, "
                         "else the bundled ones)")
    se.add_argument("--rules", help="law layer folder (default: the bundled rules/)")
    se.add_argument("--workers", type=int, default=2,
                    help="worker processes deciding requests (default: 2)")
    se.add_argument("--reload-endpoint", action="store_true",
                    help="answer POST /v1/admin/reload (off by default; SIGHUP always reloads)")
    se.add_argument("--max-body", type=int, default=1_000_000, metavar="BYTES",
                    help="largest profile body (default: 1000000)")
    se.add_argument("--max-batch-body", type=int, default=64_000_000, metavar="BYTES",
                    help="largest batch body (default: 64000000)")
    se.add_argument("--log-format", choices=("text", "json"), default="text",
                    help="the log on standard error: text lines, or one JSON object per line")
    se.add_argument("--log-level", choices=("debug", "info", "warning", "error"),
                    default="info")
    se.add_argument("--lang", choices=("da", "en"), help=lang_help)


def run_serve(args: argparse.Namespace, out: TextIO) -> int:
    try:
        import uvicorn

        from ..service.app import ServiceSettings, create_app
        from ..service.logs import configure
    except ImportError as exc:
        raise InputError(Message.of("errors.server_extra", module=exc.name or "fastapi")) \
            from None
    from ..project import project_of
    from ..texts import text

    if args.workers < 1:
        raise InputError(Message.of("errors.serve_workers", workers=args.workers))
    project = project_of(args)
    rules = args.rules if args.rules is not None else (
        str(project.rules) if project is not None and project.rules is not None else None)
    folders = args.municipalities or (
        [str(p) for p in project.municipalities] if project is not None else None)
    settings = ServiceSettings(
        law_dir=rules, municipality_dirs=tuple(folders) if folders else None,
        workers=args.workers, reload_endpoint=args.reload_endpoint, max_body=args.max_body,
        max_batch_body=args.max_batch_body)
    configure(args.log_format, args.log_level)
    import logging

    logging.getLogger("spstotte.service").info(
        text("service.listening", args.report_lang, host=args.host, port=args.port,
             workers=args.workers),
        extra={"host": args.host, "port": args.port, "workers": args.workers})
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None,
                access_log=False, server_header=False, timeout_graceful_shutdown=30)
    return ExitCode.OK
