// What the workspace's page script (static/workspace/editor.js) uses of CodeMirror 6, exposed as one global.
export { EditorState, StateEffect, StateField } from "@codemirror/state";
export { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from "@codemirror/view";
export { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
export { markdown } from "@codemirror/lang-markdown";
export { setDiagnostics, lintGutter, forEachDiagnostic } from "@codemirror/lint";
