package dev.herald.netty.internal;

import dev.herald.netty.auth.Authorizer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;

/**
 * Who sends an HTTP request, and the answers for a caller that may not do what it asks: {@code 401} with
 * {@code WWW-Authenticate: Bearer} when the token is missing or refused, {@code 403} when a valid token does not
 * grant the action.
 *
 * <p>Tokens come as {@code Authorization: Bearer <token>}; on the WebSocket upgrade also as the {@code token} query
 * parameter, since browsers cannot set headers there. Stateless.
 */
final class HttpAccess {
    static final String UNAUTHORIZED = "unauthorized";
    static final String FORBIDDEN = "forbidden";
    private static final String BEARER = "Bearer ";
    /** The query parameter that carries a token on the WebSocket upgrade. */
    static final String TOKEN_PARAMETER = "token";

    private HttpAccess() {
    }

    /**
     * The caller of a request to an HTTP route: from its bearer token, or anonymous without one. Answers 401 and
     * returns {@code null} if the token is refused or the header is not a bearer token.
     */
    static Caller caller(ChannelHandlerContext ctx, FullHttpRequest request, ServerContext server,
                         HttpRequestRouter router) {
        Authorizer authorizer = server.authorizer();
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || !authorizer.enabled()) {
            return Caller.anonymous(authorizer);
        }
        String token = bearerToken(header);
        if (token == null) {
            unauthorized(ctx, request, router, "invalid_request",
                    "the Authorization header must be 'Bearer <token>'");
            return null;
        }
        return fromToken(ctx, request, server, router, token);
    }

    /**
     * The caller of a WebSocket upgrade: a {@code token} query parameter or a bearer token; anonymous with neither
     * (it may still send an {@code auth} command). Answers 401 and returns {@code null} for a refused token.
     */
    static Caller upgradeCaller(ChannelHandlerContext ctx, FullHttpRequest request, ServerContext server,
                                HttpRequestRouter router) {
        Authorizer authorizer = server.authorizer();
        if (!authorizer.enabled()) {
            return Caller.anonymous(authorizer);
        }
        List<String> tokens = new QueryStringDecoder(request.uri()).parameters().get(TOKEN_PARAMETER);
        if (tokens != null && !tokens.isEmpty()) {
            return fromToken(ctx, request, server, router, tokens.get(0));
        }
        return caller(ctx, request, server, router);
    }

    private static Caller fromToken(ChannelHandlerContext ctx, FullHttpRequest request, ServerContext server,
                                    HttpRequestRouter router, String token) {
        Authorizer.Authentication result = Caller.authenticate(server.authorizer(), token);
        if (result instanceof Authorizer.Authentication.Accepted accepted) {
            return new Caller(accepted.identity(), false);
        }
        server.metrics().authenticationRefused();
        unauthorized(ctx, request, router, "invalid_token", ((Authorizer.Authentication.Refused) result).reason());
        return null;
    }

    /**
     * Answers a caller whose grants do not cover {@code action}: 401 if it presented no token (one may help), 403
     * if its token does not allow it.
     */
    static void refuse(ChannelHandlerContext ctx, FullHttpRequest request, HttpRequestRouter router, Caller caller,
                       String action, ServerMetrics metrics) {
        metrics.actionForbidden();
        if (caller.anonymous()) {
            FullHttpResponse response = HttpResponses.error(ctx.alloc(), HttpResponseStatus.UNAUTHORIZED,
                    UNAUTHORIZED, "a token is needed to " + action);
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
            router.send(ctx, request, response);
        } else {
            router.sendError(ctx, request, HttpResponseStatus.FORBIDDEN, FORBIDDEN,
                    "the token does not allow you to " + action);
        }
    }

    /** The token of an {@code Authorization: Bearer} header, or {@code null} if it is not one. */
    static String bearerToken(String header) {
        if (header == null || header.length() <= BEARER.length()
                || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String token = header.substring(BEARER.length()).strip();
        return token.isEmpty() ? null : token;
    }

    private static void unauthorized(ChannelHandlerContext ctx, FullHttpRequest request, HttpRequestRouter router,
                                     String error, String message) {
        FullHttpResponse response = HttpResponses.error(ctx.alloc(), HttpResponseStatus.UNAUTHORIZED, UNAUTHORIZED,
                message);
        // RFC 6750: the error attribute says what was wrong with the credentials.
        response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer error=\"" + error + "\"");
        router.send(ctx, request, response);
    }
}
