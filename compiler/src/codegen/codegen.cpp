// IR -> LLVM IR. Layout of the generated module:
//
//   @tbl.N(ptr meta) -> i32 row | -1        one per classifier table (noinline: bounded size;
//                                            tables keep their bulk in constant globals)
//   @layer.L(ptr meta, ptr rule) -> i32 act  one per (layer, direction)
//   @apply.K(ptr meta, i32 act)              transposition programs, 64 actions per chunk
//   @PREFIX_p<port>_<in|out>(ptr in, ptr result)  and  ..._burst(ptr ins, ptr results, i32 n)
//   @PREFIX_policy                           sl_policy_desc
#include "codegen/codegen.h"

#include <cstddef>
#include <map>

#include <llvm/Analysis/CGSCCPassManager.h>
#include <llvm/Analysis/LoopAnalysisManager.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>

#include "ir/keys.h"

namespace sluice::codegen {

using namespace llvm;
using ir::ClassifierKind;
using ir::Field;

namespace {

// The rule-id field of a packed row word (29 bits); all ones marks the layer's default.
constexpr uint64_t kNoRuleId = 0x1fffffffu;

static_assert(sizeof(sl_meta) == 104 && sizeof(sl_result) == 272, "ABI layout changed");

struct FieldLoc {
    unsigned offset;    // value (IP: sl_ip)
    unsigned bytes;     // non-IP: load size
    int famOffset = -1; // IP: family byte
};

FieldLoc locate(Field f) {
    switch (f) {
        case Field::SrcMac: return {offsetof(sl_meta, src_mac), 8};
        case Field::DstMac: return {offsetof(sl_meta, dst_mac), 8};
        case Field::EtherType: return {offsetof(sl_meta, ethertype), 2};
        case Field::Vni: return {offsetof(sl_meta, vni), 4};
        case Field::OuterSrcIp:
            return {offsetof(sl_meta, outer_src), 16, offsetof(sl_meta, outer_src_family)};
        case Field::OuterDstIp:
            return {offsetof(sl_meta, outer_dst), 16, offsetof(sl_meta, outer_dst_family)};
        case Field::SrcIp: return {offsetof(sl_meta, src_ip), 16, offsetof(sl_meta, src_family)};
        case Field::DstIp: return {offsetof(sl_meta, dst_ip), 16, offsetof(sl_meta, dst_family)};
        case Field::Proto: return {offsetof(sl_meta, proto), 1};
        case Field::SrcPort: return {offsetof(sl_meta, src_port), 2};
        case Field::DstPort: return {offsetof(sl_meta, dst_port), 2};
        case Field::TcpFlags: return {offsetof(sl_meta, tcp_flags), 1};
        case Field::IcmpType: return {offsetof(sl_meta, icmp_type), 1};
        case Field::IcmpCode: return {offsetof(sl_meta, icmp_code), 1};
        case Field::Dscp: return {offsetof(sl_meta, dscp), 1};
    }
    return {0, 1};
}

class Gen {
public:
    Gen(const ir::Module& m, const std::string& prefix, LLVMContext& ctx)
        : m_(m), prefix_(prefix), ctx_(ctx), mod_(std::make_unique<llvm::Module>("sluice", ctx)),
          b_(ctx) {
        i1_ = Type::getInt1Ty(ctx);
        i8_ = Type::getInt8Ty(ctx);
        i16_ = Type::getInt16Ty(ctx);
        i32_ = Type::getInt32Ty(ctx);
        i64_ = Type::getInt64Ty(ctx);
        i128_ = Type::getInt128Ty(ctx);
        ptr_ = PointerType::get(ctx, 0);
    }

    std::unique_ptr<llvm::Module> run() {
        for (size_t l = 0; l < m_.layers.size(); ++l) layerFns_.push_back(genLayer(m_.layers[l], l));
        for (size_t r = 0; r < m_.routes.size(); ++r) routeFns_.push_back(genTable(m_.routes[r].table, "route" + std::to_string(r)));
        genActionTables();
        genApply();
        std::vector<std::pair<Function*, Function*>> entries;
        for (const ir::PortPipeline& p : m_.pipelines) entries.push_back(genPipeline(p));
        genDescriptor(entries);
        return std::move(mod_);
    }

private:
    // ---------------------------------------------------------------- helpers
    Value* gep(Value* base, unsigned off) { return b_.CreateConstInBoundsGEP1_64(i8_, base, off); }
    Value* load(Type* t, Value* base, unsigned off) { return b_.CreateLoad(t, gep(base, off)); }
    void store(Value* v, Value* base, unsigned off) { b_.CreateStore(v, gep(base, off)); }
    Constant* c64(uint64_t v) { return ConstantInt::get(i64_, v); }
    Constant* c32(uint64_t v) { return ConstantInt::get(i32_, v); }
    Constant* c8(uint64_t v) { return ConstantInt::get(i8_, v); }
    Constant* c128(ir::u128 v) { return ConstantInt::get(ctx_, APInt(128, {static_cast<uint64_t>(v), static_cast<uint64_t>(v >> 64)})); }

    Type* intOfBytes(unsigned n) { return n == 1 ? i8_ : n == 2 ? i16_ : n == 4 ? i32_ : i64_; }

    Function* newFn(const std::string& name, Type* ret, std::vector<Type*> args, bool internal, bool noinline) {
        Function* f = Function::Create(FunctionType::get(ret, args, false),
                                       internal ? GlobalValue::InternalLinkage : GlobalValue::ExternalLinkage,
                                       name, mod_.get());
        f->addFnAttr(Attribute::NoUnwind);
        if (noinline) f->addFnAttr(Attribute::NoInline);
        return f;
    }

    GlobalVariable* constArray(const std::string& name, Type* elt, std::vector<Constant*> vals) {
        ArrayType* at = ArrayType::get(elt, vals.size());
        auto* g = new GlobalVariable(*mod_, at, true, GlobalValue::PrivateLinkage, ConstantArray::get(at, vals), name);
        g->setAlignment(Align(64));
        return g;
    }
    GlobalVariable* u64Array(const std::string& name, const std::vector<uint64_t>& v) {
        auto* init = ConstantDataArray::get(ctx_, ArrayRef<uint64_t>(v));
        auto* g = new GlobalVariable(*mod_, init->getType(), true, GlobalValue::PrivateLinkage, init, name);
        g->setAlignment(Align(64));
        return g;
    }
    GlobalVariable* u32Array(const std::string& name, const std::vector<uint32_t>& v) {
        auto* init = ConstantDataArray::get(ctx_, ArrayRef<uint32_t>(v));
        auto* g = new GlobalVariable(*mod_, init->getType(), true, GlobalValue::PrivateLinkage, init, name);
        g->setAlignment(Align(64));
        return g;
    }
    GlobalVariable* u8Array(const std::string& name, const std::vector<uint8_t>& v) {
        auto* init = ConstantDataArray::get(ctx_, ArrayRef<uint8_t>(v));
        return new GlobalVariable(*mod_, init->getType(), true, GlobalValue::PrivateLinkage, init, name);
    }
    Constant* str(const std::string& s) {
        auto it = strings_.find(s);
        if (it != strings_.end()) return it->second;
        Constant* g = b_.CreateGlobalString(s, ".str", 0, mod_.get());
        strings_[s] = g;
        return g;
    }

