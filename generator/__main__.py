"""`python -m generator` and the `reportgen` command: the command line.

Loading the command line takes a moment (its imports); a Ctrl-C or SIGTERM meanwhile ends the command quietly
with the exit code it documents, as one arriving later does (`cli.run`), never with a traceback."""

import os


def run() -> None:
    try:
        from generator.cli import run as command
    except KeyboardInterrupt:
        os._exit(130)
    command()


if __name__ == "__main__":
    run()
