package dev.herald.bench.reference;

import dev.herald.core.Topics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** POST /publish, and the hand-over of WebSocket upgrade requests; every other request gets 404. */
final class ReferenceHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final ReferenceHub hub;
    private final String websocketPath;

    ReferenceHttpHandler(ReferenceHub hub, String websocketPath) {
        this.hub = hub;
        this.websocketPath = websocketPath;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        String path = request.uri();
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        if (path.equals(websocketPath)) {
            ctx.fireChannelRead(request.retain());
            return;
        }
        if (!path.equals("/publish")) {
            respond(ctx, request, HttpResponseStatus.NOT_FOUND, "{\"code\":\"not_found\",\"message\":\"no such path\"}");
            return;
        }
        if (!request.method().equals(HttpMethod.POST)) {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "{\"code\":\"method_not_allowed\",\"message\":\"use POST\"}");
            return;
        }
        byte[] json = ByteBufUtil.getBytes(request.content());
        ReferenceCommand command = ReferenceCommand.parse(json);
        if (command == null || command.topic() == null || !command.hasData()
                || !Topics.isValidName(command.topic())) {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST,
                    "{\"code\":\"bad_request\",\"message\":\"expected {\\\"topic\\\":...,\\\"data\\\":...}\"}");
            return;
        }
        ReferenceHub.Published published = hub.publish(command.topic(), json, command.dataStart(), command.dataEnd());
        respond(ctx, request, HttpResponseStatus.OK, "{\"id\":\"" + published.id() + "\",\"topic\":\""
                + published.topic() + "\",\"offset\":" + published.offset() + ",\"timestamp\":\""
                + published.timestamp() + "\"}");
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
            String body) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        HttpUtil.setContentLength(response, content.readableBytes());
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (keepAlive) {
            ctx.write(response, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
