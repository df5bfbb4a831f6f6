package dev.herald.netty.internal.ws;

import dev.herald.netty.internal.ConnectionLimits;
import dev.herald.netty.internal.LimitCounters;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Before the WebSocket protocol handler, which answers ping frames by itself: a client ping takes a request permit
 * like a command does. A ping past the limit is dropped, unanswered; for a client that goes on past its refusals (see
 * {@link ConnectionLimits}) it tells the session ({@link CommandLimiter#LIMIT_EXCEEDED}), which closes with 1008. Pongs are not counted: the protocol handler drops them.
 *
 * <p>One instance per connection; confined to its event loop.
 */
final class PingLimiter extends ChannelInboundHandlerAdapter {
    static final String NAME = "herald-ws-ping-limit";

    private final ConnectionLimits limits;
    private final LimitCounters counters;
    private boolean closing;

    PingLimiter(ConnectionLimits limits, LimitCounters counters) {
        this.limits = limits;
        this.counters = counters;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof PingWebSocketFrame && limits.acquireRequest() > 0) {
            ReferenceCountUtil.release(msg);
            counters.wsCommandRateLimited();
            if (limits.refuse() && !closing) {
                closing = true;
                counters.rateLimitClose();
                ctx.fireUserEventTriggered(CommandLimiter.LIMIT_EXCEEDED); // the session closes with 1008
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
