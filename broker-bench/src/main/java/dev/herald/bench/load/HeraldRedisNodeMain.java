package dev.herald.bench.load;

import dev.herald.core.Broker;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.RawJson;
import dev.herald.redis.RedisEngine;
import dev.herald.server.RawJsonCodec;
import java.util.ArrayList;
import java.util.List;

/**
 * One Herald node on Redis for the load generator's {@code herald-redis} kind: the same server, worker event loops
 * and transport as {@link HeraldServerMain}, and the same history (the last 1000 messages of each topic), but the
 * broker's engine is a {@link RedisEngine} shared with the other nodes. Prints {@code LISTENING <port>} once bound.
 */
public final class HeraldRedisNodeMain {
    private HeraldRedisNodeMain() {
    }

    /**
     * Connects to Redis, starts the server and runs until the process is stopped.
     *
     * @param args {@code --redis URI --node-id NAME} and the flags of {@link HeraldServerMain#main}
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        String redis = null;
        String nodeId = null;
        List<String> serverArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--redis" -> redis = args[++i];
                case "--node-id" -> nodeId = args[++i];
                default -> serverArgs.add(args[i]);
            }
        }
        if (redis == null || nodeId == null) {
            throw new IllegalArgumentException("usage: --redis URI --node-id NAME [server flags]");
        }
        RedisEngine<RawJson> engine = RedisEngine.builder(RawJsonCodec.INSTANCE).uri(redis).nodeId(nodeId).build();
        HeraldServerMain.serve(serverArgs.toArray(String[]::new), () -> Broker.<RawJson>builder()
                .history(HistoryPolicy.lastN(1000))
                .payloadWeigher(RawJson::size)
                .engine(engine)
                .build(), engine::status);
    }
}
