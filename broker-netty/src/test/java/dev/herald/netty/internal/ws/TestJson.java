package dev.herald.netty.internal.ws;

import dev.herald.netty.internal.JsonSupport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/** Parses JSON text into maps, lists, strings, longs, doubles, booleans and nulls, for assertions. */
final class TestJson {
    private TestJson() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(String json) {
        Object value = parse(json);
        if (!(value instanceof Map)) {
            throw new AssertionError("not a JSON object: " + json);
        }
        return (Map<String, Object>) value;
    }

    static Object parse(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        try (JsonParser parser = JsonSupport.parser(bytes, 0, bytes.length)) {
            Object value = read(parser, parser.nextToken());
            if (parser.nextToken() != null) {
                throw new AssertionError("trailing content: " + json);
            }
            return value;
        }
    }

    private static Object read(JsonParser parser, JsonToken token) {
        switch (token) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                    String name = parser.currentName();
                    if (map.containsKey(name)) {
                        throw new AssertionError("duplicate key " + name);
                    }
                    map.put(name, read(parser, parser.nextToken()));
                }
                return map;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                JsonToken next;
                while ((next = parser.nextToken()) != JsonToken.END_ARRAY) {
                    list.add(read(parser, next));
                }
                return list;
            }
            case VALUE_STRING -> {
                return parser.getString();
            }
            case VALUE_NUMBER_INT -> {
                return parser.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return parser.getDoubleValue();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new AssertionError("unexpected token " + token);
        }
    }
}
