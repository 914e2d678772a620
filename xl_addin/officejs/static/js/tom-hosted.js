// Task pane: Sync month and Save to library, as the signed-in user (routes in routers/hosted.py).
// Each button sends the user's sign-in token (xlwings Server's getAuth) and the open workbook's
// address; the server answers { ok, message, ... } and this file only shows it.

async function tomHeaders() {
  const auth =
    typeof globalThis.getAuth === "function" ? await globalThis.getAuth() : { token: "", provider: "" };
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
  const response = await fetch(url, { method: "POST", headers: await tomHeaders(), body: JSON.stringify(body) });
  let result;
  try {
    result = await response.json();
  } catch (e) {
    result = { ok: false, message: `The add-in server answered HTTP ${response.status}` };
  }
  if (result.message === undefined) {
    // xlwings Server's own refusals (sign-in) come as { detail }
    result = { ok: false, message: String(result.detail || `HTTP ${response.status}`) };
  }
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

async function tomSyncMonth(button) {
  tomShow("Running Sync month… (pull, validate, roll up, report: this can take a minute)", true);
  try {
    const month = document.getElementById("tom-month").value;
    const result = await tomPost(button.dataset.url, { document_url: tomDocumentUrl(), month: month || null });
    tomShow(result.message, false);
    tomDetails(result);
  } catch (e) {
    tomShow("Sync month could not run: " + (e.message || e), false);
  }
}

async function tomSave(button) {
  const url = tomDocumentUrl();
  tomShow("Saving to the library…", true);
  try {
    const onSharePoint = url.toLowerCase().startsWith("https://");
    const file = onSharePoint ? null : await tomReadFile();
    const result = await tomPost(button.dataset.url, { document_url: url, file: file });
    tomShow(result.message, false);
    tomDetails(result);
  } catch (e) {
    tomShow("Save to library could not run: " + (e.message || e), false);
  }
}

Office.onReady(() => {
  const sync = document.getElementById("tom-sync-month");
  const save = document.getElementById("tom-save");
  if (sync) sync.addEventListener("click", () => tomSyncMonth(sync));
  if (save) save.addEventListener("click", () => tomSave(save));
});
