import test from "node:test";
import assert from "node:assert/strict";
import { bytes, eta, percent, pullSummary, linkParts, serverLines, parseServerLines } from "../format.js";

test("bytes uses decimal units", () => {
  assert.equal(bytes(0), "0 B");
  assert.equal(bytes(999), "999 B");
  assert.equal(bytes(1500), "1.5 kB");
  assert.equal(bytes(7.25e9), "7.3 GB");
  assert.equal(bytes(-1), "–");
  assert.equal(bytes(NaN), "–");
});

test("eta is coarse and empty when unknown", () => {
  assert.equal(eta(0), "");
  assert.equal(eta(undefined), "");
  assert.equal(eta(45), "45 s");
  assert.equal(eta(200), "3 min 20 s");
  assert.equal(eta(3900), "1 h 05 min");
});

test("percent needs byte totals", () => {
  assert.equal(percent({ totals_known: false, bytes_total: 10, bytes_done: 5 }), null);
  assert.equal(percent({ totals_known: true, bytes_total: 0, bytes_done: 0 }), null);
  assert.equal(percent({ totals_known: true, bytes_total: 200, bytes_done: 50 }), 25);
  assert.equal(percent({ totals_known: true, bytes_total: 100, bytes_done: 150 }), 100);
});

test("pull summary falls back to layers without totals", () => {
  assert.equal(pullSummary({ totals_known: false, layers_done: 3, layers_total: 12 }), "3 of 12 layers done");
  const s = pullSummary({ totals_known: true, bytes_done: 1e9, bytes_total: 4e9, bytes_per_sec: 1e7, eta_seconds: 300, retries: 1 });
  assert.equal(s, "1.0 GB of 4.0 GB · 10.0 MB/s · 5 min 00 s left · retried 1×");
  assert.equal(pullSummary(null), "Preparing…");
});

test("a remedy's addresses become links, without the sentence's full stop", () => {
  assert.deepEqual(linkParts("Install Docker Desktop (https://www.docker.com/products/docker-desktop/) or Podman Desktop: https://podman-desktop.io."), [
    { text: "Install Docker Desktop (" },
    { url: "https://www.docker.com/products/docker-desktop/" },
    { text: ") or Podman Desktop: " },
    { url: "https://podman-desktop.io" },
    { text: "." },
  ]);
  assert.deepEqual(linkParts("no address here"), [{ text: "no address here" }]);
  assert.deepEqual(linkParts(""), []);
  assert.deepEqual(linkParts(undefined), []);
  // Only https: a javascript: or plain http address stays text.
  assert.deepEqual(linkParts("javascript:alert(1) http://x"), [{ text: "javascript:alert(1) http://x" }]);
});

test("remote servers read back as written, a nameless one named by its host", () => {
  const list = [{ url: "https://play-europe.neurodesk.org/", name: "Neurodesk Play (Europe)" }, { url: "https://hub.uni.example/", name: "Uni hub" }];
  assert.deepEqual(parseServerLines(serverLines(list)), list);
  assert.deepEqual(parseServerLines("\n  https://hpc.example.org:8443/  \n\n"), [{ url: "https://hpc.example.org:8443/", name: "hpc.example.org:8443" }]);
  assert.deepEqual(parseServerLines("not-a-url"), [{ url: "not-a-url", name: "not-a-url" }]);
  assert.equal(serverLines(undefined), "");
});
