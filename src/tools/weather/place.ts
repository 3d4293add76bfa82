/**
 * Choosing a place from geocoding results. The user writes "Paris", "Paris, FR",
 * "Springfield, IL" or "Portland, Oregon, US"; Open-Meteo's search takes only the name, so the
 * words after the first comma are qualifiers we match against country code, country and
 * administrative areas ourselves. With no qualifier, a name shared by places of similar size in
 * different regions is ambiguous: we return the candidates instead of guessing.
 */

export interface GeoPlace {
  id: number;
  name: string;
  latitude: number;
  longitude: number;
  country?: string | undefined;
  country_code?: string | undefined;
  admin1?: string | undefined;
  admin2?: string | undefined;
  timezone?: string | undefined;
  population?: number | undefined;
}

export interface PlaceQuery {
  /** What we send to the geocoder. */
  name: string;
  /** Lower-case, accent-free region/country words the result must match. */
  qualifiers: string[];
}

export type PlaceChoice =
  | { kind: "found"; place: GeoPlace }
  | { kind: "ambiguous"; candidates: GeoPlace[] }
  | { kind: "not_found"; nearMisses: GeoPlace[] };

/**
 * A second place counts as a real alternative when it has at least this share of the top
 * result's population. 0.5 makes the three Springfields (IL 114k, MO 169k, MA 155k) ambiguous
 * while Paris (FR 2.1M vs TX 25k), London (GB 8.9M vs ON 400k) and Portland (OR 650k vs ME 68k)
 * resolve to the place most people mean.
 */
const AMBIGUITY_POPULATION_RATIO = 0.5;
/** Candidates shown to the model for an ambiguous name. */
export const MAX_CANDIDATES = 5;

const COUNTRY_ALIASES: Record<string, string> = {
  usa: "us",
  "united states of america": "us",
  america: "us",
  uk: "gb",
  britain: "gb",
  "great britain": "gb",
  "united kingdom": "gb",
};

/** US state and Canadian province abbreviations, so "Springfield, IL" works. */
const REGION_ABBREVIATIONS: Record<string, string> = {
  al: "alabama",
  ak: "alaska",
  az: "arizona",
  ar: "arkansas",
  ca: "california",
  co: "colorado",
  ct: "connecticut",
  de: "delaware",
  fl: "florida",
  ga: "georgia",
  hi: "hawaii",
  id: "idaho",
  il: "illinois",
  in: "indiana",
  ia: "iowa",
  ks: "kansas",
  ky: "kentucky",
  la: "louisiana",
  me: "maine",
  md: "maryland",
  ma: "massachusetts",
  mi: "michigan",
  mn: "minnesota",
  ms: "mississippi",
  mo: "missouri",
  mt: "montana",
  ne: "nebraska",
  nv: "nevada",
  nh: "new hampshire",
  nj: "new jersey",
  nm: "new mexico",
  ny: "new york",
  nc: "north carolina",
  nd: "north dakota",
  oh: "ohio",
  ok: "oklahoma",
  or: "oregon",
  pa: "pennsylvania",
  ri: "rhode island",
  sc: "south carolina",
  sd: "south dakota",
  tn: "tennessee",
  tx: "texas",
  ut: "utah",
  vt: "vermont",
  va: "virginia",
  wa: "washington",
  wv: "west virginia",
  wi: "wisconsin",
  wy: "wyoming",
  dc: "district of columbia",
  on: "ontario",
  qc: "quebec",
  bc: "british columbia",
  ab: "alberta",
  mb: "manitoba",
  sk: "saskatchewan",
  ns: "nova scotia",
};

/** Lower case, no accents, single spaces, no dots: "São Paulo " -> "sao paulo". */
export function normalizeText(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase()
    .replace(/\./g, "")
    .replace(/\s+/g, " ")
    .trim();
}

export function parsePlaceQuery(location: string): PlaceQuery {
  const parts = location
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  return { name: parts[0] ?? location.trim(), qualifiers: parts.slice(1).map(normalizeText) };
}

/** The cache key part for a location: same text, same place. */
export function placeKey(location: string): string {
  const { name, qualifiers } = parsePlaceQuery(location);
  return [normalizeText(name), ...qualifiers].join(",");
}

function matchesQualifier(place: GeoPlace, qualifier: string): boolean {
  const wanted = new Set([qualifier]);
  const alias = COUNTRY_ALIASES[qualifier];
  if (alias) wanted.add(alias);
  const region = REGION_ABBREVIATIONS[qualifier];
  if (region) wanted.add(region);
  const fields = [place.country_code, place.country, place.admin1, place.admin2]
    .filter((f): f is string => typeof f === "string")
    .map(normalizeText);
  return fields.some((f) => wanted.has(f));
}

function areaOf(place: GeoPlace): string {
  return `${normalizeText(place.admin1 ?? "")}|${(place.country_code ?? "").toLowerCase()}`;
}

export function choosePlace(query: PlaceQuery, results: GeoPlace[]): PlaceChoice {
  const matching = results.filter((p) => query.qualifiers.every((q) => matchesQualifier(p, q)));
  if (matching.length === 0) return { kind: "not_found", nearMisses: distinctAreas(results) };
  const top = matching[0]!;
  if (query.qualifiers.length > 0) return { kind: "found", place: top };
  const topName = normalizeText(top.name);
  const topPopulation = top.population ?? 0;
  const rivals = distinctAreas(matching).filter(
    (p) =>
      areaOf(p) !== areaOf(top) &&
      normalizeText(p.name) === topName &&
      (p.population ?? 0) >= topPopulation * AMBIGUITY_POPULATION_RATIO,
  );
  if (rivals.length === 0) return { kind: "found", place: top };
  return { kind: "ambiguous", candidates: [top, ...rivals].slice(0, MAX_CANDIDATES) };
}

/** One place per region: geocoders list a city and its districts with the same name. */
function distinctAreas(places: GeoPlace[]): GeoPlace[] {
  const seen = new Set<string>();
  return places.filter((p) => {
    const key = `${normalizeText(p.name)}|${areaOf(p)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** "Springfield, Illinois, US": what the model can pass back to pick this place. */
export function placeLabel(place: GeoPlace): string {
  return [place.name, place.admin1, place.country_code ?? place.country]
    .filter((p): p is string => typeof p === "string" && p !== "" && p !== place.name)
    .reduce((label, part) => `${label}, ${part}`, place.name);
}
