/** `npm run docs:config`: write docs/configuration.md from the config schema (see config-docs.ts). */
import { writeFileSync } from "node:fs";
import { schema } from "../src/config.js";
import { renderConfigurationDoc, undescribed } from "./config-docs.js";

const missing = undescribed(schema);
if (missing.length > 0) process.stderr.write(`warning: no .describe() text for ${missing.join(", ")}\n`);
const target = new URL("../docs/configuration.md", import.meta.url);
writeFileSync(target, renderConfigurationDoc(schema));
process.stdout.write(`wrote ${target.pathname}\n`);