    // Packet values of one field, loaded at a table function's entry.
    struct DimVals {
        Value* key = nullptr;  // projected i64 key
        Value* fam = nullptr;  // IP: i8 family
        Value* v128 = nullptr; // IP wide: full value
    };

    DimVals loadDim(Value* meta, Field f, bool wide) {
        FieldLoc loc = locate(f);
        DimVals d;
        if (loc.famOffset < 0) {
            d.key = b_.CreateZExt(load(intOfBytes(loc.bytes), meta, loc.offset), i64_);
            return d;
        }
        d.fam = load(i8_, meta, static_cast<unsigned>(loc.famOffset));
        Value* lo = load(i64_, meta, loc.offset);
        Value* hi = load(i64_, meta, loc.offset + 8);
        Value* k4 = b_.CreateOr(b_.CreateAnd(lo, c64(0xffffffffu)), c64(ir::kTagV4));
        Value* k6 = b_.CreateOr(b_.CreateLShr(hi, c64(2)), c64(ir::kTagV6));
        d.key = b_.CreateSelect(b_.CreateICmpEQ(d.fam, c8(4)), k4,
                                b_.CreateSelect(b_.CreateICmpEQ(d.fam, c8(6)), k6, c64(0)));
        if (wide) {
            d.v128 = b_.CreateOr(b_.CreateShl(b_.CreateZExt(hi, i128_), 64), b_.CreateZExt(lo, i128_));
        }
        return d;
    }

    std::vector<DimVals> loadDims(Value* meta, const ir::Table& t) {
        std::vector<DimVals> v;
        for (size_t d = 0; d < t.dims.size(); ++d) v.push_back(loadDim(meta, t.dims[d], t.wide[d]));
        return v;
    }

    // Exact check of one row with immediates.
    Value* rowCheckImm(const ir::Table& t, const ir::Row& r, const std::vector<DimVals>& vals) {
        Value* ok = ConstantInt::getTrue(ctx_);
        for (size_t d = 0; d < t.dims.size(); ++d) {
            const ir::DimMatch& m = r.dims[d];
            if (m.any) continue;
            if (t.wide[d]) {
                Value* c = b_.CreateICmpEQ(vals[d].fam, c8(static_cast<uint8_t>(m.family)));
                c = b_.CreateAnd(c, b_.CreateICmpUGE(vals[d].v128, c128(m.lo)));
                c = b_.CreateAnd(c, b_.CreateICmpULE(vals[d].v128, c128(m.hi)));
                ok = b_.CreateAnd(ok, c);
            } else {
                auto [lo, hi] = ir::projectDim(t.dims[d], m);
                Value* c;
                if (lo == hi) c = b_.CreateICmpEQ(vals[d].key, c64(lo));
                else if (lo == 0) c = b_.CreateICmpULE(vals[d].key, c64(hi));
                else if (hi == ~uint64_t{0}) c = b_.CreateICmpUGE(vals[d].key, c64(lo));
                else c = b_.CreateICmpULE(b_.CreateSub(vals[d].key, c64(lo)), c64(hi - lo));
                ok = b_.CreateAnd(ok, c);
            }
        }
        return ok;
    }

    // Row data for data-driven exact checks: per row, per dim: narrow [klo, khi];
    // wide [family (0xff: any), lo.lo, lo.hi, hi.lo, hi.hi].
    std::vector<unsigned> rowLayout(const ir::Table& t, unsigned& stride) {
        std::vector<unsigned> off;
        stride = 0;
        for (size_t d = 0; d < t.dims.size(); ++d) {
            off.push_back(stride);
            stride += t.wide[d] ? 5 : 2;
        }
        return off;
    }
    GlobalVariable* rowData(const ir::Table& t, const std::string& name) {
        std::vector<uint64_t> data;
        for (const ir::Row& r : t.rows) {
            for (size_t d = 0; d < t.dims.size(); ++d) {
                const ir::DimMatch& m = r.dims[d];
                if (t.wide[d]) {
                    ir::u128 lo = m.any ? 0 : m.lo, hi = m.any ? ~ir::u128(0) : m.hi;
                    data.push_back(m.any ? 0xff : static_cast<uint64_t>(m.family));
                    data.push_back(static_cast<uint64_t>(lo));
                    data.push_back(static_cast<uint64_t>(lo >> 64));
                    data.push_back(static_cast<uint64_t>(hi));
                    data.push_back(static_cast<uint64_t>(hi >> 64));
                } else {
                    auto [lo, hi] = ir::projectDim(t.dims[d], m);
                    data.push_back(lo);
                    data.push_back(hi);
                }
            }
        }
        if (data.empty()) data.push_back(0);
        return u64Array(name, data);
    }
    Value* rowCheckData(const ir::Table& t, GlobalVariable* data, Value* row,
                        const std::vector<DimVals>& vals) {
        unsigned stride;
        std::vector<unsigned> off = rowLayout(t, stride);
        Value* base = b_.CreateMul(b_.CreateZExt(row, i64_), c64(stride));
        auto word = [&](unsigned k) {
            return b_.CreateLoad(i64_, b_.CreateInBoundsGEP(i64_, data, b_.CreateAdd(base, c64(k))));
        };
        Value* ok = ConstantInt::getTrue(ctx_);
        for (size_t d = 0; d < t.dims.size(); ++d) {
            if (t.wide[d]) {
                Value* fam = word(off[d]);
                Value* famOk = b_.CreateOr(b_.CreateICmpEQ(fam, c64(0xff)),
                                           b_.CreateICmpEQ(fam, b_.CreateZExt(vals[d].fam, i64_)));
                auto w128 = [&](unsigned k) {
                    return b_.CreateOr(b_.CreateShl(b_.CreateZExt(word(k + 1), i128_), 64),
                                       b_.CreateZExt(word(k), i128_));
                };
                Value* c = b_.CreateAnd(famOk, b_.CreateICmpUGE(vals[d].v128, w128(off[d] + 1)));
                c = b_.CreateAnd(c, b_.CreateICmpULE(vals[d].v128, w128(off[d] + 3)));
                ok = b_.CreateAnd(ok, c);
            } else {
                Value* lo = word(off[d]);
                Value* hi = word(off[d] + 1);
                ok = b_.CreateAnd(ok, b_.CreateAnd(b_.CreateICmpUGE(vals[d].key, lo),
                                                   b_.CreateICmpULE(vals[d].key, hi)));
            }
        }
        return ok;
    }

