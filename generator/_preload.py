"""Imported by the build's fork server only (see `pool.py`): workers fork from a process that has
imported the renderers once, instead of each importing them."""

from .worker import preload

preload()
