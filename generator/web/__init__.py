"""The counselors' web workspace (`reportgen serve`): a Django project on the same project tree as the CLI.

The drafts in `reports_src/` stay the source of truth; the database keeps accounts, every saved revision and the
append-only status transitions. Everything the workspace knows about drafts comes through the library API
(`generator/__init__.py`): checking, fixing, scaffolding, rendering and writing files.

    settings/   base (shared), local (loopback, plain HTTP: `reportgen serve`), production (behind TLS)
    models      Account (user ↔ registry name), Report, Revision, Transition, Comment
    permissions who may do what to which draft: the one place that decides
    drafts      a draft's file, its revisions and its checks, through the library API
    views       the pages and the JSON endpoints of the editor
    preview     the warm renderer pool
    compile     compiling a year's volume (issue 17): pages, progress, downloads; compile_run runs the build
                in a process of its own, its state in files under .reportgen/compiles/
    server      `reportgen serve`: migrate, then gunicorn
    users       `reportgen users import|add`
"""
