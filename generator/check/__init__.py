"""check — diagnostics for documents: the engine that runs every rule (`engine`: check_document, check_paths,
severity overrides), the rule functions attached to their codes (`registry`, `rules/`), safe fixes (`fixes`),
machine formats (`formats`) and the scaffold of a new draft (`scaffold`). Returns diagnostics; never renders,
never writes outputs (only `fixes` rewrites a draft, when asked to).

May import: `generator.read`, `generator.core`."""
