package dev.herald.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LoadOptionsTest {

    @Test
    void nodesDefaultToTwoAndAreParsed() {
        assertEquals(2, LoadOptions.parse().nodes);
        LoadOptions o = LoadOptions.parse("--servers", "herald,herald-redis", "--nodes", "3");
        assertEquals(3, o.nodes);
        assertEquals(List.of("herald", "herald-redis"), o.servers);
    }

    @Test
    void nodeDeathDefaultsToAThousandSubscribersUnlessTold() {
        assertEquals(1000, LoadOptions.parse("--scenario", "node-death").subscribers);
        assertEquals(50, LoadOptions.parse("--scenario", "node-death", "--subscribers", "50").subscribers);
        assertEquals(100, LoadOptions.parse("--scenario", "fanout").subscribers, "other scenarios keep 100");
        assertEquals(1, LoadOptions.parse("--scenario", "node-death").topics);
    }

    @Test
    void refusesTooFewNodes() {
        assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse("--nodes", "0"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse(
                "--servers", "herald-redis", "--scenario", "node-death", "--nodes", "1"));
        assertTrue(e.getMessage().contains("--nodes"), e.getMessage());
        // Servers of one node skip node-death instead, whatever --nodes says.
        assertEquals(1, LoadOptions.parse("--servers", "herald", "--scenario", "node-death", "--nodes", "1").nodes);
    }

    @Test
    void usageNamesTheNewKindScenarioAndFlag() {
        IllegalArgumentException help = assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse("--help"));
        for (String word : List.of("herald-redis", "node-death", "--nodes N")) {
            assertTrue(help.getMessage().contains(word), word);
        }
        assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse("--nodes"), "a value is required");
    }
}
