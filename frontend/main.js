// The launcher: renders snapshots from the Go service and calls it back.
// All decisions live in Go; this file only shows state and forwards clicks.
import { bytes, percent, pullSummary, linkParts, serverLines, parseServerLines } from "./format.js";
import { screenOf, steps, progressLine, runningDetail, retryOf, shouldOpenLab, newer, engineLine, launcherTitle, versionOrigin, versionWhy, newerLine, shownFolder, typedFolder, toolsLine, sourceCells, jobLine, runLabel } from "./view.js";

const $ = (id) => document.getElementById(id);
const api = () => window.go?.ui?.Service;
const ui = { settingsOpen: false, settingsDirty: false };
let snap = null;

// --- theme ---------------------------------------------------------------
function applyTheme(t) {
  if (t === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
  $("theme").value = t;
}
applyTheme(localStorage.getItem("theme") ?? "system");
$("theme").addEventListener("change", (e) => { localStorage.setItem("theme", e.target.value); applyTheme(e.target.value); });

// --- rendering -------------------------------------------------------------
function show(screen) {
  for (const id of ["launcher", "progress", "error", "settings"]) $(id).hidden = id !== screen;
}

// Unchanged text is not set again: a live region would be read out anew.
function text(id, value) {
  const el = $(id), v = value ?? "";
  if (el.textContent !== v) el.textContent = v;
}

// A remedy, its addresses links to the system browser (built as nodes:
// nothing in the text is read as HTML).
function linked(id, value) {
  const el = $(id);
  if (el.textContent === (value ?? "")) return;
  el.replaceChildren(...linkParts(value).map((p) => {
    if (!p.url) return document.createTextNode(p.text);
    const a = document.createElement("a");
    a.href = p.url;
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = p.url;
    return a;
  }));
}

function render(next) {
  if (!newer(snap, next)) return;
  const prev = snap;
  snap = next;
  if (shouldOpenLab(prev, next)) { openLab(); return; }
  const screen = screenOf(snap, ui);
  show(screen);
  renderLauncher();
  if (screen === "launcher") focusPrimary();
  if (screen === "progress") renderProgress();
  if (screen === "error") renderError();
  if (screen === "settings" && !ui.settingsDirty) fillSettings(snap.settings);
  if (screen === "settings") renderVersionsList();
  if (snap.show_log && !prev?.show_log) {
    $("live-log-box").open = true;
    if (screen === "launcher" && snap.session.state === "ready") { $("running-log-box").open = true; showRunningLog(); }
  }
  renderUpdate();
}

// Enter does the obvious thing on the launcher: the primary action has the
// focus unless the person put it somewhere else.
function focusPrimary() {
  if (document.activeElement && document.activeElement !== document.body) return;
  const b = !$("running").hidden ? $("open-lab") : $("start");
  if (!b.disabled && !b.closest("[hidden]")) b.focus();
}

function renderUpdate() {
  const u = snap.update ?? { state: "idle" };
  const dlg = $("update-dialog");
  const visible = ["available", "downloading", "restart", "error", "none"].includes(u.state) && (u.state !== "error" || u.manual);
  if (!visible) { if (dlg.open) dlg.close(); return; }
  const r = u.release;
  text("update-title", u.state === "none" ? "Neurodesk is up to date" : u.state === "error" ? "Update failed" : `Neurodesk ${r?.version} is available`);
  text("update-text", u.state === "none" ? `You have version ${snap.app_version}.` :
    u.state === "restart" ? "The update is installed. Restart the app to use it; a running session keeps running." :
    u.state === "downloading" ? `Downloading ${bytes(u.done)} of ${bytes(u.total)}…` : `You have version ${snap.app_version}.`);
  text("update-notes", r?.notes ?? "");
  $("update-notes").hidden = !r?.notes || u.state === "none";
  $("update-bar").hidden = u.state !== "downloading";
  $("update-fill").style.width = u.total > 0 ? `${(100 * u.done) / u.total}%` : "0";
  $("update-error").hidden = !u.error;
  text("update-error", u.error?.message);
  $("update-remedy").hidden = !u.error?.remedy;
  linked("update-remedy", u.error?.remedy);
  $("update-now").hidden = u.state !== "available";
  $("update-skip").hidden = u.state !== "available";
  $("update-restart").hidden = u.state !== "restart";
  text("update-later", u.state === "available" ? "Later" : "Close");
  $("update-later").disabled = u.state === "downloading";
  if (!dlg.open) dlg.showModal();
}

function renderLauncher() {
  text("settings-note", snap.settings_note);
  $("settings-note").hidden = !snap.settings_note;
  const line = engineLine(snap.engine);
  text("engine-status", line.text);
  $("engine-dot").className = `dot ${line.tone}`;
  const err = snap.engine?.error;
  $("engine-remedy").hidden = !err?.remedy;
  linked("engine-remedy", err?.remedy);
  $("engine-actions").hidden = snap.engine?.state !== "error";
  $("start-desktop").hidden = !snap.engine?.can_start_desktop;
  const stable = snap.settings.channel === "stable";
  const v = snap.versions ?? {};
  text("version", stable ? (v.next?.tag || snap.image.tag) : snap.settings.channel === "dev" ? "development image" : snap.settings.custom_image);
  text("version-origin", stable ? `(${versionWhy(v.next, snap.image)})` : "");
  renderVersions(stable, v);
  text("data-folder", shownFolder(snap.settings.data_folder, snap.home, snap.engine?.remote));
  $("data-folder").title = snap.settings.data_folder ?? "";
  text("launcher-title", launcherTitle(snap.engine));
  // A remote engine's folders are on its host: typed in, not chosen here.
  const remote = !!snap.engine?.remote;
  $("data-local").hidden = remote;
  $("data-remote").hidden = !remote;
  $("data-where").hidden = !remote;
  text("data-where", remote ? `A folder on the engine's host (${snap.engine.endpoint}); it must exist there.` : "");
  // Only a changed saved folder replaces the field: what the person typed
  // stays until they submit it, focused or not.
  const field = $("data-remote-path");
  if (remote && field.dataset.saved !== snap.settings.data_folder) {
    field.value = field.dataset.saved = snap.settings.data_folder;
  }
  text("data-free", snap.data_free ? `${bytes(snap.data_free)} free` : "");
  $("data-error").hidden = !snap.data_error;
  text("data-error", snap.data_error);
  const op = snap.opening;
  $("opening-term").hidden = $("opening").hidden = !op;
  text("opening-name", op?.name);
  text("opening-where", !op ? "" : op.mounted ? `from ${shownFolder(op.folder, snap.home, false)}, mounted at /data` : "from your data folder");
  const running = snap.session.state === "ready";
  $("running").hidden = !running;
  $("start-wrap").hidden = running;
  text("running-detail", runningDetail(snap.session));
  $("open-desktop").hidden = !!snap.session.sign_in;
  $("running-log-box").hidden = !!snap.session.remote; // no container of ours here (a cluster job's log is on the cluster)
  const tools = toolsLine(snap.session.tools);
  $("running-tools").hidden = !(running && tools);
  text("running-tools", tools);
  $("running-note").hidden = !(running && snap.session.note);
  text("running-note", snap.session.note);
  $("stop").textContent = snap.session.remote && !snap.session.cluster ? "Disconnect" : "Stop";
  const login = snap.settings.cluster?.login;
  $("cluster-card").hidden = !login || running;
  text("cluster-login", login);
  const c = snap.settings.cluster ?? {};
  text("cluster-note", snap.cluster?.text);
  $("cluster-note").hidden = !snap.cluster?.text;
  $("start-cluster").disabled = !!snap.cluster?.busy;
  text("cluster-job", login ? `${c.cpus} cores, ${c.memory_gb} GB${c.gpus ? `, ${c.gpus} GPUs` : ""}, ${c.hours} h${c.partition ? ` on ${c.partition}` : ""}` : "");
  $("start").disabled = snap.engine?.state !== "ok" || !!snap.data_error;
  renderServers();
  renderJobs();
  const rec = snap.recent ?? [];
  $("recent-card").hidden = rec.length === 0;
  // Rebuilt only when it changed: a snapshot must not take the focus away.
  const recKey = JSON.stringify(rec);
  if (recKey === ui.recentKey) return;
  ui.recentKey = recKey;
  $("recent").replaceChildren(...rec.map((r, i) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.className = "ghost";
    b.textContent = r.kind === "remote" ? `Remote · ${r.name}` : `Local · ${shownFolder(r.name, snap.home, false)}`;
    b.title = r.kind === "remote" ? "Fill in the connect form" : "Use this data folder";
    b.addEventListener("click", () => useRecent(i));
    const when = document.createElement("small");
    when.className = "muted";
    when.textContent = new Date(r.at).toLocaleString();
    li.append(b, when);
    return li;
  }));
}

