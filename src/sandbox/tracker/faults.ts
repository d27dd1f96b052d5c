// Fault injection per endpoint pattern with a seedable random source, so a test that injects "30 % of
// searches fail" sees the same failures on every run.
import { z } from 'zod';
import { seededRandomFunction } from '../fixtures/random.js';

export const faultRuleSchema = z
  .object({
    /** HTTP method; any when absent. */
    method: z
      .string()
      .regex(/^[A-Za-z]+$/)
      .transform((m) => m.toUpperCase())
      .optional(),
    /**
     * Glob over the resource path without the `/v2`/`/v3` prefix and trailing slash, e.g.
     * `/issues/*\/comments`, `/issues/_search`, `/token`; `*` = one segment, `**` = anything. Absent = all.
     */
    path: z.string().startsWith('/').optional(),
    /** Probability of answering 5xx before the request is applied. */
    serverErrorRate: z.number().min(0).max(1).optional(),
    serverErrorStatus: z.number().int().min(500).max(599).optional(),
    /** Probability of answering 429 with Retry-After before the request is applied. */
    rateLimitRate: z.number().min(0).max(1).optional(),
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
    /** Delay added before the request is handled. */
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    /** Probability of applying the change and then destroying the socket instead of answering. */
    dropAfterApplyRate: z.number().min(0).max(1).optional(),
    /** Probability of resetting the connection before anything is applied. */
    resetBeforeApplyRate: z.number().min(0).max(1).optional(),
    /** Stop after injecting this many faults (latency does not count). */
    limit: z.number().int().min(1).optional(),
  })
  .strict();

export type FaultRuleInput = z.input<typeof faultRuleSchema>;

export interface FaultRule extends z.output<typeof faultRuleSchema> {
  id: string;
  /** Faults injected so far by this rule. */
  fired: number;
}

export type PreDecision =
  { kind: 'reset'; ruleId: string } | { kind: 'status'; ruleId: string; status: number; retryAfterSeconds?: number };

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/\/+$/, '')
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${escaped}/?$`);
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private readonly patterns = new Map<string, RegExp>();
  private random: () => number;
  private nextId = 1;

  constructor(private seed = 1) {
    this.random = seededRandomFunction(seed);
  }

  /** Adds a rule; throws a zod error naming the bad option. */
  add(input: FaultRuleInput): FaultRule {
    const parsed = faultRuleSchema.parse(input);
    const rule: FaultRule = { ...parsed, id: `fault-${this.nextId++}`, fired: 0 };
    if (parsed.path) this.patterns.set(rule.id, globToRegExp(parsed.path));
    this.rules.push(rule);
    return { ...rule };
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    this.patterns.delete(id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
    this.patterns.clear();
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Restarts the random sequence (also done by reset). */
  setSeed(seed: number): void {
    this.seed = seed;
    this.random = seededRandomFunction(seed);
  }

  reseed(): void {
    this.random = seededRandomFunction(this.seed);
  }

  latencyMs(method: string, path: string): number {
    return this.active(method, path).reduce((sum, r) => sum + (r.latencyMs ?? 0), 0);
  }

  /** Decides, before the request is applied, whether to reset the connection or answer 429 / 5xx. */
  beforeApply(method: string, path: string): PreDecision | undefined {
    for (const rule of this.active(method, path)) {
      if (this.draw(rule.resetBeforeApplyRate)) {
        rule.fired += 1;
        return { kind: 'reset', ruleId: rule.id };
      }
      if (this.draw(rule.rateLimitRate)) {
        rule.fired += 1;
        return { kind: 'status', ruleId: rule.id, status: 429, retryAfterSeconds: rule.retryAfterSeconds ?? 1 };
      }
      if (this.draw(rule.serverErrorRate)) {
        rule.fired += 1;
        return { kind: 'status', ruleId: rule.id, status: rule.serverErrorStatus ?? 500 };
      }
    }
    return undefined;
  }

  /** Decides, after the change was applied, whether to drop the response (returns the rule id). */
  dropAfterApply(method: string, path: string): string | undefined {
    for (const rule of this.active(method, path)) {
      if (this.draw(rule.dropAfterApplyRate)) {
        rule.fired += 1;
        return rule.id;
      }
    }
    return undefined;
  }

  private active(method: string, path: string) {
    return this.rules.filter(
      (r) =>
        (r.limit === undefined || r.fired < r.limit) &&
        (r.method === undefined || r.method === method) &&
        (this.patterns.get(r.id)?.test(path) ?? true),
    );
  }

  /** Rate 0 or absent never fires and consumes no randomness; rate 1 always fires. */
  private draw(rate: number | undefined): boolean {
    if (rate === undefined || rate <= 0) return false;
    return this.random() < rate;
  }
}
