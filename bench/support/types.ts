// What every benchmark hands back to the runner: figures with their goal, the baseline measured in
// the same run, and the raw numbers behind them.

export interface Figure {
  /** Short label, e.g. "per mail, index". */
  what: string;
  value: number;
  unit: string;
  /** The goal as written in issue 9 (e.g. "≤ 1 ms"), or null for a raw figure. */
  goal: string | null;
  /** Description and value of the baseline this figure is compared with, or null. */
  baseline: { what: string; value: number } | null;
  /** value / baseline or baseline / value, as the goal states it; null without baseline. */
  ratio: number | null;
  /** Whether the goal is met; null for raw figures. */
  met: boolean | null;
}

export interface BenchmarkResult {
  id: string;
  title: string;
  figures: Figure[];
  /** Raw measurements and the parameters used (sizes, iterations). */
  raw: Record<string, unknown>;
  notes: string[];
}

export interface BenchmarkOptions {
  quick: boolean;
  log: (line: string) => void;
}

export interface Benchmark {
  id: string;
  title: string;
  run(options: BenchmarkOptions): Promise<BenchmarkResult>;
}
