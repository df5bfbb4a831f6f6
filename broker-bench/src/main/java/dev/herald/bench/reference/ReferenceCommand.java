package dev.herald.bench.reference;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * A client command read with one streaming pass: the action and topic as strings and the byte range of the
 * {@code data} value, which is validated by the pass and then copied into the delivered frame as it is.
 */
record ReferenceCommand(String action, String topic, int dataStart, int dataEnd) {
    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    /**
     * Reads a command from a whole array (offsets in the result index {@code json}).
     *
     * @return the command, or {@code null} if {@code json} is not one JSON object
     */
    static ReferenceCommand parse(byte[] json) {
        String action = null;
        String topic = null;
        int dataStart = -1;
        int dataEnd = -1;
        try (JsonParser parser = FACTORY.createParser(ObjectReadContext.empty(), json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "action" -> action = value == JsonToken.VALUE_STRING ? parser.getString() : null;
                    case "topic" -> topic = value == JsonToken.VALUE_STRING ? parser.getString() : null;
                    case "data" -> {
                        dataStart = (int) parser.currentTokenLocation().getByteOffset();
                        if (value.isStructStart()) {
                            parser.skipChildren();
                        } else {
                            parser.finishToken();
                        }
                        dataEnd = (int) parser.currentLocation().getByteOffset();
                    }
                    default -> parser.skipChildren();
                }
            }
            if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
                return null;
            }
        } catch (JacksonException e) {
            return null;
        }
        return new ReferenceCommand(action, topic, dataStart, dataEnd);
    }

    boolean hasData() {
        return dataStart >= 0 && dataEnd > dataStart;
    }
}