    // ---------------------------------------------------------------- tables
    Function* genTable(const ir::Table& t, const std::string& name) {
        Function* f = newFn("tbl." + name, i32_, {ptr_}, true, true);
        f->addFnAttr(Attribute::getWithMemoryEffects(ctx_, MemoryEffects::readOnly()));
        Value* meta = f->getArg(0);
        BasicBlock* entry = BasicBlock::Create(ctx_, "entry", f);
        b_.SetInsertPoint(entry);
        std::vector<DimVals> vals = loadDims(meta, t);
        const ir::Classifier& c = t.cls;
        switch (c.kind) {
            case ClassifierKind::Linear: {
                for (size_t i = 0; i < t.rows.size(); ++i) {
                    Value* ok = rowCheckImm(t, t.rows[i], vals);
                    BasicBlock* hit = BasicBlock::Create(ctx_, "hit", f);
                    BasicBlock* next = BasicBlock::Create(ctx_, "next", f);
                    b_.CreateCondBr(ok, hit, next);
                    b_.SetInsertPoint(hit);
                    b_.CreateRet(c32(i));
                    b_.SetInsertPoint(next);
                }
                b_.CreateRet(c32(0xffffffffu));
                break;
            }
            case ClassifierKind::Interval: {
                GlobalVariable* bounds = u64Array(name + ".bounds", c.bounds);
                std::vector<uint32_t> w(c.winners.begin(), c.winners.end());
                GlobalVariable* winners = u32Array(name + ".winners", w);
                Value* key = vals[c.intervalDim].key;
                // Branch-free binary search for the last bound <= key.
                Value* lo = c64(0);
                uint64_t n = c.bounds.size();
                while (n > 1) {
                    uint64_t half = n / 2;
                    Value* mid = b_.CreateAdd(lo, c64(half));
                    Value* bv = b_.CreateLoad(i64_, b_.CreateInBoundsGEP(i64_, bounds, mid));
                    lo = b_.CreateSelect(b_.CreateICmpULE(bv, key), mid, lo);
                    n -= half;
                }
                b_.CreateRet(b_.CreateLoad(i32_, b_.CreateInBoundsGEP(i32_, winners, lo)));
                break;
            }
            case ClassifierKind::Hash: {
                GlobalVariable* data = rowData(t, name + ".rows");
                GlobalVariable* slots = u32Array(name + ".slots", c.slots);
                Value* h = c64(c.hashSeed);
                for (const DimVals& v : vals) h = hashMix(h, v.key);
                uint64_t mask = c.slots.size() - 1;
                BasicBlock* loop = BasicBlock::Create(ctx_, "probe", f);
                BasicBlock* check = BasicBlock::Create(ctx_, "check", f);
                BasicBlock* miss = BasicBlock::Create(ctx_, "miss", f);
                BasicBlock* hit = BasicBlock::Create(ctx_, "hit", f);
                BasicBlock* cont = BasicBlock::Create(ctx_, "cont", f);
                Value* start = b_.CreateAnd(h, c64(mask));
                b_.CreateBr(loop);
                b_.SetInsertPoint(loop);
                PHINode* i = b_.CreatePHI(i64_, 2);
                i->addIncoming(start, entry);
                Value* s = b_.CreateLoad(i32_, b_.CreateInBoundsGEP(i32_, slots, i));
                b_.CreateCondBr(b_.CreateICmpEQ(s, c32(0)), miss, check);
                b_.SetInsertPoint(check);
                Value* row = b_.CreateSub(s, c32(1));
                b_.CreateCondBr(rowCheckData(t, data, row, vals), hit, cont);
                b_.SetInsertPoint(hit);
                b_.CreateRet(row);
                b_.SetInsertPoint(cont);
                i->addIncoming(b_.CreateAnd(b_.CreateAdd(i, c64(1)), c64(mask)), cont);
                b_.CreateBr(loop);
                b_.SetInsertPoint(miss);
                b_.CreateRet(c32(0xffffffffu));
                break;
            }
            case ClassifierKind::Tree: genTree(t, name, f, entry, vals); break;
        }
        return f;
    }

    Value* hashMix(Value* h, Value* k) {
        // h ^= k + C + (h << 6) + (h >> 2); h *= M; h ^ (h >> 32)
        Value* t = b_.CreateAdd(b_.CreateAdd(k, c64(0x9e3779b97f4a7c15ull)),
                                b_.CreateAdd(b_.CreateShl(h, c64(6)), b_.CreateLShr(h, c64(2))));
        h = b_.CreateXor(h, t);
        h = b_.CreateMul(h, c64(0xff51afd7ed558ccdull));
        return b_.CreateXor(h, b_.CreateLShr(h, c64(32)));
    }

