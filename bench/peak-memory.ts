/**
 * Preloaded into a measured child process (`node -r bench/out/peak-memory.js ...`): when the process exits, writes
 * its peak resident set size and CPU time to the file named by BENCH_PEAK_FILE. VmHWM from /proc/self/status is the
 * kernel's own high-water mark (Linux); elsewhere process.resourceUsage().maxRSS, the same figure from getrusage.
 *
 * With BENCH_LIVE_HEAP=1 and --expose-gc it also forces a full collection every 250 ms and records the largest heap
 * that survives one: the live state, free of the garbage V8 has not yet collected (which makes peak RSS depend on
 * when V8 chooses to collect). That slows the process down, so timed runs do not set it.
 */
import { readFileSync, writeFileSync } from 'node:fs';

function peakBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS * 1024;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

let liveHeapBytes = 0;
const gc = (globalThis as { gc?: () => void }).gc;
if (process.env.BENCH_LIVE_HEAP === '1' && gc) {
  const timer = setInterval(() => {
    gc();
    liveHeapBytes = Math.max(liveHeapBytes, process.memoryUsage().heapUsed);
  }, 250);
  timer.unref();
}

const target = process.env.BENCH_PEAK_FILE;
if (target) {
  process.on('exit', () => {
    writeFileSync(target, JSON.stringify({ peakRssBytes: peakBytes(), cpuMs: cpuMs(), liveHeapBytes }));
  });
}
