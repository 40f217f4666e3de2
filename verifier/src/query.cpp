// Ad-hoc questions (include/sluice/verify/query.h). Per entry point, classes are enumerated
// one solver call each: find a packet of the space with the asked outcome that no earlier
// class holds, read from the model which hops it takes, which rule decides every layer it
// reaches and where each hop sends it, and exclude exactly that combination next time.
#include "sluice/verify/query.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <ostream>

#include "entry_points.h"
#include "replay.h"
#include "report_json.h"

namespace sluice::verify {

using lang::Direction;
using nlohmann::json;

namespace {

constexpr uint8_t kSyn = 0x02;

// What the model says about one path: its literals (to exclude the class) and, per taken
// hop and reached layer, the deciding rule as the operator reads it.
struct ClassShape {
    std::vector<z3::expr> literals;
    std::vector<std::string> rules;
    std::vector<lang::SourceRange> ranges;
};

std::string layerDecision(const lang::Policy& policy, uint32_t port, Direction dir,
                          uint32_t layer, std::optional<uint32_t> group,
                          std::optional<uint32_t> rule, std::vector<lang::SourceRange>* ranges) {
    const auto& l = policy.layers[layer];
    std::string where = policy.ports[port].name + " " + lang::directionName(dir) + ": ";
    if (!group || !rule) return where + l.name + ".default";
    const auto& r = l.groupsFor(dir)[*group].rules[*rule];
    if (ranges) ranges->push_back(r.range);
    return where + l.name + "." + r.name;
}

void readPath(smt::Context& ctx, const lang::Policy& policy, const enc::PathEnc& path,
              const z3::model& m, ClassShape& shape) {
    auto holds = [&](const z3::expr& e) {
        bool v = ctx.modelBool(m, e);
        shape.literals.push_back(v ? e : !e);
        return v;
    };
    auto same = [&](const z3::expr& e) { shape.literals.push_back(e == m.eval(e, true)); };
    for (const auto& hop : path.hops) {
        if (!holds(hop.taken)) continue;
        const auto& pipe = hop.pipe;
        for (size_t i = 0; i < pipe.layers.size(); ++i) {
            if (!holds(pipe.reached[i])) break;
            const auto& le = pipe.layers[i];
            std::optional<uint32_t> group, rule;
            for (uint32_t g = 0; g < le.sel.size() && !rule; ++g)
                for (uint32_t r = 0; r < le.sel[g].size(); ++r)
                    if (le.sel[g][r] && ctx.modelBool(m, *le.sel[g][r])) {
                        shape.literals.push_back(*le.sel[g][r]);
                        group = g;
                        rule = r;
                        break;
                    }
            if (!rule) shape.literals.push_back(le.selDefault);
            shape.rules.push_back(layerDecision(policy, hop.port, hop.dir, le.layer, group, rule,
                                                &shape.ranges));
        }
        same(pipe.outKind);
        same(pipe.outIndex);
    }
}

// The same reading from the interpreter's run of the example.
std::vector<std::string> interpreterRules(const lang::Policy& policy,
                                          const interp::PathResult& r) {
    std::vector<std::string> out;
    for (const auto& hop : r.hops)
        for (const auto& step : hop.result.layers)
            out.push_back(layerDecision(policy, hop.port, hop.dir, step.layer, step.group,
                                        step.rule, nullptr));
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

class Query {
public:
    Query(std::shared_ptr<const lang::Policy> policy, const QuerySpace& space,
          const QueryOptions& options)
        : policy_(std::move(policy)), space_(space), options_(options) {}

    QueryReport run() {
        auto start = std::chrono::steady_clock::now();
        deadline_ = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(options_.timeLimitSeconds));
        auto h = ctx_.freshHeaders("q_");
        lang::Condition src{lang::Field::SrcIp, space_.from, {}};
        lang::Condition dst{lang::Field::DstIp, space_.to, {}};
        z3::expr cls = ctx_.universe(h) && ctx_.condition(h, src) && ctx_.condition(h, dst) &&
                       ctx_.conditions(h, space_.conditions);
        for (const auto& at : entryPoints(ctx_, *policy_, h, space_.from, space_.to)) {
            if (outOfTime()) {
                report_.truncated = true;
                break;
            }
            entry(h, cls, at);
        }
        report_.solverCalls = ctx_.checks;
        report_.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return std::move(report_);
    }

private:
    bool outOfTime() const {
        return options_.timeLimitSeconds > 0 && std::chrono::steady_clock::now() > deadline_;
    }

    void entry(const smt::SymHeaders& h, const z3::expr& cls, const EntryPoint& at) {
        auto& z = ctx_.z3();
        std::vector<enc::PathEnc> paths;
        z3::expr delivered = z.bool_val(false);
        for (uint32_t b : entryPorts(*policy_, at)) {
            paths.push_back(enc::encodePath(ctx_, *policy_, b, at.dir, h));
            delivered = delivered || paths.back().allow;
        }
        z3::solver s(z);
        s.add(cls && at.guard);
        if (ctx_.check(s) != z3::sat) return;
        ++report_.entriesWithPackets;
        if (options_.verdict)
            s.add(*options_.verdict == lang::Verdict::Allow ? delivered : !delivered);
        for (size_t found = 0;; ++found) {
            if (outOfTime() || found == options_.maxClassesPerEntry) {
                // Stopped with classes possibly left: say so only when one is.
                if (ctx_.check(s) == z3::sat) report_.truncated = true;
                return;
            }
            if (ctx_.checkCanonical(s, h) != z3::sat) return;
            z3::model m = s.get_model();
            ClassShape shape;
            for (const auto& p : paths) readPath(ctx_, *policy_, p, m, shape);
            bool allow = ctx_.modelBool(m, delivered);
            shape.literals.push_back(allow ? delivered : !delivered);
            addClass(at, ctx_.modelHeaders(m, h), allow, shape);
            z3::expr_vector lits(z);
            for (const auto& l : shape.literals) lits.push_back(l);
            s.add(!z3::mk_and(lits));
        }
    }

    void internalError(const std::string& what, const QueryClass& c) {
        Finding f{FindingKind::Internal, Severity::Error,
                  "internal error: the Z3 encoding and the reference interpreter disagree on "
                  "query class at " + c.entry + ": " + what,
                  c.ranges.empty() ? lang::SourceRange{} : c.ranges.front(), {}, std::nullopt};
        Witness w;
        w.headers = c.example;
        w.where = c.entry;
        w.port = c.port;
        w.dir = c.dir;
        w.replay = c.replay;
        f.witness = w;
        report_.internalErrors.push_back(std::move(f));
    }

    void addClass(const EntryPoint& at, const lang::Headers& example, bool allow,
                  ClassShape& shape) {
        QueryClass c;
        c.entry = entryName(*policy_, at);
        if (at.port >= 0) c.port = policy_->ports[static_cast<size_t>(at.port)].name;
        c.dir = at.dir;
        c.verdict = allow ? lang::Verdict::Allow : lang::Verdict::Deny;
        c.example = example;
        c.rules = std::move(shape.rules);
        c.ranges = std::move(shape.ranges);
        // Every claim is checked on the example as printed, parsed back.
        auto printed = replay::printedPacket(example);
        c.exampleText = printed.text;
        if (!printed.error.empty()) {
            internalError(printed.error, c);
            report_.classes.push_back(std::move(c));
            return;
        }
        bool got = deliveredByInterpreter(policy_, at, printed.headers, false, c.replay);
        std::vector<std::string> seen;
        for (uint32_t b : entryPorts(*policy_, at)) {
            interp::Interpreter in(policy_);
            auto r = interp::evaluatePath(in, b, at.dir, printed.headers);
            for (auto& x : interpreterRules(*policy_, r)) seen.push_back(std::move(x));
            if (r.verdict == lang::Verdict::Allow || c.output.empty())
                c.output = r.output.str(*policy_);
            bool syn = printed.headers.proto == lang::kProtoTcp &&
                       printed.headers.tcpFlags == kSyn;
            if (syn && r.verdict == lang::Verdict::Allow && !c.connects.value_or(false)) {
                std::optional<uint32_t> from;
                if (at.dir == Direction::Out) from = b;
                std::string text;
                c.connects = replyComesBack(in, *policy_, r, from, text);
                c.replay += text;
            }
        }
        if (got != allow)
            internalError(std::string("the encoding says ") + (allow ? "delivered" : "not delivered") +
                              ", the interpreter " + (got ? "delivered" : "not delivered"),
                          c);
        else if (seen != c.rules)
            internalError("deciding rules: encoding [" + join(c.rules) + "], interpreter [" +
                              join(seen) + "]",
                          c);
        report_.classes.push_back(std::move(c));
    }

    std::shared_ptr<const lang::Policy> policy_;
    const QuerySpace& space_;
    const QueryOptions& options_;
    smt::Context ctx_;
    QueryReport report_;
    std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

QueryReport queryPolicy(std::shared_ptr<const lang::Policy> policy, const QuerySpace& space,
                        const QueryOptions& options) {
    return Query(std::move(policy), space, options).run();
}

void printQuery(std::ostream& out, const lang::Policy& policy, const QueryReport& report) {
    if (report.entriesWithPackets == 0)
        out << "the header space has no packets at any entry point\n";
    for (const auto& c : report.classes) {
        out << c.entry << ": " << lang::verdictName(c.verdict) << " -> " << c.output << "\n";
        out << "  example: " << c.exampleText << "\n";
        for (size_t i = 0; i < c.rules.size(); ++i) out << "  " << c.rules[i] << "\n";
        if (c.connects)
            out << "  connection: " << (*c.connects ? "established" : "SYN-ACK does not come back")
                << "\n";
    }
    out << report.classes.size() << " class" << (report.classes.size() == 1 ? "" : "es");
    if (report.truncated) out << " (more exist: raise --max-classes)";
    out << "\n";
    for (const auto& f : report.internalErrors) {
        std::string where = f.range.valid() && policy.sources
                                ? policy.sources->describe(f.range.begin) + ": "
                                : std::string();
        out << where << "error: " << f.message << "\n";
        if (f.witness) out << "  example: " << witnessText(f.witness->headers) << "\n";
    }
}

std::string queryToJson(const lang::Policy& policy, const QueryReport& report) {
    json classes = json::array();
    for (const auto& c : report.classes) {
        json locs = json::array();
        for (const auto& r : c.ranges) locs.push_back(location(policy, r));
        classes.push_back({{"entry", c.entry},
                           {"port", c.port ? json(*c.port) : json(nullptr)},
                           {"dir", lang::directionName(c.dir)},
                           {"verdict", lang::verdictName(c.verdict)},
                           {"example", c.exampleText},
                           {"rules", c.rules},
                           {"locations", locs},
                           {"output", c.output},
                           {"replay", c.replay},
                           {"connects", c.connects ? json(*c.connects) : json(nullptr)}});
    }
    json errors = json::array();
    for (const auto& f : report.internalErrors) {
        json e{{"message", f.message}};
        if (f.witness) e["example"] = witnessText(f.witness->headers);
        errors.push_back(e);
    }
    json j{{"classes", classes},
           {"entries_with_packets", report.entriesWithPackets},
           {"truncated", report.truncated},
           {"internal_errors", errors},
           {"solver_calls", report.solverCalls},
           {"seconds", report.seconds}};
    return j.dump();
}

}  // namespace sluice::verify
