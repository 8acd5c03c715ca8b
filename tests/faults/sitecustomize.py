"""Fault injection for the build's worker processes (tests only: on PYTHONPATH in a test's subprocess build).

`REPORTGEN_FAULT=kill:<file name>` makes a worker rendering that draft kill itself (as the kernel's
out-of-memory killer would); `REPORTGEN_FAULT=hang:<file name>` makes it hang where its own timer cannot
reach it (SIGALRM blocked, as inside a C library). Every process of the build imports this file at start-up
(Python's `site`), and the fork server's workers inherit the patched module."""

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
                if str(draft.path).endswith(draft_name):
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


if FAULT:
    sys.meta_path.insert(0, _PatchWorker())
