package dev.herald.netty.internal.ws;

import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.internal.Caller;
import dev.herald.netty.internal.ConnectionLimits;
import dev.herald.netty.internal.ServerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

/** Adds the WebSocket handlers to a connection's pipeline, after the HTTP router. */
public final class WebSocketSupport {
    /** Name of the WebSocket protocol handler in the pipeline. */
    public static final String PROTOCOL_HANDLER_NAME = "herald-ws-protocol";
    /** Name of the session handler in the pipeline. */
    public static final String SESSION_HANDLER_NAME = "herald-ws-session";
    /**
     * How long a server-initiated close waits for its close frame to be written before the connection is closed
     * anyway (a slow consumer may never read it).
     */
    static final long CLOSE_FRAME_TIMEOUT_MILLIS = 3_000;

    private WebSocketSupport() {
    }

    /**
     * Adds the ping limiter (a client ping takes a request permit, see {@link PingLimiter}), the WebSocket protocol
     * handler (upgrade at {@code config.websocketPath()}, handshake timeout, frames
     * bounded by {@code maxFrameBytes}: a longer one closes the connection with 1009), an aggregator for
     * fragmented messages (bounded the same way), and the session handler. The session handler adds the idle and
     * heartbeat handlers itself once the handshake completes, so plain HTTP connections carry no WebSocket timers.
     * Does nothing if the pipeline already has them (a second upgrade request after a failed handshake).
     *
     * @param pipeline the connection's pipeline
     * @param server   the server's shared state
     * @param caller   who opens the session (from the upgrade request's token, or anonymous)
     */
    public static void addHandlers(ChannelPipeline pipeline, ServerContext server, Caller caller) {
        if (pipeline.get(PROTOCOL_HANDLER_NAME) != null) {
            return;
        }
        HeraldServerConfig config = server.config();
        pipeline.addLast(PingLimiter.NAME, new PingLimiter(ConnectionLimits.of(pipeline.channel(), config),
                server.metrics().limits()));
        pipeline.addLast(PROTOCOL_HANDLER_NAME, new WebSocketServerProtocolHandler(protocolConfig(config)));
        pipeline.addLast("herald-ws-aggregator", new WebSocketFrameAggregator(config.maxFrameBytes()));
        pipeline.addLast(SESSION_HANDLER_NAME, new WebSocketSessionHandler(server, caller));
    }

    /** The last protocol configuration built, with the settings it was built from. */
    private static volatile ProtocolConfigFor lastProtocolConfig;

    private record ProtocolConfigFor(HeraldServerConfig settings, WebSocketServerProtocolConfig protocol) {
    }

    /**
     * The protocol handler's configuration for these settings, built once and shared by every connection of the
     * server (it is immutable), so an idle connection does not carry a copy of its own.
     */
    private static WebSocketServerProtocolConfig protocolConfig(HeraldServerConfig config) {
        ProtocolConfigFor last = lastProtocolConfig;
        if (last != null && last.settings() == config) {
            return last.protocol();
        }
        WebSocketServerProtocolConfig protocol = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(config.websocketPath())
                // The router hands on only requests for exactly this path; checking the start lets a query string
                // through (/ws?token=...), which an exact match would leave unanswered, holding the connection.
                .checkStartsWith(true)
                .handshakeTimeoutMillis(config.handshakeTimeout().toMillis())
                .forceCloseTimeoutMillis(CLOSE_FRAME_TIMEOUT_MILLIS)
                .maxFramePayloadLength(config.maxFrameBytes())
                .allowExtensions(false)
                .dropPongFrames(true)
                .build();
        lastProtocolConfig = new ProtocolConfigFor(config, protocol);
        return protocol;
    }
}
