// The compile page (generator/web/compile.py): polls the compile's status and shows its progress live, step by
// step (report by report, then the volume); when the compile has finished, the page is loaded again and shows the
// downloads and any failures. No inline script anywhere (the Content-Security-Policy forbids it).
(() => {
  "use strict";
  const root = document.getElementById("compile-job");
  if (!root) return;
  const messages = JSON.parse(root.dataset.messages);
  const titles = JSON.parse(root.dataset.titles);   // report id -> title: the build names each step by id
  const POLL_MS = 700;
  const $ = (id) => document.getElementById(id);

  const show = (status) => {
    root.dataset.state = status.state;
    const template = messages[status.state] || status.state;
    $("compile-state").textContent = template.replace("{done}", status.done).replace("{total}", status.total);
    $("compile-state").classList.toggle("bad", ["failed", "error", "gone", "locked"].includes(status.state));
    const bar = $("compile-progress");
    bar.max = Math.max(status.total, 1);
    bar.value = status.done;
    const list = $("compile-steps");
    for (let index = list.children.length; index < status.steps.length; index += 1) {
      const item = document.createElement("li");
      const step = status.steps[index];
      item.dataset.step = step;
      item.textContent = titles[step] ? `${step} · ${titles[step]}` : step;
      list.appendChild(item);
    }
    let note = $("compile-message");
    if (status.message) {
      if (!note) {
        note = document.createElement("p");
        note.id = "compile-message";
        note.className = "message";
        $("compile-state").after(note);
      }
      note.textContent = status.message;
    } else if (note) {
      note.remove();
    }
  };

  const poll = async () => {
    let status;
    try {
      const response = await fetch(root.dataset.statusUrl, {credentials: "same-origin",
                                                             headers: {"Accept": "application/json"}});
      if (!response.ok) throw new Error(response.statusText);
      status = await response.json();
    } catch (error) {
      setTimeout(poll, POLL_MS * 3);   // the server restarting: try again a little later
      return;
    }
    show(status);
    if (status.finished) location.reload();   // the server renders the results: downloads, failures
    else setTimeout(poll, POLL_MS);
  };

  if (!["done", "failed", "locked", "error", "gone"].includes(root.dataset.state)) poll();
})();
