"""Settings modules: `base` (shared), `local` (`reportgen serve` on a loopback address), `production`."""
