#include "cli_docs.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "command.h"

namespace sluice::cli {
namespace {

std::vector<const CLI::App*> visibleSubcommands(const CLI::App& app) {
    return app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
}

std::vector<const CLI::Option*> visibleOptions(const CLI::App& app) {
    return app.get_options([](const CLI::Option* o) { return !o->get_group().empty(); });
}

// roff escapes of text within a line.
std::string esc(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\\') out += "\\e";
        else if (c == '-') out += "\\-";
        else out += c;
    }
    return out;
}

// Escaped lines, each ending in a newline; a leading '.' or '\'' would start a request.
std::string roff(const std::string& text) {
    std::string lines, line;
    std::istringstream in(esc(text));
    while (std::getline(in, line)) {
        if (!line.empty() && (line[0] == '.' || line[0] == '\'')) line = "\\&" + line;
        lines += line + "\n";
    }
    return lines;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

bool takesValue(const CLI::Option* o) { return o->get_expected_max() != 0 || o->get_positional(); }

std::string optionSynopsis(const CLI::Option* o) {
    if (o->get_positional()) {
        std::string n = upper(o->get_name(true));
        return o->get_required() ? n : "[" + n + "]";
    }
    std::string n = !o->get_lnames().empty() ? "--" + o->get_lnames()[0] : "-" + o->get_snames()[0];
    if (takesValue(o)) n += " " + upper(o->get_lnames().empty() ? "value" : o->get_lnames()[0]);
    return o->get_required() ? n : "[" + n + "]";
}

void manPage(const CLI::App& app, const std::string& path, const std::string& version,
             std::map<std::string, std::string>& out) {
    std::ostringstream m;
    std::string title = upper(path);
    for (char& c : title)
        if (c == ' ') c = '-';
    std::string file = path;
    for (char& c : file)
        if (c == ' ') c = '-';
    m << ".TH " << title << " 1 \"\" \"" << version << "\" \"Sluice Manual\"\n";
    m << ".SH NAME\n" << roff(path + " - " + app.get_description());
    m << ".SH SYNOPSIS\n.B " << roff(path);
    auto subs = visibleSubcommands(app);
    auto opts = visibleOptions(app);
    std::string synopsis;
    if (!subs.empty()) synopsis += " COMMAND";
    for (const auto* o : opts)
        if (o->get_positional()) synopsis += " " + optionSynopsis(o);
    for (const auto* o : opts)
        if (!o->get_positional()) synopsis += " " + optionSynopsis(o);
    m << roff(synopsis.empty() ? synopsis : synopsis.substr(1));
    m << ".SH DESCRIPTION\n" << roff(app.get_description());
    if (!subs.empty()) {
        m << ".SH COMMANDS\n";
        for (const auto* s : subs) {
            std::string sub = file + "-" + s->get_name();
            m << ".TP\n.B " << roff(s->get_name()) << roff(s->get_description())
              << "See \\fB" << esc(sub) << "\\fR(1).\n";
        }
    }
    if (!opts.empty()) {
        m << ".SH OPTIONS\n";
        for (const auto* o : opts) {
            m << ".TP\n.B " << roff(o->get_positional() ? upper(o->get_name(true))
                                                       : o->get_name(false, true));
            std::string d = o->get_description();
            if (!o->get_default_str().empty()) d += " (default: " + o->get_default_str() + ")";
            m << roff(d.empty() ? "-" : d);
        }
    }
    if (!app.get_footer().empty()) m << ".SH EXIT STATUS AND OUTPUT\n" << roff(app.get_footer());
    m << ".SH SEE ALSO\n";
    if (path != "sluice") m << "\\fBsluice\\fR(1), ";
    m << "docs/ in the Sluice source tree.\n";
    out[file + ".1"] = m.str();
    for (const auto* s : subs) manPage(*s, path + " " + s->get_name(), version, out);
}

// One `case` arm per command path ("sluice import"), listing what may follow it.
void completionCases(const CLI::App& app, const std::string& path, std::ostringstream& out) {
    std::string words;
    for (const auto* s : visibleSubcommands(app)) words += " " + s->get_name();
    std::string valued;
    bool positional = false;
    for (const auto* o : visibleOptions(app)) {
        if (o->get_positional()) {
            positional = true;
            continue;
        }
        for (const auto& l : o->get_lnames()) {
            words += " --" + l;
            if (takesValue(o)) valued += "|--" + l;
        }
        for (const auto& s : o->get_snames()) {
            words += " -" + s;
            if (takesValue(o)) valued += "|-" + s;
        }
    }
    out << "        \"" << path << "\")\n";
    if (!valued.empty())
        out << "            case \"$prev\" in " << valued.substr(1)
            << ") files=2 ;; esac\n";
    out << "            words=\"" << (words.empty() ? "" : words.substr(1)) << "\"\n";
    out << "            (( files == 2 )) || files=" << (positional ? 1 : 0) << " ;;\n";
    for (const auto* s : visibleSubcommands(app))
        completionCases(*s, path + " " + s->get_name(), out);
}

}  // namespace

std::map<std::string, std::string> manPages(const CLI::App& app, const std::string& version) {
    std::map<std::string, std::string> out;
    manPage(app, "sluice", version, out);
    return out;
}

std::string bashCompletion(const CLI::App& app) {
    std::ostringstream out;
    out << "# bash completion for sluice, generated from its command definitions by\n"
           "# `sluice completion bash`.\n"
           "_sluice() {\n"
           "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"\" path=\"sluice\" words=\"\" files=0 i w\n"
           "    (( COMP_CWORD > 0 )) && prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
           "    # The command path: the leading words that name (sub)commands.\n"
           "    for (( i = 1; i < COMP_CWORD; i++ )); do\n"
           "        w=\"${COMP_WORDS[i]}\"\n"
           "        [[ \"$w\" == -* ]] && continue\n"
           "        case \" $(_sluice_words \"$path\") \" in *\" $w \"*) path=\"$path $w\" ;; esac\n"
           "    done\n"
           "    _sluice_arm \"$path\" || return 0\n"
           "    if (( files == 2 )); then  # the previous word is an option that takes a value\n"
           "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
           "    elif [[ \"$cur\" == -* || $files -eq 0 ]]; then\n"
           "        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
           "    else\n"
           "        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\") $(compgen -f -- \"$cur\"))\n"
           "    fi\n"
           "}\n"
           "_sluice_words() { local words=\"\" files=0 cur=\"\" prev=\"\"; _sluice_arm \"$1\"; echo \"$words\"; }\n"
           "_sluice_arm() {\n"
           "    case \"$1\" in\n";
    completionCases(app, "sluice", out);
    out << "        *) return 1 ;;\n"
           "    esac\n"
           "    return 0\n"
           "}\n"
           "complete -F _sluice sluice\n";
    return out.str();
}

void addDocCommands(CLI::App& app, int& exitCode, const std::string& version) {
    auto shell = std::make_shared<std::string>();
    auto* completion = app.add_subcommand("completion", "Print a shell completion script");
    completion->add_option("shell", *shell, "Shell (bash)")
        ->required()
        ->check(CLI::IsMember({"bash"}));
    completion->callback([&app, &exitCode, shell] {  // keeps the option's storage alive
        std::cout << bashCompletion(app);
        exitCode = kExitOk;
    });
    auto dir = std::make_shared<std::string>();
    auto* man = app.add_subcommand("man-pages", "Write the man pages to DIR (the build runs it)");
    man->group("");  // not for users: `cmake --install` installs the result
    man->add_option("dir", *dir, "Output directory")->required();
    man->callback([&app, &exitCode, dir, version] {
        std::error_code ec;
        std::filesystem::create_directories(*dir, ec);
        for (const auto& [file, text] : manPages(app, version)) {
            std::ofstream f(std::filesystem::path(*dir) / file, std::ios::binary | std::ios::trunc);
            f << text;
            if (!f) {
                std::cerr << *dir << "/" << file << ": error: cannot write file\n";
                exitCode = kExitInputError;
                return;
            }
        }
        exitCode = kExitOk;
    });
}

}  // namespace sluice::cli