// The Jobs card: each job's runs as a grid of squares; the chosen run's
// notebook opens in JupyterLab, its log in a dialog. Rebuilt only when a
// job or the choice changed, the focus kept on the same control.
function renderJobs() {
  const list = snap.jobs ?? [];
  $("jobs-card").hidden = list.length === 0;
  ui.jobSel ??= {};
  const key = JSON.stringify([list, ui.jobSel]);
  if (key === ui.jobsKey) return;
  ui.jobsKey = key;
  const focused = document.activeElement?.dataset?.key;
  const button = (label, k, onClick, cls) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.dataset.key = k;
    if (cls) b.className = cls;
    b.addEventListener("click", onClick);
    return b;
  };
  $("jobs").replaceChildren(...list.map((job) => {
    const li = document.createElement("li");
    const runs = job.runs ?? [];
    let sel = ui.jobSel[job.id];
    if (sel === undefined || sel >= runs.length) sel = Math.max(0, runs.findIndex((r) => r.state === "failed"));
    const head = document.createElement("div");
    head.className = "row wrap";
    const title = document.createElement("strong");
    title.textContent = jobLine(job);
    const when = document.createElement("small");
    when.className = "muted";
    when.textContent = new Date(job.submitted).toLocaleString();
    head.append(title, when);
    const grid = document.createElement("div");
    grid.className = "runs";
    grid.setAttribute("role", "group");
    grid.setAttribute("aria-label", `Runs of ${job.notebook}`);
    grid.append(...runs.map((r, i) => {
      const b = button("", `${job.id}/run/${i}`, () => { ui.jobSel[job.id] = i; renderJobs(); }, r.state);
      b.title = runLabel(r, i);
      b.setAttribute("aria-label", runLabel(r, i));
      b.setAttribute("aria-pressed", String(i === sel));
      return b;
    }));
    const detail = document.createElement("p");
    detail.className = "job-run";
    detail.textContent = runs[sel] ? `${runLabel(runs[sel], sel)} · ${runs[sel].output}` : "";
    const actions = document.createElement("div");
    actions.className = "row wrap";
    actions.append(
      button("Open notebook", `${job.id}/open`, () => call("OpenJobOutput", job.id, sel)),
      button("Log", `${job.id}/log`, () => showJobLog(job, sel)));
    if (job.state === "running" || job.state === "pending") {
      actions.append(button("Cancel job", `${job.id}/cancel`, () => call("CancelJob", job.id), "danger"));
    } else if (job.counts?.failed || job.counts?.cancelled) {
      actions.append(button("Run the failed again", `${job.id}/rerun`, () => call("RerunJob", job.id, true)));
    }
    li.append(head, grid, detail, actions);
    return li;
  }));
  if (focused) document.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

