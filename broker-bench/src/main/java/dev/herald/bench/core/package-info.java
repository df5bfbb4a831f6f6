/**
 * In-process JMH benchmarks of broker-core: fan-out throughput and latency against a plain loop and the JDK's
 * {@link java.util.concurrent.SubmissionPublisher}, and routing cost with many unrelated subscriptions.
 * Results and the commands that produce them are in {@code docs/BENCHMARKS.md}.
 */
package dev.herald.bench.core;
