// The language features of `sluice lsp`, each computed from one open document's front-end run
// (document_store.h): the params of textDocument/publishDiagnostics, and the results of
// hover, definition and documentSymbol. Positions are LSP's (text_positions.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "lsp/document_store.h"

namespace sluice::cli::lsp {

nlohmann::json diagnosticsParams(const Document& doc);
// null when no declared name is at (line, character).
nlohmann::json hoverResult(const Document& doc, uint64_t line, uint64_t character);
nlohmann::json definitionResult(const Document& doc, uint64_t line, uint64_t character);
// Hierarchical DocumentSymbol[]: layers > groups > rules; other declarations flat.
nlohmann::json documentSymbolsResult(const Document& doc);

}  // namespace sluice::cli::lsp
