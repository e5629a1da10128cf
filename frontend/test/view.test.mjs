import test from "node:test";
import assert from "node:assert/strict";
import { screenOf, steps, progressLine, runningDetail, retryOf, shouldOpenLab, newer, engineLine, launcherTitle, versionOrigin, versionWhy, newerLine, shownFolder, typedFolder, jobLine, runLabel } from "../view.js";

const snap = (state, extra = {}) => ({ seq: 1, session: { state, ...extra } });

test("screen follows the session state", () => {
  assert.equal(screenOf(snap("idle")), "launcher");
  assert.equal(screenOf(snap("pulling")), "progress");
  assert.equal(screenOf(snap("waiting_for_jupyter")), "progress");
  assert.equal(screenOf(snap("failed")), "error");
  assert.equal(screenOf(snap("ready")), "launcher");
  assert.equal(screenOf(snap("pulling"), { settingsOpen: true }), "settings");
  assert.equal(screenOf(undefined), "launcher");
});

test("steps mark done, active and pending", () => {
  const s = steps("creating").map((x) => x.status);
  assert.deepEqual(s, ["done", "done", "active", "pending", "pending"]);
  assert.deepEqual(steps("ready").map((x) => x.status), ["done", "done", "done", "done", "done"]);
  assert.deepEqual(steps("checking_engine").map((x) => x.status), ["active", "pending", "pending", "pending", "pending"]);
});

test("the image's start-up is a step of its own, read from its log", () => {
  assert.deepEqual(steps("waiting_for_jupyter").map((x) => x.status), ["done", "done", "done", "active", "pending"]);
  assert.deepEqual(steps("waiting_for_jupyter", { text: "Preparing", jupyter: false }).map((x) => x.status), ["done", "done", "done", "active", "pending"]);
  assert.deepEqual(steps("waiting_for_jupyter", { text: "Starting JupyterLab", jupyter: true }).map((x) => x.status), ["done", "done", "done", "done", "active"]);
  const waiting = { state: "waiting_for_jupyter", message: "http://127.0.0.1:49200" };
  assert.equal(progressLine(waiting, { text: "Neurodesktop's start-up took 2.3 s" }), "Neurodesktop's start-up took 2.3 s");
  assert.equal(progressLine(waiting, {}), "Waiting for Neurodesktop to start");
  assert.equal(progressLine({ state: "pulling", message: "3 of 9 layers" }, { text: "old" }), "3 of 9 layers");
});

test("the lab opens only after a start this page saw", () => {
  const ready = snap("ready", { lab_url: "http://127.0.0.1:1/lab?token=t" });
  assert.equal(shouldOpenLab(snap("waiting_for_jupyter"), ready), true);
  assert.equal(shouldOpenLab(snap("idle"), ready), false);
  assert.equal(shouldOpenLab(undefined, ready), false);
  assert.equal(shouldOpenLab(snap("waiting_for_jupyter"), snap("ready")), false);
});

test("older snapshots are ignored", () => {
  assert.equal(newer({ seq: 5 }, { seq: 4 }), false);
  assert.equal(newer({ seq: 5 }, { seq: 6 }), true);
  assert.equal(newer(undefined, { seq: 1 }), true);
});

test("engine and version lines", () => {
  assert.equal(engineLine({ state: "ok", kind: "Docker Engine", version: "28.2" }).tone, "ok");
  assert.equal(engineLine({ state: "error", error: { message: "No engine" } }).text, "No engine");
  assert.equal(engineLine({ state: "ok", kind: "Docker Engine", version: "28.2", remote: true, endpoint: "ssh://ana@hpc.example.org:2222" }).text,
    "Docker Engine 28.2 is running on hpc.example.org");
  assert.equal(launcherTitle({ remote: true, endpoint: "ssh://hpc.example.org" }), "Neurodesktop on hpc.example.org");
  assert.equal(launcherTitle({ state: "ok" }), "Neurodesktop on your computer");
  assert.equal(engineLine(undefined).tone, "busy");
  assert.match(versionOrigin({ origin: "embedded" }), /built into/);
  assert.match(versionOrigin({ origin: "cache", at: "2026-11-01T10:00:00Z" }), /2026-11-01/);
});

test("version lines", () => {
  assert.equal(versionWhy({ why: "on_disk" }), "the newest on this computer");
  assert.equal(versionWhy({ why: "pinned" }), "pinned in Settings");
  assert.equal(newerLine({ next: { tag: "2026-07-11" }, download: { state: "idle" } }), null);
  assert.equal(newerLine({ next: { newer: "2026-12-01" }, download: { state: "idle" } }).action, "download");
  assert.equal(newerLine({ next: { newer: "2026-12-01" }, download: { state: "pulling", tag: "2026-12-01" } }).action, "cancel");
  const done = newerLine({ next: { tag: "2026-12-01" }, download: { state: "done", tag: "2026-12-01" } }, true);
  assert.equal(done.action, "restart");
  assert.match(done.text, /2026-12-01 is ready/);
  assert.equal(newerLine({ next: {}, download: { state: "done", tag: "x" } }, false).action, "");
});

test("the engine line says when the engine was chosen in Settings", () => {
  assert.equal(engineLine({ state: "ok", kind: "Podman", version: "5.4", chosen: true }).text, "Podman 5.4 is running (chosen in Settings)");
  assert.equal(engineLine({ state: "ok", kind: "Podman", version: "5.4" }).text, "Podman 5.4 is running");
});

