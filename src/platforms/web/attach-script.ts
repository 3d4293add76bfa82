/**
 * The page's attach button, drag-and-drop and pasted images, as browser JavaScript source (no
 * build step). Files are read into memory (base64) when attached and sent with the next message
 * (uploads.ts); a file over the size limit is sent by name and size only, so the answer says why
 * it was not read. The limits come from the composer's data attributes. Runs before
 * page-script.ts, whose `send` and `updateControls` call `attachedCount`, `attachmentsReady`,
 * `takeAttachments`, `restoreAttachments` and `filesLabel`; top-level code here may only use the
 * DOM. No backticks or dollar-brace.
 */
export const ATTACH_SCRIPT = String.raw`
var composerEl = document.getElementById("composer");
var attachEl = document.getElementById("attach");
var fileEl = document.getElementById("file");
var chipsEl = document.getElementById("chips");
var MAX_FILES = Number(composerEl.getAttribute("data-max-files")) || 0;
var MAX_FILE_BYTES = Number(composerEl.getAttribute("data-max-bytes")) || 0;
var attached = [];

function humanSize(bytes) {
  if (bytes < 1024) return bytes + " bytes";
  if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
  return (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "") + " MB";
}

function attachedCount() {
  return attached.length;
}

function attachmentsReady() {
  return attached.every(function (item) { return item.ready; });
}

function renderChips() {
  chipsEl.textContent = "";
  chipsEl.hidden = attached.length === 0;
  attached.forEach(function (item, i) {
    var chip = document.createElement("span");
    chip.className = "chip" + (item.data === null && item.ready ? " too-big" : "");
    var label = item.name + " (" + humanSize(item.size) + ")";
    if (!item.ready) label += " \u2026";
    else if (item.data === null) label += ": too large to send";
    chip.appendChild(document.createTextNode(label));
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "chip-remove";
    remove.setAttribute("aria-label", "Remove " + item.name);
    remove.textContent = "\u00d7";
    remove.addEventListener("click", function () {
      attached.splice(i, 1);
      renderChips();
      updateControls();
    });
    chip.appendChild(remove);
    chipsEl.appendChild(chip);
  });
}

function addFiles(list) {
  Array.prototype.forEach.call(list, function (file) {
    if (attached.length >= MAX_FILES) {
      showNotice("At most " + MAX_FILES + " files per message: " + file.name + " was not attached.", "error");
      return;
    }
    var item = { name: file.name || "pasted image", type: file.type, size: file.size, data: null, ready: false };
    attached.push(item);
    if (file.size > MAX_FILE_BYTES) {
      item.ready = true;
      return;
    }
    var reader = new FileReader();
    reader.onload = function () {
      var url = String(reader.result);
      item.data = url.slice(url.indexOf(",") + 1);
      item.ready = true;
      renderChips();
      updateControls();
    };
    reader.onerror = function () {
      attached = attached.filter(function (other) { return other !== item; });
      showNotice("Could not read " + item.name + " from your computer.", "error");
      renderChips();
      updateControls();
    };
    reader.readAsDataURL(file);
  });
  renderChips();
  updateControls();
}

// The files for the message being sent, in the body's shape; the chips are cleared.
function takeAttachments() {
  var taken = attached;
  attached = [];
  renderChips();
  return taken;
}

// Put the files of a message that could not be sent back, for the next try.
function restoreAttachments(list) {
  if (attached.length === 0) attached = list;
  renderChips();
}

function uploadsOf(list) {
  return list.map(function (item) {
    var upload = { name: item.name, type: item.type || undefined, size: item.size };
    if (item.data !== null) upload.data = item.data;
    return upload;
  });
}

function filesLabel(list) {
  return list.map(function (item) { return "\n\ud83d\udcce " + item.name; }).join("");
}

if (MAX_FILES > 0) {
  attachEl.hidden = false;
  attachEl.addEventListener("click", function () { fileEl.click(); });
  fileEl.addEventListener("change", function () {
    addFiles(fileEl.files);
    fileEl.value = "";
  });
  var dragDepth = 0;
  document.addEventListener("dragenter", function (event) {
    if (!event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types, "Files") < 0) return;
    dragDepth++;
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragleave", function () {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) document.body.classList.remove("dragging");
  });
  document.addEventListener("dragover", function (event) { event.preventDefault(); });
  document.addEventListener("drop", function (event) {
    event.preventDefault();
    dragDepth = 0;
    document.body.classList.remove("dragging");
    if (event.dataTransfer && event.dataTransfer.files.length > 0) addFiles(event.dataTransfer.files);
  });
  document.getElementById("input").addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (files && files.length > 0) {
      event.preventDefault();
      addFiles(files);
    }
  });
}
`;
