package dev.herald.netty.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.netty.AddressChannel;
import dev.herald.netty.NettyLeakDetectorExtension;
import dev.herald.netty.RateLimit;
import dev.herald.netty.internal.AddressLimiter.Admission;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Per-address connection limits on a clock the test moves. */
@ExtendWith(NettyLeakDetectorExtension.class)
class AddressLimiterTest {
    private final AtomicLong now = new AtomicLong(42);

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private void advanceMillis(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void newConnectionsPerAddressAreRateLimitedAndOtherAddressesAreNot() {
        AddressLimiter limiter = new AddressLimiter(RateLimit.perSecond(2, 3), 0, 100, now::get);
        InetAddress flooder = ip("10.0.0.1");
        for (int i = 0; i < 3; i++) {
            assertEquals(Admission.ADMITTED, limiter.admit(flooder), "the burst");
        }
        assertEquals(Admission.RATE_LIMITED, limiter.admit(flooder));
        assertEquals(Admission.RATE_LIMITED, limiter.admit(flooder));
        assertEquals(Admission.ADMITTED, limiter.admit(ip("10.0.0.2")), "another address has its own bucket");
        advanceMillis(500);
        assertEquals(Admission.ADMITTED, limiter.admit(flooder), "one more every 500 ms");
        assertEquals(Admission.RATE_LIMITED, limiter.admit(flooder));
    }

    @Test
    void openConnectionsPerAddressAreCappedAndFreedOnRelease() {
        AddressLimiter limiter = new AddressLimiter(RateLimit.off(), 2, 100, now::get);
        InetAddress a = ip("192.0.2.7");
        assertEquals(Admission.ADMITTED, limiter.admit(a));
        assertEquals(Admission.ADMITTED, limiter.admit(a));
        assertEquals(Admission.OVER_LIMIT, limiter.admit(a));
        assertEquals(2, limiter.openConnections(a));
        limiter.release(a);
        assertEquals(Admission.ADMITTED, limiter.admit(a));
        assertEquals(Admission.OVER_LIMIT, limiter.admit(a));
        limiter.release(a);
        limiter.release(a);
        assertEquals(0, limiter.trackedAddresses(), "an address with nothing open and no rate is forgotten at once");
        limiter.release(a); // a stray release is harmless
        assertEquals(0, limiter.trackedAddresses());
    }

    @Test
    void anAddressIsForgottenOnceNothingIsOpenAndItsBucketIsFullAgain() {
        AddressLimiter limiter = new AddressLimiter(RateLimit.perSecond(10, 5), 3, 100, now::get);
        InetAddress a = ip("192.0.2.8");
        limiter.admit(a);
        limiter.release(a);
        assertEquals(1, limiter.trackedAddresses(), "its bucket still remembers the connection");
        limiter.sweep();
        assertEquals(1, limiter.trackedAddresses());
        advanceMillis(100);
        limiter.sweep();
        assertEquals(0, limiter.trackedAddresses(), "a full bucket and nothing open: no different from a new one");
        for (int i = 0; i < 5; i++) {
            assertEquals(i < 3 ? Admission.ADMITTED : Admission.OVER_LIMIT, limiter.admit(a));
        }
        advanceMillis(10_000);
        limiter.release(a);
        limiter.release(a);
        assertEquals(1, limiter.trackedAddresses(), "one connection still open");
        limiter.release(a);
        assertEquals(0, limiter.trackedAddresses(), "the last close with a full bucket forgets it");
    }

    @Test
    void theTableIsBoundedAndAddressesPastItAreAdmittedUntracked() {
        AddressLimiter limiter = new AddressLimiter(RateLimit.perSecond(1, 1), 1, 4, now::get);
        for (int i = 1; i <= 4; i++) {
            assertEquals(Admission.ADMITTED, limiter.admit(ip("198.51.100." + i)));
        }
        assertEquals(4, limiter.trackedAddresses());
        assertEquals(Admission.UNTRACKED, limiter.admit(ip("198.51.100.5")), "full: admitted, not tracked");
        assertEquals(Admission.OVER_LIMIT, limiter.admit(ip("198.51.100.1")), "tracked ones are still limited");
        assertEquals(4, limiter.trackedAddresses());
        for (int i = 1; i <= 4; i++) {
            limiter.release(ip("198.51.100." + i));
        }
        assertEquals(4, limiter.trackedAddresses(), "closed, but their buckets are not full yet");
        assertEquals(Admission.UNTRACKED, limiter.admit(ip("198.51.100.6")), "no sweep within a second");
        advanceMillis(1000);
        assertEquals(Admission.ADMITTED, limiter.admit(ip("198.51.100.6")), "the sweep made room");
        assertEquals(1, limiter.trackedAddresses());
    }

    @Test
    void ipv6CountsByTheSlash64AndMappedIpv4AsIpv4() throws UnknownHostException {
        AddressLimiter limiter = new AddressLimiter(RateLimit.off(), 2, 100, now::get);
        assertEquals(Admission.ADMITTED, limiter.admit(ip("2001:db8:1:2::1")));
        assertEquals(Admission.ADMITTED, limiter.admit(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")));
        assertEquals(Admission.OVER_LIMIT, limiter.admit(ip("2001:db8:1:2:ffff::9")), "the same /64");
        assertEquals(Admission.ADMITTED, limiter.admit(ip("2001:db8:1:3::1")), "the next /64 is another client");
        assertEquals(ip("203.0.113.9"), AddressLimiter.key(InetAddress.getByAddress(new byte[] {
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 203, 0, 113, 9})));
    }

    @Test
    void offMeansNothingIsTracked() {
        AddressLimiter limiter = new AddressLimiter(RateLimit.off(), 0, 100, now::get);
        assertFalse(limiter.enabled());
        for (int i = 0; i < 1000; i++) {
            assertEquals(Admission.UNTRACKED, limiter.admit(ip("10.1.1.1")));
        }
        assertEquals(0, limiter.trackedAddresses());
    }

    @Test
    void aRefusedChannelIsClosedAtOnceAndAnAdmittedOneReleasedWhenItCloses() {
        AddressLimiter limiter = new AddressLimiter(RateLimit.off(), 1, 100, now::get);
        LimitCounters counters = new LimitCounters();
        InetAddress a = ip("192.0.2.77");
        EmbeddedChannel first = new AddressChannel(a);
        assertTrue(limiter.admit(first, counters));
        EmbeddedChannel second = new AddressChannel(a);
        assertFalse(limiter.admit(second, counters));
        assertFalse(second.isOpen(), "refused: closed at once");
        assertEquals(1, counters.connectionsOverAddressLimit());
        first.close();
        assertEquals(0, limiter.openConnections(a), "released when it closed");
        EmbeddedChannel third = new AddressChannel(a);
        assertTrue(limiter.admit(third, counters));
        third.close();
        assertTrue(limiter.admit(new EmbeddedChannel(), counters), "no IP address: not limited");
        assertFalse(first.finish());
        assertFalse(second.finish());
        assertFalse(third.finish());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void connectionsOfOneAddressOnManyThreadsNeverPassTheCapAndLeaveNothingBehind() throws Exception {
        int cap = 3;
        AddressLimiter limiter = new AddressLimiter(RateLimit.perSecond(1e6, 1000), cap, 1000, System::nanoTime);
        List<InetAddress> addresses = List.of(ip("10.9.0.1"), ip("10.9.0.2"), ip("2001:db8::1"));
        ConcurrentHashMap<InetAddress, AtomicInteger> open = new ConcurrentHashMap<>();
        addresses.forEach(a -> open.put(a, new AtomicInteger()));
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicInteger admitted = new AtomicInteger();
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int seed = t;
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 20_000; i++) {
                    InetAddress a = addresses.get((i + seed) % addresses.size());
                    if (limiter.admit(a) == Admission.ADMITTED) {
                        admitted.incrementAndGet();
                        int n = open.get(a).incrementAndGet();
                        if (n > cap) {
                            failure.compareAndSet(null, n + " open connections of " + a);
                        }
                        open.get(a).decrementAndGet();
                        limiter.release(a);
                    }
                }
            });
            workers.add(worker);
            worker.start();
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        assertEquals(null, failure.get());
        assertTrue(admitted.get() > 0);
        for (InetAddress a : addresses) {
            assertEquals(0, limiter.openConnections(a), "every release counted");
        }
        Thread.sleep(2); // every bucket full again: 1000 tokens at a million per second take 1 ms
        limiter.sweep();
        assertEquals(0, limiter.trackedAddresses());
    }
}
