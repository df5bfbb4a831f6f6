package dev.herald.netty.internal.ws;

/**
 * One decoded client command. Fields the command did not carry are {@code null} (or {@code -1} for numbers).
 *
 * @param action    the action name, as sent
 * @param id        the request id to echo in the reply, or {@code null}
 * @param topic     the topic name or pattern, or {@code null}
 * @param offset    the resume offset, or {@code -1}
 * @param epoch     the resume epoch, or {@code null}
 * @param last      how many newest messages to replay, or {@code -1}
 * @param data      the publish payload, exactly as sent (validated JSON), or {@code null}
 * @param token     the token of an {@code auth} command, or {@code null}
 */
record ClientCommand(String action, RequestId id, String topic, long offset, String epoch, int last, byte[] data,
                     String token) implements CommandDecoder.Result {

    /** A request id: a JSON string, or a JSON number kept as its text so it is echoed exactly. */
    record RequestId(String text, boolean number) {
    }

    /** Whether the command asks to resume from a position. */
    boolean resumes() {
        return offset >= 0 || epoch != null;
    }

    /** Whether the command asks for the newest messages first. */
    boolean replaysLast() {
        return last >= 0;
    }
}
