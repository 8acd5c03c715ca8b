"""The command line: argument parsing, printing and exit codes. Nothing else in the package prints.

Exit codes: 0 success; 1 problems found in drafts (errors, or warnings with --strict) or a report failed
to build; 2 usage, configuration, environment or internal error; 3 another build holds the output lock.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__
from .config import Config, load_config
from .errors import ConfigError, ReportgenError
from .i18n import _, language_from_environment, set_language

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR, EXIT_LOCKED = 0, 1, 2, 3
log = logging.getLogger("generator")


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2 with a translated prefix
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, _("reportgen: usage error: {message}\n").format(message=message))


def _build_parser() -> ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, metavar="FILE", help=_("configuration file (default: nearest reportgen.toml)"))
    common.add_argument("--lang", choices=["zh_CN", "zh", "en"], help=_("message language (default: Simplified Chinese)"))
    common.add_argument("-v", "--verbose", action="store_true", help=_("log details"))

    parser = ArgumentParser(prog="reportgen", description=_(
        "Validate counselors' report drafts and build branded PDF/DOCX reports and annual volumes."),
        parents=[common])
    parser.add_argument("--version", action="version", version=f"reportgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)

    check = commands.add_parser("check", parents=[common], help=_("validate drafts"),
                                description=_("Validate drafts (default: all drafts under the sources)."))
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    check.add_argument("--format", choices=["text", "json", "junit", "sarif"], default="text")
    check.add_argument("--strict", action="store_true", help=_("warnings fail the check too"))
    check.add_argument("--fix", action="store_true", help=_("apply safe fixes (originals kept as .bak)"))
    check.add_argument("--diff", action="store_true", help=_("with --fix: print the changes instead of writing"))
    check.add_argument("--no-source", action="store_true", help=_("text format: no source excerpt"))

    new = commands.add_parser("new", parents=[common], help=_("scaffold a new draft"),
                              description=_("Create a draft with front matter and every required section."))
    new.add_argument("--id", required=True, help=_("report id (file name without .md), e.g. r29"))
    new.add_argument("--year", type=int, required=True)
    new.add_argument("--company", required=True)
    new.add_argument("--counselor", action="append", required=True, dest="counselors",
                     help=_("counselor name (repeat for several)"))
    new.add_argument("--theme", required=True)
    new.add_argument("--title", default=None)

    commands.add_parser("doctor", parents=[common], help=_("check this machine's setup"),
                        description=_("Versions, fonts, the HarfBuzz subsetter and a one-page smoke render."))
    commands.add_parser("rules", parents=[common], help=_("list every diagnostic code"))
    return parser


def _load_config(args) -> Config:
    return load_config(args.config.resolve() if args.config else None)


def _cmd_check(args, config: Config) -> int:
    from .check import check_paths
    from .discover import discover_drafts
    from .fixes import fix_file, write_fix
    from .formats import format_json, format_junit, format_sarif, format_text
    from .model import Severity
    from .registry import load_registry
    from .rules.context import CheckContext

    paths = discover_drafts(args.paths, config)
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
    documents, diagnostics = check_paths(paths, config, registry, whole_corpus=whole_corpus)
    if args.format == "text":
        sources = {} if args.no_source else {doc.path: doc.draft.text for doc in documents}
        if not args.no_source and config.registry_path.is_file():
            sources[config.registry_path] = config.registry_path.read_text(encoding="utf-8", errors="replace")
        print(format_text(diagnostics, files_checked=len(paths), sources=sources, fixed=fixed))
    elif args.format == "json":
        print(format_json(diagnostics, files_checked=len(paths), fixed=fixed))
    elif args.format == "junit":
        print(format_junit(diagnostics, files=paths, strict=args.strict))
    else:
        print(format_sarif(diagnostics))
    failing = {Severity.ERROR, Severity.WARNING} if args.strict else {Severity.ERROR}
    return EXIT_PROBLEMS if any(item.severity in failing for item in diagnostics) else EXIT_OK


def _cmd_new(args, config: Config) -> int:
    from .registry import load_registry
    from .scaffold import scaffold_draft

    path = scaffold_draft(config, load_registry(config.registry_path), report_id=args.id, year=args.year,
                          company=args.company, counselors=args.counselors, theme=args.theme, title=args.title)
    print(_("created {path}").format(path=path))
    return EXIT_OK


def _cmd_doctor(args, config: Config) -> int:
    from .doctor import run_doctor

    findings = run_doctor(config)
    width = max(len(finding.name) for finding in findings)
    for finding in findings:
        mark = "ok " if finding.ok else ("ERR" if finding.required else "-- ")
        print(f"[{mark}] {finding.name.ljust(width)}  {finding.detail}")
    failed = [finding for finding in findings if finding.required and not finding.ok]
    print(_("Everything reportgen needs is in place.") if not failed else
          _("{count} required item(s) missing.").format(count=len(failed)))
    return EXIT_ERROR if failed else EXIT_OK


def _cmd_rules(args, config: Config) -> int:
    from .diagnostics import all_rules

    for code, registered in sorted(all_rules().items()):
        print(f"{code}  {registered.name:<28} {registered.severity.label:<8} {registered.description}")
    return EXIT_OK


COMMANDS = {"check": _cmd_check, "new": _cmd_new, "doctor": _cmd_doctor, "rules": _cmd_rules}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The language must be known before argparse prints help or errors.
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang")
    known, _rest = early.parse_known_args(argv)
    set_language(known.lang or language_from_environment())
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.command:
        parser.print_help()
        return EXIT_ERROR
    try:
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
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - last line of defence: exit code 2, not a bare traceback
        log.debug("internal error", exc_info=True)
        print(_("reportgen: internal error: {error} (run with -v for details)").format(
            error=f"{type(error).__name__}: {error}"), file=sys.stderr)
        return EXIT_ERROR
