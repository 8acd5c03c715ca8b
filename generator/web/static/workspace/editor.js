// The report editor: CodeMirror 6 (the vendored bundle's global `CM`), live diagnostics from the server's
// `check` of the text in memory, fixes, front-matter pickers, the preview, saving and submitting.
// No inline script anywhere (the Content-Security-Policy forbids it): everything is wired up here.
(() => {
  "use strict";
  const root = document.getElementById("workspace");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const messages = JSON.parse(root.dataset.messages);
  const editable = root.dataset.editable === "true";
  const CHECK_DELAY = 120, PREVIEW_DELAY = 300;
  let base = root.dataset.base;
  let version = 0;            // increases with every change of the text: results for an older one are dropped
  let savedVersion = 0;
  let composing = false;      // an IME composition is under way: nothing is sent, no lint update is shown
  let heldResult = null;      // diagnostics that arrived during a composition
  let checkTimer = null, previewTimer = null, previewBusy = false, previewAgain = false, lastPreviewLine = 0;
  let comments = [];          // review comments, placed by the server in the text as last checked
  let lastResult = null;

  const $ = (id) => document.getElementById(id);
  const show = (text, isError) => {
    const element = $("message");
    element.textContent = text || "";
    element.hidden = !text;
    element.classList.toggle("error", !!isError);
  };
  const post = async (url, fields) => {
    const body = fields instanceof FormData ? fields : new URLSearchParams();
    if (!(fields instanceof FormData)) {
      for (const [key, value] of Object.entries(fields)) {
        if (Array.isArray(value)) value.forEach((item) => body.append(key, item));
        else body.append(key, value);
      }
    }
    const response = await fetch(url, {method: "POST", body, credentials: "same-origin",
                                       headers: {"X-CSRFToken": csrf}});
    let data = {};
    try { data = await response.json(); } catch (error) { data = {error: response.statusText}; }
    return {status: response.status, data};
  };

  const view = new CM.EditorView({
    parent: $("editor"),
    state: CM.EditorState.create({
      doc: $("source").value,
      extensions: [
        CM.EditorView.cspNonce.of(document.querySelector('meta[name="csp-nonce"]').content),
        CM.lineNumbers(), CM.history(), CM.drawSelection(), CM.highlightActiveLine(), CM.markdown(),
        CM.lintGutter(), CM.EditorView.lineWrapping, CM.EditorState.readOnly.of(!editable),
        CM.keymap.of([{key: "Mod-s", preventDefault: true, run: () => { save(); return true; }},
                      ...CM.defaultKeymap, ...CM.historyKeymap]),
        CM.EditorView.updateListener.of((update) => {
          if (update.docChanged) changed();
          else if (update.selectionSet) cursorMoved();
        }),
        CM.EditorView.domEventHandlers({
          compositionstart: () => { composing = true; },
          compositionend: () => { composing = false; setTimeout(afterComposition, 0); },
        }),
      ],
    }),
  });
  // For the browser tests and the console: the view, and how lint updates met IME compositions.
  const stats = {lintUpdates: 0, lintUpdatesDuringComposition: 0, heldDuringComposition: 0};
  window.reportEditor = view;
  window.reportEditorStats = stats;

  function afterComposition() {
    if (heldResult && heldResult.version === version) showDiagnostics(heldResult);
    heldResult = null;
    scheduleCheck();
    schedulePreview();
  }

  function changed() {
    version += 1;
    $("save-state").textContent = messages.unsaved;
    if (composing || view.composing) return;
    scheduleCheck();
    schedulePreview();
  }

  function cursorMoved() {
    const line = view.state.doc.lineAt(view.state.selection.main.head).number;
    if (line !== lastPreviewLine) schedulePreview();
  }

  function scheduleCheck() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(runCheck, CHECK_DELAY);
  }

  async function runCheck() {
    if (composing || view.composing) return;
    const asked = version;
    const text = view.state.doc.toString();
    const [{status, data}, placed] = await Promise.all([
      post(root.dataset.check, {text}), post(root.dataset.commentsUrl, {text})]);
    if (status !== 200 || asked !== version) return;
    if (placed.status === 200) comments = placed.data.comments;
    const result = {version: asked, ...data};
    if (composing || view.composing) { heldResult = result; stats.heldDuringComposition += 1; return; }
    showDiagnostics(result);
  }

  function fixAction(item, resultVersion) {
    return {name: messages.fix, apply: (target) => applyFix(item, resultVersion)};
  }

  function applyFix(item, resultVersion) {
    if (resultVersion !== version) { scheduleCheck(); return; }   // stale offsets: check again first
    view.dispatch({changes: item.fix.map((edit) => ({from: edit.from, to: edit.to, insert: edit.insert}))});
  }

  function showDiagnostics(result) {
    stats.lintUpdates += 1;
    if (composing || view.composing) stats.lintUpdatesDuringComposition += 1;
    lastResult = result;
    const items = result.diagnostics;
    const severity = {error: "error", warning: "warning", info: "info"};
    view.dispatch(CM.setDiagnostics(view.state, items.map((item) => ({
      from: item.from, to: item.to, severity: severity[item.severity] || "info",
      source: item.code, message: `${item.line}:${item.col} ${item.code} ${item.message}`,
      actions: item.fix.length ? [fixAction(item, result.version)] : [],
    })).concat(ReportComments.diagnostics(view, comments))));
    showComments();
    const list = $("diagnostics");
    list.replaceChildren(...items.map((item) => {
      const entry = document.createElement("li");
      entry.className = `diagnostic ${item.severity}`;
      entry.dataset.code = item.code;
      entry.dataset.line = item.line;
      entry.dataset.col = item.col;
      const place = document.createElement("a");
      place.href = "#";
      place.className = "place";
      place.textContent = `${item.line}:${item.col}`;
      place.addEventListener("click", (event) => {
        event.preventDefault();
        view.dispatch({selection: {anchor: item.from}, scrollIntoView: true});
        view.focus();
      });
      const text = document.createElement("span");
      text.textContent = ` ${item.code} ${item.message} `;
      entry.append(place, text);
      if (item.fix.length && editable) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "fix";
        button.textContent = messages.fix;
        button.addEventListener("click", () => applyFix(item, result.version));
        entry.append(button);
      }
      return entry;
    }));
    $("summary").textContent = messages.problems.replace("{errors}", result.errors)
      .replace("{warnings}", result.warnings);
    root.dataset.errors = result.errors;
    root.dataset.checkedVersion = result.version;
  }

  function showComments() {
    root.dataset.commentCount = String(comments.length);
    ReportComments.render($("comments"), comments, {
      messages, view, resolveUrl: root.dataset.resolve, canResolve: root.dataset.canResolve === "true",
      onChange: placeComments});
  }

  async function placeComments() {
    // after a resolution: the comments placed again in the text as typed (the server's answer placed them in
    // the saved file, whose lines may differ)
    const asked = version;
    const {status, data} = await post(root.dataset.commentsUrl, {text: view.state.doc.toString()});
    if (status !== 200 || asked !== version) return;
    comments = data.comments;
    if (lastResult && lastResult.version === version) showDiagnostics(lastResult);
    else showComments();
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(runPreview, PREVIEW_DELAY);
  }

  async function runPreview() {
    if (composing || view.composing) return;
    if (previewBusy) { previewAgain = true; return; }
    previewBusy = true;
    const line = view.state.doc.lineAt(view.state.selection.main.head).number;
    lastPreviewLine = line;
    $("preview-state").textContent = messages.rendering;
    try {
      const {status, data} = await post(root.dataset.preview, {text: view.state.doc.toString(), line});
      if (status === 200) {
        $("preview").src = data.image;
        $("preview").dataset.page = data.page;
        $("preview").dataset.pages = data.pages;
        $("preview-state").textContent = messages.page.replace("{page}", data.page).replace("{pages}", data.pages);
      } else {
        $("preview-state").textContent = data.error || String(status);
      }
    } finally {
      previewBusy = false;
      if (previewAgain) { previewAgain = false; schedulePreview(); }
    }
  }

  function replaceText(text) {
    // Only the span that differs is replaced: the cursor, the undo history and the rest of the text stay.
    const old = view.state.doc.toString();
    let start = 0;
    while (start < old.length && start < text.length && old[start] === text[start]) start += 1;
    let oldEnd = old.length, newEnd = text.length;
    while (oldEnd > start && newEnd > start && old[oldEnd - 1] === text[newEnd - 1]) { oldEnd -= 1; newEnd -= 1; }
    if (start !== oldEnd || start !== newEnd) {
      view.dispatch({changes: {from: start, to: oldEnd, insert: text.slice(start, newEnd)}});
    }
  }

  async function save() {
    if (!editable) return;
    const asked = version;
    const {status, data} = await post(root.dataset.save, {text: view.state.doc.toString(), base});
    if (status === 200) {
      base = data.hash;
      savedVersion = asked;
      $("conflict").hidden = true;
      $("save-state").textContent = asked === version ? messages.saved : messages.unsaved;
      show("");
    } else if (status === 409 && data.conflict) {
      $("save-state").textContent = messages.conflict;
      $("conflict-theirs").textContent = data.theirs_diff;
      $("conflict-mine").textContent = data.mine_diff;
      $("conflict").hidden = false;
      show(data.message, true);
    } else {
      show(data.error || String(status), true);
    }
  }

  async function submit() {
    if (savedVersion !== version) await save();
    const {status, data} = await post(root.dataset.submit, {base});
    if (status === 200) {
      base = data.hash;
      window.location.reload();
    } else {
      show(data.error || data.message || String(status), true);
    }
  }

  if ($("save")) $("save").addEventListener("click", save);
  if ($("submit")) $("submit").addEventListener("click", submit);

  document.querySelectorAll("#pickers select").forEach((select) => {
    select.addEventListener("change", async () => {
      const value = select.multiple ? [...select.selectedOptions].map((option) => option.value) : select.value;
      const {status, data} = await post(root.dataset.frontMatter,
                                        {text: view.state.doc.toString(), key: select.dataset.key, value});
      if (status === 200) replaceText(data.text);
      else show(data.error, true);
    });
  });

  if ($("image")) {
    $("image").addEventListener("change", async () => {
      const file = $("image").files[0];
      if (!file) return;
      const form = new FormData();
      form.append("image", file);
      const {status, data} = await post(root.dataset.assets, form);
      $("image").value = "";
      if (status !== 200) { show(data.error, true); return; }
      const at = view.state.selection.main.head;
      view.dispatch({changes: {from: at, insert: `\n${data.markdown}\n`}});
    });
  }

  runCheck();
  runPreview();
})();
