import "/dev/zero";
import "fuzz.sl";
import std.;
import ...;
module m;
