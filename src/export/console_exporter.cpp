#include "honeyhive/export/console_exporter.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <unordered_map>
#include <unordered_set>

#include "export/json_writer.hpp"
#include "export/lock_within.hpp"

namespace honeyhive {
namespace {

constexpr std::size_t kMaxValueChars = 60;

std::string format_duration(UnixNanos nanos) {
  char buffer[32];
  if (nanos < 1'000'000ULL) {
    std::snprintf(buffer, sizeof(buffer), "%.1f us", static_cast<double>(nanos) / 1e3);
  } else if (nanos < 1'000'000'000ULL) {
    std::snprintf(buffer, sizeof(buffer), "%.1f ms", static_cast<double>(nanos) / 1e6);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.2f s", static_cast<double>(nanos) / 1e9);
  }
  return buffer;
}

std::string format_value(const AttributeValue& value) {
  std::string out;
  switch (value.index()) {
    case 0: out = std::get<bool>(value) ? "true" : "false"; break;
    case 1: out = std::to_string(std::get<std::int64_t>(value)); break;
    case 2: detail::append_json_double(out, std::get<double>(value)); break;
    case 3: detail::append_json_string(out, std::get<std::string>(value)); break;
    default: out = "[...]";
  }
  if (out.size() > kMaxValueChars) {
    out.resize(kMaxValueChars - 3);
    // Do not leave half a UTF-8 sequence behind.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0U) == 0x80U) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0U) out.pop_back();
    out += "...";
  }
  return out;
}

int attribute_rank(std::string_view key) {
  if (key.rfind("honeyhive_inputs", 0) == 0) return 0;
  if (key.rfind("honeyhive_outputs", 0) == 0) return 1;
  if (key.rfind("gen_ai.", 0) == 0) return 2;
  if (key.rfind("honeyhive_", 0) == 0) return 3;
  return 4;
}

const std::string* event_type_of(const SpanData& span) {
  const AttributeValue* value = span.find_attribute("honeyhive_event_type");
  return value ? std::get_if<std::string>(value) : nullptr;
}

struct Palette {
  const char* dim = "";
  const char* bold = "";
  const char* red = "";
  const char* cyan = "";
  const char* reset = "";
};

using Children = std::unordered_map<const SpanData*, std::vector<const SpanData*>>;

// Levels drawn with their own indentation; deeper spans are drawn at this depth, marked with their
// level, so a trace 20,000 spans deep prints in linear space.
constexpr std::size_t kMaxDrawnDepth = 64;

// A span to draw: its indentation, whether it is its parent's last child, and its level (0: root).
struct PendingNode {
  const SpanData* span;
  std::string indent;
  bool last;
  std::size_t depth;
};

// Draws one span (its line and attributes) and returns the indentation of its children.
std::string render_node(std::string& out, const SpanData& span, const Children& children, const PendingNode& node,
                        const Palette& p, std::size_t max_shown) {
  const bool is_root = node.depth == 0;
  const bool last = node.last;
  const std::string& indent = node.indent;
  const std::string branch = is_root ? "" : (last ? "└─ " : "├─ ");
  out += indent + branch;
  if (node.depth > kMaxDrawnDepth) out += "[depth " + std::to_string(node.depth) + "] ";
  out += p.bold;
  out += span.name;
  out += p.reset;
  if (const std::string* type = event_type_of(span)) {
    out += ' ';
    out += p.cyan;
    out += '[' + *type + ']';
    out += p.reset;
  }
  out += ' ';
  out += p.dim;
  out += format_duration(span.duration_nanos());
  out += p.reset;
  if (span.status.code == StatusCode::error) {
    out += ' ';
    out += p.red;
    out += "ERROR";
    if (!span.status.description.empty()) out += ": " + span.status.description;
    out += p.reset;
  }
  out += '\n';
  const std::string child_indent =
      node.depth >= kMaxDrawnDepth ? indent : indent + (is_root ? "" : (last ? "   " : "│  "));

  std::vector<const Attribute*> shown;
  for (const auto& attribute : span.attributes) {
    if (attribute.key != "honeyhive_event_type" && attribute.key != "honeyhive_event_name") shown.push_back(&attribute);
  }
  std::stable_sort(shown.begin(), shown.end(), [](const Attribute* a, const Attribute* b) {
    return attribute_rank(a->key) < attribute_rank(b->key);
  });
  const auto it = children.find(&span);
  const bool has_children = it != children.end() && !it->second.empty();
  const std::string attribute_indent = child_indent + (has_children ? "│    " : "     ");
  for (std::size_t i = 0; i < shown.size() && i < max_shown; ++i) {
    out += attribute_indent + p.dim + shown[i]->key + "=" + p.reset + format_value(shown[i]->value) + "\n";
  }
  if (shown.size() > max_shown) {
    out += attribute_indent + p.dim + "(+" + std::to_string(shown.size() - max_shown) + " more attributes)" + p.reset +
           "\n";
  }
  return child_indent;
}

// Draws `root` and everything under it, depth first, without recursion (a trace can nest as deep as
// its spans go).
void render_tree_from(std::string& out, const SpanData& root, const Children& children, const Palette& p,
                      std::size_t max_shown) {
  std::vector<PendingNode> pending{{&root, "", true, 0}};
  while (!pending.empty()) {
    const PendingNode node = std::move(pending.back());
    pending.pop_back();
    std::string child_indent = render_node(out, *node.span, children, node, p, max_shown);
    const auto it = children.find(node.span);
    if (it == children.end()) continue;
    const std::vector<const SpanData*>& kids = it->second;
    for (std::size_t i = kids.size(); i-- > 0;) {  // the first child is drawn first
      pending.push_back({kids[i], child_indent, i + 1 == kids.size(), node.depth + 1});
    }
  }
}

}  // namespace

ConsoleExporter::ConsoleExporter(ConsoleExporterOptions options) : options_(options) {
  colour_ = options_.colour_if_terminal && options_.stream != nullptr && ::isatty(::fileno(options_.stream)) == 1 &&
            std::getenv("NO_COLOR") == nullptr;  // NOLINT(concurrency-mt-unsafe)
}

std::string ConsoleExporter::render_tree(const std::vector<SpanDataPtr>& spans, bool colour,
                                         std::size_t max_attributes_shown) {
  Palette palette;
  if (colour) palette = Palette{"\033[2m", "\033[1m", "\033[31m", "\033[36m", "\033[0m"};
  std::vector<const SpanData*> ordered;
  for (const auto& span : spans) {
    if (span) ordered.push_back(span.get());
  }
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const SpanData* a, const SpanData* b) { return a->start_unix_nanos < b->start_unix_nanos; });
  std::unordered_map<std::string, const SpanData*> by_id;
  for (const SpanData* span : ordered) by_id[span->context.span_id().to_hex()] = span;
  Children children;
  std::vector<const SpanData*> roots;
  for (const SpanData* span : ordered) {
    const auto parent = span->parent_span_id.is_valid() ? by_id.find(span->parent_span_id.to_hex()) : by_id.end();
    if (parent == by_id.end() || parent->second == span) {
      roots.push_back(span);
    } else {
      children[parent->second].push_back(span);
    }
  }
  std::string out;
  for (const SpanData* root : roots) {
    out += palette.dim;
    out += "trace " + root->context.trace_id().to_hex();
    if (root->parent_span_id.is_valid()) out += " (parent " + root->parent_span_id.to_hex() + ")";
    out += palette.reset;
    out += '\n';
    render_tree_from(out, *root, children, palette, max_attributes_shown);
  }
  return out;
}

