/**
 * A local fake of Open-Meteo's geocoding search and forecast endpoints. It answers with their
 * real JSON shapes: `{results: [...], generationtime_ms}` (no `results` key when nothing
 * matched), the forecast with `current_units`/`current`/`daily_units`/`daily`, and errors as
 * HTTP 400 `{"error": true, "reason": "..."}`. Tests can make it slow or failing per endpoint
 * and read the requests it got.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakePlace {
  id: number;
  name: string;
  latitude: number;
  longitude: number;
  elevation?: number;
  feature_code?: string;
  country_code: string;
  country: string;
  admin1?: string;
  admin2?: string;
  timezone: string;
  population?: number;
}

/** Real places (ids, coordinates and populations as GeoNames lists them, rounded). */
// biome-ignore format: one place per line reads as a table
export const FAKE_PLACES: FakePlace[] = [
  { id: 2950159, name: "Berlin", latitude: 52.52437, longitude: 13.41053, country_code: "DE", country: "Germany", admin1: "State of Berlin", timezone: "Europe/Berlin", population: 3426354 },
  { id: 4517009, name: "Berlin", latitude: 44.46867, longitude: -71.18508, country_code: "US", country: "United States", admin1: "New Hampshire", timezone: "America/New_York", population: 9367 },
  { id: 2988507, name: "Paris", latitude: 48.85341, longitude: 2.3488, country_code: "FR", country: "France", admin1: "Île-de-France", timezone: "Europe/Paris", population: 2138551 },
  { id: 4717560, name: "Paris", latitude: 33.66094, longitude: -95.55551, country_code: "US", country: "United States", admin1: "Texas", timezone: "America/Chicago", population: 24782 },
  { id: 4647963, name: "Paris", latitude: 36.302, longitude: -88.32671, country_code: "US", country: "United States", admin1: "Tennessee", timezone: "America/Chicago", population: 10156 },
  { id: 4409896, name: "Springfield", latitude: 37.21533, longitude: -93.29824, country_code: "US", country: "United States", admin1: "Missouri", timezone: "America/Chicago", population: 169176 },
  { id: 4951788, name: "Springfield", latitude: 42.10148, longitude: -72.58981, country_code: "US", country: "United States", admin1: "Massachusetts", timezone: "America/New_York", population: 155929 },
  { id: 4250542, name: "Springfield", latitude: 39.80172, longitude: -89.64371, country_code: "US", country: "United States", admin1: "Illinois", timezone: "America/Chicago", population: 114394 },
  { id: 4520760, name: "Springfield", latitude: 39.92423, longitude: -83.80882, country_code: "US", country: "United States", admin1: "Ohio", timezone: "America/New_York", population: 58662 },
  { id: 2643743, name: "London", latitude: 51.50853, longitude: -0.12574, country_code: "GB", country: "United Kingdom", admin1: "England", timezone: "Europe/London", population: 8961989 },
  { id: 6058560, name: "London", latitude: 42.98339, longitude: -81.23304, country_code: "CA", country: "Canada", admin1: "Ontario", timezone: "America/Toronto", population: 346765 },
  { id: 1850147, name: "Tokyo", latitude: 35.6895, longitude: 139.69171, country_code: "JP", country: "Japan", admin1: "Tokyo", timezone: "Asia/Tokyo", population: 9733276 },
  { id: 3448439, name: "São Paulo", latitude: -23.5475, longitude: -46.63611, country_code: "BR", country: "Brazil", admin1: "São Paulo", timezone: "America/Sao_Paulo", population: 10021295 },
  { id: 2759794, name: "Amsterdam", latitude: 52.37403, longitude: 4.88969, country_code: "NL", country: "Netherlands", admin1: "North Holland", timezone: "Europe/Amsterdam", population: 741636 },
  { id: 5809844, name: "Seattle", latitude: 47.60621, longitude: -122.33207, country_code: "US", country: "United States", admin1: "Washington", timezone: "America/Los_Angeles", population: 749256 },
];

/** Variables the fake knows, as Open-Meteo names them; anything else is a 400 like the real API. */
const CURRENT_VARIABLES = new Set([
  "temperature_2m",
  "relative_humidity_2m",
  "apparent_temperature",
  "weather_code",
  "wind_speed_10m",
  "precipitation",
  "cloud_cover",
]);
const DAILY_VARIABLES = new Set([
  "weather_code",
  "temperature_2m_max",
  "temperature_2m_min",
  "precipitation_probability_max",
  "precipitation_sum",
]);

export type Endpoint = "geocoding" | "forecast";

export interface FakeFailure {
  status: number;
  /** Sent as `{"error": true, "reason": ...}`; a raw body is sent as is. */
  reason?: string;
  rawBody?: string;
}

