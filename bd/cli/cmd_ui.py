"""ui: the local web board."""

from __future__ import annotations

import sys

from bd.cli import Context
from bd.cli.registry import Values, command, opt


def _log(line: str) -> None:
    sys.stderr.write(line + "\n")


@command("ui", "Serve a local web board (board, ready queue, epics, issue pages, graph)", opts=[
    opt("port", "--port", type=int, default=0, help="Port (default: any free port)"),
    opt("host", "--host", help="Address to bind (default 127.0.0.1; anything else is "
        "reachable from other machines and prints a warning)"),
    opt("open", "--open", type=bool, help="Open the board in the default web browser"),
    opt("verbose_log", "--log", type=bool, help="Print one line per request on stderr"),
])
def _ui(ctx: Context, o: Values) -> int:
    from bd.views.server import BoardServer, is_loopback

    store = ctx.store
    explicit = o.host is not None
    host = o.host if explicit else str(store.config.get("ui.host") or "127.0.0.1")
    readonly = bool(ctx.flags.get("readonly"))
    server = BoardServer(store.beads_dir, host=host, port=o.port, readonly=readonly,
                         allow_remote=explicit, actor=ctx.flags.get("actor"),
                         log=_log if o.verbose_log else None)
    if not is_loopback(host):
        ctx.out.warn(f"serving on {host}, which other machines can reach: anyone with the URL "
                     "(it holds the token) can read and change these issues")
    if ctx.json:
        ctx.out.json({"url": server.url, "host": host, "port": server.port,
                      "token": server.token, "readonly": readonly,
                      "workspace": store.beads_dir})
    else:
        ctx.out.line(f"bd ui: serving {store.beads_dir}" + (" (read-only)" if readonly else ""))
        ctx.out.line(f"  open {server.url}")
        ctx.out.line("  Ctrl-C stops the server")
    sys.stdout.flush()
    if o.open:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.server_close()
    return 0
