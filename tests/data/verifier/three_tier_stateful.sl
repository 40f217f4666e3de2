// A 3-tier policy: the internet reaches web on 443, web reaches app on 8080, app reaches db
// on 5432. Outbound, each tier may only open its own connections.
port web { mac 02:00:00:00:01:0a; ip 10.0.1.10; vni 5; layers sg_web; }
port app { mac 02:00:00:00:02:0a; ip 10.0.2.10; vni 5; layers sg_app; }
port db  { mac 02:00:00:00:03:0a; ip 10.0.3.10; vni 5; layers sg_db; }

layer sg_web {
    default deny;
    in { group i priority 1 { rule https priority 1 match proto tcp dst_port 443 action allow stateful; } }
    out { group o priority 1 {
        rule to_app priority 1 match proto tcp dst_ip 10.0.2.10 dst_port 8080 action allow stateful; } }
}
layer sg_app {
    default deny;
    in { group i priority 1 {
        rule from_web priority 1 match proto tcp src_ip 10.0.1.10 dst_port 8080 action allow stateful; } }
    out { group o priority 1 {
        rule to_db priority 1 match proto tcp dst_ip 10.0.3.10 dst_port 5432 action allow stateful; } }
}
layer sg_db {
    default deny;
    in { group i priority 1 {
        rule from_app priority 1 match proto tcp src_ip 10.0.2.10 dst_port 5432 action allow stateful; } }
}

assert internet_web reachable some 0.0.0.0/0 -> web match proto tcp dst_port 443;
assert web_app reachable some web -> app match proto tcp dst_port 8080;
assert app_db reachable every app -> db match proto tcp dst_port 5432;
assert web_db isolated web -> db;
