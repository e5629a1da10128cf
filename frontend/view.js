// Pure view logic: which screen a snapshot means, and the state steps.

export const PROGRESS_STATES = ["checking_engine", "queued", "pulling", "creating", "starting", "waiting_for_jupyter"];

/** The screen to show: settings (when asked), progress, error, or launcher. */
export function screenOf(snap, ui = {}) {
  if (ui.settingsOpen) return "settings";
  const st = snap?.session?.state;
  if (PROGRESS_STATES.includes(st) || st === "stopping") return "progress";
  if (st === "failed") return "error";
  return "launcher";
}

const STEPS = [
  { id: "engine", label: "Engine", states: ["checking_engine"] },
  { id: "image", label: "Image", states: ["pulling"] },
  { id: "container", label: "Container", states: ["creating", "starting"] },
  { id: "startup", label: "Start-up", states: ["waiting_for_jupyter"] },
  { id: "jupyter", label: "JupyterLab", states: ["waiting_for_jupyter"] },
];

/**
 * The five steps with done / active / pending for the current state. While
 * the app waits for JupyterLab, the image's own start-up (read from its log:
 * startup.jupyter once its scripts are done) is the step before JupyterLab.
 */
export function steps(state, startup = {}, cluster = false) {
  if (cluster) return clusterSteps(state);
  const order = ["checking_engine", "pulling", "creating", "starting", "waiting_for_jupyter", "ready"];
  const at = order.indexOf(state);
  return STEPS.map((s) => {
    const first = order.indexOf(s.states[0]);
    const last = order.indexOf(s.states[s.states.length - 1]);
    let status = "pending";
    if (at > last) status = "done";
    else if (at >= first) status = "active";
    if (state === "waiting_for_jupyter" && s.id === "startup" && startup.jupyter) status = "done";
    if (state === "waiting_for_jupyter" && s.id === "jupyter" && !startup.jupyter) status = "pending";
    return { id: s.id, label: s.label, status };
  });
}

/** On a cluster: the queue, then the node (Neurodesktop starting, the tunnel), then JupyterLab. */
function clusterSteps(state) {
  const at = ["queued", "starting", "waiting_for_jupyter", "ready"].indexOf(state);
  return [["queue", "Queue"], ["node", "Node"], ["jupyter", "JupyterLab"]].map(([id, label], i) =>
    ({ id, label, status: at > i ? "done" : at === i ? "active" : "pending" }));
}

/** The running card's line: where the session is. */
export function runningDetail(session) {
  if (session?.cluster) {
    const e = new Date(session.ends), pad = (n) => String(n).padStart(2, "0");
    const until = session.ends ? `, until ${pad(e.getHours())}:${pad(e.getMinutes())}` : "";
    return `On ${session.node || session.cluster} (job ${session.job_id}${until}), through ${session.cluster}.`;
  }
  if (session?.remote) return session.base_url;
  return session?.adopted ? "It was already running when the app opened." : "";
}

/** What a failed session's Retry starts again, and what its log is of. */
export function retryOf(session) {
  return session?.cluster
    ? { call: "StartOnCluster", log: "Job log" }
    : { call: "Start", log: "Container log" };
}

/** The line under the steps: what the image is doing while we wait for it. */
export function progressLine(session, startup = {}) {
  if (session?.state === "waiting_for_jupyter" && startup.text) return startup.text;
  if (session?.state === "waiting_for_jupyter" && /^https?:/.test(session.message ?? "")) return "Waiting for Neurodesktop to start";
  return session?.message ?? "";
}

/** Whether the page should go to JupyterLab now: a start this page saw ended ready. */
export function shouldOpenLab(prev, next) {
  const was = prev?.session?.state;
  return next?.session?.state === "ready" && !!next.session.lab_url && PROGRESS_STATES.includes(was);
}

/** Snapshots may arrive out of order (a State() answer racing an event). */
export function newer(prev, next) {
  return !prev || (next && next.seq >= prev.seq);
}

/** The engine line on the launcher. */
export function engineLine(engine) {
  if (!engine || engine.state === "checking" || !engine.state) return { tone: "busy", text: "Looking for a container engine…" };
  const chosen = engine.chosen ? " (chosen in Settings)" : "";
  if (engine.state === "ok" && engine.remote) return { tone: "ok", text: `${engine.kind} ${engine.version} is running on ${hostOf(engine.endpoint)}${chosen}` };
  if (engine.state === "ok") return { tone: "ok", text: `${engine.kind} ${engine.version} is running${chosen}` };
  return { tone: "bad", text: engine.error?.message ?? "The container engine is not available" };
}

/**
 * A folder as the launcher shows it: one in the home folder of this
 * computer as ~/… (a remote engine's folders are paths on its host).
 */
