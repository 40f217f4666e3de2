// The Sluice policy language. docs/language.md is the reference; this grammar is the syntax.
// Generated at build time with Debian's ANTLR 4.7.2 tool; no ANTLR type leaves lang/.
grammar Sluice;

policyFile : moduleDecl? importDecl* decl* EOF ;

moduleDecl    : 'module' qualifiedName ';' ;
importDecl    : 'import' (qualifiedName | STRING) ';' ;
qualifiedName : ident ('.' ident)* ;

decl
    : constDecl
    | portDecl
    | layerDecl
    | routesDecl
    | settingsDecl
    | assertDecl
    ;

// const WEB_PORTS = 80, 443, 8000..8080;
constDecl : 'const' declName '=' valueList ';' ;

// port web1 { mac 02:00:00:00:00:01; ip 10.1.0.5, fd00::5; vni 5001; layers vnet, acl; }
portDecl : 'port' declName settingsBlock ;

// ecmp / credit / meter blocks share the settings form: NAME ARGS... ;
settingsDecl  : kind=('ecmp' | 'credit' | 'meter') declName settingsBlock ;
settingsBlock : '{' setting* '}' ;
setting       : ident settingArg* ';' ;
settingArg    : value | ',' ;

// layer acl { default deny; out { group ... } in { group ... } }
layerDecl  : 'layer' declName '{' layerItem* '}' ;
layerItem
    : 'default' direction? verdict ';'   # layerDefault
    | 'audit' ';'                        # layerAudit
    | direction '{' groupDecl* '}'       # layerDirection
    ;
direction : 'in' | 'out' ;
verdict   : 'allow' | 'deny' ;

groupDecl : 'group' declName 'priority' INT ('lpm' ident)? ('match' conditions)? '{' ruleDecl* '}' ;

ruleDecl  : 'rule' declName 'priority' INT ('match' conditions)? 'action' actionList ruleFlag* ';' ;
ruleFlag
    : 'terminating'                 # flagTerminating
    | 'stateful' ('idle' value)?    # flagStateful
    | 'log'                         # flagLog
    ;

// A condition is a field and the values it may take (OR); conditions are ANDed.
conditions : condition+ ;
condition  : ident valueList ;

actionList : actionItem (',' actionItem)* ;
actionItem
    : verdict                        # actVerdict
    | 'set' ident value              # actSet
    | 'encap' ident actionArg*       # actEncap
    | 'decap' ident                  # actDecap
    | 'route' ident                  # actRoute
    | 'meter' ident                  # actMeter
    ;
actionArg : ident value ;

// routes vnet { 10.1.0.0/24 -> port web1; 0.0.0.0/0 -> gateway 192.168.0.254; }
routesDecl : 'routes' declName '{' routeEntry* '}' ;
routeEntry : value '->' nextHop ';' ;
nextHop
    : 'port' ident      # hopPort
    | 'host' value      # hopHost
    | 'gateway' value   # hopGateway
    | 'ecmp' ident      # hopEcmp
    | 'drop'            # hopDrop
    ;

// assert tenants_apart isolated 10.1.0.0/16 -> 10.2.0.0/16;
// assert web_open reachable every 0.0.0.0/0 -> web1 match proto tcp dst_port 443;
assertDecl : 'assert' declName assertKind valueList '->' valueList ('match' conditions)? ';' ;
assertKind : 'isolated' | 'reachable' ('some' | 'every')? ;

valueList : value (',' value)* ;
value     : atom ('..' atom)? ;
atom
    : INT
    | HEX
    | IPV4
    | HEXCOLON
    | QUANTITY
    | ident
    ;

// Keywords that never end a list of names or values may also be names: docs/language.md uses
// `group routes`, `credit gold;` and `host 40Gbps`. Keywords that do end such lists (match,
// action, priority, lpm, terminating, stateful, idle, allow, deny) stay reserved.
ident : ID | softKeyword ;
// The name a declaration defines. A reserved word is accepted here only so that the front end
// can say "reserved word" (E107) and still run every semantic check (parse.cpp).
declName : ident | reservedWord ;
reservedWord
    : 'match' | 'action' | 'priority' | 'lpm' | 'terminating' | 'stateful' | 'idle' | 'allow'
    | 'deny'
    ;
softKeyword
    : 'module' | 'import' | 'const' | 'port' | 'layer' | 'default' | 'in' | 'out' | 'group'
    | 'rule' | 'set' | 'encap' | 'decap' | 'route' | 'meter' | 'routes' | 'host' | 'gateway'
    | 'ecmp' | 'drop' | 'credit' | 'assert' | 'isolated' | 'reachable' | 'some' | 'every'
    | 'audit' | 'log'
    ;

// ---- lexer ----
INT      : [0-9]+ ;
HEX      : '0x' [0-9a-fA-F]+ ;
IPV4     : [0-9]+ '.' [0-9]+ '.' [0-9]+ '.' [0-9]+ ('/' [0-9]+)? ;
// 10Gbps, 1.5Mpps, 100ms, 5m, 50%, 1MB
QUANTITY : [0-9]+ ('.' [0-9]+)? ([a-zA-Z]+ | '%') ;
// IPv6 addresses and prefixes, MAC addresses: anything hex with a colon; classified later.
HEXCOLON : [0-9a-fA-F]* ':' [0-9a-fA-F:]* ('.' [0-9]+ '.' [0-9]+ '.' [0-9]+)? ('/' [0-9]+)? ;
ID       : [a-zA-Z_] [a-zA-Z0-9_]* ;
STRING   : '"' (~["\\\r\n] | '\\' .)* '"' ;

LINE_COMMENT  : ('//' | '#') ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
WS            : [ \t\r\n]+ -> skip ;
// Anything else becomes one token so the parser, not the lexer, reports it with a location.
ERROR_CHAR : . ;
