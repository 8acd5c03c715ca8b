// Review comments, shared by the editor and the review page: shown in CodeMirror at the lines the server
// placed them (as lint entries of severity "info", so they sit in the gutter and under the text beside the
// checker's diagnostics) and listed under the editor with their line, state and a Resolve button.
(() => {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  async function post(url, fields) {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(fields)) body.append(key, value);
    const response = await fetch(url, {method: "POST", body, credentials: "same-origin",
                                       headers: {"X-CSRFToken": csrf()}});
    let data = {};
    try { data = await response.json(); } catch (error) { data = {error: response.statusText}; }
    return {status: response.status, data};
  }

  function diagnostics(view, comments) {
    const doc = view.state.doc;
    return comments.filter((item) => !item.resolved).map((item) => {
      const first = doc.line(Math.min(Math.max(item.first_line, 1), doc.lines));
      const last = doc.line(Math.min(Math.max(item.last_line, 1), doc.lines));
      return {from: first.from, to: Math.max(last.to, first.from), severity: "info", source: "comment",
              message: `💬 ${item.author}: ${item.body}`};
    });
  }

  function render(list, comments, {messages, view, resolveUrl, canResolve, onChange}) {
    if (!list) return;
    if (!comments.length) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = messages.empty || "";
      list.replaceChildren(empty);
      return;
    }
    list.replaceChildren(...comments.map((item) => {
      const entry = document.createElement("li");
      entry.className = `comment ${item.state}${item.resolved ? " resolved" : ""}`;
      entry.dataset.id = item.id;
      entry.dataset.line = item.first_line;
      entry.dataset.lastLine = item.last_line;
      entry.dataset.state = item.state;
      const place = document.createElement("a");
      place.href = "#";
      place.className = "place";
      place.textContent = (item.first_line === item.last_line ? messages.line : messages.lines)
        .replace("{first}", item.first_line).replace("{last}", item.last_line);
      place.addEventListener("click", (event) => {
        event.preventDefault();
        if (!view) return;
        const line = view.state.doc.line(Math.min(item.first_line, view.state.doc.lines));
        view.dispatch({selection: {anchor: line.from}, scrollIntoView: true});
        view.focus();
      });
      const who = document.createElement("b");
      who.textContent = ` ${item.author} `;
      const body = document.createElement("span");
      body.className = "body";
      body.textContent = item.body;
      entry.append(place, who, body);
      if (item.state !== "same") {
        const state = document.createElement("em");
        state.className = "state";
        state.textContent = ` (${messages[item.state] || item.state})`;
        entry.append(state);
      }
      if (item.resolved) {
        const done = document.createElement("em");
        done.textContent = ` ${messages.resolved.replace("{who}", item.resolved_by)}`;
        entry.append(done);
      } else if (canResolve) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "resolve";
        button.textContent = messages.resolve;
        button.addEventListener("click", async () => {
          const {status, data} = await post(`${resolveUrl}${item.id}/resolve`, {});
          if (status === 200 && onChange) onChange(data.comments);
        });
        entry.append(button);
      }
      return entry;
    }));
  }

  window.ReportComments = {post, diagnostics, render};
})();