    void genTree(const ir::Table& t, const std::string& name, Function* f, BasicBlock* entry,
                 const std::vector<DimVals>& vals) {
        const ir::Classifier& c = t.cls;
        GlobalVariable* data = rowData(t, name + ".rows");
        // Nodes: {split, left << 4 | dim, right} as three u64 words... packed as 2 words:
        // word0 = split, word1 = (u32)(left << 4 | dim) | (u64)(u32)right << 32.
        std::vector<uint64_t> nodes;
        for (const ir::TreeNode& n : c.nodes) {
            nodes.push_back(n.split);
            uint32_t l = static_cast<uint32_t>(n.left * 16) | n.dim;
            nodes.push_back(uint64_t{l} | (uint64_t{static_cast<uint32_t>(n.right)} << 32));
        }
        std::vector<uint32_t> leaves;
        for (size_t i = 0; i < c.leafBegin.size(); ++i) {
            leaves.push_back(c.leafBegin[i]);
            leaves.push_back(c.leafEnd[i]);
        }
        GlobalVariable* leafTab = u32Array(name + ".leaves", leaves);
        std::vector<uint32_t> lr = c.leafRows;
        if (lr.empty()) lr.push_back(0);
        GlobalVariable* leafRows = u32Array(name + ".leafrows", lr);
        // Keys in a small array indexed by the node's dim.
        AllocaInst* keys = b_.CreateAlloca(i64_, c32(std::max<size_t>(1, vals.size())));
        for (size_t d = 0; d < vals.size(); ++d) b_.CreateStore(vals[d].key, b_.CreateConstInBoundsGEP1_64(i64_, keys, d));
        BasicBlock* walk = BasicBlock::Create(ctx_, "walk", f);
        BasicBlock* atLeaf = BasicBlock::Create(ctx_, "leaf", f);
        Value* leafCode;
        if (c.nodes.empty()) {
            b_.CreateBr(atLeaf);
            b_.SetInsertPoint(walk);
            b_.CreateUnreachable();
            b_.SetInsertPoint(atLeaf);
            leafCode = c32(0xffffffffu);  // ~0: leaf 0
        } else {
            GlobalVariable* nodeTab = u64Array(name + ".nodes", nodes);
            b_.CreateBr(walk);
            b_.SetInsertPoint(walk);
            PHINode* n = b_.CreatePHI(i32_, 2);
            n->addIncoming(c32(0), entry);
            Value* base = b_.CreateShl(b_.CreateZExt(n, i64_), c64(1));
            Value* split = b_.CreateLoad(i64_, b_.CreateInBoundsGEP(i64_, nodeTab, base));
            Value* w1 = b_.CreateLoad(i64_, b_.CreateInBoundsGEP(i64_, nodeTab, b_.CreateOr(base, c64(1))));
            Value* lw = b_.CreateTrunc(w1, i32_);
            Value* dim = b_.CreateAnd(lw, c32(15));
            Value* left = b_.CreateAShr(lw, c32(4));
            Value* right = b_.CreateTrunc(b_.CreateLShr(w1, c64(32)), i32_);
            Value* k = b_.CreateLoad(i64_, b_.CreateInBoundsGEP(i64_, keys, b_.CreateZExt(dim, i64_)));
            Value* next = b_.CreateSelect(b_.CreateICmpULE(k, split), left, right);
            n->addIncoming(next, walk);
            b_.CreateCondBr(b_.CreateICmpSGE(next, c32(0)), walk, atLeaf);
            b_.SetInsertPoint(atLeaf);
            PHINode* ln = b_.CreatePHI(i32_, 1);
            ln->addIncoming(next, walk);
            leafCode = ln;
        }
        Value* leaf = b_.CreateNot(leafCode);
        Value* l2 = b_.CreateShl(b_.CreateZExt(leaf, i64_), c64(1));
        Value* begin = b_.CreateLoad(i32_, b_.CreateInBoundsGEP(i32_, leafTab, l2));
        Value* end = b_.CreateLoad(i32_, b_.CreateInBoundsGEP(i32_, leafTab, b_.CreateOr(l2, c64(1))));
        BasicBlock* scanHead = BasicBlock::Create(ctx_, "scan", f);
        BasicBlock* scanBody = BasicBlock::Create(ctx_, "scanbody", f);
        BasicBlock* found = BasicBlock::Create(ctx_, "found", f);
        BasicBlock* scanNext = BasicBlock::Create(ctx_, "scannext", f);
        BasicBlock* none = BasicBlock::Create(ctx_, "none", f);
        BasicBlock* pre = b_.GetInsertBlock();
        b_.CreateBr(scanHead);
        b_.SetInsertPoint(scanHead);
        PHINode* i = b_.CreatePHI(i32_, 2);
        i->addIncoming(begin, pre);
        b_.CreateCondBr(b_.CreateICmpULT(i, end), scanBody, none);
        b_.SetInsertPoint(scanBody);
        Value* row = b_.CreateLoad(i32_, b_.CreateInBoundsGEP(i32_, leafRows, b_.CreateZExt(i, i64_)));
        b_.CreateCondBr(rowCheckData(t, data, row, vals), found, scanNext);
        b_.SetInsertPoint(found);
        b_.CreateRet(row);
        b_.SetInsertPoint(scanNext);
        i->addIncoming(b_.CreateAdd(i, c32(1)), scanNext);
        b_.CreateBr(scanHead);
        b_.SetInsertPoint(none);
        b_.CreateRet(c32(0xffffffffu));
    }

    // ---------------------------------------------------------------- layers
    Function* genLayer(const ir::LayerIR& L, size_t index) {
        std::vector<Function*> tables;
        for (size_t g = 0; g < L.groups.size(); ++g) {
            tables.push_back(L.groups[g].table.rows.empty()
                                 ? nullptr
                                 : genTable(L.groups[g].table, "l" + std::to_string(index) + ".g" + std::to_string(g)));
        }
        // Row -> packed rule info:
        //   action << 32 | stateful << 31 | terminating << 30 | log << 29 | global id (29 bits).
        std::vector<GlobalVariable*> rowInfo;
        for (size_t g = 0; g < L.groups.size(); ++g) {
            std::vector<uint64_t> info;
            for (const ir::Row& r : L.groups[g].table.rows) {
                const ir::RuleRef& ref = L.groups[g].rules[r.rule];
                info.push_back(uint64_t{ref.action} << 32 | uint64_t{ref.stateful} << 31 |
                               uint64_t{ref.terminating} << 30 | uint64_t{ref.log} << 29 |
                               ref.globalId);
            }
            rowInfo.push_back(info.empty() ? nullptr : u64Array("l" + std::to_string(index) + ".g" + std::to_string(g) + ".info", info));
        }
        Function* f = newFn("layer." + std::to_string(index), i32_, {ptr_, ptr_}, true, true);
        Value* meta = f->getArg(0);
        Value* ruleOut = f->getArg(1);
        BasicBlock* entry = BasicBlock::Create(ctx_, "entry", f);
        BasicBlock* done = BasicBlock::Create(ctx_, "done", f);
        b_.SetInsertPoint(entry);
        // Winner word: action << 32 | flags | id; default: default action, NO_RULE.
        AllocaInst* win = b_.CreateAlloca(i64_);
        b_.CreateStore(c64(uint64_t{L.defaultAction} << 32 | kNoRuleId), win);
        for (size_t g = 0; g < L.groups.size(); ++g) {
            const ir::GroupIR& G = L.groups[g];
            if (!tables[g]) continue;
            BasicBlock* next = BasicBlock::Create(ctx_, "g" + std::to_string(g) + ".next", f);
            if (!G.conditions.dims.empty()) {
                std::vector<DimVals> vals = loadDims(meta, G.conditions);
                Value* any = ConstantInt::getFalse(ctx_);
                for (const ir::Row& r : G.conditions.rows) any = b_.CreateOr(any, rowCheckImm(G.conditions, r, vals));
                BasicBlock* body = BasicBlock::Create(ctx_, "g" + std::to_string(g), f);
                b_.CreateCondBr(any, body, next);
                b_.SetInsertPoint(body);
            }
            Value* row = b_.CreateCall(tables[g], {meta});
            BasicBlock* hit = BasicBlock::Create(ctx_, "g" + std::to_string(g) + ".hit", f);
            b_.CreateCondBr(b_.CreateICmpSGE(row, c32(0)), hit, next);
            b_.SetInsertPoint(hit);
            Value* w = b_.CreateLoad(i64_, b_.CreateInBoundsGEP(i64_, rowInfo[g], b_.CreateZExt(row, i64_)));
            b_.CreateStore(w, win);
            bool anyTerm = false;
            for (const ir::RuleRef& r : G.rules) anyTerm |= r.terminating;
            if (anyTerm) {
                b_.CreateCondBr(b_.CreateICmpNE(b_.CreateAnd(w, c64(1u << 30)), c64(0)), done, next);
            } else {
                b_.CreateBr(next);
            }
            b_.SetInsertPoint(next);
        }
        b_.CreateBr(done);
        b_.SetInsertPoint(done);
        Value* w = b_.CreateLoad(i64_, win);
        Value* id = b_.CreateAnd(w, c64(kNoRuleId));
        Value* rule = b_.CreateSelect(b_.CreateICmpEQ(id, c64(kNoRuleId)), c64(SL_NO_RULE), id);
        Value* stateful = b_.CreateShl(b_.CreateAnd(b_.CreateLShr(w, c64(31)), c64(1)), c64(32));
        Value* log = b_.CreateShl(b_.CreateAnd(b_.CreateLShr(w, c64(29)), c64(1)), c64(33));
        // i64: rule | stateful << 32 | log << 33
        b_.CreateStore(b_.CreateOr(b_.CreateOr(rule, stateful), log), ruleOut);
        b_.CreateRet(b_.CreateTrunc(b_.CreateLShr(w, c64(32)), i32_));
        return f;
    }

