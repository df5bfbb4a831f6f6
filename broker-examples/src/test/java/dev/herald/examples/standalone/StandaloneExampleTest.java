package dev.herald.examples.standalone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.server.StandaloneServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StandaloneExampleTest {

    @Test
    void startsTheStandaloneServerWithOptionsAndUsesItOverHttp() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        StandaloneServer server = StandaloneExample.run(out, "--host", "127.0.0.1", "--port", "0",
                "--history-count", "2", "--max-frame-bytes", "16KiB", "--slow-consumer-policy", "drop");
        try {
            String printed = bytes.toString(StandardCharsets.UTF_8);
            assertTrue(printed.contains("listening on http://127.0.0.1:" + server.port()), printed);
            assertTrue(printed.contains("max frame 16384 bytes, max connections 10000, slow consumers: DROP, "
                    + "demo page: true"), printed);
            assertTrue(printed.contains("\"topic\":\"greetings\",\"offset\":3"), printed);

            // --history-count 2: the history holds only the two newest greetings.
            Matcher history = Pattern.compile("GET /topics/greetings/history -> (.*)").matcher(printed);
            assertTrue(history.find(), printed);
            String retained = history.group(1);
            assertFalse(retained.contains("Ada"), retained);
            assertTrue(retained.contains("\"offset\":2") && retained.contains("Grace"), retained);
            assertTrue(retained.contains("\"offset\":3") && retained.contains("Barbara"), retained);
            assertEquals(2, retained.split("\"hello\"", -1).length - 1, retained);
        } finally {
            server.close();
        }
        assertFalse(server.broker().isOpen());
    }
}
