/**
 * The network load generator: WebSocket subscribers and WebSocket or HTTP publishers against a running server
 * (Herald or the bare-Netty reference), an open-loop publisher whose latency is measured from each message's
 * intended send time, and a check of every delivery (lost, duplicated, out of order). Commands and results are in
 * {@code docs/BENCHMARKS.md}, section "Network".
 */
package dev.herald.bench.load;
