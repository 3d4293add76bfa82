/**
 * A chat model seen through a redaction session: requests go out redacted, text deltas and tool
 * call arguments come back restored. `generate` wraps the turn's model in one, so the rest of the
 * turn (tools, the answer shown, the history saved) only ever handles the real values.
 */
import type { ChatModel, ModelEvent, ModelRequest } from "../ports.js";
import type { RedactionSession } from "./redactor.js";

export function redactingModel(model: ChatModel, session: RedactionSession): ChatModel {
  return {
    model: model.model,
    async *stream(req: ModelRequest): AsyncIterable<ModelEvent> {
      const text = session.streamRestorer();
      try {
        // Not `onText`: the text must come back through the restorer below.
        const redacted = { ...req, onText: undefined, messages: session.redactMessages(req.messages) };
        for await (const event of model.stream(redacted)) {
          if (event.type === "text") {
            const delta = text.push(event.delta);
            if (delta !== "") yield { type: "text", delta };
          } else if (event.type === "tool_calls") {
            const rest = text.flush();
            if (rest !== "") yield { type: "text", delta: rest };
            yield {
              type: "tool_calls",
              calls: event.calls.map((c) => ({ ...c, arguments: session.restore(c.arguments) })),
            };
          } else {
            const rest = text.flush();
            if (rest !== "") yield { type: "text", delta: rest };
            yield event;
          }
        }
      } catch (err) {
        // A stream that broke off: what was held back waiting for a "]" was still said.
        const rest = text.flush();
        if (rest !== "") yield { type: "text", delta: rest };
        throw err;
      }
    },
  };
}
