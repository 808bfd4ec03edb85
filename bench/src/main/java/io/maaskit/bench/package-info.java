/**
 * The benchmark harness behind {@code scripts/bench}: JMH benchmarks of warm latency and batch
 * throughput against LangChain4j's in-process all-MiniLM-L6-v2 ({@link
 * io.maaskit.bench.LatencyBench}, {@link io.maaskit.bench.ThroughputBench}, {@link
 * io.maaskit.bench.MatmulPeakBench}), the whole-process cold-start driver over S3Proxy ({@link
 * io.maaskit.bench.ColdStart}), the guard that records how much CPU other processes took meanwhile
 * ({@link io.maaskit.bench.Contention}), and the report writer ({@link io.maaskit.bench.Report})
 * that produces {@code bench/results.json} and the Performance table.
 */
package io.maaskit.bench;
