package dev.herald.redis.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** What the Redis engine counts, for operators. Thread-safe. */
final class EngineCounters {
    /** Frames received on sharded channels (one per publish or batch), for topics this node follows. */
    final LongAdder framesReceived = new LongAdder();
    /** Messages handed to the broker from live frames and catch-up reads. */
    final LongAdder messagesHandedOn = new LongAdder();
    /** Messages received for pattern subscriptions. */
    final LongAdder patternMessages = new LongAdder();
    /** Catch-up reads: after a reconnect, a gap in offsets, or a full mailbox. */
    final LongAdder catchUpReads = new LongAdder();
    /** Live frames dropped because a topic's mailbox was full; their messages are then read from history. */
    final LongAdder framesShed = new LongAdder();
    /** Times a topic's stream could not be continued (new epoch, or messages gone from history). */
    final LongAdder continuityLost = new LongAdder();
    /** Publishes refused because Redis could not be reached or refused the call. */
    final LongAdder publishFailures = new LongAdder();
    /** Times a connection to Redis came back after being lost. */
    final LongAdder reconnects = new LongAdder();
    /** Times the function library had to be loaded again (Redis lost it). */
    final LongAdder libraryReloads = new LongAdder();

    Map<String, Long> snapshot(long topics, long patterns) {
        Map<String, Long> values = new LinkedHashMap<>();
        values.put("topicsFollowed", topics);
        values.put("patternsFollowed", patterns);
        values.put("framesReceived", framesReceived.sum());
        values.put("messagesHandedOn", messagesHandedOn.sum());
        values.put("patternMessages", patternMessages.sum());
        values.put("catchUpReads", catchUpReads.sum());
        values.put("framesShed", framesShed.sum());
        values.put("continuityLost", continuityLost.sum());
        values.put("publishFailures", publishFailures.sum());
        values.put("reconnects", reconnects.sum());
        values.put("libraryReloads", libraryReloads.sum());
        return values;
    }
}
