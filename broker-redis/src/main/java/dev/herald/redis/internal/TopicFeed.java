package dev.herald.redis.internal;

import dev.herald.core.HeraldException;
import dev.herald.core.Message;
import dev.herald.core.RejectReason;
import dev.herald.core.StreamPosition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One topic this node follows: it receives the topic's live frames from Redis and hands their messages to the
 * broker in offset order, each once, with nothing skipped that history still holds.
 *
 * <p>It remembers the epoch and the last offset it handed on. A frame that continues from there is handed on; one
 * that is older is dropped (a copy of what a read already gave); one that leaves a gap, or has another epoch,
 * starts a catch-up: the frames that arrive meanwhile are held, the stream is read from the last offset in pages,
 * and then the held frames are handed on from where the reads ended. The same catch-up runs after the pub/sub
 * connection came back (Redis restarted, the connection was killed), after its mailbox overflowed, and when the
 * topic is first followed (between asking for the topic's position and the subscription taking effect, messages
 * only reach history).
 *
 * <p>When the stream cannot be continued, after messages were handed on: the topic has another epoch (Redis lost
 * it: a restart without persistence, a failover), its last offset went backwards (writes lost in the same epoch;
 * the feed then starts a new epoch in Redis, so no offset is ever given twice), or messages it had not handed on
 * have left history, it tells the broker ({@code onContinuityLost}) before anything of the new stream.
 *
 * <p>States: {@code NEW} until the first subscription asks; {@code STARTING} and {@code CATCHING_UP} while it
 * subscribes and reads; {@code LIVE}; {@code STALE} while the pub/sub connection is down or after a failure (it
 * retries with backoff); {@code CLOSED} once withdrawn. Subscriptions waiting for the feed to be live are
 * completed when it is, and failed at once while Redis is unreachable.
 *
 * <p>Concurrency: everything but the frame count runs in the feed's {@link Mailbox}. Async results come back as
 * tasks of the mailbox tagged with the attempt ({@code generation}) that made the call; results of an abandoned
 * attempt are ignored.
 */
