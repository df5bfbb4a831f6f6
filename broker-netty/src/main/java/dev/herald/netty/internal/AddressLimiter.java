package dev.herald.netty.internal;

import dev.herald.netty.RateLimit;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Per client address: a token bucket for new connections and a count of open ones, checked when a connection is
 * accepted. An IPv4 address is one client; an IPv6 address counts by its /64 prefix, since one host usually holds
 * a whole /64.
 *
 * <p>Bounded: an address is tracked while it has a connection open or its bucket is not yet full again; an entry
 * with neither is exactly a new one, so dropping it loses nothing. An entry is dropped when its last connection
 * closes with a full bucket, and by a sweep (at most one a second, on an accepting thread, once the table is half
 * full) otherwise. At most {@code maxTracked} addresses are tracked (give or take one per thread accepting at the
 * same moment); a connection from a new address while the table is full is admitted without per-address limits
 * and counted ({@link LimitCounters#addressUntracked()}): the server-wide connection limit still holds, and
 * refusing instead would let one attacker with many addresses lock out every new client.
 *
 * <p>Concurrency: thread-safe; connections of one address are accepted and closed on different event loops. An
 * entry's fields are read and written only inside {@link ConcurrentHashMap#compute} (and its relatives) for its
 * key, so the map's per-key lock guards them. Nothing blocks beyond that brief lock.
 */
public final class AddressLimiter {
    /** What {@link #admit} decided. */
    public enum Admission {
        /** Admitted and counted; call {@link #release} once it closes. */
        ADMITTED,
        /** Admitted without per-address limits (the table is full, or limits are off); nothing to release. */
        UNTRACKED,
        /** Refused: the address opened connections faster than its connection rate. */
        RATE_LIMITED,
        /** Refused: the address already has its most connections open. */
        OVER_LIMIT
    }

    private static final long SWEEP_INTERVAL_NANOS = 1_000_000_000L;

    private final RateLimit rate;
    private final int maxPerAddress;
    private final int maxTracked;
    private final LongSupplier clock;
    private final ConcurrentHashMap<InetAddress, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep;

    /** One address's state; guarded by the map's lock for its key. */
    private static final class Entry {
        final TokenBucket bucket;
        int open;

        Entry(TokenBucket bucket) {
            this.bucket = bucket;
        }

        boolean idle() {
            return open == 0 && (bucket == null || bucket.isFull());
        }
    }

    /**
     * Creates the limiter.
     *
     * @param rate          new connections per address; {@link RateLimit#off()} for none
     * @param maxPerAddress most open connections per address; 0 for no limit
     * @param maxTracked    most addresses tracked at once, at least 1
     * @param clock         nanoseconds, as {@link System#nanoTime()}
     */
    public AddressLimiter(RateLimit rate, int maxPerAddress, int maxTracked, LongSupplier clock) {
        if (maxPerAddress < 0 || maxTracked < 1) {
            throw new IllegalArgumentException("maxPerAddress must be >= 0 and maxTracked >= 1, were "
                    + maxPerAddress + " and " + maxTracked);
        }
        this.rate = Objects.requireNonNull(rate, "rate");
        this.maxPerAddress = maxPerAddress;
        this.maxTracked = maxTracked;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.lastSweep = new AtomicLong(clock.getAsLong());
    }

    /** @return whether any per-address limit is on */
    public boolean enabled() {
        return !rate.isOff() || maxPerAddress > 0;
    }

    /**
     * Decides on a new connection from {@code address}, and counts it if admitted.
     *
     * @param address the client's address
     * @return the decision; after {@link Admission#ADMITTED}, call {@link #release} with the same address when the
     *         connection closes
     */
    public Admission admit(InetAddress address) {
        if (!enabled()) {
            return Admission.UNTRACKED;
        }
        InetAddress key = key(address);
        if (entries.size() >= maxTracked / 2) {
            maybeSweep();
        }
        if (entries.size() >= maxTracked && !entries.containsKey(key)) {
            return Admission.UNTRACKED;
        }
        Admission[] decision = new Admission[1];
        entries.compute(key, (k, entry) -> {
            Entry e = entry != null ? entry : new Entry(rate.isOff() ? null : new TokenBucket(rate, clock));
            if (maxPerAddress > 0 && e.open >= maxPerAddress) {
                decision[0] = Admission.OVER_LIMIT;
            } else if (e.bucket != null && e.bucket.tryAcquire() > 0) {
                decision[0] = Admission.RATE_LIMITED;
            } else {
                e.open++;
                decision[0] = Admission.ADMITTED;
            }
            return e.idle() ? null : e;
        });
        return decision[0];
    }

    /**
     * Checks a newly accepted connection before anything else is done with it. An admitted connection is released
     * when it closes. A refused one is counted and reset at once (closed with {@code SO_LINGER} 0, so neither side
     * keeps it in {@code TIME_WAIT}): no response, since the refusal is meant to cost the server nothing. A
     * connection without an IP address (an embedded channel, a Unix socket) is admitted untracked.
     *
     * @param channel  the new connection, not yet set up
     * @param counters where refusals are counted
     * @return {@code true} if admitted; {@code false} if refused, and the channel is closing
     */
    public boolean admit(Channel channel, LimitCounters counters) {
        if (!enabled() || !(channel.remoteAddress() instanceof InetSocketAddress remote)
                || remote.getAddress() == null) {
            return true;
        }
        InetAddress address = remote.getAddress();
        switch (admit(address)) {
            case ADMITTED -> {
                channel.closeFuture().addListener(f -> release(address));
                return true;
            }
            case UNTRACKED -> {
                counters.addressUntracked();
                return true;
            }
            case RATE_LIMITED -> counters.connectionRateLimited();
            case OVER_LIMIT -> counters.connectionOverAddressLimit();
        }
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
        channel.close();
        return false;
    }

    /**
     * Counts the close of a connection {@link #admit} admitted.
     *
     * @param address the address passed to {@code admit}
     */
    public void release(InetAddress address) {
        entries.computeIfPresent(key(address), (k, e) -> {
            if (e.open > 0) {
                e.open--;
            }
            return e.idle() ? null : e;
        });
    }

    /** @return addresses tracked now */
    public int trackedAddresses() {
        return entries.size();
    }

    /**
     * Open connections counted for an address; for tests.
     *
     * @param address the address
     * @return the count, 0 if untracked
     */
    int openConnections(InetAddress address) {
        int[] open = new int[1];
        entries.computeIfPresent(key(address), (k, e) -> {
            open[0] = e.open;
            return e;
        });
        return open[0];
    }

    /** Drops every idle entry, if no sweep ran in the last second and no other thread is sweeping. */
    private void maybeSweep() {
        long now = clock.getAsLong();
        long last = lastSweep.get();
        if (now - last < SWEEP_INTERVAL_NANOS || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        sweep();
    }

    /** Drops every idle entry now; for tests, and from {@link #maybeSweep()}. */
    void sweep() {
        for (InetAddress key : entries.keySet()) {
            entries.computeIfPresent(key, (k, e) -> e.idle() ? null : e);
        }
    }

    /** The address as one client: IPv4 as it is, IPv6 by its /64 prefix. Never looks up a name. */
    static InetAddress key(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] bytes = address.getAddress();
        try {
            if (ipv4Mapped(bytes)) {
                return InetAddress.getByAddress(new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]});
            }
            for (int i = 8; i < bytes.length; i++) {
                bytes[i] = 0;
            }
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are an IP address", e);
        }
    }

    /** {@code ::ffff:a.b.c.d}, an IPv4 client on a dual-stack socket. */
    private static boolean ipv4Mapped(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
    }
}
