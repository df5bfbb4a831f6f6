package dev.herald.redis.internal;

import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;

/**
 * The names Herald uses in Redis. Every key and the sharded channel of one topic carry the topic as their hash
 * tag, {@code {topic}}, so that one function call touches one cluster slot, and the channel lives on the shard
 * that owns the topic's keys. Topic names cannot hold braces, so the tag is exactly the topic.
 *
 * <pre>
 *   prefix:{topic}:m      hash: epoch, last offset, retained bytes
 *   prefix:{topic}:s      stream: the retained messages, id "offset-0"
 *   prefix:{topic}        sharded channel: live messages of the topic
 *   prefix:p:topic        classic channel: the same messages, for nodes with pattern subscriptions
 *   prefix:{tag}:g        pattern gate of one slot (cluster) or prefix:g (a single server)
 * </pre>
 *
 * <p>Pattern subscriptions use classic {@code PSUBSCRIBE}, since sharded pub/sub has no pattern form. A publish
 * also sends its frame to the classic channel only while a gate exists: a key in the topic's own slot (so the
 * publishing function may read it on a cluster), which every node holding a pattern subscription keeps alive for
 * every slot. Without pattern subscribers anywhere, a cluster never broadcasts a message to all its shards.
 *
 * <p>Immutable and thread-safe.
 */
final class Keys {
    /** Cluster slots, as Redis counts them. */
    static final int SLOTS = SlotHash.SLOT_COUNT;

    private final String prefix;
    private final byte[] patternChannelPrefix;
    private final boolean cluster;
    /** Cluster: for each slot, a short string whose hash slot it is, so that a gate key of that slot can be named. */
    private final String[] slotTags;
    private final byte[] singleGate;

    Keys(String prefix, boolean cluster) {
        this.prefix = prefix;
        this.cluster = cluster;
        this.patternChannelPrefix = bytes(prefix + ":p:");
        this.slotTags = cluster ? slotTags() : null;
        this.singleGate = bytes(prefix + ":g");
    }

    byte[] meta(String topic) {
        return bytes(prefix + ":{" + topic + "}:m");
    }

    byte[] log(String topic) {
        return bytes(prefix + ":{" + topic + "}:s");
    }

    byte[] shardChannel(String topic) {
        return bytes(prefix + ":{" + topic + "}");
    }

    byte[] patternChannel(String topic) {
        return bytes(prefix + ":p:" + topic);
    }

    /** The gate key a publish to {@code topic} looks at. */
    byte[] gate(String topic) {
        return cluster ? gateOfSlot(SlotHash.getSlot(topic)) : singleGate;
    }

    /** Every gate key: one per slot on a cluster, one on a single server. */
    byte[][] allGates() {
        if (!cluster) {
            return new byte[][] {singleGate};
        }
        byte[][] gates = new byte[SLOTS][];
        for (int slot = 0; slot < SLOTS; slot++) {
            gates[slot] = gateOfSlot(slot);
        }
        return gates;
    }

    private byte[] gateOfSlot(int slot) {
        return bytes(prefix + ":{" + slotTags[slot] + "}:g");
    }

    /**
     * The Redis glob for a Herald pattern: each {@code *} segment and a final {@code >} become {@code *}, which in
     * a glob also matches dots. The glob so matches every topic the pattern matches and some more; the broker's hub
     * routes exactly, so a looser glob costs traffic, never correctness. Topic characters are never glob specials.
     */
    byte[] patternGlob(String pattern) {
        String[] segments = pattern.split("\\.", -1);
        StringBuilder glob = new StringBuilder(prefix).append(":p:");
        for (int i = 0; i < segments.length; i++) {
            if (i > 0) {
                glob.append('.');
            }
            String segment = segments[i];
            glob.append(segment.equals("*") || segment.equals(">") ? "*" : segment);
        }
        return bytes(glob.toString());
    }

    /** The topic of a sharded channel, or {@code null} if the channel is not one of ours. */
    String topicOfShardChannel(byte[] channel) {
        String name = new String(channel, StandardCharsets.UTF_8);
        int open = prefix.length() + 1;
        if (name.length() < open + 2 || !name.startsWith(prefix) || name.charAt(prefix.length()) != ':'
                || name.charAt(open) != '{' || name.charAt(name.length() - 1) != '}') {
            return null;
        }
        return name.substring(open + 1, name.length() - 1);
    }

    /** The topic of a classic pattern channel, or {@code null} if the channel is not one of ours. */
    String topicOfPatternChannel(byte[] channel) {
        if (channel.length <= patternChannelPrefix.length) {
            return null;
        }
        for (int i = 0; i < patternChannelPrefix.length; i++) {
            if (channel[i] != patternChannelPrefix[i]) {
                return null;
            }
        }
        return new String(channel, patternChannelPrefix.length, channel.length - patternChannelPrefix.length,
                StandardCharsets.UTF_8);
    }

    boolean cluster() {
        return cluster;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Finds, for every slot, the shortest base-36 counter that hashes to it: about 16384 * ln(16384) hashes. */
    private static String[] slotTags() {
        String[] tags = new String[SLOTS];
        int found = 0;
        for (long i = 0; found < SLOTS; i++) {
            String tag = Long.toString(i, 36);
            int slot = SlotHash.getSlot(tag);
            if (tags[slot] == null) {
                tags[slot] = tag;
                found++;
            }
        }
        return tags;
    }
}
