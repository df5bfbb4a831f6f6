package dev.herald.bench.load;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of one run: named fields in a stable order, printed as one JSON line. Numbers stay numbers;
 * {@code -1} means "not measured" (for example the CPU of a server whose process id is unknown).
 */
final class RunResult {
    final Map<String, Object> fields = new LinkedHashMap<>();

    RunResult put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    double number(String key) {
        Object value = fields.get(key);
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    String text(String key) {
        Object value = fields.get(key);
        return value == null ? "" : value.toString();
    }

    RunResult copy() {
        RunResult copy = new RunResult();
        copy.fields.putAll(fields);
        return copy;
    }

    String toJson() {
        StringBuilder json = new StringBuilder("{");
        for (Map.Entry<String, Object> field : fields.entrySet()) {
            if (json.length() > 1) {
                json.append(',');
            }
            quote(json, field.getKey()).append(':');
            Object value = field.getValue();
            if (value == null) {
                json.append("null");
            } else if (value instanceof Double || value instanceof Float) {
                double d = ((Number) value).doubleValue();
                json.append(Double.isFinite(d) ? String.format(Locale.ROOT, "%.3f", d) : "null");
            } else if (value instanceof Number || value instanceof Boolean) {
                json.append(value);
            } else {
                quote(json, value.toString());
            }
        }
        return json.append('}').toString();
    }

    private static StringBuilder quote(StringBuilder json, String text) {
        json.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"');
    }
}
