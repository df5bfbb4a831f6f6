package dev.herald.netty;

import dev.herald.netty.internal.JsonSupport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/** Reads JSON text into maps, lists, strings, numbers, booleans and nulls, for assertions. */
public final class TestJson {
    private TestJson() {
    }

    /**
     * Parses one JSON value.
     *
     * @param json the text
     * @return {@code Map<String, Object>}, {@code List<Object>}, {@code String}, {@code Long}, {@code Double},
     *         {@code Boolean} or {@code null}
     */
    public static Object parse(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        try (JsonParser p = JsonSupport.parser(bytes, 0, bytes.length)) {
            p.nextToken();
            Object value = read(p);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("content after the value: " + json);
            }
            return value;
        }
    }

    /**
     * Parses a JSON object.
     *
     * @param json the text
     * @return the object's fields in order
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(String json) {
        Object value = parse(json);
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException("not a JSON object: " + json);
        }
        return (Map<String, Object>) value;
    }

    /**
     * Parses a JSON array.
     *
     * @param json the text
     * @return the elements
     */
    @SuppressWarnings("unchecked")
    public static List<Object> array(String json) {
        Object value = parse(json);
        if (!(value instanceof List)) {
            throw new IllegalArgumentException("not a JSON array: " + json);
        }
        return (List<Object>) value;
    }

    private static Object read(JsonParser p) {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    map.put(name, read(p));
                }
                return map;
            }
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(read(p));
                }
                return list;
            }
            case VALUE_STRING:
                return p.getString();
            case VALUE_NUMBER_INT:
                return p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new IllegalArgumentException("unexpected token " + t);
        }
    }
}