async function showJobLog(job, i) {
  const log = await call("JobLog", job.id, i);
  if (log === undefined) return;
  text("job-log-title", `Log of run ${i + 1} of ${job.notebook}`);
  text("job-log", log || "(empty)");
  $("job-log-dialog").showModal();
  $("job-log").scrollTop = $("job-log").scrollHeight;
}
$("job-log-close").addEventListener("click", () => $("job-log-dialog").close());

// The remote servers: each connects, or forgets what the window kept of it
// (its sign-in). Rebuilt only when the list changed.
function renderServers() {
  const list = snap.settings.remote_servers ?? [];
  const key = JSON.stringify(list);
  if (key === ui.serversKey) return;
  ui.serversKey = key;
  $("remote-servers").replaceChildren(...list.map((r) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = r.name || r.url;
    b.title = "Connect to " + r.url;
    b.addEventListener("click", () => connectRemote(r.url, ""));
    const u = document.createElement("small");
    u.className = "muted";
    u.textContent = r.url;
    const f = document.createElement("button");
    f.type = "button";
    f.className = "ghost";
    f.textContent = "Forget sign-in";
    f.setAttribute("aria-label", "Forget the sign-in of " + (r.name || r.url));
    f.addEventListener("click", async () => { const said = await call("ForgetServer", r.url); if (said !== undefined) text("remote-forgot", said); });
    li.append(b, u, f);
    return li;
  }));
}

