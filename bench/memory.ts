/**
 * Memory of the bench process (worker, activities, emulator and clients all live in it): RSS and V8 heap,
 * sampled every 100 ms for the peak, and a forced full GC for the before/after comparison.
 *
 * `heapUsed` is the main thread's V8 heap (activities, the SDK's main-thread side, the emulator). Workflow
 * code runs in the SDK's workflow worker thread, whose heap Node 20 does not report from here; it is part of
 * RSS, as is the Rust core's memory.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MemoryPoint {
  rss: number;
  heapUsed: number;
}

let gcFunction: (() => void) | undefined;

/** A full, synchronous GC (`--expose-gc` switched on at run time; `tsx` gives no way to pass the flag). */
export function fullGc(): void {
  if (!gcFunction) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  // Twice: the first pass can leave objects with finalizers (WeakRefs, FinalizationRegistry) for the second.
  gcFunction();
  gcFunction();
}

export function memoryNow(): MemoryPoint {
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

/** After a full GC and a pause for the event loop (native handles freed, pending callbacks run). */
export async function settledMemory(): Promise<MemoryPoint> {
  await new Promise((resolve) => setTimeout(resolve, 250));
  fullGc();
  return memoryNow();
}

/** Samples RSS and heapUsed every `intervalMs`, keeping the peaks since the last `resetPeak()`. */
export class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  peak: MemoryPoint = { rss: 0, heapUsed: 0 };
  samples = 0;

  start(intervalMs = 100): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  resetPeak(): void {
    this.peak = memoryNow();
    this.samples = 1;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  private sample(): void {
    const now = memoryNow();
    this.samples += 1;
    this.peak = { rss: Math.max(this.peak.rss, now.rss), heapUsed: Math.max(this.peak.heapUsed, now.heapUsed) };
  }
}
