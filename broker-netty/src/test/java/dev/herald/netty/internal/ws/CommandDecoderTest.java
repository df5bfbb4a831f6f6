package dev.herald.netty.internal.ws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.netty.NettyLeakDetectorExtension;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(NettyLeakDetectorExtension.class)
class CommandDecoderTest {

    private static CommandDecoder.Result decode(String json) {
        return CommandDecoder.decode(json.getBytes(StandardCharsets.UTF_8));
    }

    private static ClientCommand command(String json) {
        return assertInstanceOf(ClientCommand.class, decode(json), json);
    }

    private static CommandError error(String json) {
        return assertInstanceOf(CommandError.class, decode(json), json);
    }

    @Test
    void originalSubscribeCommand() {
        ClientCommand c = command("{\"action\":\"subscribe\",\"topic\":\"t\"}");
        assertEquals("subscribe", c.action());
        assertEquals("t", c.topic());
        assertNull(c.id());
        assertEquals(-1, c.offset());
        assertNull(c.epoch());
        assertEquals(-1, c.last());
        assertNull(c.data());
    }

    @Test
    void resumeFieldsAndIds() {
        ClientCommand c = command("{\"id\":\"a-1\",\"action\":\"subscribe\",\"topic\":\"t\",\"offset\":42,"
                + "\"epoch\":\"e1\"}");
        assertEquals(new ClientCommand.RequestId("a-1", false), c.id());
        assertEquals(42, c.offset());
        assertEquals("e1", c.epoch());
        assertTrue(c.resumes());
        ClientCommand n = command("{\"action\":\"subscribe\",\"topic\":\"t\",\"last\":5,\"id\":17}");
        assertEquals(new ClientCommand.RequestId("17", true), n.id());
        assertEquals(5, n.last());
        assertTrue(n.replaysLast());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":[1,2,{\"b\":null}]}", "[1, 2 ,3]", "\"text with \\\"quotes\\\" and \\u00e9 é\"",
            "-12.5e3", "0", "true", "false", "null", "{}", "[]", "\"\""})
    void publishDataIsCapturedExactlyAsSent(String data) {
        for (String json : new String[] {
                "{\"action\":\"publish\",\"topic\":\"t\",\"data\":" + data + "}",
                "{ \"data\" :  " + data + "  , \"action\":\"publish\",\"topic\":\"t\"}",
                "{\"action\":\"publish\",\"data\":" + data + ",\"topic\":\"t\"}\n"}) {
            ClientCommand c = command(json);
            assertArrayEquals(data.getBytes(StandardCharsets.UTF_8), c.data(), json);
        }
    }

    @Test
    void unknownFieldsAreIgnored() {
        ClientCommand c = command("{\"action\":\"ping\",\"future\":{\"x\":[1,2]},\"other\":3}");
        assertEquals("ping", c.action());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "{\"action\":}", "not json", "{\"action\":\"ping\"} {}",
            "{\"action\":\"ping\",}", "{\"action\":\"publish\",\"topic\":\"t\",\"data\":{\"a\":}}", "[1]", "\"x\"",
            "42"})
    void malformedOrNonObjectInputIsInvalidJson(String json) {
        assertEquals(CommandError.INVALID_JSON, error(json).code());
    }

    @Test
    void deeplyNestedDataIsRefusedByTheReadLimits() {
        String deep = "[".repeat(1000) + "]".repeat(1000);
        assertEquals(CommandError.INVALID_JSON,
                error("{\"action\":\"publish\",\"topic\":\"t\",\"data\":" + deep + "}").code());
    }

    @Test
    void fieldErrorsKeepTheRequestId() {
        CommandError missing = error("{\"id\":7,\"topic\":\"t\"}");
        assertEquals(CommandError.MISSING_FIELD, missing.code());
        assertEquals(new ClientCommand.RequestId("7", true), missing.id());

        assertEquals(CommandError.INVALID_FIELD, error("{\"action\":1}").code());
        assertEquals(CommandError.INVALID_FIELD, error("{\"action\":\"ping\",\"id\":{}}").code());
        CommandError topic = error("{\"action\":\"subscribe\",\"topic\":5,\"id\":\"x\"}");
        assertEquals(CommandError.INVALID_TOPIC, topic.code());
        assertEquals(new ClientCommand.RequestId("x", false), topic.id());
        assertEquals(CommandError.INVALID_POSITION,
                error("{\"action\":\"subscribe\",\"topic\":\"t\",\"offset\":-1,\"epoch\":\"e\"}").code());
        assertEquals(CommandError.INVALID_POSITION,
                error("{\"action\":\"subscribe\",\"topic\":\"t\",\"offset\":1.5,\"epoch\":\"e\"}").code());
        assertEquals(CommandError.INVALID_POSITION,
                error("{\"action\":\"subscribe\",\"topic\":\"t\",\"offset\":1,\"epoch\":3}").code());
        assertEquals(CommandError.INVALID_POSITION,
                error("{\"action\":\"subscribe\",\"topic\":\"t\",\"last\":0}").code());
        assertEquals(CommandError.INVALID_POSITION,
                error("{\"action\":\"subscribe\",\"topic\":\"t\",\"last\":99999999999}").code());
    }
}