    // ---------------------------------------------------------------- actions
    void genActionTables() {
        std::vector<uint8_t> verdict;
        std::vector<uint32_t> route;
        for (const ir::ActionProgram& a : m_.actions) {
            verdict.push_back(a.verdict == lang::Verdict::Allow ? SL_VERDICT_ALLOW : SL_VERDICT_DENY);
            route.push_back(a.routeTable ? *a.routeTable : SL_NONE);
        }
        if (verdict.empty()) { verdict.push_back(1); route.push_back(SL_NONE); }
        actVerdict_ = u8Array("act.verdict", verdict);
        actRoute_ = u32Array("act.route", route);
    }

    void emitSetIp(Value* meta, Field f, ir::u128 value, lang::Family fam) {
        FieldLoc loc = locate(f);
        if (fam != lang::Family::None) {
            ir::u128 v = fam == lang::Family::V4 ? (value & 0xffffffffu) : value;
            store(c64(static_cast<uint64_t>(v)), meta, loc.offset);
            store(c64(static_cast<uint64_t>(v >> 64)), meta, loc.offset + 8);
            store(c8(static_cast<uint8_t>(fam)), meta, static_cast<unsigned>(loc.famOffset));
            return;
        }
        // Keep the current family: V4 masks, None clears.
        Value* cur = load(i8_, meta, static_cast<unsigned>(loc.famOffset));
        Value* isNone = b_.CreateICmpEQ(cur, c8(0));
        Value* isV4 = b_.CreateICmpEQ(cur, c8(4));
        Value* lo = b_.CreateSelect(isNone, c64(0), b_.CreateSelect(isV4, c64(static_cast<uint64_t>(value) & 0xffffffffu), c64(static_cast<uint64_t>(value))));
        Value* hi = b_.CreateSelect(b_.CreateOr(isNone, isV4), c64(0), c64(static_cast<uint64_t>(value >> 64)));
        store(lo, meta, loc.offset);
        store(hi, meta, loc.offset + 8);
    }

    void emitOps(Value* meta, const ir::ActionProgram& a) {
        for (const ir::TranspositionOp& op : a.ops) {
            switch (op.kind) {
                case ir::TranspositionOp::Decap:
                    store(c32(0), meta, offsetof(sl_meta, vni));
                    for (Field f : {Field::OuterSrcIp, Field::OuterDstIp}) {
                        FieldLoc loc = locate(f);
                        store(c64(0), meta, loc.offset);
                        store(c64(0), meta, loc.offset + 8);
                        store(c8(0), meta, static_cast<unsigned>(loc.famOffset));
                    }
                    break;
                case ir::TranspositionOp::Set: {
                    const lang::FieldInfo& info = lang::fieldInfo(op.field);
                    if (info.isIp) {
                        emitSetIp(meta, op.field, op.value, op.family);
                    } else {
                        FieldLoc loc = locate(op.field);
                        ir::u128 mask = info.width >= 128 ? ~ir::u128(0) : ((ir::u128(1) << info.width) - 1);
                        uint64_t v = static_cast<uint64_t>(op.value & mask);
                        store(ConstantInt::get(intOfBytes(loc.bytes), v), meta, loc.offset);
                    }
                    break;
                }
                case ir::TranspositionOp::Encap:
                    store(c32(op.vni), meta, offsetof(sl_meta, vni));
                    emitSetIpExact(meta, Field::OuterSrcIp, op.outerSrc);
                    emitSetIpExact(meta, Field::OuterDstIp, op.outerDst);
                    break;
            }
        }
    }
    void emitSetIpExact(Value* meta, Field f, const lang::IpAddr& a) {
        FieldLoc loc = locate(f);
        store(c64(static_cast<uint64_t>(a.value)), meta, loc.offset);
        store(c64(static_cast<uint64_t>(a.value >> 64)), meta, loc.offset + 8);
        store(c8(static_cast<uint8_t>(a.family)), meta, static_cast<unsigned>(loc.famOffset));
    }

