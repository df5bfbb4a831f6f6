package dev.herald.netty.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Sits between the HTTP codec and the aggregator, which hides a request until its whole body has arrived: tells
 * whether a request is being received, so that a graceful stop lets it arrive and answers it, instead of closing
 * the connection under it.
 *
 * <p>One instance per connection; written on its event loop, read by the thread that stops the server.
 */
public final class RequestProgress extends ChannelInboundHandlerAdapter {
    /** Name of the handler in the pipeline. */
    public static final String NAME = "http-progress";

    private volatile boolean receiving;

    /** @return whether a request's head has arrived and not yet its end */
    public boolean receiving() {
        return receiving;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            receiving = true;
        }
        if (msg instanceof LastHttpContent) {
            receiving = false;
        }
        ctx.fireChannelRead(msg);
    }
}
