// TOM ribbon buttons (manifest FunctionName -> custom script in xl_addin/officejs/custom_scripts)
// and the two callbacks the Python side queues around writes to protected sheets.
// Replaces xlwings Server's sample static/js/ribbon.js (project files win over the package's).

const TOM_SCRIPTS = {
  TomValidate: ["tom_validate", "Validate"],
  TomRollUp: ["tom_roll_up", "Roll up"],
  TomNewMonth: ["tom_new_month", "New month"],
  TomPull: ["tom_pull", "Pull"],
  TomPush: ["tom_push", "Push"],
};

// xlwings Server's own alert dialog (static/js/alerts/parent.js), next to this file.
const TOM_ALERTS_URL = new URL("alerts/parent.js", document.currentScript ? document.currentScript.src : location.href).href;

// The first line of whatever was thrown: Office.js errors ({code, message}), Error, a plain string.
function tomFirstLine(error) {
  const text = error && typeof error === "object" ? error.message || error.code || JSON.stringify(error) : error;
  return String(text === undefined || text === "" ? "no reason given" : text).split("\n")[0].trim();
}

// One line in a dialog (xlwings Server's xlAlert); the console keeps it if even that fails.
async function tomAlert(text) {
  try {
    const { xlAlert } = await import(TOM_ALERTS_URL);
    await xlAlert(text, "TOM", "ok", "critical", "");
  } catch (e) {
    console.error(text, e);
  }
}

// The user's sign-in token; xlwings Server's getAccessToken hands back "Error <code>: <message>" in
// its place when Office could not sign the user in: that is a failure too.
async function tomAuth() {
  if (typeof globalThis.getAuth !== "function") return { token: "", provider: "" };
  const auth = await globalThis.getAuth();
  if (auth && typeof auth.token === "string" && auth.token.startsWith("Error ")) {
    throw new Error(`Office could not sign you in (${auth.token})`);
  }
  return auth || { token: "", provider: "" };
}

// Every failure before or around the script is one line in a dialog; the script's own answer (and a
// server error) is shown by xlwings' runPython, also as a dialog (errorDisplayMode "alert").
async function tomRunScript(scriptName, label, event) {
  try {
    let auth;
    try {
      auth = await tomAuth();
    } catch (e) {
      await tomAlert(`${label} could not run: ${tomFirstLine(e)}`);
      return;
    }
    await xlwings.runPython({
      auth: auth.token,
      scriptName: scriptName,
      headers: { "Auth-Provider": auth.provider },
      errorDisplayMode: "alert",
    });
  } catch (e) {
    await tomAlert(`${label} could not run: ${tomFirstLine(e)}`);
  } finally {
    event.completed();
  }
}

for (const [functionName, [scriptName, label]] of Object.entries(TOM_SCRIPTS)) {
  Office.actions.associate(functionName, (event) => tomRunScript(scriptName, label, event));
}

// Sync month and Save to library live in the task pane (a month to choose, progress, the result,
// conflicting cells): their ribbon buttons open the pane at the action (tom-hosted.js). The pane is
// this same page (shared runtime), so no URL is reloaded.
const TOM_PANE_ACTIONS = {
  TomSyncMonth: ["tom-sync-month", "Sync month"],
  TomSaveToLibrary: ["tom-save", "Save to library"],
};

async function tomOpenPaneAt(buttonId, label, event) {
  try {
    await Office.addin.showAsTaskpane();
    if (typeof globalThis.tomFocusAction !== "function") throw new Error("the task pane did not load");
    globalThis.tomFocusAction(buttonId);
  } catch (e) {
    await tomAlert(`${label}: the TOM task pane could not open: ${tomFirstLine(e)}`);
  } finally {
    event.completed();
  }
}

for (const [functionName, [buttonId, label]] of Object.entries(TOM_PANE_ACTIONS)) {
  Office.actions.associate(functionName, (event) => tomOpenPaneAt(buttonId, label, event));
}

// Sheets unprotected by tomUnprotect in this run, re-protected by tomReprotect.
const tomUnprotected = [];

// runMacro passes either (context, sheet, password) or (context, [sheet, password]).
function tomArgs(args) {
  return Array.isArray(args[0]) ? args[0] : args;
}

async function tomUnprotect(context, ...args) {
  const [sheetName, password] = tomArgs(args);
  const sheet = context.workbook.worksheets.getItem(sheetName);
  sheet.protection.load("protected");
  await context.sync();
  if (sheet.protection.protected) {
    sheet.protection.unprotect(password || undefined);
    await context.sync();
    tomUnprotected.push([sheetName, password]);
  }
}

async function tomReprotect(context) {
  // The template's allowances: staff may filter, sort and resize columns on protected tabs.
  const options = { allowAutoFilter: true, allowSort: true, allowFormatColumns: true };
  while (tomUnprotected.length > 0) {
    const [sheetName, password] = tomUnprotected.pop();
    context.workbook.worksheets.getItem(sheetName).protection.protect(options, password || undefined);
  }
  await context.sync();
}

Office.onReady(() => {
  xlwings.registerCallback(tomUnprotect);
  xlwings.registerCallback(tomReprotect);
});
