"""The command line: argument parsing, printing and exit codes. Nothing else in the package prints.

Exit codes: 0 success; 1 problems found in drafts (errors, or warnings with --strict) or a report failed
to build; 2 usage, configuration, environment or internal error; 3 another build holds the output lock.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from generator import __version__
from generator.core.errors import ConfigError, ReportgenError, Terminated
from generator.core.i18n import _, describe_os_error, language_from_environment, route_argparse_messages, set_language

if TYPE_CHECKING:
    from generator.build.run import Progress
    from generator.core.config import Config

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR, EXIT_LOCKED = 0, 1, 2, 3
log = logging.getLogger("generator")


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2 with a translated prefix
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, _("reportgen: usage error: {message}\n").format(message=message))


def _whole_number(text: str) -> int:
    """An integer argument; argparse would say “invalid int value”, naming a Python type."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("expected a whole number, found {value!r}").format(value=text)) from None


def _build_parser() -> ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, metavar="FILE", help=_("configuration file (default: nearest reportgen.toml)"))
    common.add_argument("--lang", choices=["zh_CN", "zh", "en"], help=_("message language (default: Simplified Chinese)"))
    common.add_argument("-v", "--verbose", action="store_true", help=_("log details"))

    parser = ArgumentParser(prog="reportgen", description=_(
        "Validate counselors' report drafts and build branded PDF/DOCX reports and annual volumes."),
        parents=[common])
    parser.add_argument("--version", action="version", version=f"reportgen {__version__}",
                        help=_("show the version and exit"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)

    check = commands.add_parser("check", parents=[common], help=_("validate drafts"),
                                description=_("Validate drafts (default: all drafts under the sources)."))
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    check.add_argument("--format", choices=["text", "json", "junit", "sarif"], default="text")
    check.add_argument("--strict", action="store_true", help=_("warnings fail the check too"))
    check.add_argument("--fix", action="store_true", help=_("apply safe fixes (originals kept as .bak)"))
    check.add_argument("--diff", action="store_true", help=_("with --fix: print the changes instead of writing"))
    check.add_argument("--no-source", action="store_true", help=_("text format: no source excerpt"))
    check.add_argument("--no-cache", action="store_true",
                       help=_("check every draft again (by default a draft unchanged since the last check, with the "
                              "same configuration, registry and reportgen, is not)"))

    build = commands.add_parser("build", parents=[common], help=_("check and build reports and volumes"),
                                description=_("Check drafts, render each valid report to PDF and DOCX and compile "
                                              "each year's volume into the output directory."))
    build.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    _add_build_options(build)
    build.add_argument("--no-volume", action="store_true", help=_("do not compile the volumes"))
    build.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help=_("render the reports on the Dask cluster of this scheduler (tcp://HOST:8786); "
                              "needs the “distributed” extra"))

    volume = commands.add_parser("volume", parents=[common], help=_("compile one year's volume"),
                                 description=_("Compile one year's annual volume only."))
    volume.add_argument("--year", required=True, type=_whole_number)
    _add_build_options(volume)

    new = commands.add_parser("new", parents=[common], help=_("scaffold a new draft"),
                              description=_("Create a draft with front matter and every required section."))
    new.add_argument("--id", required=True, help=_("report id (file name without .md), e.g. r29"))
    new.add_argument("--year", type=_whole_number, required=True)
    new.add_argument("--company", required=True)
    new.add_argument("--counselor", action="append", required=True, dest="counselors",
                     help=_("counselor name (repeat for several)"))
    new.add_argument("--theme", required=True)
    new.add_argument("--title", default=None)

    word = commands.add_parser("import", parents=[common], help=_("convert a Word document (.docx) to a draft"),
                               description=_("Convert a .docx to a draft <id>.md with its images in assets/, then "
                                             "check it; an existing draft is never overwritten."))
    word.add_argument("file", type=Path, metavar="FILE.docx", help=_("the Word document (.docx) to import"))
    word.add_argument("--year", type=_whole_number, required=True, help=_("the report's year (four digits)"))
    word.add_argument("--id", default=None, dest="report_id",
                      help=_("report id (default: the next free rNN of the year)"))
    word.add_argument("--out", type=Path, default=None,
                      help=_("directory of the draft (default: the year's sources directory)"))
    word.add_argument("--fix", action="store_true", help=_("apply the safe fixes of check --fix to the text (reported)"))
    word.add_argument("--no-source", action="store_true", help=_("text format: no source excerpt"))

    commands.add_parser("doctor", parents=[common], help=_("check this machine's setup"),
                        description=_("Versions, fonts, the HarfBuzz subsetter and a one-page smoke render."))
    commands.add_parser("rules", parents=[common], help=_("list every diagnostic code"))

    serve = commands.add_parser("serve", parents=[common], help=_("serve the web workspace"),
                                description=_("Serve the counselors' web workspace (gunicorn); the database is "
                                              "created and migrated on first start."))
    serve.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default: 127.0.0.1)"))
    serve.add_argument("--port", type=_whole_number, default=8000, help=_("port (default: 8000)"))

    users = commands.add_parser("users", parents=[common], help=_("manage the web workspace's accounts"),
                                description=_("Accounts of the web workspace; new ones get one-time links to "
                                              "set a password."))
    user_commands = users.add_subparsers(dest="users_command", metavar="ACTION", parser_class=ArgumentParser,
                                         required=True)
    user_import = user_commands.add_parser("import", parents=[common],
                                           help=_("create an account for each counselor of the registry"))
    user_add = user_commands.add_parser("add", parents=[common], help=_("create a reviewer or admin account"))
    user_add.add_argument("name")
    user_add.add_argument("--role", choices=["counselor", "reviewer", "admin"], required=True)
    for parser_ in (user_import, user_add):
        parser_.add_argument("--password", default=None,
                             help=_("set this password instead of printing one-time links (demos)"))
        parser_.add_argument("--base-url", default="http://127.0.0.1:8000",
                             help=_("address the links point to (default: http://127.0.0.1:8000)"))
    return parser