function renderVersions(stable, v) {
  const running = snap.session.state === "ready" && !snap.session.remote;
  const line = stable ? newerLine(v, running) : null;
  $("version-newer").hidden = !line;
  text("version-newer-text", line?.text);
  text("version-newer-note", line?.note);
  $("download-version").hidden = line?.action !== "download";
  $("cancel-download").hidden = line?.action !== "cancel";
  $("restart-version").hidden = line?.action !== "restart";
  const dl = v.download ?? {};
  const p = percent(dl.pull);
  $("download-bar").hidden = dl.state !== "pulling";
  $("download-bar").classList.toggle("indeterminate", p === null);
  $("download-fill").style.width = p === null ? "" : `${p}%`;
  text("download-status", dl.state === "pulling" ? pullSummary(dl.pull) : "");
  const pinned = snap.settings.pinned_version;
  // There, disabled, until the version is known: the rows below do not
  // move when it arrives.
  // Nothing to stay on until the engine says which version a start runs.
  $("pin").hidden = !stable || !!pinned || !v.next?.tag;
  text("pin", `Stay on ${v.next?.tag || "this version"}`);
  $("unpin").hidden = !pinned;
  const newest = v.next?.newer || (v.on_disk ?? []).map((d) => d.tag).find((t) => t !== pinned);
  text("pin-status", pinned ? `Pinned to ${pinned}${newest && newest !== pinned ? ` (newest is ${newest})` : ""}.` : "");
  $("pin-status").hidden = !pinned;
  $("prune").hidden = !stable || (v.on_disk ?? []).length < 2;
  text("pruned", v.pruned);
  $("pruned").hidden = !v.pruned;
}

function renderVersionsList() {
  renderSources();
  const v = snap.versions ?? {};
  const none = (v.on_disk ?? []).length === 0;
  $("versions-table").hidden = none;
  $("versions-none").hidden = !none;
  $("settings-prune").hidden = (v.on_disk ?? []).length < 2;
  text("settings-pruned", v.pruned);
  $("versions-list").replaceChildren(...(v.on_disk ?? []).map((d) => {
    const tr = document.createElement("tr");
    const marks = [d.in_use && "in use", d.tag === snap.settings.pinned_version && "pinned", d.tag === snap.image.tag && "current"].filter(Boolean).join(", ");
    for (const x of [d.tag, bytes(d.size), marks]) { const td = document.createElement("td"); td.textContent = x; tr.append(td); }
    return tr;
  }));
}

function renderSources() {
  const list = snap.versions?.sources ?? [];
  $("sources-table").hidden = list.length === 0;
  $("sources-list").replaceChildren(...list.map((src) => {
    const tr = document.createElement("tr");
    for (const x of sourceCells(src)) { const td = document.createElement("td"); td.textContent = x; tr.append(td); }
    return tr;
  }));
}

