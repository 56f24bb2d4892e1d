// `npm run bench [-- NAME...]`: runs the benchmarks (all, or those named) and prints their figures.
// Each compares against a peer measured in the same run; none is a pass/fail test.
import type { Benchmark } from './benchmark.js';
import { dnsThroughput } from './dns-throughput.js';
import { etcdBenchmark } from './etcd.js';
import { etcd2Benchmark } from './etcd2.js';
import { healthBenchmark } from './health.js';
import { scale } from './scale.js';
import { transferBenchmark } from './transfer.js';
import { zooKeeperBenchmark } from './zookeeper.js';

const benchmarks: Benchmark[] = [dnsThroughput, scale, zooKeeperBenchmark, etcdBenchmark, etcd2Benchmark, healthBenchmark, transferBenchmark];

const wanted = process.argv.slice(2);
for (const benchmark of benchmarks) {
  if (wanted.length && !wanted.includes(benchmark.name)) continue;
  console.log(`\n## ${benchmark.name}: ${benchmark.description}\n`);
  await benchmark.run();
}
