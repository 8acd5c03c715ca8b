"""`reportgen serve`: the workspace under gunicorn (never Django's development server).

One gunicorn worker process with threads serves the pages; previews go to the warm renderer pool that process
starts (see `preview`), so a preview never waits for a Python to start."""

from __future__ import annotations

from pathlib import Path


def serve(*, host: str, port: int, config_path: Path | None, threads: int = 8, ready=None) -> None:
    from gunicorn.app.base import BaseApplication

    from .setup import setup_django

    setup_django(config_path)

    class Workspace(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}" if ":" not in host else f"[{host}]:{port}")
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", 120)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("limit_request_line", 8190)
            self.cfg.set("accesslog", "-")
            self.cfg.set("post_worker_init", _warm)
            if "control_socket_disable" in self.cfg.settings:   # gunicorn ≥ 24 would open one in $HOME
                self.cfg.set("control_socket_disable", True)
            if ready is not None:
                self.cfg.set("when_ready", lambda _server: ready())

        def load(self):
            from .wsgi import application

            return application

    Workspace().run()


def _warm(_worker) -> None:
    """Before the first request: the renderer pool started, and the checker's rules and registry loaded."""
    from . import drafts, preview

    preview.warm()
    drafts.check("", drafts.config().sources_dir / "2000" / "warm.md")
