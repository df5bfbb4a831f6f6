package dev.herald.netty.internal.ws;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Fires {@link #HEARTBEAT_DUE} each time the client has sent nothing (no frame at all, pongs included) for one
 * heartbeat interval; the session handler answers it by sending a WebSocket ping. Sits before the WebSocket
 * protocol handler so that pings and pongs, which that handler consumes, count as activity.
 */
final class HeartbeatHandler extends IdleStateHandler {
    /** The event asking the session to ping the client. */
    static final Object HEARTBEAT_DUE = new Object() {
        @Override
        public String toString() {
            return "HEARTBEAT_DUE";
        }
    };

    HeartbeatHandler(long intervalMillis) {
        super(intervalMillis, 0, 0, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        ctx.fireUserEventTriggered(HEARTBEAT_DUE);
    }
}
