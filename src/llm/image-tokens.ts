/**
 * What an image costs in a chat request, by OpenAI's published rules ("Calculating costs" in its
 * vision guide). Two schemes:
 * - tiles (GPT-4o, GPT-4.1, GPT-4.5, GPT-5, o1, o3): at `low` detail a fixed base; at `high` the
 *   image is scaled to fit 2048 x 2048, then its shorter side to 768 px, and each 512 px tile
 *   costs a fixed amount on top of the base: 85 + 170 per tile for GPT-4o, 4.1 and 4.5 (and
 *   unknown models); 70 + 140 for GPT-5; 75 + 150 for o1 and o3; 65 + 129 for
 *   computer-use-preview; GPT-4o mini counts 2,833 + 5,667 per tile (its price per token is
 *   lower by about the same factor).
 * - patches (GPT-4.1 mini and nano, GPT-5 mini and nano, o4-mini): one token per 32 x 32 patch,
 *   at most 1,536 patches (larger images are scaled down to fit), times a per-model multiplier.
 * Other servers count differently; the tile rule keeps the context budget on the safe side for
 * them. The bill (usage) is what the server reports.
 */
export type ImageCost =
  | { scheme: "tiles"; base: number; perTile: number }
  | { scheme: "patches"; multiplier: number };

const TILES: ImageCost = { scheme: "tiles", base: 85, perTile: 170 };
const TILE_PX = 512;
const FIT_PX = 2048;
const SHORT_SIDE_PX = 768;
const PATCH_PX = 32;
const MAX_PATCHES = 1536;

/** Which rule a model's images are counted by. Gateways prefix models ("openai/gpt-4o"); fine-tunes are "ft:...". */
export function imageCostFor(model: string): ImageCost {
  const name = model.toLowerCase().replace(/^ft:/, "").replace(/^.*\//, "");
  if (/^gpt-4o-mini/.test(name)) return { scheme: "tiles", base: 2833, perTile: 5667 };
  if (/^(gpt-4\.1-mini|gpt-5-mini)/.test(name)) return { scheme: "patches", multiplier: 1.62 };
  if (/^(gpt-4\.1-nano|gpt-5-nano)/.test(name)) return { scheme: "patches", multiplier: 2.46 };
  if (/^o4-mini/.test(name)) return { scheme: "patches", multiplier: 1.72 };
  if (/^gpt-5/.test(name)) return { scheme: "tiles", base: 70, perTile: 140 };
  if (/^(o1|o3)(?!-mini)/.test(name)) return { scheme: "tiles", base: 75, perTile: 150 };
  if (/^computer-use-preview/.test(name)) return { scheme: "tiles", base: 65, perTile: 129 };
  return TILES;
}

export function imageTokens(
  width: number,
  height: number,
  detail: "low" | "high",
  cost: ImageCost = TILES,
): number {
  if (cost.scheme === "patches") return Math.ceil(patches(width, height) * cost.multiplier);
  if (detail === "low" || width <= 0 || height <= 0) return cost.base;
  let w = width;
  let h = height;
  const fit = Math.min(1, FIT_PX / Math.max(w, h));
  w *= fit;
  h *= fit;
  const shrink = Math.min(1, SHORT_SIDE_PX / Math.min(w, h));
  w *= shrink;
  h *= shrink;
  return cost.base + cost.perTile * Math.ceil(w / TILE_PX) * Math.ceil(h / TILE_PX);
}

/** 32 px patches of the image, scaled down (to whole patches) when it has more than 1,536. */
function patches(width: number, height: number): number {
  const raw = Math.ceil(width / PATCH_PX) * Math.ceil(height / PATCH_PX);
  if (raw <= MAX_PATCHES) return raw;
  let scale = Math.sqrt((PATCH_PX * PATCH_PX * MAX_PATCHES) / (width * height));
  const w = (width * scale) / PATCH_PX;
  const h = (height * scale) / PATCH_PX;
  scale *= Math.min(Math.floor(w) / w, Math.floor(h) / h);
  return Math.min(
    MAX_PATCHES,
    Math.ceil((width * scale) / PATCH_PX) * Math.ceil((height * scale) / PATCH_PX),
  );
}
