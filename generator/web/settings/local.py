"""`reportgen serve` on a loopback address over plain HTTP (one machine, or behind an SSH tunnel): no Secure
cookies, since the browser would not send them back over HTTP. Anything reachable from a network uses
`production` behind TLS."""

from .base import *  # noqa: F403
