package dev.herald.bench.reference;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Topics and their subscribed channels, and the fan-out. A publish assigns the topic's next offset, encodes the
 * whole WebSocket frame (header and JSON) once into one buffer, and hands a retained duplicate of it to the outbox
 * of every event loop that has subscribers of the topic. Each outbox drains on its own loop: it writes a duplicate
 * to each subscribed channel and flushes each channel once per drained batch, right after its last write.
 *
 * <p>Thread contract: {@link #publish} may be called from any thread; {@link #subscribe} and {@link #unsubscribe}
 * only on the channel's own event loop, which is also the only thread that touches that loop's channel lists.
 */
final class ReferenceHub {
    /** Messages waiting in one loop's outbox before further ones are dropped (and counted). */
    static final int OUTBOX_LIMIT = 1 << 16;
    private static final String EPOCH = "ref";

    private final ConcurrentHashMap<String, Topic> topics = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<EventLoop, Outbox> outboxes = new ConcurrentHashMap<>();
    private final LongAdder dropped = new LongAdder();

    /** What a publish assigned, for the publisher's reply. */
    record Published(String id, String topic, long offset, String timestamp) {
    }

    Published publish(String topicName, byte[] json, int dataStart, int dataEnd) {
        Topic topic = topics.computeIfAbsent(topicName, Topic::new);
        synchronized (topic) {
            long offset = ++topic.lastOffset;
            String timestamp = DateTimeFormatter.ISO_INSTANT.format(Instant.now());
            String id = EPOCH + "-" + offset;
            byte[] head = ("{\"id\":\"" + id + "\",\"topic\":\"" + topicName + "\",\"offset\":" + offset
                    + ",\"timestamp\":\"" + timestamp + "\",\"data\":").getBytes(StandardCharsets.US_ASCII);
            int length = head.length + (dataEnd - dataStart) + 1;
            ByteBuf frame = ByteBufAllocator.DEFAULT.directBuffer(length + 10);
            frame.writeByte(0x81); // FIN, text frame; server frames are not masked
            if (length <= 125) {
                frame.writeByte(length);
            } else if (length <= 0xFFFF) {
                frame.writeByte(126).writeShort(length);
            } else {
                frame.writeByte(127).writeLong(length);
            }
            frame.writeBytes(head).writeBytes(json, dataStart, dataEnd - dataStart).writeByte('}');
            try {
                for (LoopSubscribers subscribers : topic.loops) {
                    if (subscribers.size > 0) {
                        subscribers.outbox.add(subscribers, frame.retainedDuplicate());
                    }
                }
            } finally {
                frame.release();
            }
            return new Published(id, topicName, offset, timestamp);
        }
    }

    /** Adds a channel to a topic; on the channel's loop. Returns the topic's last offset. */
    long subscribe(String topicName, Channel channel) {
        Topic topic = topics.computeIfAbsent(topicName, Topic::new);
        EventLoop loop = channel.eventLoop();
        LoopSubscribers mine = null;
        synchronized (topic) {
            for (LoopSubscribers subscribers : topic.loops) {
                if (subscribers.outbox.loop == loop) {
                    mine = subscribers;
                }
            }
            if (mine == null) {
                mine = new LoopSubscribers(outboxes.computeIfAbsent(loop, Outbox::new));
                topic.loops.add(mine);
            }
            if (!mine.channels.contains(channel)) {
                mine.channels.add(channel);
                mine.size = mine.channels.size();
            }
            return topic.lastOffset;
        }
    }

    /** Removes a channel from a topic; on the channel's loop. */
    void unsubscribe(String topicName, Channel channel) {
        Topic topic = topics.get(topicName);
        if (topic == null) {
            return;
        }
        for (LoopSubscribers subscribers : topic.loops) {
            if (subscribers.outbox.loop == channel.eventLoop() && subscribers.channels.remove(channel)) {
                subscribers.size = subscribers.channels.size();
            }
        }
    }

    long droppedFrames() {
        return dropped.sum();
    }

    private static final class Topic {
        final String name;
        /** Guarded by this. */
        long lastOffset;
        final List<LoopSubscribers> loops = new CopyOnWriteArrayList<>();

        Topic(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** The channels of one topic that live on one event loop. The list is touched only on that loop. */
    private static final class LoopSubscribers {
        final Outbox outbox;
        final List<Channel> channels = new ArrayList<>();
        /** Read by publishers to skip loops without subscribers. */
        volatile int size;

        LoopSubscribers(Outbox outbox) {
            this.outbox = outbox;
        }
    }

    private record Pending(LoopSubscribers target, ByteBuf frame) {
    }

    /** One event loop's queue of frames to write; drained in batches on that loop. */
    private final class Outbox implements Runnable {
        final EventLoop loop;
        private final Queue<Pending> queue = PlatformDependent.newMpscQueue();
        private final AtomicInteger queued = new AtomicInteger();
        private final AtomicBoolean scheduled = new AtomicBoolean();
        private final List<Pending> batch = new ArrayList<>();

        Outbox(EventLoop loop) {
            this.loop = loop;
        }

        void add(LoopSubscribers target, ByteBuf frame) {
            if (queued.incrementAndGet() > OUTBOX_LIMIT) {
                queued.decrementAndGet();
                frame.release();
                dropped.add(target.size);
                return;
            }
            queue.offer(new Pending(target, frame));
            if (scheduled.compareAndSet(false, true)) {
                try {
                    loop.execute(this);
                } catch (RejectedExecutionException shuttingDown) {
                    scheduled.set(false);
                    drainWithoutWriting();
                }
            }
        }

        /**
         * Takes everything queued, then per run of consecutive messages for the same topic writes the whole run to
         * each channel and flushes that channel at once: one flush per channel per batch, and the first channels
         * get their bytes without waiting for the last ones to be written.
         */
        @Override
        public void run() {
            scheduled.set(false);
            Pending pending;
            while ((pending = queue.poll()) != null) {
                queued.decrementAndGet();
                batch.add(pending);
            }
            try {
                int from = 0;
                while (from < batch.size()) {
                    LoopSubscribers target = batch.get(from).target;
                    int to = from + 1;
                    while (to < batch.size() && batch.get(to).target == target) {
                        to++;
                    }
                    for (Channel channel : target.channels) {
                        if (!channel.isWritable()) {
                            dropped.add(to - from);
                            continue;
                        }
                        for (int i = from; i < to; i++) {
                            channel.write(batch.get(i).frame.retainedDuplicate(), channel.voidPromise());
                        }
                        channel.flush();
                    }
                    from = to;
                }
            } finally {
                for (Pending done : batch) {
                    done.frame.release();
                }
                batch.clear();
            }
        }

        private void drainWithoutWriting() {
            Pending pending;
            while ((pending = queue.poll()) != null) {
                queued.decrementAndGet();
                pending.frame.release();
            }
        }
    }
}