function renderProgress() {
  const s = snap.session;
  text("progress-title", (s.state === "stopping" ? "Stopping Neurodesktop" : "Starting Neurodesktop") + (s.cluster ? ` on ${s.cluster}` : ""));
  $("steps").replaceChildren(...steps(s.state, snap.startup, !!s.cluster).map((st) => {
    const li = document.createElement("li");
    li.className = st.status;
    li.textContent = st.label;
    li.setAttribute("aria-current", st.status === "active" ? "step" : "false");
    return li;
  }));
  const p = percent(s.pull);
  const bar = $("progress-bar");
  bar.classList.toggle("indeterminate", p === null);
  $("progress-fill").style.width = p === null ? "" : `${p}%`;
  if (p === null) bar.removeAttribute("aria-valuenow"); else bar.setAttribute("aria-valuenow", String(Math.round(p)));
  text("progress-summary", s.state === "pulling" || s.pull ? pullSummary(s.pull) : "");
  text("progress-message", progressLine(s, snap.startup));
  $("layers-box").hidden = !s.pull?.layers?.length; // no pull, no layers to show
  $("live-log-box").hidden = !!s.cluster; // the job's log is on the cluster
  $("layers").replaceChildren(...(s.pull?.layers ?? []).map((l) => {
    const tr = document.createElement("tr");
    const pct = l.total > 0 ? `${bytes(l.current)} / ${bytes(l.total)}` : "";
    for (const v of [l.id, l.phase, pct]) { const td = document.createElement("td"); td.textContent = v; tr.append(td); }
    return tr;
  }));
  const log = $("live-log");
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.textContent = (snap.log ?? []).join("\n");
  if (atBottom) log.scrollTop = log.scrollHeight;
  $("cancel").disabled = s.state === "stopping";
}

function renderError() {
  const e = snap.session.error ?? {};
  text("error-title", snap.session.title || "Neurodesktop could not start");
  text("error-message", e.message);
  linked("error-remedy", e.remedy);
  $("error-remedy").hidden = !e.remedy;
  text("error-detail", e.detail);
  $("error-details").hidden = !e.detail || e.detail === e.message;
  $("error-offline").hidden = e.code !== "privileged_refused";
  const lines = snap.session.log_tail ?? [];
  text("error-log-title", retryOf(snap.session).log);
  text("error-log", lines.join("\n"));
  $("error-log-box").hidden = lines.length === 0;
  $("error-log-box").open = lines.length > 0;
  text("error-log-file", snap.session.log_file ? `The whole log is kept in ${shownFolder(snap.session.log_file, snap.home, false)}` : "");
}

async function useRecent(i) {
  const r = await call("UseRecent", i);
  if (r?.kind === "remote") { $("remote").open = true; $("remote-url").value = r.name; $("remote-token").focus(); }
}

async function showRunningLog() {
  const log = await call("ContainerLog");
  if (log !== undefined) { text("running-log", log); $("running-log").scrollTop = $("running-log").scrollHeight; }
}
$("running-log-box").addEventListener("toggle", () => { if ($("running-log-box").open) showRunningLog(); });