def _add_build_options(parser) -> None:
    parser.add_argument("--to", default="pdf,docx", metavar="FORMATS", help=_("output formats (default: pdf,docx)"))
    parser.add_argument("--jobs", "-j", type=_whole_number, default=None, help=_("worker processes (default: number of cores)"))
    parser.add_argument("--strict", action="store_true", help=_("warnings fail the check too"))
    parser.add_argument("--out", type=Path, default=None, help=_("output directory (default: from the configuration)"))
    parser.add_argument("--include-drafts", action="store_true",
                        help=_("put reports that are not approved into the volume, marked as drafts"))
    parser.add_argument("--format", choices=["text", "json"], default="text", help=_("summary format"))


def _load_config(args) -> Config:
    from generator.core.config import load_config

    return load_config(args.config.resolve() if args.config else None)


def _cmd_check(args, config: Config) -> int:
    from generator.build.store import user_check_memo
    from generator.check.context import CheckContext
    from generator.check.engine import check_paths
    from generator.check.fixes import fix_file, write_fix
    from generator.check.formats import format_json, format_junit, format_sarif, format_text
    from generator.core.config import require_resources
    from generator.core.model import fails
    from generator.read.discover import discover_drafts
    from generator.read.registry import load_registry

    require_resources(config, rendering=False)  # a font that is missing would leave TXT410 unchecked
    paths = discover_drafts(args.paths, config)
    args.fix = args.fix or args.diff  # --diff alone previews the fixes
    registry = load_registry(config.registry_path)
    whole_corpus = not args.paths
    fixed = 0
    if args.fix:
        ctx = CheckContext(config=config, registry=registry, whole_corpus=whole_corpus)
        for path in paths:
            result = fix_file(path, config, ctx)
            if result is None or not result.changed:
                continue
            fixed += result.applied
            if args.diff:
                sys.stdout.write(result.diff())
            else:
                backup = write_fix(result)
                print(_("fixed {count} problem(s) in {path} (original kept as {backup})").format(
                    count=result.applied, path=path, backup=backup.name), file=sys.stderr)
    memo = None if args.no_cache else user_check_memo(config, registry.digest, whole_corpus)
    documents, diagnostics = check_paths(paths, config, registry, whole_corpus=whole_corpus, memo=memo)
    if args.format == "text":
        sources = {} if args.no_source else {doc.path: doc.draft.text for doc in documents}
        if not args.no_source and config.registry_path.is_file():
            sources[config.registry_path] = config.registry_path.read_text(encoding="utf-8", errors="replace")
        print(format_text(diagnostics, files_checked=len(paths), sources=sources, fixed=0 if args.diff else fixed,
                          previewed=fixed if args.diff else 0))
    elif args.format == "json":
        print(format_json(diagnostics, files_checked=len(paths), fixed=0 if args.diff else fixed))
    elif args.format == "junit":
        print(format_junit(diagnostics, files=paths, strict=args.strict))
    else:
        print(format_sarif(diagnostics))
    return EXIT_PROBLEMS if fails(diagnostics, strict=args.strict) else EXIT_OK


