// TS-2 transport: GET with an overall timeout and a response size cap; anything but a complete
// 200 response within both limits is an error (no stale copy is ever used instead).
import { request } from 'undici';

export interface DownloadLimits {
  timeoutMs: number;
  maxBytes: number;
  /** Called per received chunk with the bytes so far (activity heartbeats). */
  onProgress?: (bytes: number) => void;
}

export class FeedDownloadError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'FeedDownloadError';
  }
}

export async function downloadFeed(url: string, limits: DownloadLimits): Promise<Buffer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
  const seconds = Math.round(limits.timeoutMs / 1000);
  const mib = (limits.maxBytes / 1024 / 1024).toFixed(0);
  try {
    // reset: no keep-alive reuse; minutes pass between feeds and a server-closed idle socket would
    // fail the next request with ECONNRESET.
    const response = await request(url, { method: 'GET', signal: controller.signal, reset: true }).catch(
      (err: unknown) => {
        throw controller.signal.aborted
          ? new FeedDownloadError(url, `no response within ${seconds} s`)
          : new FeedDownloadError(url, `request failed: ${describe(err)}`);
      },
    );
    if (response.statusCode !== 200) {
      await response.body.dump().catch(() => undefined);
      throw new FeedDownloadError(url, `HTTP ${response.statusCode}`);
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await response.body.dump({ limit: 0 }).catch(() => undefined);
      throw new FeedDownloadError(url, `response of ${declared} bytes exceeds the ${mib} MiB limit`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limits.maxBytes) {
          // Leaving the loop destroys the body: the rest is never read.
          throw new FeedDownloadError(url, `response exceeds the ${mib} MiB limit`);
        }
        chunks.push(chunk);
        limits.onProgress?.(size);
      }
    } catch (err) {
      if (err instanceof FeedDownloadError) throw err;
      throw controller.signal.aborted
        ? new FeedDownloadError(url, `download not finished within ${seconds} s`)
        : new FeedDownloadError(url, `download failed: ${describe(err)}`);
    }
    return Buffer.concat(chunks, size);
  } finally {
    clearTimeout(timer);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** TS-3: UTF-8 JSON with an optional BOM. */
export function parseFeedJson(body: Buffer): unknown {
  const start = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  return JSON.parse(body.toString('utf8', start));
}
