/**
 * A stand-in for the bench's worker (test/deploy/worker-launch.test.ts): answers with the Node flags and the
 * malloc settings it was started with.
 */
import { serveIpc } from '../../bench/ipc';

serveIpc(() =>
  Promise.resolve({
    launch: () => ({
      execArgv: process.execArgv,
      env: {
        MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX,
        MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_,
      },
    }),
  })
);
