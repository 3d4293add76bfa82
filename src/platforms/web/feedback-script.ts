/**
 * Thumbs up / down under the web chat's finished answers, as browser JavaScript source. A
 * `finalize` event with `rateable` marks an answer's last message; `renderFeedback(entry)` (called
 * by page-script.ts's renderMessage) draws the two buttons under it. A click posts
 * `api/feedback`; a second click changes the rating. A thumbs-down opens an inline field for an
 * optional reason and, when the server has hand-offs, a "Talk to a person" button
 * (`api/feedback/handoff`). Uses `make`, `showNotice` and `sessionId` of page-script.ts (one
 * closure). No backticks or dollar-brace.
 */
export const FEEDBACK_SCRIPT = String.raw`
function postFeedback(path, body) {
  return fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(function (res) {
    return res.json().catch(function () { return {}; }).then(function (data) {
      if (!res.ok) throw new Error(data.error || "Your feedback could not be sent. Please try again.");
      return data;
    });
  });
}

// The tab remembers its ratings (sessionStorage, like its session), so a reload that rebuilds
// the answers from the server shows the chosen thumb still pressed.
var RATING_KEY = "chatbot.rating.";
function storedRating(turnId) {
  try { return sessionStorage.getItem(RATING_KEY + turnId); } catch (e) { return null; }
}
function storeRating(turnId, rating) {
  try { sessionStorage.setItem(RATING_KEY + turnId, rating); } catch (e) { /* private mode */ }
}

function renderFeedback(entry) {
  if (!entry.rateable || entry.state !== "done") return;
  if (!entry.feedback) {
    var bar = make("div", "feedback");
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Rate this answer");
    // Words beside the emoji: readable where no emoji font is installed.
    var up = make("button", "thumb", "\uD83D\uDC4D Helpful");
    var down = make("button", "thumb", "\uD83D\uDC4E Not helpful");
    up.type = "button";
    down.type = "button";
    up.setAttribute("aria-label", "This answer helped");
    down.setAttribute("aria-label", "This answer did not help");
    up.setAttribute("data-rating", "up");
    down.setAttribute("data-rating", "down");
    bar.appendChild(up);
    bar.appendChild(down);
    entry.feedback = { bar: bar, up: up, down: down, rating: storedRating(entry.turnId), form: null };
    up.addEventListener("click", function () { rate(entry, "up"); });
    down.addEventListener("click", function () { rate(entry, "down"); });
    entry.row.appendChild(bar);
  }
  var f = entry.feedback;
  f.up.setAttribute("aria-pressed", String(f.rating === "up"));
  f.down.setAttribute("aria-pressed", String(f.rating === "down"));
}

function rate(entry, rating) {
  var f = entry.feedback;
  postFeedback("api/feedback", { sessionId: sessionId, turnId: entry.turnId, rating: rating })
    .then(function (data) {
      f.rating = rating;
      storeRating(entry.turnId, rating);
      renderFeedback(entry);
      if (rating === "down") openReason(entry, data.handoff === true);
      else closeReason(entry);
    })
    .catch(function (err) { showNotice(err.message, "error"); });
}

function closeReason(entry) {
  var f = entry.feedback;
  if (f.form && f.form.parentNode) f.form.parentNode.removeChild(f.form);
  f.form = null;
}

function openReason(entry, handoff) {
  var f = entry.feedback;
  if (f.form) return;
  var box = make("div", "feedback-reason");
  var form = make("form", "");
  var field = make("textarea", "");
  field.rows = 2;
  field.maxLength = 1000;
  field.placeholder = "What was wrong or missing? (optional)";
  field.setAttribute("aria-label", "What was wrong or missing?");
  var send = make("button", "", "Send");
  send.type = "submit";
  form.appendChild(field);
  form.appendChild(send);
  box.appendChild(form);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send.disabled = true;
    postFeedback("api/feedback", { sessionId: sessionId, turnId: entry.turnId, rating: "down", reason: field.value })
      .then(function () { box.replaceChild(make("span", "thanks", "Thanks for telling us."), form); })
      .catch(function (err) { send.disabled = false; showNotice(err.message, "error"); });
  });
  if (handoff) {
    var talk = make("button", "talk", "Talk to a person");
    talk.type = "button";
    talk.addEventListener("click", function () {
      talk.disabled = true;
      postFeedback("api/feedback/handoff", { sessionId: sessionId, turnId: entry.turnId })
        .catch(function (err) { talk.disabled = false; showNotice(err.message, "error"); });
    });
    box.appendChild(talk);
  }
  f.form = box;
  entry.row.appendChild(box);
  // Under the last answer the box opens below the fold (a phone's screen): bring all of it in.
  field.focus({ preventScroll: true });
  box.scrollIntoView({ block: "nearest" });
}
`;

/** The styles of the feedback bar and the reason field (appended to the page's stylesheet). */
export const FEEDBACK_STYLE = `
.feedback { display: flex; gap: 6px; margin: 6px 4px 0; }
.feedback .thumb { padding: 2px 10px; border-radius: 8px; font-size: 14px; }
.feedback .thumb[aria-pressed="true"] { border-color: var(--accent); background: var(--code-bg); }
.feedback-reason { display: flex; gap: 6px; margin: 6px 4px 0; align-items: flex-end; max-width: 85%; width: 640px; }
.feedback-reason form { display: flex; gap: 6px; flex: 1; align-items: flex-end; }
.feedback-reason textarea {
  flex: 1; font: inherit; border-radius: 10px; border: 1px solid var(--border); padding: 6px 8px;
  background: var(--panel); color: var(--text); resize: vertical;
}
.feedback-reason .thanks { color: var(--muted); font-size: 13px; }
.feedback-reason { flex-wrap: wrap; }
.feedback-reason form { min-width: 14em; }
.feedback-reason button { white-space: nowrap; }
`;
