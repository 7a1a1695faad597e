// Every tri-state combination at every layer, for every field the merge reads from more than one
// place. The expected result comes from the rule the README states, written out independently here:
// the highest layer that is not unset wins (override > EvaluationConfig > SessionConfig >
// TracerConfig); an explicit null there means empty/off and ignores the environment; with every layer
// unset the environment wins, else the built-in default.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "honeyhive/config/tracer_config.hpp"
#include "support/test_env.hpp"

namespace honeyhive {
namespace {

enum class State { unset, null, value };
constexpr State kStates[] = {State::unset, State::null, State::value};

const char* name_of(State state) { return state == State::unset ? "unset" : state == State::null ? "null" : "value"; }

// The inputs of one merge: the four configuration objects and the environment.
struct Layers {
  TracerConfig tracer;
  SessionConfig session;
  EvaluationConfig evaluation;
  TracerConfig overrides;
};

template <class T>
void apply(Param<T>& param, State state, const T& value) {
  if (state == State::null) param = null;
  if (state == State::value) param = value;
}

// One field: the env variable that feeds it, its default, the configuration layers that carry it
// (each with the value that layer sets), and how to read the result.
template <class T>
struct FieldCase {
  std::string field;  // as in provenance
  const char* env_name;
  T default_value;
  T null_value;  // what an explicit null resolves to
  struct Layer {
    const char* origin;
    std::function<Param<T>&(Layers&)> param;
    T value;
  };
  std::vector<Layer> layers;  // lowest first
  std::function<T(const ResolvedConfig&)> read;
};

std::vector<std::string> all_env_names() {
  return {"HH_API_KEY",
          "HH_PROJECT",
          "HH_SOURCE",
          "HH_API_URL",
          "HH_OTLP_PROTOCOL",
          "OTEL_EXPORTER_OTLP_PROTOCOL",
          "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
          "OTEL_EXPORTER_OTLP_ENDPOINT",
          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
          "OTEL_SERVICE_NAME",
          "HH_SESSION_NAME",
          "HH_SESSION_ID",
          "HH_DISABLE_BATCH",
          "HH_VERBOSE",
          "HH_TRACE_CONTENT",
          "OTEL_SDK_DISABLED",
          "HH_DISABLE_TRACING"};
}

// Runs every combination of {absent, env value} x {unset, null, value}^layers for one field and
// returns how many combinations were checked.
template <class T>
int check_matrix(const FieldCase<T>& field, const std::vector<std::optional<std::string>>& env_values,
                 const std::function<std::optional<T>(const std::string&)>& env_meaning) {
  const std::size_t n = field.layers.size();
  std::vector<State> states(n, State::unset);
  int checked = 0;
  for (const auto& env : env_values) {
    std::size_t combos = 1;
    for (std::size_t i = 0; i < n; ++i) combos *= 3;
    for (std::size_t combo = 0; combo < combos; ++combo) {
      std::size_t rest = combo;
      for (std::size_t i = 0; i < n; ++i) {
        states[i] = kStates[rest % 3];
        rest /= 3;
      }
      test::ScopedEnv scoped;
      for (const auto& name : all_env_names()) scoped.unset(name.c_str());
      if (env) scoped.set(field.env_name, env->c_str());
      Layers layers;
      for (std::size_t i = 0; i < n; ++i) apply(field.layers[i].param(layers), states[i], field.layers[i].value);

      // The rule, independently.
      T expected = field.default_value;
      std::string expected_origin = "default";
      bool expected_null = false;
      bool decided = false;
      for (std::size_t i = n; i-- > 0;) {
        if (states[i] == State::unset) continue;
        expected_origin = field.layers[i].origin;
        expected_null = states[i] == State::null;
        expected = expected_null ? field.null_value : field.layers[i].value;
        decided = true;
        break;
      }
      if (!decided && env) {
        if (const auto meaning = env_meaning(*env)) {
          expected = *meaning;
          expected_origin = std::string("env:") + field.env_name;
        }
      }

      const ResolvedConfig config = resolve_config(layers.tracer, layers.session, layers.evaluation, layers.overrides);
      std::string where = field.field + " env=" + (env ? *env : "<absent>");
      for (std::size_t i = 0; i < n; ++i) where += std::string(" ") + field.layers[i].origin + "=" + name_of(states[i]);
      SCOPED_TRACE(where);
      EXPECT_EQ(field.read(config), expected);
      const FieldOrigin* origin = config.origin_of(field.field);
      EXPECT_NE(origin, nullptr);
      if (origin != nullptr) {
        EXPECT_EQ(origin->origin, expected_origin);
        EXPECT_EQ(origin->null, expected_null);
      }
      ++checked;
    }
  }
  return checked;
}

std::optional<std::string> string_meaning(const std::string& text) { return text; }
std::optional<bool> bool_meaning(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return std::nullopt;  // invalid: the default stays (and a diagnostic says so)
}

using StringField = FieldCase<std::string>;
using BoolField = FieldCase<bool>;

StringField tracer_string(std::string field, const char* env, std::string default_value,
                          Param<std::string> TracerConfig::*member,
                          std::function<std::string(const ResolvedConfig&)> read) {
  return StringField{
      std::move(field),
      env,
      std::move(default_value),
      "",
      {{"TracerConfig", [member](Layers& l) -> Param<std::string>& { return l.tracer.*member; }, "from-tracer-config"},
       {"override", [member](Layers& l) -> Param<std::string>& { return l.overrides.*member; }, "from-override"}},
      std::move(read)};
}

BoolField tracer_bool(std::string field, const char* env, bool default_value, Param<bool> TracerConfig::*member,
                      std::function<bool(const ResolvedConfig&)> read, bool tracer_value, bool override_value) {
  return BoolField{std::move(field),
                   env,
                   default_value,
                   false,
                   {{"TracerConfig", [member](Layers& l) -> Param<bool>& { return l.tracer.*member; }, tracer_value},
                    {"override", [member](Layers& l) -> Param<bool>& { return l.overrides.*member; }, override_value}},
                   std::move(read)};
}

TEST(PrecedenceMatrixTest, StringFieldsOfTheTracer) {
  const std::vector<StringField> fields = {
      tracer_string("project", "HH_PROJECT", "", &TracerConfig::project,
                    [](const ResolvedConfig& c) { return c.project; }),
      tracer_string("source", "HH_SOURCE", "dev", &TracerConfig::source,
                    [](const ResolvedConfig& c) { return c.source; }),
      tracer_string("api_key", "HH_API_KEY", "", &TracerConfig::api_key,
                    [](const ResolvedConfig& c) { return c.api_key; }),
      tracer_string("service_name", "OTEL_SERVICE_NAME", "", &TracerConfig::service_name,
                    [](const ResolvedConfig& c) { return c.service_name; }),
  };
  int checked = 0;
  for (const auto& field : fields)
    checked += check_matrix<std::string>(field, {std::nullopt, "from-env"}, string_meaning);
  EXPECT_EQ(checked, 4 * 2 * 9);
}

TEST(PrecedenceMatrixTest, BooleanFieldsOfTheTracer) {
  // Each layer's value is the opposite of the default, and the override's the opposite of the
  // config's, so every winner is visible in the result. Env values: absent, both booleans, garbage.
  const std::vector<BoolField> fields = {
      tracer_bool(
          "disable_batch", "HH_DISABLE_BATCH", false, &TracerConfig::disable_batch,
          [](const ResolvedConfig& c) { return c.disable_batch; }, true, false),
      tracer_bool(
          "verbose", "HH_VERBOSE", false, &TracerConfig::verbose, [](const ResolvedConfig& c) { return c.verbose; },
          true, false),
      tracer_bool(
          "trace_content", "HH_TRACE_CONTENT", true, &TracerConfig::trace_content,
          [](const ResolvedConfig& c) { return c.trace_content; }, false, true),
      tracer_bool(
          "disabled", "OTEL_SDK_DISABLED", false, &TracerConfig::disabled,
          [](const ResolvedConfig& c) { return c.disabled; }, true, false),
      tracer_bool(
          "disabled", "HH_DISABLE_TRACING", false, &TracerConfig::disabled,
          [](const ResolvedConfig& c) { return c.disabled; }, true, false),
      tracer_bool(
          "start_session", nullptr, true, &TracerConfig::start_session,
          [](const ResolvedConfig& c) { return c.start_session; }, false, true),
  };
  int checked = 0;
  for (const auto& field : fields) {
    if (field.env_name == nullptr) {
      checked += check_matrix<bool>(field, {std::nullopt}, bool_meaning);
    } else {
      checked += check_matrix<bool>(field, {std::nullopt, "true", "false", "maybe"}, bool_meaning);
    }
  }
  EXPECT_EQ(checked, 5 * 4 * 9 + 9);
}

TEST(PrecedenceMatrixTest, SessionFieldsAcrossFourLayers) {
  const StringField name{
      "session.name",
      "HH_SESSION_NAME",
      "",
      "",
      {{"TracerConfig", [](Layers& l) -> Param<std::string>& { return l.tracer.session_name; }, "tracer-name"},
       {"SessionConfig", [](Layers& l) -> Param<std::string>& { return l.session.session_name; }, "session-name"},
       {"override", [](Layers& l) -> Param<std::string>& { return l.overrides.session_name; }, "override-name"}},
      [](const ResolvedConfig& c) { return c.session.name; }};
  // Session ids must be UUIDs (anything else is dropped); each layer has its own.
  const StringField id{"session.id",
                       "HH_SESSION_ID",
                       "",
                       "",
                       {{"TracerConfig", [](Layers& l) -> Param<std::string>& { return l.tracer.session_id; },
                         "11111111-1111-4111-8111-111111111111"},
                        {"SessionConfig", [](Layers& l) -> Param<std::string>& { return l.session.session_id; },
                         "22222222-2222-4222-8222-222222222222"},
                        {"override", [](Layers& l) -> Param<std::string>& { return l.overrides.session_id; },
                         "33333333-3333-4333-8333-333333333333"}},
                       [](const ResolvedConfig& c) { return c.session.id; }};
  int checked = check_matrix<std::string>(name, {std::nullopt, "env-name"}, string_meaning);
  checked += check_matrix<std::string>(id, {std::nullopt, "00000000-0000-4000-8000-000000000000"}, string_meaning);
  EXPECT_EQ(checked, 2 * 2 * 27);
}

TEST(PrecedenceMatrixTest, StructuredSessionAndEvaluationFields) {
  using JsonField = FieldCase<nlohmann::json>;
  const std::vector<JsonField> session_fields = {
      {"session.inputs",
       nullptr,
       nullptr,
       nullptr,
       {{"SessionConfig", [](Layers& l) -> Param<nlohmann::json>& { return l.session.inputs; },
         nlohmann::json{{"q", "hi"}}}},
       [](const ResolvedConfig& c) { return c.session.inputs; }},
      {"session.metadata",
       nullptr,
       nullptr,
       nullptr,
       {{"SessionConfig", [](Layers& l) -> Param<nlohmann::json>& { return l.session.metadata; },
         nlohmann::json{{"tier", 2}}}},
       [](const ResolvedConfig& c) { return c.session.metadata; }},
      {"session.user_properties",
       nullptr,
       nullptr,
       nullptr,
       {{"SessionConfig", [](Layers& l) -> Param<nlohmann::json>& { return l.session.user_properties; },
         nlohmann::json{{"user", "u1"}}}},
       [](const ResolvedConfig& c) { return c.session.user_properties; }},
  };
  const std::vector<StringField> evaluation_fields = {
      {"evaluation.run_id",
       nullptr,
       "",
       "",
       {{"EvaluationConfig", [](Layers& l) -> Param<std::string>& { return l.evaluation.run_id; }, "run-1"}},
       [](const ResolvedConfig& c) { return c.evaluation.run_id; }},
      {"evaluation.dataset_id",
       nullptr,
       "",
       "",
       {{"EvaluationConfig", [](Layers& l) -> Param<std::string>& { return l.evaluation.dataset_id; }, "ds-1"}},
       [](const ResolvedConfig& c) { return c.evaluation.dataset_id; }},
      {"evaluation.datapoint_id",
       nullptr,
       "",
       "",
       {{"EvaluationConfig", [](Layers& l) -> Param<std::string>& { return l.evaluation.datapoint_id; }, "dp-1"}},
       [](const ResolvedConfig& c) { return c.evaluation.datapoint_id; }},
  };
  int checked = 0;
  for (const auto& field : session_fields) {
    checked += check_matrix<nlohmann::json>(field, {std::nullopt},
                                            [](const std::string&) { return std::optional<nlohmann::json>(); });
  }
  for (const auto& field : evaluation_fields)
    checked += check_matrix<std::string>(field, {std::nullopt}, string_meaning);
  EXPECT_EQ(checked, 6 * 3);
}

}  // namespace
}  // namespace honeyhive
