"""Fault injection for the build's worker processes (tests only: on PYTHONPATH in a test's subprocess build).

`REPORTGEN_FAULT=kill:<file name>` makes a worker rendering that draft kill itself (as the kernel's
out-of-memory killer would); `REPORTGEN_FAULT=hang:<file name>` makes it hang where its own timer cannot
reach it (SIGALRM blocked, as inside a C library). Every process of the build imports this file at start-up
(Python's `site`), and the fork server's workers inherit the patched module.

For Dask workers (tests/test_distributed.py), `REPORTGEN_FAULT=armed:<directory>` acts on files the test puts
there: `kill-<file name>` makes every worker rendering that draft kill itself; `pause-<file name>` makes the
first one write its pid to `paused-<file name>` and wait (for the test to kill it). `REPORTGEN_AUDIT_OPEN=
<prefix>|<log>` appends to <log> every file the process opens under <prefix> or under a Dask worker's copy of
the build's files."""

import importlib.abc
import importlib.machinery
import os
import sys

FAULT = os.environ.get("REPORTGEN_FAULT", "")


class _PatchWorker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "generator.build.worker":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module
        kind, _, draft_name = FAULT.partition(":")

        def exec_module(module):
            run(module)
            original = module.parse  # what a worker calls on the draft, once it has taken the task

            def faulty(draft, *args, **kwargs):
                if kind == "armed":
                    _armed(draft_name, os.path.basename(str(draft.path)))
                elif str(draft.path).endswith(draft_name):
                    if kind == "kill":
                        os.kill(os.getpid(), 9)
                    import signal
                    import time

                    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
                    time.sleep(3600)
                return original(draft, *args, **kwargs)

            module.parse = faulty

        spec.loader.exec_module = exec_module
        return spec


def _armed(directory, name):
    import time

    if os.path.exists(os.path.join(directory, "kill-" + name)):
        os.kill(os.getpid(), 9)
    paused = os.path.join(directory, "paused-" + name)
    if os.path.exists(os.path.join(directory, "pause-" + name)) and not os.path.exists(paused):
        with open(paused + ".tmp", "w") as handle:
            handle.write(str(os.getpid()))
        os.replace(paused + ".tmp", paused)
        time.sleep(120)  # until the test kills this process


def _audit(prefix, log):
    def hook(event, args):
        if event != "open" or isinstance(args[0], int) or args[0] is None:
            return
        path = os.fsdecode(os.fspath(args[0]))
        if path.startswith(prefix) or "/reportgen/project/" in path:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(path + "\n")

    sys.addaudithook(hook)


if FAULT:
    sys.meta_path.insert(0, _PatchWorker())
if os.environ.get("REPORTGEN_AUDIT_OPEN"):
    _audit(*os.environ["REPORTGEN_AUDIT_OPEN"].split("|"))