// --- settings ------------------------------------------------------------
const form = $("settings-form");
// The folders in the home folder are shown, and may be typed, as ~/….
const folderFields = ["data_folder", "work_folder"];
// A field named "cluster.cpus" is s.cluster.cpus.
const clusterPrefix = "cluster.";
function fillSettings(s) {
  for (const el of form.elements) {
    if (el.name?.startsWith(clusterPrefix)) { const v = s.cluster?.[el.name.slice(clusterPrefix.length)]; el.value = v ?? ""; continue; }
    if (!el.name || !(el.name in s)) continue;
    if (el.name === "remote_servers") el.value = serverLines(s.remote_servers);
    else if (el.type === "checkbox") el.checked = !!s[el.name];
    else if (folderFields.includes(el.name)) el.value = shownFolder(s[el.name], snap.home, snap.engine?.remote);
    else el.value = s[el.name] ?? "";
  }
  showFieldErrors([]);
}
function readSettings() {
  const s = structuredClone(snap.settings);
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.name.startsWith(clusterPrefix)) {
      const k = el.name.slice(clusterPrefix.length);
      s.cluster = { ...s.cluster, [k]: el.type === "number" ? Number(el.value || 0) : el.value.trim() };
    } else if (el.name === "remote_servers") s[el.name] = parseServerLines(el.value);
    else if (el.type === "checkbox") s[el.name] = el.checked;
    else if (el.type === "number") s[el.name] = Number(el.value || 0);
    else if (folderFields.includes(el.name)) s[el.name] = typedFolder(el.value.trim(), snap.home, snap.engine?.remote);
    else s[el.name] = el.value.trim();
  }
  return s;
}
function showFieldErrors(fields) {
  for (const el of form.querySelectorAll(".field-error")) {
    const f = fields.filter((x) => x.field === el.dataset.for || x.field.startsWith(el.dataset.for + "["));
    el.textContent = f.map((x) => x.message).join("; ");
    const input = $("s-" + el.dataset.for);
    if (input) input.setAttribute("aria-invalid", f.length ? "true" : "false");
  }
}
form.addEventListener("input", () => { ui.settingsDirty = true; text("settings-status", ""); });
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const res = await call("SaveSettings", readSettings());
  if (!res) return;
  showFieldErrors(res.fields ?? []);
  if (res.saved) { ui.settingsDirty = false; text("settings-status", "Saved. Container changes apply on the next start."); render(res.snapshot); }
  else text("settings-status", "Please fix the fields marked in red.");
});
$("settings-defaults").addEventListener("click", async () => { const d = await call("DefaultSettings"); if (d) { fillSettings(d); ui.settingsDirty = true; } });
$("open-settings").addEventListener("click", () => { ui.settingsOpen = true; ui.settingsDirty = false; fillSettings(snap.settings); renderVersionsList(); show("settings"); $("s-data_folder").focus(); });
$("settings-cancel").addEventListener("click", () => { ui.settingsOpen = false; ui.settingsDirty = false; render({ ...snap, seq: snap.seq }); show(screenOf(snap, ui)); });