test("a folder in the home folder is shown as ~/…, elsewhere and on a remote engine as it is", () => {
  assert.equal(shownFolder("/home/ana/neurodesktop-storage", "/home/ana"), "~/neurodesktop-storage");
  assert.equal(shownFolder("/home/ana", "/home/ana/"), "~");
  assert.equal(shownFolder("/home/anabel/data", "/home/ana"), "/home/anabel/data");
  assert.equal(shownFolder("/home/ana/data", "/home/ana", true), "/home/ana/data");
  assert.equal(shownFolder("C:\\Users\\ana\\Neuro", "C:\\Users\\ana"), "~\\Neuro");
  assert.equal(shownFolder("C:/neurodesktop-storage", "C:\\Users\\ana"), "C:/neurodesktop-storage");
  assert.equal(shownFolder("", "/home/ana"), "");
});

test("a folder typed as ~/… is in the home folder, and shows the same way again", () => {
  assert.equal(typedFolder("~/neurodesktop-storage", "/home/ana"), "/home/ana/neurodesktop-storage");
  assert.equal(typedFolder("~", "/home/ana"), "/home/ana");
  assert.equal(typedFolder("~bob/x", "/home/ana"), "~bob/x");
  assert.equal(typedFolder("~/x", "/home/ana", true), "~/x"); // a remote host's path: its own ~ is not known here
  assert.equal(typedFolder("/srv/data", "/home/ana"), "/srv/data");
  for (const p of ["/home/ana/a b/ü", "/home/ana", "/opt/x"]) assert.equal(typedFolder(shownFolder(p, "/home/ana"), "/home/ana"), p);
});

test("on a cluster the steps are the queue, the node and JupyterLab", () => {
  assert.equal(screenOf(snap("queued", { cluster: "hpc" })), "progress");
  assert.deepEqual(steps("queued", {}, true).map((x) => [x.label, x.status]), [["Queue", "active"], ["Node", "pending"], ["JupyterLab", "pending"]]);
  assert.deepEqual(steps("starting", {}, true).map((x) => x.status), ["done", "active", "pending"]);
  assert.deepEqual(steps("ready", {}, true).map((x) => x.status), ["done", "done", "done"]);
  assert.equal(shouldOpenLab(snap("queued"), snap("ready", { lab_url: "http://127.0.0.1:1/lab?token=t" })), true);
});

test("the running card says where the session is", () => {
  const ends = new Date(2026, 11, 4, 18, 30).toISOString();
  assert.match(runningDetail({ cluster: "hpc-login", node: "node17", job_id: "4242", ends }), /^On node17 \(job 4242, until 18:30\), through hpc-login\.$/);
  assert.equal(runningDetail({ cluster: "hpc-login", job_id: "7" }), "On hpc-login (job 7), through hpc-login.");
  assert.equal(runningDetail({ remote: true, base_url: "https://play.example.org" }), "https://play.example.org");
  assert.equal(runningDetail({ adopted: true }), "It was already running when the app opened.");
  assert.equal(runningDetail({}), "");
});

test("Retry starts again where the session ran, and its log is named for it", () => {
  assert.deepEqual(retryOf({ state: "failed", cluster: "hpc-login" }), { call: "StartOnCluster", log: "Job log" });
  assert.deepEqual(retryOf({ state: "failed" }), { call: "Start", log: "Container log" });
  assert.deepEqual(retryOf(undefined), { call: "Start", log: "Container log" });
});

test("the tools' line", async () => {
  const { toolsLine } = await import("../view.js");
  assert.equal(toolsLine(undefined), "");
  assert.equal(toolsLine({ state: "connecting", detail: "finding the fastest server" }), "Neurodesk tools: connecting (finding the fastest server)… JupyterLab works meanwhile.");
  assert.equal(toolsLine({ state: "ready" }), "Neurodesk tools: ready.");
  assert.match(toolsLine({ state: "offline", detail: "no internet connection: the tools downloaded into Neurodesktop only" }), /^Neurodesk tools: offline \(no internet/);
  assert.match(toolsLine({ state: "failed", detail: "no CVMFS server reachable" }), /not available \(no CVMFS server reachable\)\. Start again/);
});

test("a version source's row", async () => {
  const { sourceCells } = await import("../view.js");
  const now = new Date("2026-12-07T10:00:00Z");
  assert.deepEqual(sourceCells({ name: "GitHub releases", tag: "2026-09-23", at: "2026-12-07T09:20:00Z" }, now), ["GitHub releases", "2026-09-23", "40 min ago"]);
  assert.deepEqual(sourceCells({ name: "neurodesktop.toml", tag: "2025-06-08", at: "2026-12-01T09:00:00Z", error: "404 Not Found" }, now),
    ["neurodesktop.toml", "2025-06-08 (not reached: 404 Not Found)", "2026-12-01"]);
  assert.deepEqual(sourceCells({ name: "registry", error: "unreachable" }, now), ["registry", "— (not reached: unreachable)", "never"]);
});

test("a job's line and its runs' names", () => {
  const job = { notebook: "study/a.ipynb", state: "failed", counts: { succeeded: 2, failed: 1 }, runs: [{}, {}, {}] };
  assert.equal(jobLine(job), "study/a.ipynb · 3 runs: 2 done, 1 failed");
  assert.equal(jobLine({ notebook: "a.ipynb", state: "pending", counts: {}, runs: [{}] }), "a.ipynb · 1 run: pending");
  assert.equal(runLabel({ state: "running", label: "subject=01", done: 2, total: 4 }, 0), "Run 1 (subject=01): running, 2 of 4 cells done");
  assert.equal(runLabel({ state: "running" }, 1), "Run 2: starting");
  assert.equal(runLabel({ state: "failed", reason: "cell 3 of 4 raised ValueError: x" }, 2), "Run 3: failed: cell 3 of 4 raised ValueError: x");
  assert.equal(runLabel({ state: "pending" }, 3), "Run 4: waiting");
});
