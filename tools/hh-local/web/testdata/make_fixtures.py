#!/usr/bin/env python3
"""Writes the fixture responses of the hh-local JSON API that the web UI is developed and tested against.

The data mirrors what examples/quickstart and examples/evaluate produce (a support-bot session, an
evaluation run of three datapoints), plus a failing checkout session and a session whose names
contain markup (the UI must show it as text). Deterministic: run it again after changing it and
commit the regenerated *.json files.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MS = 1_000_000
BASE_NS = 1_778_751_000_000_000_000  # 2026-05-14 09:30:00 UTC

# The raw attribute prefix of each rebuilt section (docs/honeyhive-attributes.md).
SECTIONS = ["inputs", "outputs", "metadata", "metrics", "feedback", "config"]


def flatten(prefix, value, out):
    if isinstance(value, dict):
        for key, member in value.items():
            flatten(prefix + "." + key, member, out)
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        out[prefix] = json.dumps(value)  # lists of objects travel as one JSON string
    else:
        out[prefix] = value


def unflatten(prefix, flat):
    """What the server rebuilds from the dotted attributes: a JSON string stays a string."""
    out = {}
    for key, value in flat.items():
        node = out
        parts = key[len(prefix) + 1:].split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def span(session, trace_id, span_id, parent, name, event_type, start_ms, end_ms, status="ok",
         status_message="", kind="internal", events=None, extra_attributes=None, **sections):
    start_ns = BASE_NS + session["offset_ns"] + int(start_ms * MS)
    end_ns = BASE_NS + session["offset_ns"] + int(end_ms * MS)
    attributes = {
        "honeyhive.session_id": session["session_id"],
        "honeyhive.project": session["project"],
        "honeyhive.source": session["source"],
        "honeyhive_event_type": event_type,
        "honeyhive_event_name": name,
        "honeyhive.tracer_id": "tracer-1",
    }
    if event_type == "session":
        attributes["honeyhive.session_name"] = session["session_name"]
    rebuilt = {}
    for section in SECTIONS:
        value = sections.get(section) or {}
        if session.get("run_id") and section == "metadata":
            value = dict(value, run_id=session["run_id"], datapoint_id=session["datapoint_id"],
                         dataset_id="capitals-inline")
        flat = {}
        if value:
            flatten("honeyhive_" + section, value, flat)
        attributes.update(flat)
        rebuilt[section] = unflatten("honeyhive_" + section, flat)
    if status == "error":
        attributes["honeyhive_error"] = status_message
    attributes.update(extra_attributes or {})
    return {
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_span_id": parent,
        "name": name,
        "event_type": event_type,
        "kind": kind,
        "start_time_ns": start_ns,
        "end_time_ns": end_ns,
        "duration_ms": round(end_ms - start_ms, 3),
        "status": status,
        "status_message": status_message,
        **rebuilt,
        "attributes": dict(sorted(attributes.items())),
        "events": events or [],
    }


def session_row(session, spans):
    start = min(s["start_time_ns"] for s in spans)
    end = max(s["end_time_ns"] for s in spans)
    return {
        "session_id": session["session_id"],
        "project": session["project"],
        "session_name": session["session_name"],
        "source": session["source"],
        "start_time_ns": start,
        "end_time_ns": end,
        "duration_ms": round((end - start) / MS, 3),
        "span_count": len(spans),
        "error_count": sum(1 for s in spans if s["status"] == "error"),
        "run_id": session.get("run_id"),
        "datapoint_id": session.get("datapoint_id"),
    }


DOCUMENTS = [
    {"id": "kb-17", "text": "Refunds are issued within 5 business days.", "score": 0.91},
    {"id": "kb-42", "text": "Orders can be cancelled before they ship.", "score": 0.77},
]
SYSTEM_PROMPT = (
    "You are the support assistant of an online shop. Answer the customer's question in one or two "
    "sentences, using only the documents below. If the documents do not contain the answer, say that "
    "you do not know and offer to connect the customer with a human agent. Never invent policies, "
    "prices or delivery dates. Documents: " + json.dumps(DOCUMENTS))


def quickstart():
    s = {"session_id": "6f1c2a9e-4b7d-4e21-9c3a-0d8e5f7a1b2c", "project": "quickstart",
         "session_name": "support-bot", "source": "dev", "offset_ns": 3_600_000 * MS}
    t = "4bf92f3577b34da6a3ce929d0e0e4736"
    question = "How long do refunds take?"
    answer = "Refunds are issued within 5 business days of cancellation."
    spans = [
        span(s, t, "00f067aa0ba902b7", None, "support-bot", "session", 0, 14.62,
             metadata={"sdk": "honeyhive-cpp", "sdk_version": "0.1.0"},
             feedback={"rating": 5, "comment": "clear answer"},
             extra_attributes={"honeyhive_user_properties.user.id": 123,
                               "honeyhive_user_properties.user.plan": "pro"}),
        span(s, t, "53995c3f42cd8ad8", "00f067aa0ba902b7", "answer_question", "chain", 0.21, 14.1,
             inputs={"question": question}, outputs={"answer": answer}),
        span(s, t, "b7ad6b7169203331", "53995c3f42cd8ad8", "retrieve_documents", "tool", 0.35, 3.71,
             inputs={"query": question, "top_k": 2},
             outputs={"documents": DOCUMENTS},
             metadata={"retriever": "bm25", "index": "support-kb"},
             metrics={"documents_returned": 2, "best_score": 0.91}),
        span(s, t, "e457b5a2e4d86bd1", "53995c3f42cd8ad8", "generate_answer", "model", 3.9, 13.95,
             kind="client",
             inputs={"messages": [{"role": "system", "content": SYSTEM_PROMPT},
                                  {"role": "user", "content": question}]},
             outputs={"role": "assistant", "content": answer, "finish_reason": "stop"},
             config={"model": "sim-gpt-small", "temperature": 0.2, "max_tokens": 256},
             metadata={"provider": "simulated", "response_model": "sim-gpt-small-2026"},
             metrics={"prompt_tokens": 182, "completion_tokens": 14, "total_tokens": 196, "cost_usd": 0.000392},
             events=[{"name": "first_token", "time_ns": BASE_NS + s["offset_ns"] + int(9.1 * MS),
                      "attributes": {"tokens_so_far": 1}}],
             extra_attributes={"gen_ai.system": "simulated", "gen_ai.operation.name": "chat",
                               "gen_ai.request.model": "sim-gpt-small", "gen_ai.request.temperature": 0.2,
                               "gen_ai.request.max_tokens": 256, "gen_ai.response.model": "sim-gpt-small-2026",
                               "gen_ai.response.finish_reasons": ["stop"], "gen_ai.usage.input_tokens": 182,
                               "gen_ai.usage.output_tokens": 14}),
    ]
    return s, spans


def checkout():
    s = {"session_id": "c0ffee00-1d2e-4f3a-8b9c-5d6e7f8a9b0c", "project": "support-bot",
         "session_name": "checkout-flow", "source": "production", "offset_ns": 3_000_000 * MS}
    t = "0af7651916cd43dd8448eb211c80319c"
    spans = [
        span(s, t, "a1b2c3d4e5f60718", None, "checkout-flow", "session", 0, 412.5,
             metadata={"customer_tier": "gold"}),
        span(s, t, "1a2b3c4d5e6f7081", "a1b2c3d4e5f60718", "place_order", "chain", 1.2, 410.8,
             inputs={"cart_id": "cart-8812", "items": 3}, status="error", status_message="payment failed"),
        span(s, t, "2b3c4d5e6f708192", "1a2b3c4d5e6f7081", "lookup_inventory", "tool", 2.0, 48.3,
             inputs={"skus": ["SKU-1", "SKU-7", "SKU-9"]}, outputs={"available": True}),
        span(s, t, "3c4d5e6f708192a3", "1a2b3c4d5e6f7081", "summarize_cart", "model", 50.1, 318.9,
             kind="client", inputs={"prompt": "Summarize the cart for the receipt."},
             outputs={"content": "3 items: desk lamp, HDMI cable, notebook."},
             config={"model": "sim-gpt-large", "temperature": 0},
             metrics={"prompt_tokens": 96, "completion_tokens": 11}),
        span(s, t, "4d5e6f708192a3b4", "1a2b3c4d5e6f7081", "charge_card", "tool", 320.4, 409.7,
             kind="client", inputs={"amount": 59.97, "currency": "EUR"}, status="error",
             status_message="card declined (code 51: insufficient funds)",
             events=[{"name": "exception", "time_ns": BASE_NS + s["offset_ns"] + int(409.6 * MS),
                      "attributes": {"exception.type": "PaymentError",
                                     "exception.message": "card declined (code 51: insufficient funds)"}}],
             extra_attributes={"honeyhive_error_type": "PaymentError"}),
    ]
    return s, spans


def markup():
    s = {"session_id": "7e57e5ca-9e00-4a11-b2c3-d4e5f6a7b8c9", "project": "support-bot",
         "session_name": '<script>alert("session")</script> & friends', "source": "dev",
         "offset_ns": 2_000_000 * MS}
    t = "11111111111111112222222222222222"
    spans = [
        span(s, t, "aaaaaaaaaaaaaaaa", None, s["session_name"], "session", 0, 5.0),
        span(s, t, "bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa", '<img src=x onerror="document.title=1">', "tool", 1.0, 4.0,
             inputs={"html": "<b>bold?</b> & <i>not</i>"}, outputs={"<key>": "</pre></td></tr>"}),
        # A span whose parent never arrived: shown as a second root, not lost.
        span(s, t, "cccccccccccccccc", "dddddddddddddddd", "orphan_step", None, 2.0, 3.0),
    ]
    return s, spans


def evaluation():
    run_id = "9d2f6b1e-3c4a-4f5b-8e7d-6a5b4c3d2e1f"
    rows = [
        ("What is the capital of France?", "Paris", "Paris", True, 1.0),
        ("What is the capital of Japan?", "Tokyo", "Tokyo", True, 1.0),
        ("What is the capital of Australia?", "Canberra", "Sydney", False, 0.833333),
    ]
    sessions = []
    for index, (question, truth, answer, exact, brevity) in enumerate(rows):
        s = {"session_id": "e7a1c000-0000-4000-8000-00000000000" + str(index + 1), "project": "evaluate-example",
             "session_name": "capitals-v1", "source": "evaluation", "offset_ns": (1_000_000 + index * 40) * MS,
             "run_id": run_id, "datapoint_id": "dp-" + str(index + 1)}
        t = "%032x" % (0xE7A1 + index)
        metrics = {"exact_match": 1 if exact else 0, "brevity": brevity,
                   "brevity_explanation": "1.0 up to 5 characters"}
        spans = [
            span(s, t, "%016x" % (0x100 + index), None, "capitals-v1", "session", 0, 6.4 + index,
                 inputs={"question": question}, outputs={"answer": answer}, metrics=metrics,
                 feedback={"ground_truth": {"answer": truth}}),
            span(s, t, "%016x" % (0x200 + index), "%016x" % (0x100 + index), "toy_llm", "model", 0.4, 5.9 + index,
                 inputs={"question": question}, outputs={"answer": answer}),
        ]
        row = session_row(s, spans)
        sessions.append((s, spans, row, metrics))
    evaluators = {}
    for name in ["exact_match", "brevity"]:
        values = [m[name] for (_, _, _, m) in sessions]
        evaluators[name] = {"average": round(sum(values) / len(values), 6), "count": len(values)}
    run = {"run_id": run_id, "project": "evaluate-example", "session_count": len(sessions), "error_count": 0,
           "first_start_ns": min(r["start_time_ns"] for (_, _, r, _) in sessions), "evaluators": evaluators}
    return run, sessions


def write(name, value):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1, ensure_ascii=False)
        f.write("\n")


def main():
    run, eval_sessions = evaluation()
    plain = [quickstart(), checkout(), markup()]
    all_sessions = [(s, spans, session_row(s, spans)) for (s, spans) in plain]
    all_sessions += [(s, spans, row) for (s, spans, row, _) in eval_sessions]
    all_sessions.sort(key=lambda item: item[2]["start_time_ns"], reverse=True)  # newest first
    for _, spans, row in all_sessions:
        write("session-%s.json" % row["session_id"], {"session": row, "spans": spans})
    write("sessions.json", {"total": len(all_sessions), "sessions": [row for (_, _, row) in all_sessions]})
    write("projects.json", {"projects": sorted({row["project"] for (_, _, row) in all_sessions})})
    write("runs.json", {"runs": [run]})
    write("run-%s.json" % run["run_id"],
          {"run": run, "sessions": [dict(row, metrics=metrics) for (_, _, row, metrics) in eval_sessions]})
    write("health.json", {"status": "ok", "service": "hh-local", "version": "0.1.0-fixtures"})


if __name__ == "__main__":
    main()
