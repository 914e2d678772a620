// Stands in for xlwings Server's static/js/alerts/parent.js: records the dialog's text.
export async function xlAlert(prompt, title, buttons, mode, callback) {
  globalThis.T.alerts.push({ prompt: String(prompt), title, mode });
}