def _cmd_new(args, config: Config) -> int:
    from generator.check.scaffold import scaffold_draft
    from generator.read.registry import load_registry

    path = scaffold_draft(config, load_registry(config.registry_path), report_id=args.id, year=args.year,
                          company=args.company, counselors=args.counselors, theme=args.theme, title=args.title)
    print(_("created {path}").format(path=path))
    return EXIT_OK


def _cmd_import(args, config: Config) -> int:
    from generator.check.formats import format_text
    from generator.core.model import fails

    from .importer import import_docx

    result = import_docx(args.file, config=config, year=args.year, report_id=args.report_id, out=args.out,
                         fix=args.fix)
    print(_("imported {source} as {path} ({images} image(s) in assets/)").format(
        source=args.file, path=result.path, images=len(result.images)), file=sys.stderr)
    print(format_text(result.diagnostics, files_checked=1, sources={} if args.no_source else {result.path: result.text}))
    return EXIT_PROBLEMS if fails(result.diagnostics, strict=False) else EXIT_OK


def _cmd_doctor(args, config: Config) -> int:
    from generator.check.formats import display_width
    from generator.doctor import run_doctor

    findings = run_doctor(config)
    width = max(display_width(finding.name) for finding in findings)
    for finding in findings:
        mark = "ok " if finding.ok else ("ERR" if finding.required else "-- ")
        padding = " " * (width - display_width(finding.name))
        print(f"[{mark}] {finding.name}{padding}  {finding.detail}")
    failed = [finding for finding in findings if finding.required and not finding.ok]
    print(_("Everything reportgen needs is in place.") if not failed else
          _("{count} required item(s) missing.").format(count=len(failed)))
    return EXIT_ERROR if failed else EXIT_OK


def _cmd_rules(args, config: Config) -> int:
    from generator.core.codes import CODES

    for code, registered in sorted(CODES.items()):
        print(f"{code:<7} {registered.name:<28} {registered.severity.label:<8} {registered.description}")
    return EXIT_OK


class _PlainProgress:
    """One line per step on stderr, for CI and cron."""

    def start(self, total, description):
        self.total, self.done = total, 0
        print(f"{description}: {total}", file=sys.stderr, flush=True)

    def advance(self, description):
        self.done += 1
        print(f"[{self.done}/{self.total}] {description}", file=sys.stderr, flush=True)

    def finish(self):
        pass


class _RichProgress:
    """A progress bar on a terminal."""

    def start(self, total, description):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), transient=True)
        self.progress.start()
        self.task = self.progress.add_task(description, total=total)

    def advance(self, description):
        self.progress.update(self.task, advance=1, description=description)

    def finish(self):
        self.progress.stop()


def _parse_formats(value: str) -> tuple[str, ...]:
    formats = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [part for part in formats if part not in ("pdf", "docx")]
    if unknown or not formats:
        raise ReportgenError(_("unknown output format(s) {formats}; use pdf, docx or pdf,docx").format(
            formats=", ".join(unknown) or "-"))
    return formats


def _progress(args) -> Progress:
    return _RichProgress() if sys.stderr.isatty() and args.format == "text" else _PlainProgress()


def _counts(results: list[str]) -> dict[str, int]:
    return {name: results.count(name) for name in ("built", "reused", "failed", "skipped")}


