/**
 * Whether the configured model accepts images (MODEL_VISION). `auto` knows OpenAI's model names;
 * a model behind another server (Ollama, vLLM) is assumed text-only unless MODEL_VISION=on.
 */
export type VisionSetting = "auto" | "on" | "off";

/** GPT-4o, 4.1, 4.5 and 5 families, GPT-4 Turbo, o1 (not o1-mini/preview), o3 and o4-mini. */
const OPENAI_VISION_MODEL =
  /^(?:chatgpt-4o|gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-4-turbo(?!-preview)|gpt-4-vision|o1(?!-mini|-preview)|o3(?!-mini)|o4-mini)/;

export function modelSeesImages(setting: VisionSetting, model: string, demoModel: boolean): boolean {
  if (setting !== "auto") return setting === "on";
  // The offline demo model takes images and says what it received.
  if (demoModel) return true;
  const name = model.toLowerCase().replace(/^ft:/, "").replace(/^.*\//, "");
  return OPENAI_VISION_MODEL.test(name);
}
