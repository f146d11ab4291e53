/**
 * Discord's rate limits as the fake applies them (https://discord.com/developers/docs/topics/rate-limits):
 * each route has a bucket, per channel for a channel's messages, whose state every answer carries
 * in X-RateLimit-Limit/-Remaining/-Reset/-Reset-After/-Bucket; past it, or past 50 requests a
 * second for the whole bot, a 429 with `{message, retry_after, global}`, Retry-After and
 * X-RateLimit-Scope (and X-RateLimit-Global for the global limit). discord.js reads these headers
 * to wait before it is refused, so they must be right for the library to behave as with Discord.
 */
export class RateLimits {
  private readonly buckets = new Map<string, { remaining: number; resetAt: number }>();
  private globalWindow = { second: 0, count: 0 };
  private failures = { count: 0, retryAfter: 1, global: false };

  constructor(
    /** Requests per window in a channel's message buckets (Discord: 5 per 5 s). */
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** The next `count` message calls are refused with a 429 (shared scope, or the global limit). */
  failNext(count: number, retryAfterSeconds: number, global: boolean): void {
    this.failures = { count, retryAfter: retryAfterSeconds, global };
  }

  /** The bucket's headers for this request, and a refusal when it is over a limit. */
  check(method: string, path: string): { headers: Record<string, string>; refusal?: unknown } {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (this.globalWindow.second !== second) this.globalWindow = { second, count: 0 };
    const global = ++this.globalWindow.count > 50;
    const messages = /^\/channels\/(\d+)\/(messages|typing)/.exec(path);
    const route = `${method} ${path.replace(/\d{5,}/g, "{id}")}`;
    const key = messages ? `${route}:${messages[1]}` : route;
    const limit = messages ? this.limit : 50;
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.resetAt <= now) {
      bucket = { remaining: limit, resetAt: now + this.windowMs };
      this.buckets.set(key, bucket);
    }
    const { resetAt } = bucket;
    const resetAfter = (resetAt - now) / 1000;
    const headers = (remaining: number) => ({
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-reset": String(resetAt / 1000),
      "x-ratelimit-reset-after": resetAfter.toFixed(3),
      "x-ratelimit-bucket": Buffer.from(route).toString("hex").slice(0, 32),
    });
    const tooMany = (retryAfter: number, isGlobal: boolean, scope: string) => ({
      headers: {
        ...(isGlobal ? {} : headers(0)),
        "retry-after": String(Math.ceil(retryAfter)),
        "x-ratelimit-scope": scope,
        ...(isGlobal ? { "x-ratelimit-global": "true" } : {}),
      },
      refusal: { message: "You are being rate limited.", retry_after: retryAfter, global: isGlobal },
    });
    if (global) return tooMany((1000 - (now % 1000)) / 1000, true, "global");
    if (messages && this.failures.count > 0) {
      this.failures.count--;
      return tooMany(this.failures.retryAfter, this.failures.global, this.failures.global ? "global" : "shared");
    }
    if (bucket.remaining <= 0) return tooMany(resetAfter, false, "user");
    bucket.remaining--;
    return { headers: headers(bucket.remaining) };
  }
}