def _cmd_build(args, config: Config, *, years: set[str] | None = None, reports: bool = True) -> int:
    from generator.build.run import BuildRequest, build

    request = BuildRequest.of(paths=getattr(args, "paths", None), formats=_parse_formats(args.to), jobs=args.jobs,
                              volume=not getattr(args, "no_volume", False), strict=args.strict, out=args.out,
                              include_drafts=args.include_drafts, years=years, reports=reports,
                              scheduler=getattr(args, "scheduler", None))
    result = build(config, request, progress=_progress(args), journal_as=args.argv)
    problems = [item for record in result.reports if record.failed for item in record.diagnostics]
    sources = {record.doc.path: record.doc.draft.text for record in result.reports if record.failed}
    return _print_build(args, exit_status=result.exit_status, duration=result.duration,
                        counts=_counts([record.result for record in result.reports]),
                        manifest_path=result.manifest_path, volumes=result.volumes, problems=problems,
                        sources=sources, checked=len(result.reports), reports=reports)


def _print_build(args, *, exit_status: int, duration: float, counts: dict[str, int], manifest_path: Path,
                 volumes: list[dict], problems: list | None = None, sources: dict | None = None,
                 checked: int = 0, reports: bool = True) -> int:
    """The summary of a build, or of a replayed one (`journal.py`): text, or JSON with `--format json`."""
    import json

    from generator.check.formats import display_path

    if args.format == "json":
        print(json.dumps({"exit_status": exit_status, "duration_seconds": round(duration, 3),
                          "reports": counts, "manifest": str(manifest_path),
                          "volumes": [{key: volume.get(key) for key in ("year", "result", "pages", "outputs")}
                                      for volume in volumes]}, ensure_ascii=False, indent=2))
        return exit_status
    if problems:
        from generator.check.formats import format_text

        print(format_text(problems, files_checked=checked, sources=sources or {}))
    if reports:
        print(_("Reports: {built} built, {reused} unchanged, {failed} failed.").format(**counts))
    for volume in volumes:
        outputs = ", ".join(display_path(manifest_path.parent / entry["path"])
                            for entry in volume.get("outputs", {}).values())
        if "pdf" in volume.get("outputs", {}):
            print(_("Volume {year}: {result}, {pages} pages {outputs}").format(
                year=volume["year"], result=_result_label(volume["result"]), pages=volume.get("pages", 0),
                outputs=outputs))
        else:  # only the PDF volume's pages are known; Word lays its file out when it opens it
            print(_("Volume {year}: {result} {outputs}").format(
                year=volume["year"], result=_result_label(volume["result"]), outputs=outputs).rstrip())
        if volume.get("excluded"):
            print(_("  excluded because they failed: {ids}").format(ids=", ".join(volume["excluded"])))
    print(_("Finished in {seconds:.1f} s; manifest: {path}").format(seconds=duration, path=display_path(manifest_path)))
    return exit_status


def _result_label(result: str) -> str:
    labels = {"built": _("built"), "reused": _("unchanged"), "failed": _("failed"), "skipped": _("skipped"),
              "pending": _("pending")}
    return labels.get(result, result)


def _cmd_volume(args, config: Config) -> int:
    return _cmd_build(args, config, years={str(args.year)}, reports=False)


def _cmd_serve(args, config: Config) -> int:
    from generator.web.server import serve

    print(_("Serving the workspace on http://{host}:{port}/ (Ctrl-C stops it)").format(
        host=args.host, port=args.port), file=sys.stderr, flush=True)
    serve(host=args.host, port=args.port, config_path=config.path)
    return EXIT_OK


def _cmd_users(args, config: Config) -> int:
    from generator.read.registry import load_registry
    from generator.web.setup import setup_django

    setup_django(config.path)
    from generator.web.users import add_user, import_counselors

    options = {"password": args.password, "base_url": args.base_url}
    if args.users_command == "import":
        accounts = import_counselors(load_registry(config.registry_path), **options)
    else:
        registry_name = args.name if args.role == "counselor" else None
        accounts = [add_user(args.name, role=args.role, registry_name=registry_name, **options)]
    for account in accounts:
        state = _("created") if account.created else _("exists")
        print(f"{account.username}\t{account.role}\t{state}\t{account.link or ''}".rstrip())
    return EXIT_OK


