package dev.herald.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PayloadTest {

    @Test
    void dataHasTheRequestedSizeAndIsFoundAgainInADeliveredMessage() {
        Payload payload = new Payload(128);
        String data = payload.data(7, 3, 123_456, 987_654_321).toString();
        assertEquals(128, data.getBytes(StandardCharsets.UTF_8).length);
        ByteBuf frame = Unpooled.copiedBuffer("{\"id\":\"e.1-42\",\"topic\":\"bench.t0\",\"offset\":42,"
                + "\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":" + data + "}", StandardCharsets.UTF_8);
        try {
            Payload.Fields fields = new Payload.Fields();
            assertTrue(Payload.scan(frame, true, fields));
            assertEquals(7, fields.run);
            assertEquals(3, fields.publisher);
            assertEquals(123_456, fields.sequence);
            assertEquals(987_654_321, fields.intendedNanos);
            assertEquals(42, fields.offset);
        } finally {
            frame.release();
        }
    }

    @Test
    void controlFramesCarryNoPayload() {
        ByteBuf frame = Unpooled.copiedBuffer("{\"type\":\"subscribed\",\"topic\":\"t\",\"offset\":0}",
                StandardCharsets.UTF_8);
        try {
            assertFalse(Payload.scan(frame, true, new Payload.Fields()));
        } finally {
            frame.release();
        }
    }

    @Test
    void publishCommandsWrapTheData() {
        Payload payload = new Payload(64);
        String ws = payload.wsPublish("a.b", 1, 0, 2, 3).toString();
        assertTrue(ws.startsWith("{\"action\":\"publish\",\"topic\":\"a.b\",\"data\":{\"hr\":1,"), ws);
        assertTrue(ws.endsWith("\"}}"), ws);
        String http = payload.httpPublish("a.b", 1, 0, 2, 3).toString();
        assertTrue(http.startsWith("{\"topic\":\"a.b\",\"data\":{\"hr\":1,"), http);
    }
}
