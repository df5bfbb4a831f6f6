package dev.herald.server;

import dev.herald.netty.RawJson;
import dev.herald.netty.internal.RawJsonAccess;
import dev.herald.redis.PayloadCodec;

/**
 * JSON payloads as the bytes they arrived as, in Redis too: the codec of the standalone server on Redis, for
 * applications that serve a broker on the Redis engine with their own {@code HeraldServer}
 * ({@code RedisEngine.builder(RawJsonCodec.INSTANCE)}). A payload was validated once by the node that accepted it
 * and is never parsed again: Redis holds what Herald nodes wrote there, and nothing else writes Herald's keys.
 */
public enum RawJsonCodec implements PayloadCodec<RawJson> {
    /** The codec. */
    INSTANCE;

    @Override
    public byte[] encode(RawJson payload) {
        return RawJsonAccess.bytes(payload);
    }

    @Override
    public RawJson decode(byte[] bytes) {
        return RawJsonAccess.trusted(bytes);
    }
}