export function shownFolder(path, home, remote) {
  if (!path || !home || remote) return path ?? "";
  const h = home.replace(/[\\/]+$/, "");
  if (path === h) return "~";
  for (const sep of ["/", "\\"]) if (path.startsWith(h + sep)) return "~" + sep + path.slice(h.length + 1);
  return path;
}

/** A folder typed as ~/… is the same in the home folder (shownFolder's other way). */
export function typedFolder(typed, home, remote) {
  if (!typed || !home || remote || typed[0] !== "~") return typed ?? "";
  const h = home.replace(/[\\/]+$/, "");
  if (typed === "~") return h;
  const sep = typed[1];
  return sep === "/" || sep === "\\" ? h + sep + typed.slice(2) : typed; // ~ana/… is not ours
}

/** The launcher's heading: where Neurodesktop runs. */
export function launcherTitle(engine) {
  return engine?.remote ? `Neurodesktop on ${hostOf(engine.endpoint)}` : "Neurodesktop on your computer";
}

/** The machine an engine address names: ssh://ana@hpc:22 is "hpc". */
function hostOf(endpoint) {
  try {
    return new URL(endpoint).hostname || endpoint;
  } catch {
    return endpoint ?? "another machine";
  }
}

/** Where the image version came from, in words. */
export function versionOrigin(image) {
  switch (image?.origin) {
    case "remote": return "checked online just now";
    case "cache": return image.at ? `from the last check, ${image.at.slice(0, 10)}` : "from the last check";
    case "embedded": return "built into this app (not checked online yet)";
    default: return "";
  }
}

/** Why the next start runs the version it does, in words. */
export function versionWhy(next, image) {
  switch (next?.why) {
    case "pinned": return "pinned in Settings";
    case "on_disk": return "the newest on this computer";
    case "pull": return "downloaded when you start";
    default: return versionOrigin(image); // "current", or not yet known
  }
}

/** The new-version line: what is available and where its download is. */
export function newerLine(v, running) {
  const dl = v?.download ?? { state: "idle" };
  const tag = v?.next?.newer || (dl.state !== "idle" ? dl.tag : "");
  if (!tag) return null;
  switch (dl.state) {
    case "pulling": return { text: `Downloading ${tag} while you work…`, action: "cancel" };
    case "done": return { text: `Version ${tag} is ready.`, action: running ? "restart" : "", note: "The next start uses it." };
    case "failed": return { text: `The download of ${tag} failed: ${dl.error?.message ?? ""}`, action: "download" };
    default: return { text: `Version ${tag} is available.`, action: "download" };
  }
}

// toolsLine says where Neurodesk's tools are in a running session; "" when
// the app cannot look (a remote server, a cluster job).
export function toolsLine(tools) {
  if (!tools) return "";
  const detail = tools.detail ? ` (${tools.detail})` : "";
  switch (tools.state) {
    case "connecting": return `Neurodesk tools: connecting${detail}… JupyterLab works meanwhile.`;
    case "ready": return "Neurodesk tools: ready.";
    case "offline": return `Neurodesk tools: offline${detail}.`;
    case "failed": return `Neurodesk tools: not available${detail}. Start again to retry; the container log says more.`;
  }
  return "";
}

// sourceCells are a version source's row: its name, what it said (or why
// it could not be asked), and when it answered.
export function sourceCells(src, now = new Date()) {
  const said = src.tag || "—";
  const why = src.error ? ` (not reached: ${src.error})` : "";
  let when = "never";
  if (src.at) {
    const at = new Date(src.at);
    const mins = Math.round((now - at) / 60000);
    when = mins < 1 ? "just now" : mins < 60 ? `${mins} min ago` : mins < 48 * 60 ? `${Math.round(mins / 60)} h ago` : at.toISOString().slice(0, 10);
  }
  return [src.name, said + why, when];
}

// jobLine is a job's line on the Jobs card: its notebook, state and runs.
export function jobLine(job) {
  const c = job.counts ?? {}, n = job.runs?.length ?? 0;
  const parts = [];
  if (c.succeeded) parts.push(`${c.succeeded} done`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.running) parts.push(`${c.running} running`);
  if (c.pending) parts.push(`${c.pending} waiting`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  return `${job.notebook} · ${n === 1 ? "1 run" : `${n} runs`}: ${parts.join(", ") || job.state}`;
}

// runLabel names run i of a job for a person and a screen reader.
export function runLabel(run, i) {
  const what = `Run ${i + 1}${run.label ? ` (${run.label})` : ""}`;
  switch (run.state) {
    case "running": return run.total ? `${what}: running, ${run.done} of ${run.total} cells done` : `${what}: starting`;
    case "succeeded": return `${what}: done`;
    case "failed": return `${what}: failed${run.reason ? `: ${run.reason}` : ""}`;
    case "cancelled": return `${what}: cancelled`;
  }
  return `${what}: waiting`;
}
