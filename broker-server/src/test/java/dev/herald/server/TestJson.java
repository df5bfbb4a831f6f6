package dev.herald.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Reads JSON text for assertions: into maps, lists, strings, numbers, booleans and nulls, and also as the exact
 * text of a field's value or of an array's elements, because the server promises to pass data on byte for byte.
 */
final class TestJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private TestJson() {
    }

    /**
     * Parses one JSON value.
     *
     * @param json the text
     * @return {@code Map<String, Object>}, {@code List<Object>}, {@code String}, {@code Long}, {@code Double},
     *         {@code Boolean} or {@code null}
     */
    static Object parse(String json) {
        try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), json)) {
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
    static Map<String, Object> object(String json) {
        Object value = parse(json);
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException("not a JSON object: " + json);
        }
        return (Map<String, Object>) value;
    }

    /**
     * The exact text of a field of a JSON object, as it appears in {@code json}.
     *
     * @param json a JSON object
     * @param name the field's name
     * @return the value's text, or {@code null} if the object has no such field
     */
    static String rawField(String json, String name) {
        try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object: " + json);
            }
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String field = p.currentName();
                p.nextToken();
                String raw = rawValue(p, json);
                if (field.equals(name)) {
                    return raw;
                }
            }
            return null;
        }
    }

    /**
     * The exact text of each element of a JSON array, as it appears in {@code json}.
     *
     * @param json a JSON array
     * @return the elements' texts, in order
     */
    static List<String> rawElements(String json) {
        try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), json)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new IllegalArgumentException("not a JSON array: " + json);
            }
            List<String> elements = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                elements.add(rawValue(p, json));
            }
            return elements;
        }
    }

    /**
     * A JSON string literal.
     *
     * @param s any string
     * @return {@code s} quoted and escaped
     */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    /** The text of the value at the parser's current token; leaves the parser on the value's last token. */
    private static String rawValue(JsonParser p, String json) {
        int start = (int) p.currentTokenLocation().getCharOffset();
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
            p.skipChildren();
        } else if (t == JsonToken.VALUE_STRING) {
            // Strings are read lazily: only once read has the parser passed the closing quote.
            p.getString();
        }
        int end = (int) p.currentLocation().getCharOffset();
        return json.substring(start, end);
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