// --- actions -------------------------------------------------------------
// Every call that Go rejects shows above the screen it was made on, with
// its remedy and, in Details, its cause.
async function call(method, ...args) {
  try {
    return await api()[method](...args);
  } catch (err) {
    showCallError(typeof err === "string" ? { message: err } : err ?? {});
    return undefined;
  }
}
function showCallError(e) {
  text("call-error-message", e.message ?? String(e));
  linked("call-error-remedy", e.remedy);
  $("call-error-remedy").hidden = !e.remedy;
  text("call-error-detail", e.detail);
  $("call-error-details").hidden = !e.detail || e.detail === e.message;
  $("call-error").hidden = false;
}
$("call-error-close").addEventListener("click", () => { $("call-error").hidden = true; });
$("start").addEventListener("click", async () => { $("call-error").hidden = true; await call("Start"); });
$("retry").addEventListener("click", async () => { const s = await call("Retry"); if (s) render(s); });
$("start-desktop").addEventListener("click", () => call("StartDockerDesktop"));
$("choose-folder").addEventListener("click", async () => { const s = await call("ChooseDataFolder"); if (s) render(s); });
$("data-remote").addEventListener("submit", async (e) => { e.preventDefault(); const s = await call("SetDataFolder", $("data-remote-path").value); if (s) render(s); });
$("cancel").addEventListener("click", () => call("Cancel"));
$("forget-open").addEventListener("click", () => call("ForgetOpen"));
// The launcher goes to JupyterLab itself; Go only learns that it leaves.
async function openLab() {
  const url = await call("OpenSession");
  if (url) window.location.href = url;
}
$("open-lab").addEventListener("click", openLab);
$("open-desktop").addEventListener("click", () => call("OpenDesktop"));
$("open-browser").addEventListener("click", () => call("OpenInBrowser"));
$("stop").addEventListener("click", () => call("Stop"));
$("start-cluster").addEventListener("click", async () => { $("call-error").hidden = true; await call("StartOnCluster"); });
$("error-retry").addEventListener("click", () => call(retryOf(snap?.session).call));
$("error-offline").addEventListener("click", () => call("StartOffline"));
$("download-version").addEventListener("click", () => call("DownloadVersion"));
$("cancel-download").addEventListener("click", () => call("CancelDownload"));
$("restart-version").addEventListener("click", () => call("RestartIntoVersion"));
$("pin").addEventListener("click", () => call("PinVersion", snap.versions?.next?.tag ?? ""));
$("unpin").addEventListener("click", () => call("UnpinVersion"));
$("prune").addEventListener("click", () => call("PruneVersions"));
$("settings-prune").addEventListener("click", () => call("PruneVersions"));
$("error-back").addEventListener("click", async () => { const s = await call("DismissFailure"); if (s) render(s); });
// Esc on the update dialog is "Later" (or nothing while downloading): Go
// decides what shows, so the dialog does not come back on the next snapshot.
$("update-dialog").addEventListener("cancel", (e) => {
  e.preventDefault();
  if (snap.update?.state !== "downloading") call("LaterUpdate");
});
// Each field's error is read out with the field.
for (const el of form.querySelectorAll(".field-error")) {
  el.id = "err-" + el.dataset.for;
  const input = $("s-" + el.dataset.for);
  if (input) input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), el.id].filter(Boolean).join(" "));
}
$("copy-diagnostics").addEventListener("click", async () => {
  const d = await call("Diagnostics");
  if (d === undefined) return;
  try { await navigator.clipboard.writeText(d); text("copied", "Copied."); }
  catch { $("error-log").textContent = d; text("copied", "Shown above; copy it from there."); }
});
async function connectRemote(url, token) {
  $("remote-error").hidden = true;
  try {
    await api().ConnectRemote(url, token);
    window.location.href = await api().OpenSession();
  } catch (err) { text("remote-error", [err?.message ?? String(err), err?.remedy].filter(Boolean).join(" ")); $("remote-error").hidden = false; }
}
$("remote-form").addEventListener("submit", (e) => {
  e.preventDefault();
  connectRemote($("remote-url").value, $("remote-token").value);
});
$("update-now").addEventListener("click", () => call("UpdateNow"));
$("update-later").addEventListener("click", () => call("LaterUpdate"));
$("update-skip").addEventListener("click", () => call("SkipUpdate"));
$("update-restart").addEventListener("click", () => call("RestartApp"));

// A file dropped on the launcher is the app's to open (Wails hands its
// path to Go): the page only keeps the web view from showing the file.
for (const type of ["dragover", "drop"]) {
  document.addEventListener(type, (e) => { if (e.dataTransfer?.types?.includes("Files")) e.preventDefault(); });
}

// Links that want a new window go to the system browser.
document.addEventListener("click", (e) => {
  const a = e.target.closest?.("a[target=_blank]");
  if (a && window.runtime?.BrowserOpenURL) { e.preventDefault(); window.runtime.BrowserOpenURL(a.href); }
});

// --- start ---------------------------------------------------------------
async function boot() {
  for (let i = 0; i < 100 && !api(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!api()) { document.body.dataset.error = "no-bindings"; text("engine-status", "The app backend is not reachable."); return; }
  // Events say only that the state changed; the state itself is asked
  // for, and only this page can ask.
  window.runtime.EventsOn("snapshot", (e) => { if (!snap || e.seq > snap.seq) refresh(); });
  window.addEventListener("pageshow", (e) => { if (e.persisted) refresh(); });
  await refresh();
  document.body.dataset.ready = "true";
}

let fetching = null;
let again = false;
async function refresh() {
  if (fetching) { again = true; return fetching; }
  fetching = (async () => {
    do {
      again = false;
      try { render(await api().State()); } catch (err) { console.error(err); }
    } while (again);
  })();
  try { await fetching; } finally { fetching = null; }
}
boot();