COMMANDS = {"serve": _cmd_serve, "users": _cmd_users, "build": _cmd_build, "volume": _cmd_volume, "check": _cmd_check, "new": _cmd_new, "import": _cmd_import, "doctor": _cmd_doctor, "rules": _cmd_rules}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The language must be known before argparse prints help or errors.
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang")
    known, _rest = early.parse_known_args(argv)
    set_language(known.lang or language_from_environment())
    route_argparse_messages()
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.command:
        parser.print_help()
        return EXIT_ERROR
    args.argv = argv
    try:
        if args.command == "build" and not args.paths:
            from generator.build.journal import replay

            replayed = replay(argv, args.config, _progress(args))  # nothing changed since the last build
            if replayed is not None:
                path, manifest = replayed
                return _print_build(args, exit_status=manifest["exit_status"], duration=manifest["duration_seconds"],
                                    counts=_counts([entry["result"] for entry in manifest["reports"]]),
                                    manifest_path=path, volumes=manifest["volumes"])
        if args.command in ("build", "volume") and (args.jobs or os.cpu_count() or 1) > 1 \
                and not getattr(args, "scheduler", None):
            from generator.build.pool import start_fork_server

            start_fork_server()  # it imports the renderers while this process loads the configuration and checks
        config = _load_config(args)
        if not known.lang and not language_from_environment() and config.language:
            set_language(config.language)
        return COMMANDS[args.command](args, config)
    except ConfigError as error:
        print(_("configuration error in {source}:").format(source=error.source), file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_ERROR
    except ReportgenError as error:
        print(_("reportgen: error: {message}").format(message=error), file=sys.stderr)
        return error.exit_code
    except (KeyboardInterrupt, Terminated) as stopped:
        _say_stopped(args)
        return 130 if isinstance(stopped, KeyboardInterrupt) else Terminated.exit_code
    except OSError as error:  # the environment (output path, permissions, a full disk), never a draft
        log.debug("environment problem", exc_info=True)
        where = error.filename if error.filename is not None else error.filename2
        print(_("reportgen: error: cannot use {path}: {reason}").format(
            path=where if where is not None else "?", reason=describe_os_error(error)), file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # noqa: BLE001 - last line of defence: exit code 2, not a bare traceback
        log.debug("internal error", exc_info=True)
        print(_("reportgen: internal error: {error} (run with -v for details)").format(
            error=f"{type(error).__name__}: {error}"), file=sys.stderr)
        return EXIT_ERROR


def _say_stopped(args) -> None:
    """One line when Ctrl-C or SIGTERM stopped a build (its clean-up done: nothing half-written, the lock
    released); the other commands stop silently."""
    if args.command not in ("build", "volume"):
        return
    if getattr(args, "scheduler", None):
        print(_("reportgen: build stopped; its tasks on the Dask cluster were cancelled, the outputs finished so "
                "far are kept and the next build goes on from there"), file=sys.stderr)
    else:
        print(_("reportgen: build stopped; the outputs finished so far are kept and the next build goes on from "
                "there"), file=sys.stderr)


def run() -> None:
    """The `reportgen` command and `python -m generator`: `main`, then leave at once. Everything is written and
    flushed by then and the workers have stopped; tearing the interpreter down (its objects, the finished
    process pool) took 0.1–0.2 s of every build. Tests call `main` itself."""
    global _COMMAND_PID
    _COMMAND_PID = os.getpid()
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = main()
    except (KeyboardInterrupt, Terminated) as stopped:  # arrived outside `main`'s handlers: no traceback
        code = 130 if isinstance(stopped, KeyboardInterrupt) else Terminated.exit_code
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


_COMMAND_PID = 0


def _terminate(_signum, _frame) -> None:
    if os.getpid() != _COMMAND_PID:  # a process forked from the command (the checker's workers): just end
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the clean-up that follows is not interrupted again
    raise Terminated()
