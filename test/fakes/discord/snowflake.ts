/**
 * Discord snowflakes: 64-bit ids whose top 42 bits are milliseconds since the Discord epoch.
 * Real-looking ids matter: discord.js' REST client only recognises 17-19 digit ids as route
 * parameters (its rate-limit buckets are keyed by them), and shards are chosen from the bits.
 */

/** 2015-01-01T00:00:00Z, Discord's epoch. */
const DISCORD_EPOCH_MS = 1_420_070_400_000n;

export class SnowflakeFactory {
  private increment = 0n;
  private lastMs = 0n;

  next(at: number = Date.now()): string {
    let ms = BigInt(at) - DISCORD_EPOCH_MS;
    // Keep ids strictly increasing even when the clock repeats a millisecond.
    if (ms <= this.lastMs) ms = this.lastMs;
    if (ms === this.lastMs) this.increment = (this.increment + 1n) & 0xfffn;
    else this.increment = 0n;
    if (ms === this.lastMs && this.increment === 0n) ms += 1n;
    this.lastMs = ms;
    return ((ms << 22n) | (1n << 17n) | this.increment).toString();
  }
}

/** Which shard of `shardCount` receives a guild's events (Discord's documented formula). */
export function shardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

export function timestampOf(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH_MS);
}
