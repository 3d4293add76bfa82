/**
 * The chat page's session, as browser JavaScript source: the server issues it (`POST
 * api/sessions`, see session-tokens.ts), the tab keeps it in sessionStorage, and when the server
 * no longer knows it (a restart) the page starts a new conversation and says so. Uses the page's
 * `connect`, `clearChat`, `showNotice`, `setConn`, `updateControls`, `sessionId`, `retryTimer`
 * and `RECONNECT_MS` (page-script.ts; both run in one closure). No backticks or dollar-brace.
 */
export const SESSION_SCRIPT = String.raw`
var STORAGE_KEY = "chatbot.web.session";

function loadSession() {
  var id = null;
  try { id = sessionStorage.getItem(STORAGE_KEY); } catch (e) { id = null; }
  return id && /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/.test(id) ? id : null;
}

function saveSession(id) {
  try { sessionStorage.setItem(STORAGE_KEY, id); } catch (e) { /* private mode: the tab still works */ }
  return id;
}

// Get a session from the server, keeping "keep" while it is still valid (it is not after a
// restart of the server). Calls done(renewed) once there is one; retries while offline.
function openSession(keep, done) {
  clearTimeout(retryTimer);
  fetch("api/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(keep ? { sessionId: keep } : {}),
  })
    .then(function (res) {
      return res.json().then(function (body) {
        if (res.status !== 200 || !body.sessionId) throw new Error("HTTP " + res.status);
        sessionId = saveSession(body.sessionId);
        updateControls();
        done(body.renewed === true);
      });
    })
    .catch(function () {
      setConn("offline", "Offline, retrying\u2026");
      retryTimer = setTimeout(function () { openSession(keep, done); }, RECONNECT_MS);
    });
}

// Connect with a valid session; a session the server no longer knows starts a new conversation.
function reconnect() {
  openSession(sessionId, function (renewed) {
    if (renewed) {
      clearChat();
      showNotice("The chat server restarted, so this is a new conversation.");
    }
    connect();
  });
}
`;
