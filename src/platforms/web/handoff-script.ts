/**
 * The chat page's "Talk to a person" button, as browser JavaScript source (runs in the page's
 * closure: uses `sessionId` and `showNotice` of page-script.ts). What happens next arrives like
 * every other message, over the page's event stream. No backticks or dollar-brace.
 */
export const HANDOFF_SCRIPT = `
var handoffEl = document.getElementById("handoff");
handoffEl.addEventListener("click", function () {
  if (!sessionId) return;
  handoffEl.disabled = true;
  fetch("api/handoff", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sessionId: sessionId }),
  })
    .then(function (res) {
      if (res.status === 202) return;
      return res.json().catch(function () { return {}; }).then(function (body) {
        showNotice("Could not reach a person: " + (body.error || "HTTP " + res.status) + ".", "error");
      });
    })
    .catch(function () { showNotice("Could not reach the chat server.", "error"); })
    .then(function () { handoffEl.disabled = false; });
});
`;