    void genApply() {
        // Chunks of 64 actions keep each function small (InstCombine is quadratic).
        size_t n = m_.actions.size();
        std::vector<Function*> chunks;
        for (size_t base = 0; base < n; base += 64) {
            Function* f = newFn("apply." + std::to_string(base / 64), Type::getVoidTy(ctx_), {ptr_, i32_}, true, true);
            BasicBlock* entry = BasicBlock::Create(ctx_, "entry", f);
            BasicBlock* exit = BasicBlock::Create(ctx_, "exit", f);
            b_.SetInsertPoint(entry);
            SwitchInst* sw = b_.CreateSwitch(f->getArg(1), exit);
            for (size_t a = base; a < n && a < base + 64; ++a) {
                if (m_.actions[a].ops.empty()) continue;
                BasicBlock* bb = BasicBlock::Create(ctx_, "a" + std::to_string(a), f);
                sw->addCase(cast<ConstantInt>(c32(a)), bb);
                b_.SetInsertPoint(bb);
                emitOps(f->getArg(0), m_.actions[a]);
                b_.CreateBr(exit);
            }
            b_.SetInsertPoint(exit);
            b_.CreateRetVoid();
            chunks.push_back(f);
        }
        apply_ = newFn("apply", Type::getVoidTy(ctx_), {ptr_, i32_}, true, chunks.size() > 1);
        BasicBlock* entry = BasicBlock::Create(ctx_, "entry", apply_);
        BasicBlock* exit = BasicBlock::Create(ctx_, "exit", apply_);
        b_.SetInsertPoint(entry);
        SwitchInst* sw = b_.CreateSwitch(b_.CreateLShr(apply_->getArg(1), c32(6)), exit);
        for (size_t k = 0; k < chunks.size(); ++k) {
            BasicBlock* bb = BasicBlock::Create(ctx_, "c" + std::to_string(k), apply_);
            sw->addCase(cast<ConstantInt>(c32(k)), bb);
            b_.SetInsertPoint(bb);
            b_.CreateCall(chunks[k], {apply_->getArg(0), apply_->getArg(1)});
            b_.CreateBr(exit);
        }
        b_.SetInsertPoint(exit);
        b_.CreateRetVoid();
    }

