// The page's one script: send a photo (a file, or a frame of the camera) to POST /api/predict and
// show what comes back. No library, no build step; everything it loads comes from this server.
"use strict";

const $ = (id) => document.getElementById(id);
const LOW = 0.5; // the top probability below which the answer is flagged (predict's --min-confidence)
let classes = ["0 fingers", "1 finger", "2 fingers", "3 fingers", "4 fingers", "5 fingers"];
let stream = null;
let maxMB = null; // the server's upload limit (serve --max-mb), from /healthz

function revealAnswer() {
  // on a phone the answer is below the photo panel: bring it into view (on a wide screen it is)
  const title = $("result-title");
  if (title.getBoundingClientRect().top > window.innerHeight * 0.6) title.scrollIntoView({ block: "start" });
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
  $("status").textContent = "The photo was not read.";
  $("sign").textContent = "–";
  $("sign").dataset.sign = "";
  $("confidence").textContent = "";
  $("seen").hidden = true;
  $("seen-empty").hidden = false;
  drawBars(null);
  document.body.dataset.state = "error";
  revealAnswer();
}

function drawBars(probabilities) {
  const list = $("bars");
  list.textContent = "";
  const top = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
  classes.forEach((name, k) => {
    const p = probabilities ? probabilities[k] : 0;
    const row = document.createElement("li");
    row.className = k === top ? "top" : "";
    const label = document.createElement("span");
    label.className = "name";
    label.textContent = name;
    const track = document.createElement("span");
    track.className = "track";
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    track.appendChild(fill);
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = probabilities ? p.toFixed(3) : "–";
    row.setAttribute("aria-label", probabilities ? `${name}: probability ${p.toFixed(3)}` : `${name}: no answer yet`);
    row.append(label, track, value);
    list.appendChild(row);
  });
}

function showResult(data, name) {
  $("error").hidden = true;
  $("seen").src = data.image;
  $("seen").alt = `the 64 by 64 image the model saw of ${name}`;
  $("seen").hidden = false;
  $("seen-empty").hidden = true;
  $("sign").textContent = `${data.sign} (${data.label})`;
  $("sign").dataset.sign = String(data.sign);
  const top = data.probabilities[data.sign];
  $("confidence").textContent = top < LOW
    ? `Low confidence (top probability ${top.toFixed(2)} < ${LOW}): the photo may not show one of the six signs.`
    : `Top probability ${top.toFixed(2)}.`;
  drawBars(data.probabilities);
  $("status").textContent = `The model's answer for ${name}:`;
  document.body.dataset.state = "done";
  revealAnswer();
}

async function send(blob, name) {
  if (maxMB !== null && blob.size > maxMB * 1e6) { // the server would answer 413: say so without the upload
    showError(`${name}: ${(blob.size / 1e6).toFixed(1)} MB is over the server's limit of ${maxMB} MB (serve --max-mb)`);
    document.body.dataset.results = String(Number(document.body.dataset.results) + 1);
    return;
  }
  $("status").textContent = `Sending ${name} to the model…`;
  document.body.dataset.state = "busy";
  const form = new FormData();
  form.append("photo", blob, name);
  try {
    const response = await fetch("/api/predict", { method: "POST", body: form });
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = { error: `the server answered ${response.status} ${response.statusText}, not JSON` };
    }
    if (response.ok) {
      showResult(data, name);
    } else {
      showError(data.error || `the server answered ${response.status}`);
    }
  } catch (e) {
    showError(`the server cannot be reached (${e.message}): is tf1-course serve still running?`);
  } finally {
    document.body.dataset.results = String(Number(document.body.dataset.results) + 1);
  }
}

function cameraStatus(message) {
  $("camera-status").textContent = message;
}

function noCamera(message) {
  cameraStatus(message);
  $("start-camera").disabled = true;
}

async function checkCamera() {
  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    noCamera("The camera works only on a page opened as http://127.0.0.1, localhost or https: upload a photo instead.");
    return;
  }
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    if (!devices.some((d) => d.kind === "videoinput")) {
      noCamera("No camera found on this machine: upload a photo instead.");
    }
  } catch (e) {
    cameraStatus(`Cannot list the cameras (${e.name}); you may still try to start one.`);
  }
}

async function startCamera() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
  } catch (e) {
    if (e.name === "NotFoundError" || e.name === "OverconstrainedError") {
      noCamera("No camera found on this machine: upload a photo instead.");
    } else if (e.name === "NotAllowedError") {
      cameraStatus("The camera was not allowed: allow it in the browser's site settings, or upload a photo.");
    } else {
      cameraStatus(`The camera did not start (${e.name}): upload a photo instead.`);
    }
    return;
  }
  const video = $("video");
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  $("snap").disabled = false;
  $("stop-camera").disabled = false;
  $("start-camera").disabled = true;
  cameraStatus("Hold your hand up, palm to the camera, then take the photo.");
  $("snap").focus();
}

function stopCamera() {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  $("video").hidden = true;
  $("snap").disabled = true;
  $("stop-camera").disabled = true;
  $("start-camera").disabled = false;
  cameraStatus("The camera is off.");
  $("start-camera").focus();
}

function snap() {
  const video = $("video");
  if (!video.videoWidth) {
    cameraStatus("The camera has no picture yet: wait a moment and try again.");
    return;
  }
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  canvas.toBlob((blob) => send(blob, "camera photo"), "image/jpeg", 0.95);
}

async function describeModel() {
  try {
    const response = await fetch("/healthz");
    const info = await response.json();
    classes = info.classes || classes;
    maxMB = typeof info.max_mb === "number" ? info.max_mb : null;
    drawBars(null);
    $("model").textContent = `Model: ${info.model} · TensorFlow ${info.tensorflow}`;
  } catch (e) {
    $("model").textContent = `The server did not say which model it serves (${e.message}).`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  drawBars(null);
  $("photo").addEventListener("change", () => {
    const file = $("photo").files[0];
    if (file) send(file, file.name);
  });
  $("start-camera").addEventListener("click", startCamera);
  $("stop-camera").addEventListener("click", stopCamera);
  $("snap").addEventListener("click", snap);
  // a photo dropped anywhere on the page is sent too
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    const file = e.dataTransfer.files[0];
    if (file) send(file, file.name);
  });
  describeModel();
  checkCamera();
});
