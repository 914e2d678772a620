// TOM ribbon buttons (manifest FunctionName -> custom script in xl_addin/officejs/custom_scripts)
// and the two callbacks the Python side queues around writes to protected sheets.
// Replaces xlwings Server's sample static/js/ribbon.js (project files win over the package's).

const TOM_SCRIPTS = {
  TomValidate: "tom_validate",
  TomRollUp: "tom_roll_up",
  TomNewMonth: "tom_new_month",
  TomPull: "tom_pull",
  TomPush: "tom_push",
};

async function tomRunScript(scriptName, event) {
  try {
    const authResult =
      typeof globalThis.getAuth === "function"
        ? await globalThis.getAuth()
        : { token: "", provider: "" };
    await xlwings.runPython({
      auth: authResult.token,
      scriptName: scriptName,
      headers: { "Auth-Provider": authResult.provider },
    });
  } finally {
    event.completed();
  }
}

for (const [functionName, scriptName] of Object.entries(TOM_SCRIPTS)) {
  Office.actions.associate(functionName, (event) => tomRunScript(scriptName, event));
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
