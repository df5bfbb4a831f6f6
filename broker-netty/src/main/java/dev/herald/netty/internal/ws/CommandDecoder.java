package dev.herald.netty.internal.ws;

import dev.herald.netty.internal.JsonSupport;
import java.util.Arrays;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * Decodes one client text frame into a {@link ClientCommand}, or the {@link CommandError} to send back. One pass
 * of jackson-core's streaming parser with the server's read limits: the {@code data} of a publish is captured as
 * the exact bytes the client sent (by token offsets), so it is validated by this pass and never parsed again.
 * Unknown fields are ignored, so clients may send fields a later protocol version understands.
 *
 * <p>Stateless and thread-safe.
 */
final class CommandDecoder {
    /** What decoding produced. */
    sealed interface Result permits ClientCommand, CommandError {
    }

    private static final int MAX_PROBLEM_LENGTH = 200;

    private CommandDecoder() {
    }

    /**
     * Decodes a whole frame.
     *
     * @param frame the UTF-8 text of one frame; not changed, and {@code data} is copied out of it
     * @return the command, or the error to reply with
     */
    static Result decode(byte[] frame) {
        String action = null;
        ClientCommand.RequestId id = null;
        String topic = null;
        long offset = -1;
        String epoch = null;
        int last = -1;
        byte[] data = null;
        String authToken = null;
        String problemCode = null;
        String problem = null;
        try (JsonParser parser = JsonSupport.parser(frame, 0, frame.length)) {
            JsonToken first = parser.nextToken();
            if (first != JsonToken.START_OBJECT) {
                return new CommandError(CommandError.INVALID_JSON,
                        first == null ? "empty frame" : "a command must be a JSON object", null);
            }
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "action" -> {
                        if (value == JsonToken.VALUE_STRING) {
                            action = parser.getString();
                        } else if (problem == null) {
                            problemCode = CommandError.INVALID_FIELD;
                            problem = "\"action\" must be a string";
                        }
                    }
                    case "id" -> {
                        if (value == JsonToken.VALUE_STRING) {
                            id = new ClientCommand.RequestId(parser.getString(), false);
                        } else if (value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT) {
                            id = new ClientCommand.RequestId(parser.getString(), true);
                        } else if (problem == null) {
                            problemCode = CommandError.INVALID_FIELD;
                            problem = "\"id\" must be a string or a number";
                        }
                    }
                    case "topic" -> {
                        if (value == JsonToken.VALUE_STRING) {
                            topic = parser.getString();
                        } else if (problem == null) {
                            problemCode = CommandError.INVALID_TOPIC;
                            problem = "\"topic\" must be a string";
                        }
                    }
                    case "offset" -> {
                        if (value == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                                && parser.getLongValue() >= 0) {
                            offset = parser.getLongValue();
                        } else if (problem == null) {
                            problemCode = CommandError.INVALID_POSITION;
                            problem = "\"offset\" must be an integer >= 0";
                        }
                    }
                    case "epoch" -> {
                        if (value == JsonToken.VALUE_STRING) {
                            epoch = parser.getString();
                        } else if (problem == null) {
                            problemCode = CommandError.INVALID_POSITION;
                            problem = "\"epoch\" must be a string";
                        }
                    }
                    case "last" -> {
                        if (value == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() == JsonParser.NumberType.INT
                                && parser.getIntValue() >= 1) {
                            last = parser.getIntValue();
                        } else if (problem == null) {
                            problemCode = CommandError.INVALID_POSITION;
                            problem = "\"last\" must be an integer between 1 and " + Integer.MAX_VALUE;
                        }
                    }
                    case "token" -> {
                        if (value == JsonToken.VALUE_STRING) {
                            authToken = parser.getString();
                        } else if (problem == null) {
                            problemCode = CommandError.INVALID_FIELD;
                            problem = "\"token\" must be a string";
                        }
                    }
                    case "data" -> {
                        int start = (int) parser.currentTokenLocation().getByteOffset();
                        if (value.isStructStart()) {
                            parser.skipChildren();
                        } else {
                            parser.finishToken();
                        }
                        int end = (int) parser.currentLocation().getByteOffset();
                        data = Arrays.copyOfRange(frame, start, end);
                    }
                    default -> {
                        // Unknown fields are skipped below.
                    }
                }
                // A structured value where a scalar was expected (or an unknown field) is skipped whole.
                parser.skipChildren();
            }
            if (token != JsonToken.END_OBJECT) {
                return new CommandError(CommandError.INVALID_JSON, "unexpected " + token, null);
            }
            if (parser.nextToken() != null) {
                return new CommandError(CommandError.INVALID_JSON, "unexpected content after the command object",
                        id);
            }
        } catch (JacksonException e) {
            return new CommandError(CommandError.INVALID_JSON, shorten(e.getOriginalMessage()), null);
        }
        if (problem != null) {
            return new CommandError(problemCode, problem, id);
        }
        if (action == null) {
            return new CommandError(CommandError.MISSING_FIELD, "\"action\" is required", id);
        }
        return new ClientCommand(action, id, topic, offset, epoch, last, data, authToken);
    }

    private static String shorten(String message) {
        if (message == null) {
            return "malformed JSON";
        }
        String oneLine = message.replace('\n', ' ');
        return oneLine.length() <= MAX_PROBLEM_LENGTH ? oneLine : oneLine.substring(0, MAX_PROBLEM_LENGTH) + "...";
    }
}
