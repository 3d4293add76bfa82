/** How files are named and sized in what the model, the history and the user read. */

/** File names come from the sender: one line, no Markdown code-span breakers, bounded. */
const NAME_MAX_CHARS = 120;

export function safeFileName(name: string): string {
  const cleaned = name
    // Control characters and line/paragraph separators break the one-line header; format
    // characters (bidi overrides, zero-width) can make `invoice<RLO>fdp.exe` show as `invoiceexe.pdf`.
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, " ")
    .replace(/\p{Cf}+/gu, "")
    .replace(/[`"]/g, "'")
    .trim();
  if (cleaned === "") return "unnamed file";
  return cleaned.length > NAME_MAX_CHARS ? `${cleaned.slice(0, NAME_MAX_CHARS - 1)}…` : cleaned;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const kb = bytes / 1024;
  if (kb < 1024) return `${kb < 10 ? kb.toFixed(1).replace(/\.0$/, "") : Math.round(kb)} KB`;
  const mb = kb / 1024;
  return `${mb < 10 ? mb.toFixed(1).replace(/\.0$/, "") : Math.round(mb)} MB`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}
