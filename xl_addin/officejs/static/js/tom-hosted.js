// Task pane: Sync month and Save to library, as the signed-in user (routes in routers/hosted.py).
// Each button sends the user's sign-in token (xlwings Server's getAuth) and the open workbook's
// address; the server answers { ok, message, ... } and this file only shows it. While Sync month
// runs, the pane polls its progress (the month's claim in the library, read by /sync-month/status)
// every TOM_POLL_MS. Every failure ends as one line in the pane, never silence.

const TOM_POLL_MS = 2000; // the server writes progress at most every 2 s

// The first line of whatever was thrown: Office.js errors ({code, message}), Error, a plain string.
function tomLine(error) {
  const text = error && typeof error === "object" ? error.message || error.code || JSON.stringify(error) : error;
  return String(text === undefined || text === "" ? "no reason given" : text).split("\n")[0].trim();
}

async function tomHeaders() {
  const auth =
    typeof globalThis.getAuth === "function" ? await globalThis.getAuth() : { token: "", provider: "" };
  if (auth && typeof auth.token === "string" && auth.token.startsWith("Error ")) {
    // xlwings Server's getAccessToken hands back "Error <code>: <message>" when Office could not sign in
    throw new Error(`Office could not sign you in (${auth.token})`);
  }
  const headers = { "Content-Type": "application/json" };
  if (auth.token) {
    headers["Authorization"] = auth.token;
    headers["Auth-Provider"] = auth.provider;
  }
  return headers;
}

function tomShow(text, busy) {
  const status = document.getElementById("tom-hosted-status");
  status.textContent = text;
  status.classList.toggle("text-muted", Boolean(busy));
  for (const id of ["tom-sync-month", "tom-save"]) {
    document.getElementById(id).disabled = Boolean(busy);
  }
}

function tomAddLine(list, text, href) {
  const li = document.createElement("li");
  if (href) {
    const a = document.createElement("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = text;
    li.appendChild(a);
  } else {
    li.textContent = text; // text only: cell values are data, never markup
  }
  list.appendChild(li);
}

function tomDetails(result) {
  const list = document.getElementById("tom-hosted-details");
  list.replaceChildren();
  if (result.report_url) tomAddLine(list, "Open the report", result.report_url);
  if (result.url) tomAddLine(list, "Open the workbook in SharePoint", result.url);
  if (result.rated && result.rated.length) {
    tomAddLine(list, "Rated: " + result.rated.map((r) => `${r[0]} ${r[1]}`).join(", "));
  }
  if (result.not_updated && result.not_updated.length) {
    tomAddLine(list, "Not updated this month: " + result.not_updated.join(", "));
  }
  for (const e of result.errors || []) tomAddLine(list, e);
  for (const c of result.conflicts || []) {
    tomAddLine(list, `${c.sheet}!${c.cell}${c.row_id ? " (" + c.row_id + ")" : ""}: yours "${c.yours}", ` +
      `the library's "${c.library}"`);
  }
}

async function tomPost(url, body) {
  let response;
  try {
    response = await fetch(url, { method: "POST", headers: await tomHeaders(), body: JSON.stringify(body) });
  } catch (e) {
    if (e instanceof TypeError) throw new Error(`the add-in server could not be reached (${tomLine(e)})`);
    throw e;
  }
  let result;
  try {
    result = await response.json();
  } catch (e) {
    result = { ok: false, message: `the add-in server answered HTTP ${response.status}` };
  }
  if (!result || typeof result !== "object") {
    result = { ok: false, message: `the add-in server answered HTTP ${response.status}` };
  } else if (typeof result.message !== "string" || result.message === "") {
    // xlwings Server's own refusals (sign-in) come as { detail }
    const detail = result.detail === undefined ? "" : typeof result.detail === "string" ? result.detail : JSON.stringify(result.detail);
    result = { ...result, ok: false, message: detail || `the add-in server answered HTTP ${response.status}` };
  }
  if (result.ok === undefined) result.ok = response.ok;
  return result;
}

function tomDocumentUrl() {
  return (Office.context.document && Office.context.document.url) || "";
}

// The open workbook as base64, read in slices (Office.js getFileAsync, the .xlsx package).
function tomReadFile() {
  return new Promise((resolve, reject) => {
    Office.context.document.getFileAsync(Office.FileType.Compressed, { sliceSize: 4194304 }, (opened) => {
      if (opened.status !== Office.AsyncResultStatus.Succeeded) return reject(opened.error);
      const file = opened.value;
      const parts = [];
      const next = (index) => {
        if (index >= file.sliceCount) {
          file.closeAsync();
          const bytes = new Uint8Array(parts.flat());
          let binary = "";
          for (let i = 0; i < bytes.length; i += 32768) {
            binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 32768));
          }
          return resolve(btoa(binary));
        }
        file.getSliceAsync(index, (slice) => {
          if (slice.status !== Office.AsyncResultStatus.Succeeded) {
            file.closeAsync();
            return reject(slice.error);
          }
          parts.push(Array.from(slice.value.data));
          next(index + 1);
        });
      };
      next(0);
    });
  });
}

