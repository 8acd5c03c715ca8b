"""render — one Document tree to its outputs: HTML and PDF through WeasyPrint (`html`, `pdf`), Word through
python-docx (`docx`, `docx_styles`), laid-out units and their assembly (`units`, `assemble`, `fontprograms`,
`pagenumbers`), and the annual volume (`volume_plan`, `volume_pdf`, `volume_docx`). Pure functions of their
inputs: no processes, no output directory, no cache of their own (a `units.UnitStore` is handed in).

May import: `generator.check` (severity of what rendering reports), `generator.read`, `generator.core`."""
