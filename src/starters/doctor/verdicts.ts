// Doctor (OPS-3, YT-5): one verdict per check, with the fix a person should apply. Every check has
// its own time budget so the command never hangs, and every text is scrubbed of secrets (GEN-10).
import { scrubSecrets } from '../../logger.js';

export type Verdict = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  check: string;
  verdict: Verdict;
  /** One line: what was found. */
  detail: string;
  /** What a person should do; null when nothing is needed. */
  fix: string | null;
}

/** Per check: a peer that does not answer within this budget is a failure, not a hang. */
export const CHECK_TIMEOUT_MS = 5_000;

export const ok = (check: string, detail: string): CheckResult => ({ check, verdict: 'ok', detail, fix: null });
export const warn = (check: string, detail: string, fix: string): CheckResult => ({
  check,
  verdict: 'warn',
  detail,
  fix,
});
export const fail = (check: string, detail: string, fix: string): CheckResult => ({
  check,
  verdict: 'fail',
  detail,
  fix,
});

export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return errorMessage(error.errors[0]);
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}

/**
 * Runs one check within `timeoutMs`; a throw or a timeout becomes a failure of `check` with `fix`.
 * The check's own clients carry timeouts too, so nothing keeps running long after the verdict.
 */
export async function runCheck(
  check: string,
  fix: string,
  body: () => Promise<CheckResult[]>,
  timeoutMs: number = CHECK_TIMEOUT_MS,
): Promise<CheckResult[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult[]>((resolve) => {
    timer = setTimeout(() => resolve([fail(check, `no answer within ${timeoutMs / 1000} s`, fix)]), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([body().catch((error: unknown) => [fail(check, errorMessage(error), fix)]), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** 0 all ok, 1 any failure, 2 warnings only. */
export function doctorExitCode(results: readonly CheckResult[]): 0 | 1 | 2 {
  if (results.some((r) => r.verdict === 'fail')) return 1;
  if (results.some((r) => r.verdict === 'warn')) return 2;
  return 0;
}

/** Secrets never reach the output, whatever a peer put into an error message. */
export function scrubResults(results: readonly CheckResult[], secrets: readonly string[]): CheckResult[] {
  const usable = secrets.filter((s) => s.length >= 4);
  const scrub = (text: string) => scrubSecrets(text, usable);
  return results.map((r) => ({ ...r, detail: scrub(r.detail), fix: r.fix === null ? null : scrub(r.fix) }));
}

export function formatResults(results: readonly CheckResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.verdict.toUpperCase().padEnd(4)} ${r.check}: ${r.detail}`);
    if (r.fix !== null) lines.push(`     fix: ${r.fix}`);
  }
  return lines;
}
