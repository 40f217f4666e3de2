#include "suggest.h"

#include "sluice/support/spelling.h"

#include <algorithm>
#include <cctype>

namespace sluice::cli {
namespace {

const CLI::App* findSubcommand(const CLI::App& app, const std::string& name) {
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        if (sub->check_name(name)) return sub;
    return nullptr;
}

std::vector<std::string> subcommandNames(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        names.push_back(sub->get_name());
    return names;
}

// Options of `app` and of its parents (the global options fall through: main.cpp).
const CLI::Option* findOption(const CLI::App* app, const std::string& name) {
    for (; app != nullptr; app = app->get_parent()) {
        for (const CLI::Option* o : app->get_options()) {
            if (!o->nonpositional()) continue;
            for (const auto& l : o->get_lnames())
                if ("--" + l == name) return o;
            for (const auto& s : o->get_snames())
                if ("-" + s == name) return o;
        }
    }
    return nullptr;
}

std::vector<std::string> optionNames(const CLI::App* app) {
    std::vector<std::string> names;
    for (; app != nullptr; app = app->get_parent())
        for (const CLI::Option* o : app->get_options())
            for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    return names;
}

std::string commandPath(const CLI::App* app) {
    std::string path;
    for (; app->get_parent() != nullptr; app = app->get_parent()) path = " " + app->get_name() + path;
    return "sluice" + path;
}

bool hasPositionals(const CLI::App& app) {
    for (const CLI::Option* o : app.get_options())
        if (!o->nonpositional()) return true;
    return false;
}

}  // namespace

std::string closestName(std::string_view name, const std::vector<std::string>& candidates) {
    std::string best;
    size_t bestDistance = std::max<size_t>(1, name.size() / 3) + 1;
    for (const auto& c : candidates) {
        size_t d = editDistance(name, c);
        bool prefix = c.size() > name.size() && name.size() >= 3 && c.compare(0, name.size(), name) == 0;
        if (prefix) d = std::min<size_t>(d, 1);
        if (d < bestDistance) {
            bestDistance = d;
            best = c;
        }
    }
    return best;
}

std::optional<std::string> diagnoseArguments(const CLI::App& app, int argc, const char* const* argv) {
    const CLI::App* current = &app;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--") return std::nullopt;
        if (arg.size() > 1 && arg[0] == '-' && !(arg.size() > 1 && std::isdigit(static_cast<unsigned char>(arg[1])))) {
            std::string name = arg.substr(0, arg.find('='));
            if (name == "-h" || name == "--help") return std::nullopt;
            const CLI::Option* o = findOption(current, name);
            if (o == nullptr) {
                std::string best = closestName(name, optionNames(current));
                return "unknown option '" + name + "' for '" + commandPath(current) + "'" +
                       (best.empty() ? std::string() : "; did you mean '" + best + "'?");
            }
            if (name == arg && o->get_items_expected_min() > 0) ++i;  // its value
            continue;
        }
        if (const CLI::App* sub = findSubcommand(*current, arg)) {
            current = sub;
            continue;
        }
        bool wantsSubcommand = current->get_require_subcommand_min() > 0 && !hasPositionals(*current);
        if (wantsSubcommand) {
            std::string best = closestName(arg, subcommandNames(*current));
            return "unknown command '" + arg + "' for '" + commandPath(current) + "'" +
                   (best.empty() ? std::string() : "; did you mean '" + best + "'?");
        }
    }
    return std::nullopt;
}

}  // namespace sluice::cli
