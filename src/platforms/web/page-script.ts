/**
 * The chat page's behaviour, as browser JavaScript source (no build step).
 * State lives in the page; the server is the source of truth for what was said: every bubble is
 * upserted from SSE events keyed by message ref, so replays after a reconnect or reload are safe.
 * Uses `escapeHtml` and `renderMarkdown` from markdown-script.ts and the session functions of
 * session-script.ts. No backticks or dollar-brace.
 */
export const PAGE_SCRIPT = String.raw`
// After the server closed the stream for good (restart, 503): how long until the page retries.
var RECONNECT_MS = 2000;
var EVENT_TYPES = ["user", "post", "edit", "finalize", "notice", "status", "end", "sync"];

var logEl = document.getElementById("log");
var emptyEl = document.getElementById("empty");
var formEl = document.getElementById("composer");
var inputEl = document.getElementById("input");
var sendEl = document.getElementById("send");
var stopEl = document.getElementById("stop");
var newEl = document.getElementById("new-chat");
var connEl = document.getElementById("conn");

// Issued by the server (POST api/sessions); null until the first one arrives.
var sessionId = loadSession();
var source = null;
var lastEventId = "";
var retryTimer = null;
var sending = false;
var running = {};
var ended = {};
var messages = {};
var lastRefOfTurn = {};
var users = {};
var thinking = {};
var statusOf = {};

function newId() {
  if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; a page opened via a LAN address is not one.
  var bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
}

function statusLabel(turnId, fallback) {
  var text = statusOf[turnId] || fallback;
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : "";
}

function anyRunning() {
  return Object.keys(running).length > 0;
}

function updateControls() {
  var busy = anyRunning();
  stopEl.hidden = !busy;
  stopEl.disabled = false;
  sendEl.hidden = busy;
  sendEl.disabled =
    sending || !sessionId || (inputEl.value.trim() === "" && attachedCount() === 0) || !attachmentsReady();
}

function setConn(state, text) {
  connEl.className = "conn " + state;
  connEl.textContent = text;
}

function nearBottom() {
  return logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < 120;
}

function append(el) {
  var stick = nearBottom();
  emptyEl.hidden = true;
  logEl.appendChild(el);
  if (stick) logEl.scrollTop = logEl.scrollHeight;
}

function changed(fn) {
  var stick = nearBottom();
  fn();
  if (stick) logEl.scrollTop = logEl.scrollHeight;
}

function make(tag, className, text) {
  var el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function addUser(key, text) {
  var row = make("div", "msg user");
  row.appendChild(make("div", "bubble", text));
  users[key] = row;
  append(row);
  return row;
}

function dots() {
  var el = make("span", "dots");
  el.appendChild(make("i"));
  el.appendChild(make("i"));
  el.appendChild(make("i"));
  return el;
}

function ensureThinking(turnId) {
  if (!running[turnId] || ended[turnId] || thinking[turnId] || lastRefOfTurn[turnId]) return;
  var row = make("div", "msg bot thinking");
  var bubble = make("div", "bubble");
  bubble.appendChild(dots());
  bubble.appendChild(make("span", "status-text", statusLabel(turnId, "Thinking\u2026")));
  row.appendChild(bubble);
  thinking[turnId] = row;
  append(row);
}

function dropThinking(turnId) {
  var row = thinking[turnId];
  if (!row) return;
  delete thinking[turnId];
  if (row.parentNode) row.parentNode.removeChild(row);
}

function renderMessage(entry) {
  var streaming = entry.state === "streaming";
  entry.row.setAttribute("data-state", entry.state);
  if (entry.text === "" && streaming) {
    entry.bubble.textContent = "";
    entry.bubble.appendChild(dots());
  } else {
    entry.bubble.innerHTML = renderMarkdown(entry.text);
  }
  var status = streaming ? statusLabel(entry.turnId, "") : "";
  entry.meta.textContent = "";
  if (status) {
    entry.meta.appendChild(make("span", "spinner"));
    entry.meta.appendChild(make("span", "", status));
  }
  entry.meta.hidden = entry.meta.childNodes.length === 0;
  renderFeedback(entry);
}

function upsertMessage(data) {
  var entry = messages[data.ref];
  if (!entry) {
    dropThinking(data.turnId);
    var row = make("div", "msg bot");
    entry = { row: row, bubble: make("div", "bubble md"), meta: make("div", "meta"), turnId: data.turnId };
    row.appendChild(entry.bubble);
    row.appendChild(entry.meta);
    messages[data.ref] = entry;
    lastRefOfTurn[data.turnId] = data.ref;
    append(row);
  }
  // A status ("checking the weather...") describes the wait; once new text arrives it is stale.
  if (data.text !== "" && data.text !== entry.text) delete statusOf[data.turnId];
  entry.text = data.text;
  entry.state = data.state;
  if (data.rateable) entry.rateable = true;
  changed(function () { renderMessage(entry); });
}

function refreshStatus(turnId) {
  var row = thinking[turnId];
  if (row) {
    row.querySelector(".status-text").textContent = statusLabel(turnId, "Thinking\u2026");
    return;
  }
  var entry = messages[lastRefOfTurn[turnId]];
  if (entry) changed(function () { renderMessage(entry); });
}

function showNotice(text, kind) {
  var el = make("div", "notice" + (kind ? " " + kind : ""), text);
  el.setAttribute("role", "status");
  append(el);
}

function endTurn(turnId) {
  ended[turnId] = true;
  delete running[turnId];
  delete statusOf[turnId];
  dropThinking(turnId);
  Object.keys(messages).forEach(function (ref) {
    var entry = messages[ref];
    if (entry.turnId === turnId && entry.state === "streaming") {
      entry.state = "done";
      renderMessage(entry);
    }
  });
  updateControls();
}

var handlers = {
  user: function (data) {
    var key = "turn:" + data.turnId;
    if (users[key]) return;
    var own = data.clientId ? users["client:" + data.clientId] : null;
    if (own) {
      delete users["client:" + data.clientId];
      users[key] = own;
    } else {
      addUser(key, data.text);
    }
  },
  post: upsertMessage,
  edit: upsertMessage,
  finalize: upsertMessage,
  notice: function (data) { showNotice(data.text); },
  status: function (data) {
    if (data.text) statusOf[data.turnId] = data.text;
    else delete statusOf[data.turnId];
    refreshStatus(data.turnId);
  },
  end: function (data) { endTurn(data.turnId); },
  sync: function (data) {
    var now = {};
    (data.running || []).forEach(function (turnId) { now[turnId] = true; });
    Object.keys(running).forEach(function (turnId) { if (!now[turnId]) endTurn(turnId); });
    Object.keys(now).forEach(function (turnId) {
      running[turnId] = true;
      ensureThinking(turnId);
    });
    updateControls();
  },
};

function connect() {
  clearTimeout(retryTimer);
  if (source) source.close();
  if (!sessionId) {
    source = null;
    openSession(null, connect);
    return;
  }
  var url = "api/events?session=" + encodeURIComponent(sessionId);
  if (lastEventId) url += "&since=" + encodeURIComponent(lastEventId);
  var es = new EventSource(url);
  source = es;
  EVENT_TYPES.forEach(function (type) {
    es.addEventListener(type, function (event) {
      if (es !== source) return;
      if (event.lastEventId) lastEventId = event.lastEventId;
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      handlers[type](data);
    });
  });
  es.onopen = function () {
    if (es === source) setConn("online", "Connected");
  };
  es.onerror = function () {
    if (es !== source) return;
    if (es.readyState === EventSource.CLOSED) {
      setConn("offline", "Offline, retrying\u2026");
      retryTimer = setTimeout(reconnect, RECONNECT_MS);
    } else {
      setConn("reconnecting", "Reconnecting\u2026");
    }
  };
}

function send() {
  var text = inputEl.value.trim();
  if ((!text && attachedCount() === 0) || !attachmentsReady() || sending || !sessionId || anyRunning()) return;
  var files = takeAttachments();
  var clientId = newId();
  var row = addUser("client:" + clientId, (text + filesLabel(files)).trim());
  logEl.scrollTop = logEl.scrollHeight;
  inputEl.value = "";
  autosize();
  sending = true;
  updateControls();
  fetch("api/messages", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sessionId: sessionId, text: text, clientId: clientId, attachments: uploadsOf(files) }),
  })
    .then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.status === 202 && body.turnId) {
          if (!ended[body.turnId]) {
            running[body.turnId] = true;
            ensureThinking(body.turnId);
          }
          return;
        }
        row.classList.add("failed");
        if (!inputEl.value) inputEl.value = text;
        restoreAttachments(files);
        if (res.status === 401) {
          // The server restarted and no longer knows this session.
          reconnect();
          return;
        }
        showNotice("Your message was not sent: " + (body.error || "HTTP " + res.status) + ".", "error");
      });
    })
    .catch(function () {
      row.classList.add("failed");
      showNotice("Could not reach the chat server. Check that it is running, then send again.", "error");
      if (!inputEl.value) inputEl.value = text;
      restoreAttachments(files);
    })
    .then(function () {
      sending = false;
      autosize();
      updateControls();
    });
}

function stop() {
  stopEl.disabled = true;
  Object.keys(running).forEach(function (turnId) {
    fetch("api/stop", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sessionId: sessionId, turnId: turnId }),
    }).catch(function () { /* the end event (or the next sync) settles the buttons */ });
  });
}

function newChat() {
  clearChat();
  sessionId = null;
  connect();
  inputEl.focus();
}

// Forget everything shown: the session changes.
function clearChat() {
  if (source) source.close();
  source = null;
  lastEventId = "";
  running = {};
  ended = {};
  messages = {};
  lastRefOfTurn = {};
  users = {};
  thinking = {};
  statusOf = {};
  Array.prototype.slice.call(logEl.children).forEach(function (el) {
    if (el !== emptyEl) logEl.removeChild(el);
  });
  emptyEl.hidden = false;
  updateControls();
}

function autosize() {
  inputEl.style.height = "auto";
  inputEl.style.height = Math.min(inputEl.scrollHeight, 200) + "px";
}

formEl.addEventListener("submit", function (event) {
  event.preventDefault();
  send();
});
inputEl.addEventListener("keydown", function (event) {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
inputEl.addEventListener("input", function () {
  autosize();
  updateControls();
});
stopEl.addEventListener("click", stop);
newEl.addEventListener("click", newChat);

updateControls();
connect();
inputEl.focus();
`;
