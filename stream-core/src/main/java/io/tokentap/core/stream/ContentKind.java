package io.tokentap.core.stream;

/** What a content event carries: generated text, reasoning ("thinking") text, or a tool-call argument delta. */
public enum ContentKind {
    TEXT,
    REASONING,
    TOOL_CALL
}
