/**
 * What an image costs in a chat request, by OpenAI's published tile formula for its vision
 * models (GPT-4o, GPT-4.1, GPT-5 family): at `low` detail a fixed 85 tokens; at `high` the image
 * is scaled to fit 2048 x 2048, then its shorter side to 768 px, and each 512 px tile costs 170
 * tokens on top of the 85. Other servers count differently; this keeps the context budget on the
 * safe side for them too. The bill (usage) is what the server reports.
 */
const BASE_TOKENS = 85;
const TOKENS_PER_TILE = 170;
const TILE_PX = 512;
const FIT_PX = 2048;
const SHORT_SIDE_PX = 768;

export function imageTokens(width: number, height: number, detail: "low" | "high"): number {
  if (detail === "low" || width <= 0 || height <= 0) return BASE_TOKENS;
  let w = width;
  let h = height;
  const fit = Math.min(1, FIT_PX / Math.max(w, h));
  w *= fit;
  h *= fit;
  const shrink = Math.min(1, SHORT_SIDE_PX / Math.min(w, h));
  w *= shrink;
  h *= shrink;
  return BASE_TOKENS + TOKENS_PER_TILE * Math.ceil(w / TILE_PX) * Math.ceil(h / TILE_PX);
}
