/** CPU and memory of another process, read from /proc (Linux): what a separately spawned server costs. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks: number | undefined;
/** USER_HZ, the unit of /proc/<pid>/stat times (100 on almost every Linux). */
function clockTicksPerSecond(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

/** utime + stime of every thread of `pid`, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at state; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond();
}

/** Resident set size of `pid` in MB (VmRSS). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** Samples a process while something runs: cores used over the span and the highest RSS seen. */
export class ProcessMeter {
  private startCpu = 0;
  private startedAt = 0;
  private peakRss = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly pid: number, private readonly sampleMs = 200) {}

  start(): void {
    this.startCpu = cpuSeconds(this.pid);
    this.startedAt = performance.now();
    this.peakRss = rssMb(this.pid);
    this.timer = setInterval(() => (this.peakRss = Math.max(this.peakRss, rssMb(this.pid))), this.sampleMs);
  }

  stop(): { cores: number; peakRssMb: number } {
    clearInterval(this.timer);
    const seconds = (performance.now() - this.startedAt) / 1000;
    const peakRssMb = Math.max(this.peakRss, rssMb(this.pid));
    return { cores: (cpuSeconds(this.pid) - this.startCpu) / seconds, peakRssMb };
  }
}
