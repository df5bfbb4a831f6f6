package dev.herald.netty.internal;

/**
 * Fired through the pipeline of every open connection (with {@code pipeline.fireUserEventTriggered}) when the
 * server begins a graceful shutdown.
 *
 * <p>{@link HttpRequestRouter} reacts first: an idle HTTP connection is closed, a connection with a request in
 * flight is closed once its response is written, and an upgraded WebSocket connection is sent a close frame with
 * status 1001 ("going away"). The event is then passed on, so the WebSocket session handler may stop delivery;
 * it must not send a second close frame.
 */
public final class ServerShutdownEvent {
    /** The only instance. */
    public static final ServerShutdownEvent INSTANCE = new ServerShutdownEvent();

    private ServerShutdownEvent() {
    }

    @Override
    public String toString() {
        return "ServerShutdownEvent";
    }
}
