// `sluice ctl vm add|move|del|list` and `sluice ctl route add|del|list`: the controller's
// VM-to-host table and route tables (docs/controller.md),
// written through the store the gateways watch (--store, $SLUICE_STORE, or
// /var/lib/sluice/controller.store). It programs the store only, never a vSwitch.
// Exit codes: 0 committed, 1 the store cannot be read or written, 2 usage (a malformed
// argument), 3 refused by the store (a compare-and-swap conflict, an invalid value, a limit).
//
// Registered as "ctl vm": the registry runs setups in name order, so "ctl" exists by then and
// `vm` is added beneath it without touching cmd_ctl.cpp.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "command.h"
#include "sluice/controller/store.h"

namespace sluice::cli {
namespace {

using controller::CommitResult;
using controller::VmKey;
using controller::Write;

struct VmOptions {
    std::string store;
    std::string vni, ip, host, mac;
    uint64_t expectVersion = controller::kAnyVersion;
    bool json = false;
};

std::string storePath(const VmOptions& o) {
    if (!o.store.empty()) return o.store;
    if (const char* env = std::getenv("SLUICE_STORE")) return env;
    return "/var/lib/sluice/controller.store";
}

int usage(const std::string& msg) {
    std::cerr << "sluice ctl: error: " << msg << "\nRun with --help for more information.\n";
    return kExitUsage;
}

nlohmann::json vmJson(const VmKey& k, const controller::VmEntry& e) {
    return {{"vni", k.vni},
            {"ip", controller::formatAddress(k.ip)},
            {"host", controller::formatAddress(e.host)},
            {"mac", controller::formatMac(e.mac)},
            {"version", e.version}};
}

// The VM key from the positional arguments, or a usage error printed.
std::optional<VmKey> vmKey(const VmOptions& o) {
    auto vni = controller::parseVni(o.vni);
    if (!vni) {
        usage("bad VNI '" + o.vni + "' (0 .. 16777215)");
        return std::nullopt;
    }
    auto ip = controller::parseAddress(o.ip);
    if (!ip) {
        usage("bad VM address '" + o.ip + "'");
        return std::nullopt;
    }
    return VmKey{*vni, *ip};
}

// Prints the outcome of a commit; returns the exit code.
int report(const VmOptions& o, const std::string& verb, const CommitResult& r,
           const nlohmann::json& vm) {
    static const char* kNames[] = {"committed", "conflict", "refused", "failed"};
    const char* result = kNames[static_cast<int>(r.outcome)];
    int code = r.ok()                                       ? kExitOk
               : r.outcome == CommitResult::Outcome::Failed ? kExitInputError
                                                            : kExitViolation;
    if (o.json) {
        nlohmann::json j = {{"result", result}, {"revision", r.revision}, {"vm", vm}};
        if (!r.ok()) j["message"] = r.message;
        printJson(std::cout, std::move(j));
        return code;
    }
    if (!r.ok()) {
        std::cerr << "sluice ctl vm: error: "
                  << (r.outcome == CommitResult::Outcome::Failed ? "" : std::string(result) + ": ")
                  << r.message << "\n";
        return code;
    }
    std::cout << verb << " VM " << vm["ip"].get<std::string>() << " in VNI " << vm["vni"];
    if (vm.contains("host")) std::cout << " on " << vm["host"].get<std::string>();
    std::cout << " (revision " << r.revision << ")\n";
    return code;
}

int runPut(const VmOptions& o, bool create) {
    auto key = vmKey(o);
    if (!key) return kExitUsage;
    auto host = controller::parseAddress(o.host);
    if (!host) return usage("bad host address '" + o.host + "'");
    auto store = controller::openFileStore(storePath(o));
    Write w;
    w.op = Write::Op::PutVm;
    w.vm = *key;
    w.vmValue.host = *host;
    w.expectVersion = create ? controller::kMustBeAbsent : o.expectVersion;
    if (!o.mac.empty()) {
        auto mac = controller::parseMac(o.mac);
        if (!mac) return usage("bad MAC '" + o.mac + "' (six hex pairs separated by ':')");
        w.vmValue.mac = *mac;
    }
    if (!create) {
        // A move keeps the MAC unless given, and is a compare-and-swap on the version read
        // (or the one the operator names), so a concurrent change is never overwritten.
        auto t = store->read();
        if (!t) {
            std::cerr << "sluice ctl vm: error: " << t.error().str() << "\n";
            return kExitInputError;
        }
        auto it = t->vms.find(*key);
        if (it != t->vms.end()) {
            if (o.mac.empty()) w.vmValue.mac = it->second.mac;
            if (o.expectVersion == controller::kAnyVersion) w.expectVersion = it->second.version;
        } else if (o.expectVersion == controller::kAnyVersion) {
            w.expectVersion = 1;  // moving a VM that does not exist: a conflict, reported as such
        }
    } else if (o.mac.empty()) {
        return usage("vm add needs --mac");
    }
    auto r = store->commit({w});
    controller::VmEntry e = w.vmValue;
    e.version = r.ok() ? r.revision : 0;
    return report(o, create ? "added" : "moved", r, vmJson(*key, e));
}

int runDelete(const VmOptions& o) {
    auto key = vmKey(o);
    if (!key) return kExitUsage;
    Write w;
    w.op = Write::Op::DeleteVm;
    w.vm = *key;
    w.expectVersion = o.expectVersion;
    auto r = controller::openFileStore(storePath(o))->commit({w});
    return report(o, "deleted", r, {{"vni", key->vni}, {"ip", controller::formatAddress(key->ip)}});
}

int runList(const VmOptions& o) {
    std::optional<uint32_t> vni;
    if (!o.vni.empty()) {
        vni = controller::parseVni(o.vni);
        if (!vni) return usage("bad VNI '" + o.vni + "' (0 .. 16777215)");
    }
    auto t = controller::openFileStore(storePath(o))->read();
    if (!t) {
        std::cerr << "sluice ctl vm: error: " << t.error().str() << "\n";
        return kExitInputError;
    }
    if (o.json) {
        nlohmann::json vms = nlohmann::json::array();
        for (const auto& [k, e] : t->vms)
            if (!vni || k.vni == *vni) vms.push_back(vmJson(k, e));
        printJson(std::cout, {{"revision", t->revision}, {"vms", std::move(vms)}});
        return kExitOk;
    }
    std::cout << "revision " << t->revision << "\n";
    for (const auto& [k, e] : t->vms) {
        if (vni && k.vni != *vni) continue;
        std::cout << "vni " << k.vni << "  " << controller::formatAddress(k.ip) << "  host "
                  << controller::formatAddress(e.host) << "  mac " << controller::formatMac(e.mac)
                  << "  version " << e.version << "\n";
    }
    return kExitOk;
}

int runRoute(const VmOptions& o, bool del) {
    auto vni = controller::parseVni(o.vni);
    if (!vni) return usage("bad VNI '" + o.vni + "' (0 .. 16777215)");
    auto prefix = controller::parsePrefix(o.ip);
    if (!prefix) return usage("bad prefix '" + o.ip + "' (ADDRESS/LENGTH, host bits zero)");
    Write w;
    w.op = del ? Write::Op::DeleteRoute : Write::Op::PutRoute;
    w.route = {*vni, *prefix};
    nlohmann::json j = {{"vni", *vni}, {"prefix", controller::formatPrefix(*prefix)}};
    if (!del) {
        auto hop = controller::parseAddress(o.host);
        if (!hop) return usage("bad next hop '" + o.host + "'");
        w.routeValue.nextHop = *hop;
        j["via"] = controller::formatAddress(*hop);
    }
    auto r = controller::openFileStore(storePath(o))->commit({w});
    static const char* kNames[] = {"committed", "conflict", "refused", "failed"};
    int code = r.ok() ? kExitOk
               : r.outcome == CommitResult::Outcome::Failed ? kExitInputError
                                                            : kExitViolation;
    if (o.json) {
        nlohmann::json out = {{"result", kNames[static_cast<int>(r.outcome)]},
                              {"revision", r.revision}, {"route", j}};
        if (!r.ok()) out["message"] = r.message;
        printJson(std::cout, std::move(out));
    } else if (!r.ok()) {
        std::cerr << "sluice ctl route: error: " << r.message << "\n";
    } else {
        std::cout << (del ? "deleted" : "added") << " route " << j["prefix"].get<std::string>()
                  << " in VNI " << *vni << " (revision " << r.revision << ")\n";
    }
    return code;
}

int runRouteList(const VmOptions& o) {
    auto t = controller::openFileStore(storePath(o))->read();
    if (!t) {
        std::cerr << "sluice ctl route: error: " << t.error().str() << "\n";
        return kExitInputError;
    }
    nlohmann::json routes = nlohmann::json::array();
    for (const auto& [k, e] : t->routes) {
        if (!o.json) {
            std::cout << "vni " << k.vni << "  " << controller::formatPrefix(k.prefix) << "  via "
                      << controller::formatAddress(e.nextHop) << "  version " << e.version << "\n";
            continue;
        }
        routes.push_back({{"vni", k.vni}, {"prefix", controller::formatPrefix(k.prefix)},
                          {"via", controller::formatAddress(e.nextHop)}, {"version", e.version}});
    }
    if (o.json) printJson(std::cout, {{"revision", t->revision}, {"routes", std::move(routes)}});
    return kExitOk;
}

void setupCtlVm(CLI::App& app, int& exitCode) {
    CLI::App* ctl = nullptr;
    try {
        ctl = app.get_subcommand("ctl");
    } catch (const CLI::OptionNotFound&) {
        return;  // no ctl command in this build
    }
    auto o = std::make_shared<VmOptions>();
    auto* vm = ctl->add_subcommand(
        "vm", "The controller's VM-to-host table (programs the gateways' store)");
    vm->add_option("--store", o->store,
                   "Store file (default $SLUICE_STORE or /var/lib/sluice/controller.store)");
    vm->require_subcommand(1);
    auto keyArgs = [o](CLI::App* c) {
        c->add_option("vni", o->vni, "VNI (0 .. 16777215)")->required();
        c->add_option("ip", o->ip, "The VM's IP address")->required();
        c->add_flag("--json", o->json, "JSON output");
        c->fallthrough();  // --store may follow the subcommand
    };

    auto* add = vm->add_subcommand("add", "Add a VM (refused if it exists: exit 3)");
    keyArgs(add);
    add->add_option("--host", o->host, "Underlay address of the VM's host")->required();
    add->add_option("--mac", o->mac, "The VM's MAC")->required();
    add->callback([o, &exitCode] { exitCode = runPut(*o, true); });

    auto* move =
        vm->add_subcommand("move", "Move a VM to another host (compare-and-swap on its version)");
    keyArgs(move);
    move->add_option("--host", o->host, "Underlay address of the new host")->required();
    move->add_option("--mac", o->mac, "A new MAC (default: unchanged)");
    move->add_option("--expect-version", o->expectVersion,
                     "Refuse (exit 3) unless the VM is at this version");
    move->callback([o, &exitCode] { exitCode = runPut(*o, false); });

    auto* del = vm->add_subcommand("del", "Delete a VM");
    keyArgs(del);
    del->add_option("--expect-version", o->expectVersion,
                    "Refuse (exit 3) unless the VM is at this version");
    del->callback([o, &exitCode] { exitCode = runDelete(*o); });

    auto* list = vm->add_subcommand("list", "List the VMs (all, or one VNI's)");
    list->add_option("--vni", o->vni, "Only this VNI");
    list->add_flag("--json", o->json, "JSON output");
    list->fallthrough();
    list->callback([o, &exitCode] { exitCode = runList(*o); });

    // Route tables: VNI -> prefix -> underlay next hop, in the same store.
    auto r = std::make_shared<VmOptions>();
    auto* route = ctl->add_subcommand("route", "The controller's route tables (VNI, prefix -> next hop)");
    route->add_option("--store", r->store,
                      "Store file (default $SLUICE_STORE or /var/lib/sluice/controller.store)");
    route->require_subcommand(1);
    auto* radd = route->add_subcommand("add", "Add or replace a route");
    radd->add_option("vni", r->vni, "VNI (0 .. 16777215)")->required();
    radd->add_option("prefix", r->ip, "Prefix, e.g. 10.2.0.0/16")->required();
    radd->add_option("--via", r->host, "Underlay next hop")->required();
    radd->add_flag("--json", r->json, "JSON output");
    radd->fallthrough();
    radd->callback([r, &exitCode] { exitCode = runRoute(*r, false); });
    auto* rdel = route->add_subcommand("del", "Delete a route");
    rdel->add_option("vni", r->vni, "VNI (0 .. 16777215)")->required();
    rdel->add_option("prefix", r->ip, "Prefix")->required();
    rdel->add_flag("--json", r->json, "JSON output");
    rdel->fallthrough();
    rdel->callback([r, &exitCode] { exitCode = runRoute(*r, true); });
    auto* rlist = route->add_subcommand("list", "List the routes");
    rlist->add_flag("--json", r->json, "JSON output");
    rlist->fallthrough();
    rlist->callback([r, &exitCode] { exitCode = runRouteList(*r); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("ctl vm", setupCtlVm);

}  // namespace sluice::cli
