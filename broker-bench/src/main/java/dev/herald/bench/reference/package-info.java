/**
 * A bare Netty pub/sub server speaking Herald's wire format and doing nothing else: the floor that the network
 * benchmarks compare Herald against on the same machine. See {@code docs/BENCHMARKS.md}, section "Network".
 */
package dev.herald.bench.reference;