final class TopicFeed<T> {
    private static final Logger LOG = LoggerFactory.getLogger(TopicFeed.class);
    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);
    /** Messages per catch-up read. */
    static final int PAGE = 1000;
    /** Frames queued in the mailbox at most; more are shed, and read from history afterwards. */
    static final int QUEUED_FRAME_LIMIT = 4096;
    /** Frames held during a catch-up at most; more are dropped, and read from history after the held ones. */
    static final int HELD_FRAME_LIMIT = 4096;
    private static final long MIN_RETRY_MILLIS = 20;
    private static final long MAX_RETRY_MILLIS = 2000;

    private enum State { NEW, STARTING, CATCHING_UP, LIVE, STALE, CLOSED }

    private final RedisTopicEngine<T> engine;
    final String topic;
    private final byte[] channel;
    private final Mailbox mailbox;
    private final AtomicInteger queuedFrames = new AtomicInteger();
    private final AtomicBoolean shed = new AtomicBoolean();
    private volatile State state = State.NEW;

    // Confined to the mailbox.
    private String epoch;
    private long lastOffset;
    /** Whether any message was handed on: before that, nothing any subscriber has depends on continuity. */
    private boolean handedOn;
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    /** Frames taken from the mailbox so far; numbers held frames, to tell them from those a read came after. */
    private long framesSeen;
    private boolean heldOverflow;
    private final List<CompletableFuture<Void>> waiters = new ArrayList<>();
    /** Subscriptions waiting for the feed to hand on an offset (see {@link #awaitHandedOn}). */
    private final List<ReachWaiter> reachWaiters = new ArrayList<>();
    private int generation;
    private int failures;

    TopicFeed(RedisTopicEngine<T> engine, String topic) {
        this.engine = engine;
        this.topic = topic;
        this.channel = engine.keys().shardChannel(topic);
        this.mailbox = new Mailbox(engine.dispatch(), "topic '" + topic + "'");
    }

    // ---------------------------------------------------------------- entry points (any thread)

    /** Completes once the feed is live; fails while Redis is unreachable. */
    CompletionStage<Void> awaitLive() {
        if (state == State.LIVE) {
            return DONE;
        }
        CompletableFuture<Void> live = new CompletableFuture<>();
        mailbox.post(() -> onAwait(live));
        return live;
    }

    void withdraw() {
        mailbox.post(this::onWithdraw);
    }

    /**
     * Completes once the messages up to {@code position} were handed on, or at once if the position is of another
     * epoch (the feed's continuity handling deals with that) or the feed cannot get there (connection lost,
     * withdrawn): the waiting subscription then goes live with what it has.
     */
    CompletionStage<Void> awaitHandedOn(StreamPosition position) {
        CompletableFuture<Void> reached = new CompletableFuture<>();
        mailbox.post(() -> {
            if (state == State.CLOSED || state == State.STALE || !position.epoch().equals(epoch)
                    || lastOffset >= position.offset()) {
                reached.complete(null);
            } else {
                reachWaiters.add(new ReachWaiter(position.offset(), reached));
            }
        });
        return reached;
    }

    /** A live frame from the topic's channel; called on a Lettuce thread, so it only queues it. */
    void offerFrame(byte[] frame) {
        if (queuedFrames.incrementAndGet() > QUEUED_FRAME_LIMIT) {
            queuedFrames.decrementAndGet();
            engine.counters.framesShed.increment();
            if (shed.compareAndSet(false, true)) {
                mailbox.post(this::onShed);
            }
            return;
        }
        mailbox.post(() -> onFrame(frame));
    }

    void connectionLost() {
        mailbox.post(this::onConnectionLost);
    }

    /**
     * Redis ended the subscription to the topic's channel while the feed still follows it: the slot moved to
     * another node of the cluster. Subscribe again (Lettuce routes it to the slot's new owner) and catch up.
     */
    void subscriptionEnded() {
        mailbox.post(() -> {
            if (state == State.LIVE || state == State.CATCHING_UP) {
                LOG.info("Herald node {}: the subscription to topic '{}' ended (its slot moved?); subscribing again",
                        engine.nodeId(), topic);
                generation++;
                state = State.STALE;
                retry();
            }
        });
    }

    void resync() {
        mailbox.post(this::onResync);
    }

    /** Keeps the topic's keys alive in Redis, and checks that its stream still continues from here. */
    void refresh() {
        mailbox.post(this::onRefresh);
    }

    // ---------------------------------------------------------------- state machine (mailbox)

    private void onAwait(CompletableFuture<Void> live) {
        switch (state) {
            case LIVE -> live.complete(null);
            case CLOSED -> engine.interestAgain(topic).whenComplete((ignored, failure) -> {
                if (failure != null) {
                    live.completeExceptionally(failure);
                } else {
                    live.complete(null);
                }
            });
            case NEW -> {
                waiters.add(live);
                start();
            }
            case STALE -> {
                if (engine.available()) {
                    waiters.add(live); // a retry or a resync is on its way
                } else {
                    live.completeExceptionally(unreachable());
                }
            }
            default -> waiters.add(live);
        }
    }

    /** First attempt: the topic's position, then the subscription, then a catch-up from that position. */
    private void start() {
        state = State.STARTING;
        int attempt = ++generation;
        engine.ensure(topic).whenComplete((reply, failure) -> mailbox.post(() -> {
            if (attempt != generation) {
                return;
            }
            if (failure != null) {
                failed(attempt, failure);
                return;
            }
            epoch = Library.string(reply, 0);
            lastOffset = Library.number(reply, 1);
            subscribe(attempt);
        }));
    }

    /** (Re)subscribes to the topic's channel, then catches up. */
    private void subscribe(int attempt) {
        engine.sending(() -> engine.link().ssubscribe(channel)).whenComplete((ignored, failure) -> mailbox.post(() -> {
            if (attempt != generation) {
                return;
            }
            if (failure != null) {
                failed(attempt, failure);
                return;
            }
            state = State.CATCHING_UP;
            readPage(attempt);
        }));
    }

    private void readPage(int attempt) {
        engine.counters.catchUpReads.increment();
        long readAfterFrame = framesSeen;
        engine.readReply(topic, lastOffset, PAGE, false).whenComplete((reply, failure) -> mailbox.post(() -> {
            if (attempt != generation) {
                return;
            }
            if (failure != null) {
                failed(attempt, failure);
                return;
            }
            onPage(attempt, reply, readAfterFrame);
        }));
    }

    /**
     * A page of the stream after {@code lastOffset}, read after the first {@code readAfterFrame} frames arrived:
     * those frames were published before the read, so what it says about the topic holds for them.
     */
    private void onPage(int attempt, List<Object> reply, long readAfterFrame) {
        String pageEpoch = Library.string(reply, 0);
        long last = Library.number(reply, 1);
        long oldest = Library.number(reply, 2);
        if (pageEpoch.isEmpty()) {
            // The topic is gone from Redis (lost, or expired while followed): start its next lifetime.
            newLifetime(attempt, engine.ensure(topic));
            return;
        }
        if (!pageEpoch.equals(epoch)) {
            adoptLifetime(pageEpoch, last);
            dropStaleFrames(readAfterFrame);
            drainHeld(attempt);
            return;
        }
        if (last < lastOffset) {
            // Offsets went back within one epoch: Redis lost writes this node had handed on. A new epoch, or the
            // next publishes would reuse offsets that clients already hold.
            LOG.warn("Herald node {}: topic '{}' went back from offset {} to {} in epoch {}; starting a new epoch",
                    engine.nodeId(), topic, lastOffset, last, epoch);
            newLifetime(attempt, engine.restart(topic, epoch));
            return;
        }
        if (oldest > lastOffset + 1) {
            // Messages this node never handed on have left history (or history keeps none): go on from the oldest
            // message still at hand, in history or in a held frame.
            long resumeAfter = oldest - 1;
            LiveFrame next = held.isEmpty() ? null : held.peek().frame;
            if (next != null && next.epoch.equals(epoch) && next.firstOffset > lastOffset + 1) {
                resumeAfter = Math.min(resumeAfter, next.firstOffset - 1);
            }
            if (handedOn && resumeAfter > lastOffset) {
                continuityLost("offsets " + (lastOffset + 1) + " to " + resumeAfter + " are gone");
            }
            lastOffset = Math.max(lastOffset, resumeAfter);
        }
        List<Message<T>> page = engine.messages(topic, epoch, reply, 3);
        int count = page.size();
        if (count > 0 && page.get(count - 1).offset() > lastOffset) {
            handOn(page.get(0).offset() > lastOffset ? page : tail(page));
        }
        if (count == PAGE) {
            readPage(attempt);
            return;
        }
        dropStaleFrames(readAfterFrame);
        drainHeld(attempt);
    }

    private List<Message<T>> tail(List<Message<T>> page) {
        List<Message<T>> newer = new ArrayList<>(page.size());
        for (Message<T> message : page) {
            if (message.offset() > lastOffset) {
                newer.add(message);
            }
        }
        return newer;
    }

    /** Held frames of another epoch that arrived before a read of the current one belong to an ended lifetime. */
    private void dropStaleFrames(long readAfterFrame) {
        held.removeIf(h -> h.seq <= readAfterFrame && !h.frame.epoch.equals(epoch));
    }

    /** Hands on the held frames that continue the stream; reads again if they leave a gap. */
    private void drainHeld(int attempt) {
        while (!held.isEmpty()) {
            LiveFrame frame = held.peek().frame;
            if (!frame.epoch.equals(epoch) || frame.firstOffset > lastOffset + 1) {
                readPage(attempt);
                return;
            }
            held.poll();
            if (frame.lastOffset() > lastOffset) {
                handOn(engine.messages(topic, frame, lastOffset));
            }
        }
        if (heldOverflow || shed.get()) {
            heldOverflow = false;
            shed.set(false);
            readPage(attempt);
            return;
        }
        state = State.LIVE;
        failures = 0;
        for (CompletableFuture<Void> waiter : waiters) {
            waiter.complete(null);
        }
        waiters.clear();
    }

    /** A lifetime made or found by a function call: this feed continues with it. */
    private void newLifetime(int attempt, CompletionStage<List<Object>> call) {
        call.whenComplete((reply, failure) -> mailbox.post(() -> {
            if (attempt != generation) {
                return;
            }
            if (failure != null) {
                failed(attempt, failure);
                return;
            }
            adoptLifetime(Library.string(reply, 0), Library.number(reply, 1));
            dropStaleFrames(framesSeen);
            readPage(attempt);
        }));
    }

    /**
     * Continues with another lifetime of the topic. Its earlier messages are not handed on: the subscriptions
     * that were following the old one are closed, and new ones replay what they need themselves.
     */
    private void adoptLifetime(String newEpoch, long last) {
        if (handedOn) {
            continuityLost("epoch " + epoch + " ended at offset " + lastOffset + "; the topic is now in epoch "
                    + newEpoch + " at offset " + last);
        }
        epoch = newEpoch;
        lastOffset = last;
        releaseReachWaiters();
    }

    private void continuityLost(String why) {
        engine.counters.continuityLost.increment();
        LOG.warn("Herald node {}: topic '{}' cannot continue where its subscribers are ({}); closing them so that "
                + "they resume", engine.nodeId(), topic, why);
        handedOn = false;
        try {
            engine.listener().onContinuityLost(topic);
        } catch (RuntimeException e) {
            LOG.warn("broker failed to close the subscriptions of '{}'", topic, e);
        }
    }

    private void onFrame(byte[] bytes) {
        queuedFrames.decrementAndGet();
        framesSeen++;
        if (state == State.CLOSED || state == State.NEW) {
            return;
        }
        LiveFrame frame;
        try {
            frame = LiveFrame.parse(bytes);
        } catch (RuntimeException e) {
            LOG.warn("Herald node {}: ignoring a malformed frame on topic '{}': {}", engine.nodeId(), topic,
                    e.getMessage());
            return;
        }
        if (state != State.LIVE) {
            hold(frame);
            return;
        }
        if (frame.epoch.equals(epoch) && frame.firstOffset <= lastOffset + 1) {
            if (frame.lastOffset() > lastOffset) {
                handOn(engine.messages(topic, frame, lastOffset));
            }
            return;
        }
        // A gap, or another lifetime: read what lies between, holding this frame and those after it.
        hold(frame);
        state = State.CATCHING_UP;
        readPage(generation);
    }

    private void hold(LiveFrame frame) {
        if (held.size() < HELD_FRAME_LIMIT) {
            held.add(new Held(frame, framesSeen));
        } else {
            heldOverflow = true;
        }
    }

    private void onShed() {
        if (state == State.LIVE) {
            state = State.CATCHING_UP;
            shed.set(false);
            readPage(generation);
        }
        // Otherwise a catch-up is running, and looks at the flag before it goes live.
    }

    private void handOn(List<Message<T>> messages) {
        lastOffset = messages.get(messages.size() - 1).offset();
        handedOn = true;
        engine.counters.messagesHandedOn.add(messages.size());
        try {
            engine.listener().onTopicMessages(messages);
        } catch (RuntimeException e) {
            LOG.warn("broker failed to take messages of '{}'", topic, e);
        }
        if (!reachWaiters.isEmpty()) {
            reachWaiters.removeIf(waiter -> waiter.offset <= lastOffset && waiter.reached.complete(null));
        }
    }

    /** Lets every subscription that waits for an offset go on: the feed will not get there in this stream. */
    private void releaseReachWaiters() {
        for (ReachWaiter waiter : reachWaiters) {
            waiter.reached.complete(null);
        }
        reachWaiters.clear();
    }

    private void onConnectionLost() {
        if (state == State.NEW || state == State.CLOSED) {
            return;
        }
        generation++;
        state = State.STALE;
        failWaiters(unreachable());
        releaseReachWaiters();
    }

    private void onResync() {
        if (state != State.STALE) {
            return;
        }
        retry();
    }

    private void retry() {
        if (epoch == null) {
            start();
            return;
        }
        state = State.STARTING;
        subscribe(++generation);
    }

    private void onRefresh() {
        if (state != State.LIVE) {
            return;
        }
        int attempt = generation;
        engine.ensure(topic).whenComplete((reply, failure) -> mailbox.post(() -> {
            if (attempt != generation || state != State.LIVE || failure != null) {
                return;
            }
            if (!Library.string(reply, 0).equals(epoch) || Library.number(reply, 1) < lastOffset) {
                state = State.CATCHING_UP;
                readPage(attempt);
            }
        }));
    }

    private void failed(int attempt, Throwable failure) {
        failures++;
        state = State.STALE;
        failWaiters(engine.unavailable(failure));
        releaseReachWaiters();
        if (engine.isClosed()) {
            return;
        }
        long delay = Math.min(MAX_RETRY_MILLIS, MIN_RETRY_MILLIS << Math.min(failures, 10));
        delay += ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        LOG.debug("topic '{}': attempt failed ({}); retrying in {} ms", topic, failure.toString(), delay);
        try {
            engine.timer().schedule(() -> mailbox.post(() -> {
                if (attempt == generation && state == State.STALE) {
                    retry();
                }
            }), delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void onWithdraw() {
        if (state == State.CLOSED || engine.listener().isSubscribed(topic)) {
            return;
        }
        state = State.CLOSED;
        generation++;
        engine.removeFeed(topic, this);
        held.clear();
        failWaiters(new HeraldException(RejectReason.ENGINE_UNAVAILABLE, "the topic was unsubscribed meanwhile"));
        releaseReachWaiters();
        if (!engine.isClosed()) {
            engine.link().sunsubscribe(channel);
        }
    }

    private void failWaiters(HeraldException failure) {
        for (CompletableFuture<Void> waiter : waiters) {
            waiter.completeExceptionally(failure);
        }
        waiters.clear();
    }

    /** A subscription waiting until the feed handed on {@code offset}. */
    private record ReachWaiter(long offset, CompletableFuture<Void> reached) {
    }

    /** A frame waiting for a catch-up to end, numbered in order of arrival. */
    private record Held(LiveFrame frame, long seq) {
    }

    private static HeraldException unreachable() {
        return new HeraldException(RejectReason.ENGINE_UNAVAILABLE, "Redis is unreachable");
    }
}
