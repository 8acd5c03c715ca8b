"""Imported by the build's fork server only (see `pool.py`): workers fork from a process that has
imported the renderers once, instead of each importing them. Ctrl-C reaches the whole process group: the fork
server and the workers it forks ignore it (the build stops them), and they die with the build."""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)  # before the imports: the fork server then keeps it for its children
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # started with it blocked (`pool._ctrl_c_held`)

from .worker import die_with_parent, preload  # noqa: E402

die_with_parent()
preload()