    // ---------------------------------------------------------------- pipelines
    std::pair<Function*, Function*> genPipeline(const ir::PortPipeline& p) {
        std::string name = prefix_ + "_p" + std::to_string(p.port) + "_" + lang::directionName(p.dir);
        Function* f = newFn(name, Type::getVoidTy(ctx_), {ptr_, ptr_}, false, false);
        Value* in = f->getArg(0);
        Value* res = f->getArg(1);
        BasicBlock* entry = BasicBlock::Create(ctx_, "entry", f);
        b_.SetInsertPoint(entry);
        b_.CreateMemSet(res, c8(0), sizeof(sl_result), MaybeAlign(8));
        b_.CreateMemCpy(res, MaybeAlign(8), in, MaybeAlign(8), sizeof(sl_meta));
        Value* meta = res;  // the result's `out` is the working metadata
        store(ConstantInt::get(i16_, 0xffff), res, offsetof(sl_result, route_table));
        AllocaInst* ruleWord = b_.CreateAlloca(i64_);
        AllocaInst* route = b_.CreateAlloca(i32_);
        AllocaInst* smask = b_.CreateAlloca(i32_);
        AllocaInst* lmask = b_.CreateAlloca(i32_);
        AllocaInst* amask = b_.CreateAlloca(i32_);
        b_.CreateStore(c32(SL_NONE), route);
        b_.CreateStore(c32(0), smask);
        b_.CreateStore(c32(0), lmask);
        b_.CreateStore(c32(0), amask);
        // The masks are stored on every way out (allowed, denied).
        auto storeMasks = [&] {
            store(b_.CreateLoad(i32_, smask), res, offsetof(sl_result, stateful_mask));
            store(b_.CreateLoad(i32_, lmask), res, offsetof(sl_result, log_mask));
            store(b_.CreateLoad(i32_, amask), res, offsetof(sl_result, audit_mask));
        };
        BasicBlock* denied = BasicBlock::Create(ctx_, "denied", f);
        BasicBlock* ret = BasicBlock::Create(ctx_, "ret", f);
        for (size_t i = 0; i < p.layers.size(); ++i) {
            const ir::LayerIR& L = m_.layers[p.layers[i]];
            // What this layer can do, to specialise the step.
            bool canDeny = false, canRewrite = false, canRoute = false;
            auto note = [&](uint32_t a) {
                canDeny |= m_.actions[a].verdict == lang::Verdict::Deny;
                canRewrite |= !m_.actions[a].ops.empty();
                canRoute |= m_.actions[a].routeTable.has_value();
            };
            note(L.defaultAction);
            for (const ir::GroupIR& G : L.groups) for (const ir::RuleRef& r : G.rules) note(r.action);
            Value* a = b_.CreateCall(layerFns_[p.layers[i]], {meta, ruleWord});
            Value* w = b_.CreateLoad(i64_, ruleWord);
            store(b_.CreateTrunc(w, i32_), res, offsetof(sl_result, step_rule) + 4 * i);
            Value* sbit = b_.CreateShl(b_.CreateTrunc(b_.CreateAnd(b_.CreateLShr(w, c64(32)), c64(1)), i32_), c32(i));
            b_.CreateStore(b_.CreateOr(b_.CreateLoad(i32_, smask), sbit), smask);
            Value* lbit = b_.CreateShl(b_.CreateTrunc(b_.CreateAnd(b_.CreateLShr(w, c64(33)), c64(1)), i32_), c32(i));
            b_.CreateStore(b_.CreateOr(b_.CreateLoad(i32_, lmask), lbit), lmask);
            store(ConstantInt::get(i16_, i + 1), res, offsetof(sl_result, n_steps));
            if (canDeny && L.audit) {
                // Audit: a deny sets the step's bit and the walk goes on. A deny action has
                // no ops and no route, so the apply and route code below leaves it alone.
                Value* v = b_.CreateLoad(i8_, b_.CreateInBoundsGEP(i8_, actVerdict_, b_.CreateZExt(a, i64_)));
                Value* abit = b_.CreateShl(b_.CreateZExt(b_.CreateICmpNE(v, c8(SL_VERDICT_ALLOW)), i32_), c32(i));
                b_.CreateStore(b_.CreateOr(b_.CreateLoad(i32_, amask), abit), amask);
            } else if (canDeny) {
                Value* v = b_.CreateLoad(i8_, b_.CreateInBoundsGEP(i8_, actVerdict_, b_.CreateZExt(a, i64_)));
                BasicBlock* cont = BasicBlock::Create(ctx_, "allowed", f);
                b_.CreateCondBr(b_.CreateICmpNE(v, c8(SL_VERDICT_ALLOW)), denied, cont);
                b_.SetInsertPoint(cont);
            }
            if (canRewrite) b_.CreateCall(apply_, {meta, a});
            if (canRoute) {
                Value* r = b_.CreateLoad(i32_, b_.CreateInBoundsGEP(i32_, actRoute_, b_.CreateZExt(a, i64_)));
                b_.CreateStore(b_.CreateSelect(b_.CreateICmpEQ(r, c32(SL_NONE)), b_.CreateLoad(i32_, route), r), route);
            }
        }
        storeMasks();
        // Output.
        Value* rt = b_.CreateLoad(i32_, route);
        BasicBlock* noRoute = BasicBlock::Create(ctx_, "noroute", f);
        BasicBlock* dropped = BasicBlock::Create(ctx_, "routedrop", f);
        SwitchInst* sw = b_.CreateSwitch(rt, dropped);
        sw->addCase(cast<ConstantInt>(c32(SL_NONE)), noRoute);
        b_.SetInsertPoint(noRoute);
        store(c8(SL_VERDICT_ALLOW), res, offsetof(sl_result, verdict));
        store(c8(p.dir == lang::Direction::Out ? SL_OUT_UPLINK : SL_OUT_VM), res, offsetof(sl_result, out_kind));
        store(c32(p.dir == lang::Direction::Out ? 0 : p.port), res, offsetof(sl_result, out_index));
        b_.CreateBr(ret);
        for (size_t r = 0; r < m_.routes.size(); ++r) {
            BasicBlock* bb = BasicBlock::Create(ctx_, "route" + std::to_string(r), f);
            sw->addCase(cast<ConstantInt>(c32(r)), bb);
            b_.SetInsertPoint(bb);
            store(ConstantInt::get(i16_, r), res, offsetof(sl_result, route_table));
            Value* row = b_.CreateCall(routeFns_[r], {meta});
            BasicBlock* found = BasicBlock::Create(ctx_, "found", f);
            b_.CreateCondBr(b_.CreateICmpSGE(row, c32(0)), found, dropped);
            b_.SetInsertPoint(found);
            const ir::RouteTableIR& R = m_.routes[r];
            std::vector<uint8_t> kind;
            std::vector<uint32_t> index;
            std::vector<uint64_t> addr;
            std::vector<uint8_t> fam;
            for (const ir::Row& row : R.table.rows) {
                const ir::NextHop& h = R.hops[row.rule];
                uint8_t k = SL_OUT_DROP;
                switch (h.kind) {
                    case lang::NextHopKind::Port: k = SL_OUT_PORT; break;
                    case lang::NextHopKind::Host: k = SL_OUT_HOST; break;
                    case lang::NextHopKind::Gateway: k = SL_OUT_GATEWAY; break;
                    case lang::NextHopKind::Ecmp: k = SL_OUT_ECMP; break;
                    case lang::NextHopKind::Drop: k = SL_OUT_DROP; break;
                }
                bool hasAddr = k == SL_OUT_HOST || k == SL_OUT_GATEWAY;
                bool hasIndex = k == SL_OUT_PORT || k == SL_OUT_ECMP;
                kind.push_back(k);
                index.push_back(hasIndex ? h.index : 0);
                addr.push_back(hasAddr ? static_cast<uint64_t>(h.address.value) : 0);
                addr.push_back(hasAddr ? static_cast<uint64_t>(h.address.value >> 64) : 0);
                fam.push_back(hasAddr ? static_cast<uint8_t>(h.address.family) : 0);
            }
            std::string rn = "rt" + std::to_string(r) + "." + std::to_string(p.port) + lang::directionName(p.dir);
            Value* ri = b_.CreateZExt(row, i64_);
            Value* k = b_.CreateLoad(i8_, b_.CreateInBoundsGEP(i8_, u8Array(rn + ".kind", kind), ri));
            BasicBlock* deliver = BasicBlock::Create(ctx_, "deliver", f);
            b_.CreateCondBr(b_.CreateICmpEQ(k, c8(SL_OUT_DROP)), dropped, deliver);
            b_.SetInsertPoint(deliver);
            store(c8(SL_VERDICT_ALLOW), res, offsetof(sl_result, verdict));
            store(k, res, offsetof(sl_result, out_kind));
            store(b_.CreateLoad(i32_, b_.CreateInBoundsGEP(i32_, u32Array(rn + ".index", index), ri)), res, offsetof(sl_result, out_index));
            GlobalVariable* ag = u64Array(rn + ".addr", addr);
            Value* a2 = b_.CreateShl(ri, c64(1));
            store(b_.CreateLoad(i64_, b_.CreateInBoundsGEP(i64_, ag, a2)), res, offsetof(sl_result, out_addr));
            store(b_.CreateLoad(i64_, b_.CreateInBoundsGEP(i64_, ag, b_.CreateOr(a2, c64(1)))), res, offsetof(sl_result, out_addr) + 8);
            store(b_.CreateLoad(i8_, b_.CreateInBoundsGEP(i8_, u8Array(rn + ".fam", fam), ri)), res, offsetof(sl_result, out_family));
            b_.CreateBr(ret);
        }
        // No matching route, a `-> drop` route, or an unknown table: drop after all layers.
        b_.SetInsertPoint(dropped);
        store(c8(SL_VERDICT_DENY), res, offsetof(sl_result, verdict));
        store(c8(SL_OUT_DROP), res, offsetof(sl_result, out_kind));
        b_.CreateBr(ret);
        b_.SetInsertPoint(denied);
        storeMasks();
        store(c8(SL_VERDICT_DENY), res, offsetof(sl_result, verdict));
        store(c8(SL_OUT_DROP), res, offsetof(sl_result, out_kind));
        b_.CreateBr(ret);
        b_.SetInsertPoint(ret);
        b_.CreateRetVoid();

        Function* burst = newFn(name + "_burst", Type::getVoidTy(ctx_), {ptr_, ptr_, i32_}, false, false);
        BasicBlock* be = BasicBlock::Create(ctx_, "entry", burst);
        BasicBlock* loop = BasicBlock::Create(ctx_, "loop", burst);
        BasicBlock* exit = BasicBlock::Create(ctx_, "exit", burst);
        b_.SetInsertPoint(be);
        b_.CreateCondBr(b_.CreateICmpEQ(burst->getArg(2), c32(0)), exit, loop);
        b_.SetInsertPoint(loop);
        PHINode* i = b_.CreatePHI(i64_, 2);
        i->addIncoming(c64(0), be);
        Value* pin = b_.CreateLoad(ptr_, b_.CreateInBoundsGEP(ptr_, burst->getArg(0), i));
        Value* pout = b_.CreateInBoundsGEP(i8_, burst->getArg(1), b_.CreateMul(i, c64(sizeof(sl_result))));
        b_.CreateCall(f, {pin, pout});
        Value* ni = b_.CreateAdd(i, c64(1));
        i->addIncoming(ni, loop);
        b_.CreateCondBr(b_.CreateICmpULT(ni, b_.CreateZExt(burst->getArg(2), i64_)), loop, exit);
        b_.SetInsertPoint(exit);
        b_.CreateRetVoid();
        return {f, burst};
    }