export interface FakeOpenMeteo {
  geocodingUrl: string;
  weatherUrl: string;
  /** Requests received, in order. */
  requests: { endpoint: Endpoint; url: URL }[];
  count(endpoint: Endpoint): number;
  /** Delay every answer of an endpoint (0 to stop). */
  setDelay(endpoint: Endpoint, ms: number): void;
  /** Answer every request of an endpoint with this failure (undefined to stop). */
  setFailure(endpoint: Endpoint, failure: FakeFailure | undefined): void;
  /** Resolves when the endpoint gets its next request. */
  nextRequest(endpoint: Endpoint): Promise<void>;
  /** Hold every answer of an endpoint until the promise settles (undefined to stop). */
  setGate(endpoint: Endpoint, gate: Promise<unknown> | undefined): void;
  /** Replace the forecast body (for "bad shape" tests). */
  setForecastOverride(body: unknown | undefined): void;
  close(): Promise<void>;
}

export async function startFakeOpenMeteo(opts: { places?: FakePlace[] } = {}): Promise<FakeOpenMeteo> {
  const places = opts.places ?? FAKE_PLACES;
  const requests: { endpoint: Endpoint; url: URL }[] = [];
  const delays: Record<Endpoint, number> = { geocoding: 0, forecast: 0 };
  const failures: Record<Endpoint, FakeFailure | undefined> = { geocoding: undefined, forecast: undefined };
  const gates: Record<Endpoint, Promise<unknown> | undefined> = { geocoding: undefined, forecast: undefined };
  const waiters: { endpoint: Endpoint; resolve: () => void }[] = [];
  let forecastOverride: unknown;

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const endpoint: Endpoint | undefined =
      url.pathname === "/v1/search" ? "geocoding" : url.pathname === "/v1/forecast" ? "forecast" : undefined;
    if (!endpoint) return send(res, 404, { error: true, reason: "Not Found" });
    requests.push({ endpoint, url });
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i]!;
      if (waiter.endpoint !== endpoint) continue;
      waiters.splice(i, 1);
      waiter.resolve();
    }
    const gate = gates[endpoint];
    if (gate) await gate.catch(() => undefined);
    if (delays[endpoint] > 0) {
      await new Promise((resolve) => setTimeout(resolve, delays[endpoint]));
      if (res.destroyed) return;
    }
    const failure = failures[endpoint];
    if (failure) {
      if (failure.rawBody !== undefined) {
        res.writeHead(failure.status, { "content-type": "text/html" });
        res.end(failure.rawBody);
        return;
      }
      return send(res, failure.status, { error: true, reason: failure.reason ?? "Internal Server Error" });
    }
    if (endpoint === "geocoding") return geocode(url, res);
    if (forecastOverride !== undefined) return send(res, 200, forecastOverride);
    return forecast(url, res);
  }

  function geocode(url: URL, res: ServerResponse) {
    const name = url.searchParams.get("name");
    if (name === null) return send(res, 400, { error: true, reason: "Parameter 'name' is required" });
    const count = Number(url.searchParams.get("count") ?? 10);
    if (!Number.isInteger(count) || count < 1 || count > 100) {
      return send(res, 400, { error: true, reason: "Parameter count must be between 1 and 100." });
    }
    const q = fold(name);
    // Like the real API: under 2 characters nothing, 2 exact, 3+ prefix matches; by population.
    const matches =
      q.length < 2
        ? []
        : places
            .filter((p) => (q.length === 2 ? fold(p.name) === q : fold(p.name).startsWith(q)))
            .sort((a, b) => (b.population ?? 0) - (a.population ?? 0))
            .slice(0, count);
    const body: Record<string, unknown> = matches.length
      ? {
          results: matches.map((p) => ({
            elevation: 34,
            feature_code: "PPL",
            admin1_id: 1,
            country_id: 1,
            ...p,
          })),
          generationtime_ms: 0.71,
        }
      : { generationtime_ms: 0.42 };
    send(res, 200, body);
  }

  function forecast(url: URL, res: ServerResponse) {
    const latitude = Number(url.searchParams.get("latitude"));
    const longitude = Number(url.searchParams.get("longitude"));
    if (!url.searchParams.has("latitude") || !url.searchParams.has("longitude")) {
      return send(res, 400, {
        error: true,
        reason: "Parameter 'latitude' and 'longitude' must have the same number of elements",
      });
    }
    if (!(latitude >= -90 && latitude <= 90)) {
      return send(res, 400, {
        error: true,
        reason: `Latitude must be in range of -90 to 90°. Given: ${latitude}.`,
      });
    }
    const current = (url.searchParams.get("current") ?? "").split(",").filter(Boolean);
    const daily = (url.searchParams.get("daily") ?? "").split(",").filter(Boolean);
    for (const v of current) {
      if (!CURRENT_VARIABLES.has(v)) {
        return send(res, 400, {
          error: true,
          reason: `Cannot initialize WeatherVariable from invalid String value ${v} for key current`,
        });
      }
    }
    for (const v of daily) {
      if (!DAILY_VARIABLES.has(v)) {
        return send(res, 400, {
          error: true,
          reason: `Cannot initialize DailyWeatherVariable from invalid String value ${v} for key daily`,
        });
      }
    }
    const fahrenheit = url.searchParams.get("temperature_unit") === "fahrenheit";
    const windUnit = url.searchParams.get("wind_speed_unit") ?? "kmh";
    const days = Number(url.searchParams.get("forecast_days") ?? 7);
    const place = places.find(
      (p) => Math.abs(p.latitude - latitude) < 0.01 && Math.abs(p.longitude - longitude) < 0.01,
    );
    const timezone = url.searchParams.get("timezone") === "auto" ? (place?.timezone ?? "GMT") : "GMT";
    // Deterministic weather from the coordinates, so tests can compute the expected numbers.
    const baseC = fakeTemperatureC(latitude);
    const temp = (c: number) => round1(fahrenheit ? (c * 9) / 5 + 32 : c);
    const wind = (kmh: number) => round1(windUnit === "mph" ? kmh / 1.609344 : kmh);
    const values: Record<string, number> = {
      temperature_2m: temp(baseC),
      relative_humidity_2m: 71,
      apparent_temperature: temp(baseC - 2),
      weather_code: fakeWeatherCode(longitude),
      wind_speed_10m: wind(14.4),
      precipitation: 0,
      cloud_cover: 40,
    };
    const units: Record<string, string> = {
      temperature_2m: fahrenheit ? "°F" : "°C",
      relative_humidity_2m: "%",
      apparent_temperature: fahrenheit ? "°F" : "°C",
      weather_code: "wmo code",
      wind_speed_10m: windUnit === "mph" ? "mp/h" : "km/h",
      precipitation: "mm",
      cloud_cover: "%",
    };
    const dates = Array.from({ length: days }, (_, i) =>
      new Date(Date.UTC(2025, 10, 20 + i)).toISOString().slice(0, 10),
    );
    const dailySeries: Record<string, (number | null)[]> = {
      weather_code: dates.map((_, i) => [3, 61, 0, 80][i % 4] ?? 0),
      temperature_2m_max: dates.map((_, i) => temp(baseC + 4 + i)),
      temperature_2m_min: dates.map((_, i) => temp(baseC - 3 + i)),
      precipitation_probability_max: dates.map((_, i) => [20, 85, 5, 60][i % 4] ?? null),
      precipitation_sum: dates.map(() => 0.4),
    };
    send(res, 200, {
      latitude: round1(latitude),
      longitude: round1(longitude),
      generationtime_ms: 0.05,
      utc_offset_seconds: 0,
      timezone,
      timezone_abbreviation: "GMT",
      elevation: place?.elevation ?? 38,
      current_units: { time: "iso8601", interval: "seconds", ...pick(units, current) },
      current: { time: "2025-11-20T12:00", interval: 900, ...pick(values, current) },
      daily_units: {
        time: "iso8601",
        ...pick(
          {
            ...units,
            temperature_2m_max: units.temperature_2m ?? "°C",
            temperature_2m_min: units.temperature_2m ?? "°C",
            precipitation_probability_max: "%",
            precipitation_sum: "mm",
          },
          daily,
        ),
      },
      daily: { time: dates, ...pick(dailySeries, daily) },
    });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    geocodingUrl: `${base}/v1/search`,
    weatherUrl: `${base}/v1/forecast`,
    requests,
    count: (endpoint) => requests.filter((r) => r.endpoint === endpoint).length,
    setDelay: (endpoint, ms) => {
      delays[endpoint] = ms;
    },
    setFailure: (endpoint, failure) => {
      failures[endpoint] = failure;
    },
    nextRequest: (endpoint) => new Promise<void>((resolve) => waiters.push({ endpoint, resolve })),
    setGate: (endpoint, gate) => {
      gates[endpoint] = gate;
    },
    setForecastOverride: (body) => {
      forecastOverride = body;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The fake's current temperature in °C for a latitude: warm at the equator, cold at the poles. */
export function fakeTemperatureC(latitude: number): number {
  return round1(28 - Math.abs(latitude) * 0.4);
}

/** The fake's current WMO weather code for a longitude. */
export function fakeWeatherCode(longitude: number): number {
  return longitude < 0 ? 61 : 2;
}

function pick<T>(record: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, record[k] as T]));
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function fold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase();
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}
