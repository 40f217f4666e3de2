import std.no_such_module;
import "lib/missing.sl";
import plain.name;
