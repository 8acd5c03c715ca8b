"""core — the domain's vocabulary, shared by every layer: typed data (`model`), the diagnostic codes as data
(`codes`, `diagnostics`), configuration (`config`), errors, messages (`i18n`), text normalisation, fonts and page
geometry, line breaking (`typeset`), digests, atomic writes and the user cache.

May import: nothing of reportgen but `generator.__version__` (and third-party libraries). Every other layer
imports it."""
