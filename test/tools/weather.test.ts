import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WEATHER_CACHE_TTL_MS } from "../../src/tools/weather/get-weather.js";
import { type FakeOpenMeteo, fakeTemperatureC, startFakeOpenMeteo } from "../fakes/open-meteo.js";
import { call, content, makeRegistry, metricValue, toolContext } from "./support.js";

let fake: FakeOpenMeteo;

beforeAll(async () => {
  fake = await startFakeOpenMeteo();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.setDelay("geocoding", 0);
  fake.setDelay("forecast", 0);
  fake.setFailure("geocoding", undefined);
  fake.setFailure("forecast", undefined);
  fake.setForecastOverride(undefined);
});

function weatherRegistry(timeoutMs = 2_000) {
  return makeRegistry({
    GEOCODING_API_URL: fake.geocodingUrl,
    WEATHER_API_URL: fake.weatherUrl,
    TOOL_TIMEOUT_MS: timeoutMs,
  });
}

const weather = (args: Record<string, unknown>) => call("get_weather", args);

describe("get_weather", () => {
  it("answers with current conditions and a 3-day forecast for a place, in Celsius by default", async () => {
    const { registry } = weatherRegistry();
    const result = await registry.run(weather({ location: "Berlin", unit: null }), toolContext());
    expect(result.ok).toBe(true);
    expect(content(result)).toEqual({
      location: "Berlin, State of Berlin, DE",
      timezone: "Europe/Berlin",
      units: { temperature: "°C", wind_speed: "km/h" },
      current: {
        time: "2025-11-20T12:00",
        conditions: "partly cloudy",
        temperature: fakeTemperatureC(52.52437),
        feels_like: Math.round((fakeTemperatureC(52.52437) - 2) * 10) / 10,
        humidity_percent: 71,
        wind_speed: 14.4,
      },
      forecast: [
        expect.objectContaining({
          date: "2025-11-20",
          conditions: "overcast",
          precipitation_chance_percent: 20,
        }),
        expect.objectContaining({
          date: "2025-11-21",
          conditions: "light rain",
          precipitation_chance_percent: 85,
        }),
        expect.objectContaining({
          date: "2025-11-22",
          conditions: "clear sky",
          precipitation_chance_percent: 5,
        }),
      ],
      source: "Open-Meteo (open-meteo.com)",
    });
    // The geocoder was asked by name, the forecast by the place's coordinates.
    const [geo, forecast] = fake.requests;
    expect(geo?.url.searchParams.get("name")).toBe("Berlin");
    expect(geo?.url.searchParams.get("language")).toBe("en");
    expect(forecast?.url.searchParams.get("latitude")).toBe("52.52437");
    expect(forecast?.url.searchParams.get("forecast_days")).toBe("3");
    expect(forecast?.url.searchParams.get("temperature_unit")).toBeNull();
  });

  it("reports Fahrenheit and mph when asked for fahrenheit", async () => {
    const { registry } = weatherRegistry();
    const result = await registry.run(weather({ location: "Seattle", unit: "fahrenheit" }), toolContext());
    const body = content(result) as { units: object; current: { temperature: number; conditions: string } };
    expect(body.units).toEqual({ temperature: "°F", wind_speed: "mp/h" });
    expect(body.current.temperature).toBe(Math.round(((fakeTemperatureC(47.60621) * 9) / 5 + 32) * 10) / 10);
    expect(body.current.conditions).toBe("light rain");
  });

  it("returns the candidates instead of guessing when a place name is ambiguous", async () => {
    const { registry } = weatherRegistry();
    const result = await registry.run(weather({ location: "Springfield" }), toolContext());
    expect(result.ok).toBe(false);
    const body = content(result) as { error: string; candidates: string[]; message: string };
    expect(body.error).toBe("ambiguous_location");
    expect(body.candidates).toEqual([
      "Springfield, Missouri, US",
      "Springfield, Massachusetts, US",
      "Springfield, Illinois, US",
    ]);
    expect(body.message).toMatch(/Ask the user which one/);
    expect(fake.count("forecast")).toBe(0);
  });

  it("accepts a candidate, a state abbreviation or a country to pick one place", async () => {
    const { registry } = weatherRegistry();
    for (const [location, expected] of [
      ["Springfield, Illinois, US", "Springfield, Illinois, US"],
      ["Springfield, IL", "Springfield, Illinois, US"],
      ["Paris, Texas", "Paris, Texas, US"],
      ["Paris, FR", "Paris, Île-de-France, FR"],
      ["London, UK", "London, England, GB"],
    ] as const) {
      const result = await registry.run(weather({ location }), toolContext());
      expect(content(result).location, location).toBe(expected);
    }
  });

  it("takes the place most people mean when one namesake is far larger", async () => {
    const { registry } = weatherRegistry();
    const result = await registry.run(weather({ location: "Paris" }), toolContext());
    expect(content(result).location).toBe("Paris, Île-de-France, FR");
  });

  it('says "not found" for an unknown place, and lists namesakes when the qualifier matches none', async () => {
    const { registry } = weatherRegistry();
    const unknown = await registry.run(weather({ location: "Atlantis" }), toolContext());
    expect(unknown.ok).toBe(false);
    expect(content(unknown)).toMatchObject({ error: "location_not_found" });
    expect(content(unknown).candidates).toBeUndefined();

    const wrongCountry = await registry.run(weather({ location: "Paris, Japan" }), toolContext());
    expect(content(wrongCountry)).toMatchObject({
      error: "location_not_found",
      candidates: ["Paris, Île-de-France, FR", "Paris, Texas, US", "Paris, Tennessee, US"],
    });
    expect(fake.count("forecast")).toBe(0);
  });

  it("caches an answer for 10 minutes per place and unit", async () => {
    const { registry, kv } = weatherRegistry();
    const first = await registry.run(weather({ location: "Tokyo", unit: "celsius" }), toolContext());
    const again = await registry.run(weather({ location: " tokyo ", unit: null }), toolContext());
    expect(again.content).toBe(first.content);
    expect(fake.count("geocoding")).toBe(1);
    expect(fake.count("forecast")).toBe(1);
    expect(kv.ttls.get("tool:weather:tokyo:celsius")).toBe(WEATHER_CACHE_TTL_MS);
    expect(WEATHER_CACHE_TTL_MS).toBe(600_000);

    const fahrenheit = await registry.run(weather({ location: "Tokyo", unit: "fahrenheit" }), toolContext());
    expect(fahrenheit.content).not.toBe(first.content);
    expect(fake.count("forecast")).toBe(2);
  });

  it("still answers when the cache store is down", async () => {
    const { registry, kv } = weatherRegistry();
    kv.failing = true;
    const result = await registry.run(weather({ location: "Amsterdam" }), toolContext());
    expect(result.ok).toBe(true);
    expect(content(result).location).toBe("Amsterdam, North Holland, NL");
  });

  it("rejects invalid arguments without calling Open-Meteo", async () => {
    const { registry } = weatherRegistry();
    const result = await registry.run(weather({ location: "Berlin", unit: "kelvin" }), toolContext());
    expect(result.ok).toBe(false);
    expect(content(result)).toMatchObject({ error: "invalid_arguments", fields: [{ field: "unit" }] });
    expect(fake.requests).toHaveLength(0);
  });

  it("passes Open-Meteo's error reason on as a backend error", async () => {
    const { registry, metrics } = weatherRegistry();
    fake.setFailure("forecast", {
      status: 400,
      reason: "Latitude must be in range of -90 to 90°. Given: 91.",
    });
    const result = await registry.run(weather({ location: "Berlin" }), toolContext());
    expect(result.ok).toBe(false);
    expect(content(result)).toEqual({
      error: "backend_error",
      message: "The weather service refused the request: Latitude must be in range of -90 to 90°. Given: 91.",
    });
    expect(
      await metricValue(metrics, "chatbot_tool_calls_total", {
        tool: "get_weather",
        outcome: "backend_error",
      }),
    ).toBe(1);
  });

  it("reports a backend error when the geocoder fails or the forecast has an unexpected shape", async () => {
    const { registry } = weatherRegistry();
    fake.setFailure("geocoding", { status: 502, rawBody: "<html>Bad Gateway</html>" });
    const down = await registry.run(weather({ location: "Berlin" }), toolContext());
    expect(content(down)).toEqual({
      error: "backend_error",
      message: "The geocoding service failed (HTTP 502).",
    });

    fake.setFailure("geocoding", undefined);
    fake.setForecastOverride({ latitude: 52.5, hourly: {} });
    const garbled = await registry.run(weather({ location: "Berlin" }), toolContext());
    expect(content(garbled)).toMatchObject({ error: "backend_error" });
    expect(String(content(garbled).message)).toMatch(/could not read/);
  });

  it("gives up with a timeout error when Open-Meteo is too slow", async () => {
    const { registry, log } = weatherRegistry(150);
    fake.setDelay("forecast", 2_000);
    const result = await registry.run(weather({ location: "Berlin" }), toolContext());
    expect(result.ok).toBe(false);
    expect(content(result)).toMatchObject({ error: "timeout" });
    expect(log.lines.find((l) => l.msg === "tool call failed")).toMatchObject({
      tool: "get_weather",
      outcome: "timeout",
    });
  });
});