    // ---------------------------------------------------------------- descriptor
    void genDescriptor(const std::vector<std::pair<Function*, Function*>>& fns) {
        StructType* entryTy = StructType::get(ctx_, {i32_, i8_, ArrayType::get(i8_, 3), ptr_, ptr_, ptr_, i32_, ptr_});
        std::vector<Constant*> entries;
        for (size_t e = 0; e < m_.pipelines.size(); ++e) {
            const ir::PortPipeline& p = m_.pipelines[e];
            std::vector<uint32_t> layers = p.policyLayers;
            Constant* lp = layers.empty() ? ConstantPointerNull::get(ptr_)
                                          : static_cast<Constant*>(u32Array("entry.layers", layers));
            entries.push_back(ConstantStruct::get(entryTy, {c32(p.port), c8(static_cast<uint8_t>(p.dir)),
                ConstantAggregateZero::get(ArrayType::get(i8_, 3)), str(p.portName), fns[e].first,
                fns[e].second, c32(layers.size()), lp}));
        }
        StructType* ruleTy = StructType::get(ctx_, {ptr_, ptr_, ptr_, i32_, i32_, i32_, i32_, i32_, i32_, i64_, i8_, i8_, i8_, i8_, i8_, ArrayType::get(i8_, 3)});
        std::vector<Constant*> rules;
        for (const ir::RuleInfo& r : m_.rules) {
            rules.push_back(ConstantStruct::get(ruleTy, {str(r.layer), str(r.group), str(r.rule),
                c32(r.layerIndex), c32(r.groupIndex), c32(r.ruleIndex), c32(r.priority),
                c32(r.routeTable.value_or(SL_NONE)), c32(r.meter.value_or(SL_NONE)), c64(r.idleTimeoutMs),
                c8(static_cast<uint8_t>(r.dir)), c8(r.verdict == lang::Verdict::Allow ? SL_VERDICT_ALLOW : SL_VERDICT_DENY),
                c8(r.terminating), c8(r.stateful), c8(r.log), ConstantAggregateZero::get(ArrayType::get(i8_, 3))}));
        }
        std::vector<Constant*> names;
        for (const std::string& n : m_.layerNames) names.push_back(str(n));
        Constant* ep = entries.empty() ? ConstantPointerNull::get(ptr_) : static_cast<Constant*>(constArray("entries", entryTy, entries));
        Constant* rp = rules.empty() ? ConstantPointerNull::get(ptr_) : static_cast<Constant*>(constArray("rules", ruleTy, rules));
        Constant* np = names.empty() ? ConstantPointerNull::get(ptr_) : static_cast<Constant*>(constArray("layer.names", ptr_, names));
        StructType* descTy = StructType::get(ctx_, {i32_, i32_, i64_, ptr_, i32_, i32_, ptr_, ptr_});
        Constant* desc = ConstantStruct::get(descTy, {c32(SL_ABI_VERSION), c32(entries.size()), c64(m_.policyHash),
                                                      ep, c32(rules.size()), c32(names.size()), rp, np});
        new GlobalVariable(*mod_, descTy, true, GlobalValue::ExternalLinkage, desc, prefix_ + "_policy");
    }

    const ir::Module& m_;
    std::string prefix_;
    LLVMContext& ctx_;
    std::unique_ptr<llvm::Module> mod_;
    IRBuilder<> b_;
    Type *i1_, *i8_, *i16_, *i32_, *i64_, *i128_;
    PointerType* ptr_;
    std::vector<Function*> layerFns_, routeFns_;
    Function* apply_ = nullptr;
    GlobalVariable *actVerdict_ = nullptr, *actRoute_ = nullptr;
    std::map<std::string, Constant*> strings_;
};

}  // namespace

std::unique_ptr<llvm::Module> generate(const ir::Module& m, const std::string& prefix, LLVMContext& ctx) {
    return Gen(m, prefix, ctx).run();
}

Expected<std::unique_ptr<TargetMachine>> hostTargetMachine(unsigned optLevel) {
    static bool init = [] {
        InitializeNativeTarget();
        InitializeNativeTargetAsmPrinter();
        InitializeNativeTargetAsmParser();
        return true;
    }();
    (void)init;
    std::string triple = sys::getProcessTriple();
    std::string err;
    const Target* target = TargetRegistry::lookupTarget(triple, err);
    if (!target) return makeError("LLVM: no target for " + triple + ": " + err);
    std::string features;
    for (const auto& f : sys::getHostCPUFeatures()) features += (f.second ? "+" : "-") + f.first().str() + ",";
    TargetOptions to;
    CodeGenOptLevel lvl = optLevel == 0 ? CodeGenOptLevel::None
                          : optLevel == 1 ? CodeGenOptLevel::Less
                          : optLevel == 2 ? CodeGenOptLevel::Default : CodeGenOptLevel::Aggressive;
    std::unique_ptr<TargetMachine> tm(target->createTargetMachine(triple, sys::getHostCPUName(), features, to,
                                                                  Reloc::PIC_, std::nullopt, lvl));
    if (!tm) return makeError("LLVM: cannot create a target machine for " + triple);
    return tm;
}

std::string hostTargetDescription() {
    std::string d = sys::getProcessTriple() + " " + sys::getHostCPUName().str() + " ";
    for (const auto& f : sys::getHostCPUFeatures()) d += (f.second ? "+" : "-") + f.first().str() + ",";
    return d;
}

void optimize(llvm::Module& mod, TargetMachine& tm, unsigned optLevel) {
    mod.setDataLayout(tm.createDataLayout());
    mod.setTargetTriple(tm.getTargetTriple().str());
    LoopAnalysisManager lam;
    FunctionAnalysisManager fam;
    CGSCCAnalysisManager cgam;
    ModuleAnalysisManager mam;
    PassBuilder pb(&tm);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    OptimizationLevel lvl = optLevel == 0 ? OptimizationLevel::O0
                            : optLevel == 1 ? OptimizationLevel::O1
                            : optLevel == 2 ? OptimizationLevel::O2 : OptimizationLevel::O3;
    ModulePassManager mpm = optLevel == 0 ? pb.buildO0DefaultPipeline(lvl) : pb.buildPerModuleDefaultPipeline(lvl);
    mpm.run(mod, mam);
}

Expected<std::string> emitMachineCode(llvm::Module& mod, TargetMachine& tm, bool assembly) {
    mod.setDataLayout(tm.createDataLayout());
    mod.setTargetTriple(tm.getTargetTriple().str());
    SmallVector<char, 0> buf;
    raw_svector_ostream os(buf);
    legacy::PassManager pm;
    if (tm.addPassesToEmitFile(pm, os, nullptr, assembly ? CodeGenFileType::AssemblyFile : CodeGenFileType::ObjectFile)) {
        return makeError("LLVM: the target cannot emit this file type");
    }
    pm.run(mod);
    return std::string(buf.begin(), buf.end());
}

std::string printIr(const llvm::Module& mod) {
    std::string s;
    raw_string_ostream os(s);
    mod.print(os, nullptr);
    return os.str();
}

}  // namespace sluice::codegen
