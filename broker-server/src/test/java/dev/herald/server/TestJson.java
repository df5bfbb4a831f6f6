package dev.herald.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Reads JSON text for assertions: objects as the netty module's tests do, and also the exact text of a field's value
 * or of an array's elements, because the server promises to pass data on byte for byte.
 */
final class TestJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private TestJson() {
    }

    /**
     * Parses a JSON object, as the netty module's tests do.
     *
     * @param json the text
     * @return the object's fields in order
     */
    static Map<String, Object> object(String json) {
        return dev.herald.netty.TestJson.object(json);
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
}
