package dev.herald.server;

import java.util.Map;

/**
 * One message frame as a WebSocket client or the history route returned it.
 *
 * @param topic     the topic it was published to
 * @param offset    its offset in the topic
 * @param id        the message id
 * @param timestamp when the broker accepted it, as sent
 * @param data      the exact text of its data
 * @param frame     the exact text of the whole frame
 */
record Received(String topic, long offset, String id, String timestamp, String data, String frame) {

    /**
     * Reads a message frame.
     *
     * @param frame the frame's text, a JSON object without a {@code "type"}
     * @return the message
     */
    static Received of(String frame) {
        Map<String, Object> fields = TestJson.object(frame);
        if (fields.containsKey("type")) {
            throw new IllegalArgumentException("a control frame, not a message: " + frame);
        }
        return new Received((String) fields.get("topic"), ((Number) fields.get("offset")).longValue(),
                (String) fields.get("id"), (String) fields.get("timestamp"), TestJson.rawField(frame, "data"),
                frame);
    }
}
