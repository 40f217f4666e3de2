// A stand-in standard module for the golden tests (`import std.net;`).
module net;

const RFC1918 = 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16;
