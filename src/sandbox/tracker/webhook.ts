// The optional trigger webhook: Tracker triggers can POST to a URL when an issue changes status;
// DISPATCH uses it as a fast path next to polling (ARCHITECTURE §1).
import { z } from 'zod';

export const webhookConfigSchema = z
  .object({
    url: z.url(),
    secret: z.string().min(1),
    /** Header that carries the shared secret. */
    headerName: z.string().min(1).default('X-Webhook-Secret'),
  })
  .strict();

export type WebhookConfig = z.input<typeof webhookConfigSchema>;

export interface StatusChangedPayload {
  event: 'issue.statusChanged';
  issue: { id: string; key: string; version: number };
  status: { from: string; to: string };
  changelogId: string;
  updatedAt: string;
  updatedBy: string;
}

export interface WebhookDelivery {
  at: string;
  url: string;
  payload: StatusChangedPayload;
  status?: number;
  error?: string;
}

export class WebhookNotifier {
  private config: z.output<typeof webhookConfigSchema> | undefined;
  private readonly sent: WebhookDelivery[] = [];
  private readonly pending = new Set<Promise<void>>();

  configure(config: WebhookConfig | null): void {
    this.config = config === null ? undefined : webhookConfigSchema.parse(config);
  }

  /** Fire-and-forget: a failing receiver never affects the API request that changed the status. */
  notify(payload: StatusChangedPayload): void {
    const config = this.config;
    if (!config) return;
    const delivery: WebhookDelivery = { at: new Date().toISOString(), url: config.url, payload };
    this.sent.push(delivery);
    const task = fetch(config.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [config.headerName]: config.secret },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(5000),
    })
      .then(async (response) => {
        delivery.status = response.status;
        await response.body?.cancel();
      })
      .catch((error: unknown) => {
        delivery.error = error instanceof Error ? error.message : String(error);
      })
      .finally(() => {
        this.pending.delete(task);
      });
    this.pending.add(task);
  }

  deliveries(): WebhookDelivery[] {
    return this.sent.map((d) => ({ ...d }));
  }

  /** Waits for deliveries in flight (used by close and by tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  clear(): void {
    this.sent.length = 0;
  }
}
