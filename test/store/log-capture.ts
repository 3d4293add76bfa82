/** A real pino logger whose JSON lines the test can read back. */
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/log.js";

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** pino's numeric levels. */
export const WARN = 40;

export interface CapturedLog {
  log: Logger;
  lines: LogLine[];
  /** Everything logged, as raw text (to search for leaked secrets). */
  text(): string;
}

export function captureLog(): CapturedLog {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString();
      raw.push(text);
      for (const line of text.split("\n")) {
        if (line.trim() !== "") lines.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  return {
    log: createLogger({ level: "debug", format: "json", destination }),
    lines,
    text: () => raw.join(""),
  };
}