void ConsoleExporter::print_locked(const std::vector<SpanDataPtr>& spans) {
  if (options_.stream == nullptr) return;
  const std::string text = render_tree(spans, colour_, options_.max_attributes_shown);
  std::fwrite(text.data(), 1, text.size(), options_.stream);
  std::fflush(options_.stream);
}

ExportResult ConsoleExporter::export_spans(const std::vector<SpanDataPtr>& spans) noexcept {
  try {
    std::lock_guard<std::timed_mutex> lock(mutex_);
    if (shut_down_.load(std::memory_order_acquire)) return ExportResult::failure;
    for (const auto& span : spans) {
      if (!span) continue;
      auto& pending = pending_[span->context.trace_id().to_hex()];
      pending.push_back(span);
      // A local root (no parent, or a remote parent) ends last: the trace is complete here.
      const bool local_root = !span->parent_span_id.is_valid() || span->parent_is_remote;
      if (local_root) {
        print_locked(pending);
        pending_.erase(span->context.trace_id().to_hex());
      }
    }
    return ExportResult::success;
  } catch (...) {
    return ExportResult::failure;
  }
}

bool ConsoleExporter::force_flush(std::chrono::milliseconds timeout) noexcept {
  // A print stuck on a full pipe or a paused terminal holds the lock: not flushed in time.
  if (!detail::lock_within(mutex_, timeout)) return false;
  std::lock_guard<std::timed_mutex> lock(mutex_, std::adopt_lock);
  try {
    for (const auto& entry : pending_) print_locked(entry.second);
    pending_.clear();
    return true;
  } catch (...) {
    return false;
  }
}

bool ConsoleExporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  shut_down_.store(true, std::memory_order_release);  // later exports fail, even if the flush cannot run
  return force_flush(timeout);
}

void ConsoleExporter::reset_after_fork() noexcept {
  new (&mutex_) std::timed_mutex();  // NOLINT: abandoned, possibly held by a parent thread mid-print
}

}  // namespace honeyhive
