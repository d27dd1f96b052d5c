// CPU time of the processes a benchmark runs on, from /proc (Linux): which peer the wall time went
// to on a small machine. Sampled periodically so short-lived processes (PostgreSQL backends, IMAP
// sessions) are counted up to their last sample.
import { readdir, readFile } from 'node:fs/promises';

// USER_HZ: the unit of utime/stime in /proc/<pid>/stat on Linux.
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number;
}

async function readStat(pid: number): Promise<ProcStat | null> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  // comm may contain blanks and parentheses: the fields after it start at the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return {
    pid,
    comm,
    ppid: Number(fields[1]),
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}

async function allStats(): Promise<ProcStat[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const stats = await Promise.all(pids.map(readStat));
  return stats.filter((s): s is ProcStat => s !== null);
}

async function readCmdline(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
}

/** Machine-wide busy and total ticks (all processes, including other users of the machine). */
async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  // idle + iowait
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

export interface ProcessGroups {
  /** Name → pids of the group's root processes; their descendants count too. */
  roots(): Promise<Record<string, number[]>>;
}

export interface CpuReport {
  /** CPU seconds per group over the window. */
  cpuS: Record<string, number>;
  /** Machine: busy CPU seconds of all processes and the capacity (cores × wall). */
  machine: { busyS: number; capacityS: number };
  wallS: number;
}

/**
 * Samples every `intervalMs`: per group, the CPU ticks each of its processes used since the first
 * sample (processes born later count from 0). `self` is this process without its children.
 */
export function cpuSampler(groups: ProcessGroups, intervalMs = 2_000): { stop(): Promise<CpuReport> } {
  const first = new Map<number, number>();
  const last = new Map<number, { group: string; ticks: number }>();
  let started = true;
  const t0 = Date.now();
  const machineStart = machineTicks();
  const sample = async (): Promise<void> => {
    const stats = await allStats();
    const children = new Map<number, number[]>();
    for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
    const groupOf = new Map<number, string>();
    const roots = await groups.roots();
    for (const [group, pids] of Object.entries(roots)) {
      const queue = [...pids];
      while (queue.length > 0) {
        const pid = queue.pop() as number;
        if (groupOf.has(pid)) continue;
        groupOf.set(pid, group);
        queue.push(...(children.get(pid) ?? []));
      }
    }
    groupOf.set(process.pid, 'self');
    for (const s of stats) {
      const group = groupOf.get(s.pid);
      if (group === undefined) continue;
      if (!first.has(s.pid)) first.set(s.pid, started ? s.ticks : 0);
      last.set(s.pid, { group, ticks: s.ticks });
    }
    started = false;
  };
  let pending = sample();
  const timer = setInterval(() => {
    pending = pending.then(sample, sample);
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending.catch(() => undefined);
      await sample();
      const cpuS: Record<string, number> = {};
      for (const [pid, { group, ticks }] of last) {
        cpuS[group] = (cpuS[group] ?? 0) + (ticks - (first.get(pid) ?? 0)) / TICKS_PER_SECOND;
      }
      const wallS = (Date.now() - t0) / 1000;
      const [a, b] = [await machineStart, await machineTicks()];
      return {
        cpuS: Object.fromEntries(Object.entries(cpuS).map(([k, v]) => [k, Math.round(v * 10) / 10])),
        machine: {
          busyS: Math.round((b.busy - a.busy) / TICKS_PER_SECOND),
          capacityS: Math.round((b.total - a.total) / TICKS_PER_SECOND),
        },
        wallS: Math.round(wallS * 10) / 10,
      };
    },
  };
}

/** The bench's own servers: Temporal (a child of this process), PostgreSQL of this run, the mail servers. */
export function benchProcessGroups(mailPids: () => Promise<number[]>): ProcessGroups {
  let postgres: number[] | null = null;
  return {
    async roots() {
      const stats = await allStats();
      if (postgres === null) {
        const candidates = stats.filter((s) => s.comm === 'postgres' && s.ppid === 1);
        const marker = `/runs/${process.pid}/postgres`;
        const matches: number[] = [];
        for (const s of candidates) if ((await readCmdline(s.pid)).includes(marker)) matches.push(s.pid);
        postgres = matches;
      }
      const temporal = stats.filter((s) => s.ppid === process.pid && s.comm === 'temporal').map((s) => s.pid);
      return { temporal, postgres, mail: await mailPids().catch(() => []) };
    },
  };
}
