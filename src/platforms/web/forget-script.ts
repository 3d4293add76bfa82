/**
 * The page's "Forget me" button, as browser JavaScript source (runs after page-script.ts, whose
 * functions it uses). It asks first (an inline confirmation), then `POST api/forget`, starts a new
 * chat and shows what was deleted. No backticks or dollar-brace.
 */
export const FORGET_SCRIPT = `
var forgetEl = document.getElementById("forget");
var forgetBoxEl = document.getElementById("forget-confirm");
var forgetYesEl = document.getElementById("forget-yes");
var forgetNoEl = document.getElementById("forget-no");

function askForget() {
  if (anyRunning()) {
    showNotice("Wait for the answer to finish (or press Stop), then try Forget me again.", "error");
    return;
  }
  forgetBoxEl.hidden = false;
  forgetYesEl.focus();
}

function closeForget() {
  forgetBoxEl.hidden = true;
  forgetYesEl.disabled = false;
}

function forgetMe() {
  if (!sessionId) return;
  forgetYesEl.disabled = true;
  fetch("api/forget", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sessionId: sessionId }),
  })
    .then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        closeForget();
        if (res.ok) {
          newChat();
          showNotice(body.text || "Deleted.");
          return;
        }
        // body.text says what was deleted and what could not be; without it nothing was.
        showNotice(body.text || "Nothing was deleted: " + (body.error || "HTTP " + res.status) + ".", "error");
      });
    })
    .catch(function () {
      closeForget();
      showNotice("Could not reach the chat server. Nothing was deleted; try again.", "error");
    });
}

forgetEl.addEventListener("click", askForget);
forgetYesEl.addEventListener("click", forgetMe);
forgetNoEl.addEventListener("click", closeForget);
`;
