package io.tokentap.sim.http;

import io.tokentap.sim.engine.FinishReason;

/**
 * OpenAI chat.completions and completions, streamed as OpenAI sends them: a role-only first chunk
 * ({@code "delta":{"role":"assistant","content":""}}) for chat, one chunk per token, a chunk with an empty delta and
 * the finish reason, then with {@code stream_options.include_usage} a usage chunk with {@code "choices":[]} (and
 * {@code "usage":null} on every chunk before it), then {@code data: [DONE]}.
 */
final class OpenAiFormat implements StreamFormat {
    private final boolean chat;
    private final boolean includeUsage;
    private final String id;
    private final String head;
    private final String usageNull;

    OpenAiFormat(boolean chat, String id, String model, long created, boolean includeUsage) {
        this.chat = chat;
        this.includeUsage = includeUsage;
        this.id = id;
        this.head = "data: {\"id\":\"" + id + "\",\"object\":\"" + (chat ? "chat.completion.chunk" : "text_completion")
                + "\",\"created\":" + created + ",\"model\":" + Json.quote(model) + ",\"system_fingerprint\":null,";
        this.usageNull = includeUsage ? ",\"usage\":null" : "";
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String open() {
        if (!chat) {
            return "";
        }
        return head + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
                + "\"finish_reason\":null}]" + usageNull + "}\n\n";
    }

    @Override
    public void token(StringBuilder out, CharSequence text) {
        out.append(head);
        if (chat) {
            out.append("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"").append(text)
                    .append("\"},\"logprobs\":null,\"finish_reason\":null}]");
        } else {
            out.append("\"choices\":[{\"text\":\"").append(text)
                    .append("\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]");
        }
        out.append(usageNull).append("}\n\n");
    }

    @Override
    public String close(FinishReason finish, int promptTokens, int completionTokens) {
        String reason = reason(finish);
        StringBuilder b = new StringBuilder(512).append(head);
        if (chat) {
            b.append("\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"").append(reason).append("\"}]");
        } else {
            b.append("\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"").append(reason).append("\"}]");
        }
        b.append(usageNull).append("}\n\n");
        if (includeUsage) {
            b.append(head).append("\"choices\":[],\"usage\":").append(usage(promptTokens, completionTokens)).append("}\n\n");
        }
        return b.append("data: [DONE]\n\n").toString();
    }

    @Override
    public String body(CharSequence text, FinishReason finish, int promptTokens, int completionTokens) {
        StringBuilder b = new StringBuilder(text.length() + 400).append("{\"id\":\"").append(id).append("\",\"object\":\"")
                .append(chat ? "chat.completion" : "text_completion").append('"')
                .append(head, head.indexOf(",\"created\""), head.length() - 1);
        if (chat) {
            b.append(",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"").append(text)
                    .append("\"},\"logprobs\":null,\"finish_reason\":\"").append(reason(finish)).append("\"}]");
        } else {
            b.append(",\"choices\":[{\"text\":\"").append(text).append("\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"")
                    .append(reason(finish)).append("\"}]");
        }
        return b.append(",\"usage\":").append(usage(promptTokens, completionTokens)).append('}').toString();
    }

    private static String reason(FinishReason finish) {
        return finish == FinishReason.STOP ? "stop" : "length";
    }

    private static String usage(int prompt, int completion) {
        return "{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":" + completion + ",\"total_tokens\":"
                + (prompt + completion) + "}";
    }
}
