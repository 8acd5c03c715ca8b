// The review page: the report's source read-only in CodeMirror beside its PDF page (the page of the line
// clicked), comments at their lines, and new comments on the selected line or lines.
(() => {
  "use strict";
  const root = document.getElementById("review");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const messages = JSON.parse(root.dataset.messages);
  const canComment = root.dataset.canComment === "true";
  let comments = [];
  let previewBusy = false, previewAgain = false, lastLine = 0;

  const view = new CM.EditorView({
    parent: $("editor"),
    state: CM.EditorState.create({
      doc: $("source").value,
      extensions: [
        CM.EditorView.cspNonce.of(document.querySelector('meta[name="csp-nonce"]').content),
        CM.lineNumbers(), CM.drawSelection(), CM.highlightActiveLine(), CM.markdown(), CM.lintGutter(),
        CM.EditorView.lineWrapping, CM.EditorState.readOnly.of(true), CM.EditorView.editable.of(true),
        CM.EditorView.updateListener.of((update) => { if (update.selectionSet) selectionMoved(); }),
      ],
    }),
  });
  window.reportEditor = view;   // for the browser tests and the console

  function selectedLines() {
    const {from, to} = view.state.selection.main;
    const first = view.state.doc.lineAt(from).number;
    let last = view.state.doc.lineAt(to).number;
    if (to > from && view.state.doc.lineAt(to).from === to && last > first) last -= 1;   // a range ending at a line start
    return [first, last];
  }

  function selectionMoved() {
    const [first, last] = selectedLines();
    if ($("comment-first")) { $("comment-first").value = first; $("comment-last").value = last; }
    if (first !== lastLine) preview(first);
  }

  function show(list) {
    comments = list;
    root.dataset.commentCount = String(list.length);
    view.dispatch(CM.setDiagnostics(view.state, ReportComments.diagnostics(view, comments)));
    ReportComments.render($("comments"), comments, {messages, view, resolveUrl: root.dataset.resolve,
                                                    canResolve: canComment, onChange: show});
  }

  async function preview(line) {
    if (previewBusy) { previewAgain = true; lastLine = line; return; }
    previewBusy = true;
    lastLine = line;
    $("preview-state").textContent = messages.rendering;
    try {
      const {status, data} = await ReportComments.post(root.dataset.preview, {text: view.state.doc.toString(), line});
      if (status === 200) {
        $("preview").src = data.image;
        $("preview").dataset.page = data.page;
        $("preview").dataset.pages = data.pages;
        $("preview-state").textContent = messages.page.replace("{page}", data.page).replace("{pages}", data.pages);
      }
    } finally {
      previewBusy = false;
      if (previewAgain) { previewAgain = false; preview(lastLine); }
    }
  }

  if ($("comment-form")) {
    $("comment-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = $("comment-body").value.trim();
      if (!body) return;
      const {status, data} = await ReportComments.post(root.dataset.commentsUrl, {
        body, first_line: $("comment-first").value, last_line: $("comment-last").value, base: root.dataset.base});
      if (status === 200) { $("comment-body").value = ""; show(data.comments); }
    });
  }

  fetch(root.dataset.commentsUrl, {credentials: "same-origin"}).then((response) => response.json())
    .then((data) => show(data.comments));
  preview(1);
})();
