package dev.herald.bench.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReferenceCommandTest {

    private static String data(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ReferenceCommand command = ReferenceCommand.parse(bytes);
        assertNotNull(command, json);
        return new String(bytes, command.dataStart(), command.dataEnd() - command.dataStart(), StandardCharsets.UTF_8);
    }

    @Test
    void dataSpanCoversTheWholeValueOfEveryKind() {
        assertEquals("{\"a\":[1,{\"b\":\"}\"}]}", data("{\"action\":\"publish\",\"topic\":\"t\",\"data\":{\"a\":[1,{\"b\":\"}\"}]}}"));
        assertEquals("\"h\\\"i\"", data("{\"topic\":\"t\",\"data\":\"h\\\"i\"}"));
        assertEquals("[1,2]", data("{\"data\":[1,2],\"topic\":\"t\"}"));
        assertEquals("-12.5e3", data("{\"topic\":\"t\",\"data\":-12.5e3}"));
        assertEquals("true", data("{\"topic\":\"t\",\"data\":true }"));
        assertEquals("null", data("{\"data\":null,\"topic\":\"t\"}"));
    }

    @Test
    void readsActionAndTopic() {
        ReferenceCommand command = ReferenceCommand.parse(
                "{\"action\":\"subscribe\",\"topic\":\"a.b\"}".getBytes(StandardCharsets.UTF_8));
        assertNotNull(command);
        assertEquals("subscribe", command.action());
        assertEquals("a.b", command.topic());
        assertFalse(command.hasData());
    }

    @Test
    void rejectsWhatIsNotOneObject() {
        assertNull(ReferenceCommand.parse("[1]".getBytes(StandardCharsets.UTF_8)));
        assertNull(ReferenceCommand.parse("{\"topic\":\"t\"".getBytes(StandardCharsets.UTF_8)));
        assertNull(ReferenceCommand.parse("{\"topic\":\"t\"} {}".getBytes(StandardCharsets.UTF_8)));
    }
}
