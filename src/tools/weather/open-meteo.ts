/**
 * The two Open-Meteo endpoints the weather tool uses (no key needed): geocoding search and the
 * forecast. Responses are validated with zod; only the fields we read are required.
 */
import { z } from "zod";
import { type FetchLike, getJson } from "../http.js";
import type { GeoPlace } from "./place.js";

export type TemperatureUnit = "celsius" | "fahrenheit";

/** Days of daily forecast asked for: today plus two ("a short forecast"). */
export const FORECAST_DAYS = 3;

const geoPlaceSchema = z.object({
  id: z.number(),
  name: z.string(),
  latitude: z.number(),
  longitude: z.number(),
  country: z.string().optional(),
  country_code: z.string().optional(),
  admin1: z.string().optional(),
  admin2: z.string().optional(),
  timezone: z.string().optional(),
  population: z.number().optional(),
});

/** No `results` key at all when nothing matched. */
const geocodingSchema = z.object({ results: z.array(geoPlaceSchema).optional() });

const nullableNumber = z.number().nullable();

const forecastSchema = z.object({
  timezone: z.string(),
  current_units: z.object({ temperature_2m: z.string(), wind_speed_10m: z.string() }),
  current: z.object({
    time: z.string(),
    temperature_2m: nullableNumber,
    relative_humidity_2m: nullableNumber,
    apparent_temperature: nullableNumber,
    weather_code: nullableNumber,
    wind_speed_10m: nullableNumber,
  }),
  daily: z.object({
    time: z.array(z.string()),
    weather_code: z.array(nullableNumber),
    temperature_2m_max: z.array(nullableNumber),
    temperature_2m_min: z.array(nullableNumber),
    precipitation_probability_max: z.array(nullableNumber),
  }),
});

export type Forecast = z.output<typeof forecastSchema>;

/** Open-Meteo errors are HTTP 400 with `{"error": true, "reason": "..."}`. */
function openMeteoReason(body: unknown): string | undefined {
  const parsed = z.object({ error: z.literal(true), reason: z.string() }).safeParse(body);
  return parsed.success ? parsed.data.reason : undefined;
}

export class OpenMeteoClient {
  constructor(private readonly opts: { geocodingUrl: string; weatherUrl: string; fetch: FetchLike }) {}

  async geocode(name: string, count: number, signal: AbortSignal): Promise<GeoPlace[]> {
    const url = new URL(this.opts.geocodingUrl);
    url.searchParams.set("name", name);
    url.searchParams.set("count", String(count));
    url.searchParams.set("language", "en");
    url.searchParams.set("format", "json");
    const body = await getJson({
      fetch: this.opts.fetch,
      url,
      signal,
      schema: geocodingSchema,
      service: "the geocoding service",
      errorReason: openMeteoReason,
    });
    return body?.results ?? [];
  }

  async forecast(
    place: Pick<GeoPlace, "latitude" | "longitude">,
    unit: TemperatureUnit,
    signal: AbortSignal,
  ): Promise<Forecast> {
    const url = new URL(this.opts.weatherUrl);
    url.searchParams.set("latitude", String(place.latitude));
    url.searchParams.set("longitude", String(place.longitude));
    url.searchParams.set(
      "current",
      "temperature_2m,relative_humidity_2m,apparent_temperature,weather_code,wind_speed_10m",
    );
    url.searchParams.set(
      "daily",
      "weather_code,temperature_2m_max,temperature_2m_min,precipitation_probability_max",
    );
    if (unit === "fahrenheit") {
      url.searchParams.set("temperature_unit", "fahrenheit");
      // Someone who thinks in Fahrenheit thinks in mph.
      url.searchParams.set("wind_speed_unit", "mph");
    }
    url.searchParams.set("timezone", "auto");
    url.searchParams.set("forecast_days", String(FORECAST_DAYS));
    const body = await getJson({
      fetch: this.opts.fetch,
      url,
      signal,
      schema: forecastSchema,
      service: "the weather service",
      errorReason: openMeteoReason,
    });
    // getJson returns null only for statuses listed in `nullOn`; none here.
    if (!body) throw new Error("empty forecast response");
    return body;
  }
}
