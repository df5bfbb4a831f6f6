package dev.herald.bench.reference;

import dev.herald.core.Topics;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.util.ArrayList;
import java.util.List;

/**
 * The WebSocket session: {@code subscribe} and {@code publish} actions, with the replies Herald gives to them.
 * Replies are flushed once per read batch. All state is confined to the channel's event loop.
 */
final class ReferenceWebSocketHandler extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    private final ReferenceHub hub;
    private final List<String> topics = new ArrayList<>(1);

    ReferenceWebSocketHandler(ReferenceHub hub) {
        this.hub = hub;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            ctx.pipeline().remove(ReferenceHttpHandler.class);
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
        byte[] json = ByteBufUtil.getBytes(frame.content());
        ReferenceCommand command = ReferenceCommand.parse(json);
        if (command == null || command.action() == null) {
            reply(ctx, "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"not a command\"}");
            return;
        }
        if (command.topic() == null || !Topics.isValidName(command.topic())) {
            reply(ctx, "{\"type\":\"error\",\"code\":\"invalid_topic\",\"message\":\"bad topic\"}");
            return;
        }
        switch (command.action()) {
            case "subscribe" -> {
                long offset = hub.subscribe(command.topic(), ctx.channel());
                if (!topics.contains(command.topic())) {
                    topics.add(command.topic());
                }
                reply(ctx, "{\"type\":\"subscribed\",\"topic\":\"" + command.topic() + "\",\"offset\":" + offset
                        + ",\"epoch\":\"ref\"}");
            }
            case "publish" -> {
                if (!command.hasData()) {
                    reply(ctx, "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"no data\"}");
                    return;
                }
                ReferenceHub.Published published = hub.publish(command.topic(), json, command.dataStart(),
                        command.dataEnd());
                reply(ctx, "{\"type\":\"published\",\"id\":\"" + published.id() + "\",\"topic\":\""
                        + published.topic() + "\",\"offset\":" + published.offset() + ",\"timestamp\":\""
                        + published.timestamp() + "\"}");
            }
            default -> reply(ctx, "{\"type\":\"error\",\"code\":\"unknown_action\",\"message\":\"unsupported\"}");
        }
    }

    private static void reply(ChannelHandlerContext ctx, String json) {
        ctx.write(new TextWebSocketFrame(json), ctx.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        for (String topic : topics) {
            hub.unsubscribe(topic, ctx.channel());
        }
        topics.clear();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