// Sync month's progress while its request is open: one line, e.g. "Sync month 2026-11 (started by
// Pat at 14:02 UTC): Reading the workbooks: 3 of 12 done". A failed poll changes nothing.
function tomPollProgress(url, body, isDone) {
  let month = body.month;
  const poll = async () => {
    if (isDone()) return;
    try {
      const status = await tomPost(url, { document_url: body.document_url, month: month });
      if (status.month) month = status.month;
      if (!isDone() && status.ok && status.running && status.message) {
        tomShow(`Sync month ${status.month} (started by ${status.by}): ${status.message}`, true);
      }
    } catch (e) {
      console.warn("Sync month: progress not read:", e);
    }
    if (!isDone()) setTimeout(poll, TOM_POLL_MS);
  };
  setTimeout(poll, TOM_POLL_MS);
}

function tomResult(label, result) {
  const message = result.message || "the add-in server gave no answer";
  tomShow(result.ok ? message : message.startsWith(label) ? message : `${label}: ${message}`, false);
  tomDetails(result);
}

async function tomSyncMonth(button) {
  tomShow("Sync month: starting… (pull, validate, roll up, report: this can take a minute)", true);
  document.getElementById("tom-hosted-details").replaceChildren();
  let done = false;
  try {
    const month = document.getElementById("tom-month").value;
    const body = { document_url: tomDocumentUrl(), month: month || null };
    const running = tomPost(button.dataset.url, body);
    if (button.dataset.statusUrl) tomPollProgress(button.dataset.statusUrl, body, () => done);
    const result = await running;
    done = true;
    tomResult("Sync month", result);
  } catch (e) {
    done = true;
    tomShow("Sync month could not run: " + tomLine(e), false);
  }
}

async function tomSave(button) {
  tomShow("Saving to the library…", true);
  document.getElementById("tom-hosted-details").replaceChildren();
  try {
    const url = tomDocumentUrl();
    const onSharePoint = url.toLowerCase().startsWith("https://");
    let file = null;
    if (!onSharePoint) {
      try {
        file = await tomReadFile();
      } catch (e) {
        throw new Error(`Excel would not hand over the workbook (${tomLine(e)}); save it and try again`);
      }
    }
    const result = await tomPost(button.dataset.url, { document_url: url, file: file });
    tomResult("Save to library", result);
  } catch (e) {
    tomShow("Save to library could not run: " + tomLine(e), false);
  }
}

// The ribbon's Sync month and Save to library buttons open the pane here (ribbon.js): bring the
// action into view and say what pressing it does. Nothing runs until the button in the pane is pressed.
const TOM_HINTS = {
  "tom-sync-month": "Sync month: choose the month (default: the workbook's) and press Sync month",
  "tom-save": "Save to library: press Save to library to merge this copy into the library's file",
};

globalThis.tomFocusAction = function (buttonId) {
  const button = document.getElementById(buttonId);
  if (!button) throw new Error("the task pane has no such button");
  button.scrollIntoView({ block: "center" });
  button.focus();
  if (!button.disabled) tomShow(TOM_HINTS[buttonId] || "", false);
};

Office.onReady(() => {
  const sync = document.getElementById("tom-sync-month");
  const save = document.getElementById("tom-save");
  if (sync) sync.addEventListener("click", () => tomSyncMonth(sync));
  if (save) save.addEventListener("click", () => tomSave(save));
});
