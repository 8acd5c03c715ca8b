"""build — the nightly job: what an output depends on (`keys`), the output directory's lock, cache layout and
records (`store`), the build itself (`run`: check, plan, render, write the manifest), the annual volume's tasks
(`volume`), worker processes (`pool`, `worker`, `preload`) and the journal that replays a build where nothing
changed (`journal`). The only layer that writes outputs or starts processes.

May import: `generator.render`, `generator.check`, `generator.read`, `generator.core`."""
