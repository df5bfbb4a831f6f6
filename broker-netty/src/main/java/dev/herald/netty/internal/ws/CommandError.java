package dev.herald.netty.internal.ws;

/**
 * A command the session refuses, as sent back in an {@code error} frame.
 *
 * @param code    stable machine-readable code, one of the constants below or a lower-cased
 *                {@link dev.herald.core.RejectReason}
 * @param message human description
 * @param id      the request id to echo, or {@code null}
 */
record CommandError(String code, String message, ClientCommand.RequestId id) implements CommandDecoder.Result {
    static final String INVALID_JSON = "invalid_json";
    static final String INVALID_FIELD = "invalid_field";
    static final String MISSING_FIELD = "missing_field";
    static final String UNKNOWN_ACTION = "unknown_action";
    static final String INVALID_TOPIC = "invalid_topic";
    static final String INVALID_POSITION = "invalid_position";
    static final String TOO_MANY_SUBSCRIPTIONS = "too_many_subscriptions";
    static final String ALREADY_SUBSCRIBED = "already_subscribed";
    static final String NOT_SUBSCRIBED = "not_subscribed";
    static final String UNSUPPORTED_FRAME = "unsupported_frame";
    static final String INTERNAL_ERROR = "internal_error";
    static final String UNAUTHORIZED = "unauthorized";
    static final String FORBIDDEN = "forbidden";
    static final String TOKEN_EXPIRED = "token_expired";
    static final String RATE_LIMITED = "rate_limited";
}
