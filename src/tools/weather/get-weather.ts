/**
 * get_weather: current conditions and a short forecast from Open-Meteo. The place name is
 * geocoded first; an unknown place is "not found" and an ambiguous one returns candidates, so
 * the model asks (or retries with a qualifier) instead of guessing. Answers are cached in the
 * shared store per place and unit.
 */
import { z } from "zod";
import type { KeyValueStore } from "../../core/ports.js";
import type { FetchLike } from "../http.js";
import { defineTool, ToolFailure, type ToolRunContext } from "../tool.js";
import { type Forecast, OpenMeteoClient, type TemperatureUnit } from "./open-meteo.js";
import {
  choosePlace,
  type GeoPlace,
  MAX_CANDIDATES,
  parsePlaceQuery,
  placeKey,
  placeLabel,
} from "./place.js";
import { describeWeatherCode } from "./wmo-codes.js";

/**
 * Open-Meteo refreshes current conditions every 15 minutes; 10 minutes keeps answers fresh
 * while sparing the API repeated questions about the same city.
 */
export const WEATHER_CACHE_TTL_MS = 10 * 60 * 1000;
/** Geocoding results asked for: enough to see rivals and to find "Paris, Texas" behind Paris, FR. */
const GEOCODING_COUNT = 10;
const GEOCODING_COUNT_QUALIFIED = 30;

const argsSchema = z.strictObject({
  location: z
    .string()
    .trim()
    .min(2)
    .max(120)
    .describe(
      'City or place name. Add region or country after commas when the user gave them or the name is ambiguous: "Paris", "Paris, FR", "Springfield, Illinois", "Portland, Oregon, US".',
    ),
  unit: z
    .enum(["celsius", "fahrenheit"])
    .nullish()
    .describe("Temperature unit. Null means celsius; use fahrenheit when the user asks for it."),
});

export interface WeatherToolOptions {
  geocodingUrl: string;
  weatherUrl: string;
  kv: KeyValueStore;
  fetch: FetchLike;
}

export function createWeatherTool(opts: WeatherToolOptions) {
  const client = new OpenMeteoClient({
    geocodingUrl: opts.geocodingUrl,
    weatherUrl: opts.weatherUrl,
    fetch: opts.fetch,
  });

  return defineTool({
    name: "get_weather",
    description:
      "Get the current weather and a 3-day forecast for a place, from Open-Meteo. Use it whenever the user asks about weather, temperature, rain or wind somewhere; never answer weather questions from memory. If the result is an ambiguous_location error, ask the user which of the candidates they mean (or call again with the candidate text when the conversation already makes it clear).",
    statusText: "checking the weather...",
    schema: argsSchema,
    async run(args, ctx) {
      const unit: TemperatureUnit = args.unit ?? "celsius";
      const cacheKey = `tool:weather:${placeKey(args.location)}:${unit}`;
      const cached = await cacheGet(opts.kv, cacheKey, ctx);
      if (cached !== null) return cached;

      const place = await resolvePlace(client, args.location, ctx.signal);
      const forecast = await client.forecast(place, unit, ctx.signal);
      const result = formatWeather(place, forecast);
      await cacheSet(opts.kv, cacheKey, result, ctx);
      return result;
    },
  });
}

async function resolvePlace(
  client: OpenMeteoClient,
  location: string,
  signal: AbortSignal,
): Promise<GeoPlace> {
  const query = parsePlaceQuery(location);
  const count = query.qualifiers.length > 0 ? GEOCODING_COUNT_QUALIFIED : GEOCODING_COUNT;
  const results = await client.geocode(query.name, count, signal);
  const choice = choosePlace(query, results);
  switch (choice.kind) {
    case "found":
      return choice.place;
    case "ambiguous":
      throw new ToolFailure(
        "invalid_arguments",
        `"${location}" matches several places. Ask the user which one they mean, or call again with one of the candidates as the location.`,
        { reason: "ambiguous_location", candidates: choice.candidates.map(placeLabel) },
      );
    case "not_found":
      throw new ToolFailure(
        "not_found",
        choice.nearMisses.length > 0
          ? `No place matches "${location}". Places named "${query.name}" are listed; ask the user which one they mean.`
          : `No place called "${query.name}" was found. Ask the user to check the spelling or name a nearby city.`,
        {
          reason: "location_not_found",
          ...(choice.nearMisses.length > 0
            ? { candidates: choice.nearMisses.slice(0, MAX_CANDIDATES).map(placeLabel) }
            : {}),
        },
      );
  }
}

export interface WeatherResult {
  location: string;
  timezone: string;
  units: { temperature: string; wind_speed: string };
  current: {
    time: string;
    conditions: string;
    temperature: number | null;
    feels_like: number | null;
    humidity_percent: number | null;
    wind_speed: number | null;
  };
  forecast: {
    date: string;
    conditions: string;
    high: number | null;
    low: number | null;
    precipitation_chance_percent: number | null;
  }[];
  source: string;
}

function formatWeather(place: GeoPlace, f: Forecast): WeatherResult {
  return {
    location: placeLabel(place),
    timezone: f.timezone,
    units: { temperature: f.current_units.temperature_2m, wind_speed: f.current_units.wind_speed_10m },
    current: {
      time: f.current.time,
      conditions: describeWeatherCode(f.current.weather_code),
      temperature: f.current.temperature_2m,
      feels_like: f.current.apparent_temperature,
      humidity_percent: f.current.relative_humidity_2m,
      wind_speed: f.current.wind_speed_10m,
    },
    forecast: f.daily.time.map((date, i) => ({
      date,
      conditions: describeWeatherCode(f.daily.weather_code[i]),
      high: f.daily.temperature_2m_max[i] ?? null,
      low: f.daily.temperature_2m_min[i] ?? null,
      precipitation_chance_percent: f.daily.precipitation_probability_max[i] ?? null,
    })),
    source: "Open-Meteo (open-meteo.com)",
  };
}

/** The cache is an optimisation: a store hiccup costs a fresh lookup, not the answer. */
async function cacheGet(kv: KeyValueStore, key: string, ctx: ToolRunContext): Promise<unknown | null> {
  try {
    const raw = await kv.get(key);
    return raw === null ? null : (JSON.parse(raw) as unknown);
  } catch (err) {
    ctx.log.warn({ err }, "weather cache read failed");
    return null;
  }
}

async function cacheSet(
  kv: KeyValueStore,
  key: string,
  value: WeatherResult,
  ctx: ToolRunContext,
): Promise<void> {
  try {
    await kv.set(key, JSON.stringify(value), WEATHER_CACHE_TTL_MS);
  } catch (err) {
    ctx.log.warn({ err }, "weather cache write failed");
  }
}
