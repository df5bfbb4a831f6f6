package dev.herald.netty.internal.ws;

import dev.herald.core.Message;
import dev.herald.netty.RawJson;
import dev.herald.netty.internal.RawJsonAccess;
import dev.herald.netty.internal.ServerMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The messages waiting to be written to one WebSocket connection, between the broker's publisher threads and
 * the connection's event loop.
 *
 * <p>Concurrency: many producers ({@link #offer}, from any publisher thread, never blocking), one consumer (the
 * channel's event loop). At most one drain task is queued on the event loop at a time ({@code drainPending}), so
 * the event loop's own unbounded task queue never holds more than one task per connection for delivery. The drain
 * writes while the channel is writable and flushes once per run; when the channel stops being writable it pauses
 * until {@link #resume()} is called from {@code channelWritabilityChanged}.
 *
 * <p>Bound: at most {@code limit} live messages wait while the socket is not writable (the client does not read
 * fast enough: the write-buffer watermarks decide), and at most {@link #BURST_ALLOWANCE} times as many while it is
 * (the event loop is only behind for a moment, as in a burst). Messages a subscribe replays from history (delivered
 * on the event loop during the subscribe call) are admitted on top of it, since they are already held by the
 * broker's bounded history. A live message beyond the bound is the slow-consumer case: with {@code dropWhenFull} it is
 * dropped and the loss is recorded per topic as a gap, sent to the client in queue order (so before any later
 * message of that topic); otherwise {@code onOverflow} runs once on the event loop to disconnect the client.
 * Every queued entry is a plain byte array holder, never a reference-counted buffer, so discarding the queue
 * leaks nothing.
 */
final class OutboundQueue {
    /** Frames written per drain run before the task yields the event loop to other channels. */
    static final int DRAIN_BUDGET = 512;
    /**
     * How many times the limit a connection whose socket still takes data may queue: a burst that only outruns
     * the event loop for a moment is not a slow consumer, but memory stays bounded all the same.
     */
    static final int BURST_ALLOWANCE = 8;

    private final ChannelHandlerContext ctx;
    private final EventExecutor loop;
    private final int limit;
    private final boolean dropWhenFull;
    private final ServerMetrics metrics;
    private final Runnable onOverflow;
    private final Runnable drainTask = this::drain;

    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    /** Messages in the queue (gap markers are not counted; there is at most one per topic with loss). */
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicBoolean drainPending = new AtomicBoolean();
    private final AtomicBoolean overflowed = new AtomicBoolean();
    private volatile boolean closed;
    /** Replayed messages still counted in {@code size}; written on the event loop only. */
    private volatile int replayCredit;

    // Event loop only.
    private boolean replaying;
    private boolean paused;

    /**
     * Per topic, the gap still growing: its marker is queued and no message of the topic was queued after it.
     * Guarded by itself. Markers no longer in the map are sealed; each sealed marker is followed by a queued
     * message, so markers in the queue never outnumber messages plus open gaps.
     */
    private final Map<String, Gap> gaps = new HashMap<>();
    /** {@code gaps.size()}, readable without the lock. */
    private volatile int openGaps;

    /** A loss marker: the range of offsets of one topic dropped since the last gap frame of that topic. */
    private static final class Gap {
        final String topic;
        long fromOffset;
        long toOffset;

        Gap(String topic, long offset) {
            this.topic = topic;
            this.fromOffset = offset;
            this.toOffset = offset;
        }
    }

    OutboundQueue(ChannelHandlerContext ctx, int limit, boolean dropWhenFull, ServerMetrics metrics,
                  Runnable onOverflow) {
        this.ctx = ctx;
        this.loop = ctx.executor();
        this.limit = limit;
        this.dropWhenFull = dropWhenFull;
        this.metrics = metrics;
        this.onOverflow = onOverflow;
    }

    /** Messages waiting now. Safe from any thread. */
    int size() {
        return size.get();
    }

    /**
     * Adds a message for the client. Any thread; never blocks.
     *
     * @return {@code false} if the message was discarded: the queue is full (dropped or overflowing) or closed
     */
    boolean offer(Message<RawJson> message) {
        if (closed || overflowed.get()) {
            return false;
        }
        if (loop.inEventLoop() && replaying) {
            replayCredit = replayCredit + 1;
            size.incrementAndGet();
        } else {
            long live = size.incrementAndGet() - replayCredit;
            if (live > limit && (!ctx.channel().isWritable() || live > (long) limit * BURST_ALLOWANCE)) {
                size.decrementAndGet();
                overflow(message);
                return false;
            }
        }
        if (openGaps > 0) {
            sealGap(message.topic());
        }
        queue.offer(message);
        scheduleDrain();
        return true;
    }

    /**
     * A message of {@code topic} is being queued after a gap marker of that topic: later losses must get a marker
     * of their own, after this message, or the client would see a gap that covers a message it then receives.
     */
    private void sealGap(String topic) {
        synchronized (gaps) {
            if (gaps.remove(topic) != null) {
                openGaps = gaps.size();
            }
        }
    }

    private void overflow(Message<RawJson> message) {
        if (dropWhenFull) {
            boolean tracked;
            synchronized (gaps) {
                Gap gap = gaps.get(message.topic());
                if (gap != null) {
                    gap.fromOffset = Math.min(gap.fromOffset, message.offset());
                    gap.toOffset = Math.max(gap.toOffset, message.offset());
                    return;
                }
                tracked = gaps.size() < limit;
                if (tracked) {
                    gap = new Gap(message.topic(), message.offset());
                    gaps.put(message.topic(), gap);
                    openGaps = gaps.size();
                    queue.offer(gap);
                }
            }
            if (tracked) {
                scheduleDrain();
                return;
            }
            // Loss on more topics than can be tracked could no longer be reported: disconnect instead.
        }
        if (overflowed.compareAndSet(false, true)) {
            execute(onOverflow);
        }
    }

    /** Marks the start of a subscribe call whose replay is delivered synchronously on the event loop. */
    void beginReplay() {
        replaying = true;
    }

    /** Marks the end of that call. */
    void endReplay() {
        replaying = false;
    }

    private void scheduleDrain() {
        if (drainPending.compareAndSet(false, true)) {
            execute(drainTask);
        }
    }

    private void execute(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // The event loop is shutting down, and the channel with it.
            closed = true;
        }
    }

    /** The drain task: writes what it can, then either yields, pauses or goes idle. Event loop only. */
    private void drain() {
        boolean more = writeQueued();
        if (closed || paused) {
            // Paused: resume() restarts it; drainPending stays set so producers do not queue tasks meanwhile.
            return;
        }
        if (more) {
            execute(drainTask);
            return;
        }
        drainPending.set(false);
        if (!queue.isEmpty()) {
            scheduleDrain();
        }
    }

    /**
     * Writes queued frames now, so that a control reply written next follows them. Event loop only; does nothing
     * while paused.
     */
    void writeNow() {
        if (!paused) {
            writeQueued();
        }
    }

    /** Called on the event loop when the channel became writable again. */
    void resume() {
        if (paused && !closed) {
            paused = false;
            drain();
        }
    }

    /** Writes up to the budget; returns {@code true} if it stopped only because the budget ran out. */
    private boolean writeQueued() {
        int written = 0;
        try {
            while (!closed) {
                if (!ctx.channel().isWritable()) {
                    paused = true;
                    return false;
                }
                if (written >= DRAIN_BUDGET) {
                    return true;
                }
                Object entry = queue.poll();
                if (entry == null) {
                    return false;
                }
                byte[] frame;
                if (entry instanceof Gap gap) {
                    long from;
                    long to;
                    synchronized (gaps) {
                        if (gaps.remove(gap.topic, gap)) {
                            openGaps = gaps.size();
                        }
                        from = gap.fromOffset;
                        to = gap.toOffset;
                    }
                    frame = Replies.gap(gap.topic, from, to);
                    metrics.gapSent();
                } else {
                    size.decrementAndGet();
                    int credit = replayCredit;
                    if (credit > 0) {
                        replayCredit = credit - 1;
                    }
                    @SuppressWarnings("unchecked")
                    Message<RawJson> message = (Message<RawJson>) entry;
                    // The frame bytes are encoded once per message and shared by every subscriber's buffer.
                    frame = RawJsonAccess.frameOf(message);
                }
                ctx.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(frame)), ctx.voidPromise());
                written++;
            }
            return false;
        } finally {
            if (written > 0) {
                ctx.flush();
                metrics.wsFramesOut(written);
            }
        }
    }

    /** Discards everything and accepts nothing more. Event loop only; idempotent. */
    void close() {
        closed = true;
        queue.clear();
        size.set(0);
        synchronized (gaps) {
            gaps.clear();
            openGaps = 0;
        }
    }
}
