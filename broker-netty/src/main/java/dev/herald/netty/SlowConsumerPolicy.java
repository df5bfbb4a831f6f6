package dev.herald.netty;

/**
 * What the server does with a WebSocket connection that cannot keep up: its socket write buffer passed the high
 * water mark and its outbound queue is full.
 */
public enum SlowConsumerPolicy {
    /**
     * Close the connection with status 1013 ("slow consumer"); the client reconnects and resumes from the last
     * offset it received, so nothing is lost while history retains it. The default.
     */
    DISCONNECT,
    /**
     * Drop messages for that connection and then tell the client which offsets it missed with a {@code gap} frame.
     */
    DROP
}
