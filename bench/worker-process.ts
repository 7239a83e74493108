/**
 * The bench's worker, in its own process (forked by bench/run.ts), as production runs it: configuration
 * from the environment, the prebuilt workflow bundle (BENCH_WORKFLOW_BUNDLE), the encrypting data converter,
 * the worker's default limits, Node flags and malloc settings (bench/ipc.ts forkWorker). Its RSS is sampled
 * every 100 ms; the bench asks for the peak by IPC.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createDataConverter } from '../src/codec/data-converter';
import { requireEncryptionKeys } from '../src/codec/keys';
import { loadWorkerConfig, temporalConnectionOptions } from '../src/config';
import { createLiteLLMActivities, workerOptions } from '../src/worker';
import { serveIpc } from './ipc';

const MB = 2 ** 20;

serveIpc(async () => {
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => process.stderr.write(`[worker ${entry.level}] ${entry.message}\n`)),
  });
  const config = loadWorkerConfig();
  const { client, activities } = createLiteLLMActivities(config.litellm, config.provisioning);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const options = workerOptions(config);
  const worker = await Worker.create({
    ...options,
    connection,
    activities,
    dataConverter: createDataConverter(requireEncryptionKeys()),
    workflowBundle: { codePath: process.env.BENCH_WORKFLOW_BUNDLE as string },
  });
  const running = worker.run();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  process.once('SIGTERM', () => {
    clearInterval(sampler);
    worker.shutdown();
    void running.finally(async () => {
      await connection.close();
      await client.close();
      process.exit(0);
    });
  });
  return {
    memory: () => ({ rssMb: process.memoryUsage().rss / MB, peakRssMb: peak / MB }),
    resetPeak: () => {
      peak = process.memoryUsage().rss;
    },
  };
});
