// examples/defective/defective.sl: a policy with planted defects for `sluice verify`.
// Every finding it must produce is listed in defective.expected (kind, rules); the golden test
// (tests/unit/verifier, verifier_golden) runs the verifier and compares.
//
//   web1 10.1.0.5   web2 10.1.0.6   db1 10.1.0.7   (this host)
//
// Planted defects:
//   1 acl.ssh_any         shadowed by acl.ssh_admin_wide (10.9.0.0/16 lies inside 10.0.0.0/8)
//   2 acl.pg_internal     redundant: acl.app_range below it decides the same
//   3 acl.app_range       conflicts with acl.block_mysql on tcp/3306 (priority alone decides)
//   4 acl.web_alt         unmatchable: its dst_port 8080 contradicts its group's 80, 443
//   5 legacy group old    never applies: an IPv4 outer source with an IPv6 outer destination
//   6 legacy (in)         its default is therefore always reached
//   7 rt_vnet             blackhole: no route outside 10.0.0.0/8 (no default route)
//   8 rt_vnet 10.1.1.0/24 hidden by 10.1.1.0/25 and 10.1.1.128/25
//   9 credits             bandwidth bases 20+20+1 Gbps over a 40Gbps host
//  10 credits             gold says the host has 40Gbps, silver says 50Gbps
//  11 assert db_private   fails: web1 reaches db1 on tcp/5432
// Notes (not defects): acl out and fabric out have catch-all rules, so their defaults are
// never reached.
import std.protocols;

port web1 { mac 02:00:00:00:01:05; ip 10.1.0.5; vni 100; layers acl, fabric; credit gold; }
port web2 { mac 02:00:00:00:01:06; ip 10.1.0.6; vni 100; layers acl, fabric; credit gold; }
port db1  { mac 02:00:00:00:01:07; ip 10.1.0.7; vni 100; layers acl, fabric; credit silver; }

layer acl {
    default deny;
    out {
        group egress priority 100 {
            rule all_out priority 100 action allow;
        }
    }
    in {
        group admin priority 100 {
            rule ssh_admin_wide priority 100 match proto tcp src_ip 10.0.0.0/8 dst_port 22 action allow;
            rule ssh_any        priority 200 match proto tcp src_ip 10.9.0.0/16 dst_port 22 action allow;
        }
        group services priority 200 {
            rule dns_v4      priority 100 match proto udp dst_port 53 action allow;
            rule block_mysql priority 200 match proto tcp dst_port 3306 action deny;
            rule pg_internal priority 300 match proto tcp src_ip 10.1.0.0/16 dst_port 5432 action allow;
            rule app_range   priority 400 match proto tcp dst_port 3000..5432 action allow;
        }
        group web priority 300 match proto tcp dst_port 80, 443 {
            rule web_ok  priority 100 match src_ip 10.0.0.0/8 action allow;
            rule web_alt priority 200 match dst_port 8080 action allow;
        }
    }
}

layer fabric {
    default allow;
    out {
        group forward priority 100 {
            rule to_table priority 100 action route rt_vnet;
        }
    }
}

// Not attached to a port yet: its only group can never apply.
layer legacy {
    default in deny;
    default out allow;
    in {
        group old priority 100 match outer_src_ip 192.168.0.0/16 outer_dst_ip fd00::/8 {
            rule tunnelled priority 100 match proto udp dst_port 4789 action allow;
        }
    }
}

routes rt_vnet {
    10.1.0.5/32     -> port web1;
    10.1.0.6/32     -> port web2;
    10.1.0.7/32     -> port db1;
    10.1.1.0/24     -> host 192.168.0.12;
    10.1.1.0/25     -> host 192.168.0.12;
    10.1.1.128/25   -> host 192.168.0.13;
    10.0.0.0/8      -> gateway 192.168.0.1;
}

credit gold {
    bandwidth base 20Gbps max 30Gbps host 40Gbps cap 30s consume 50%;
}
credit silver {
    bandwidth base 1Gbps max 2Gbps host 50Gbps cap 10s consume 100%;
}

assert db_private isolated 10.1.0.5, 10.1.0.6 -> 10.1.0.7 match proto tcp dst_port 5432;
assert no_outside_ssh isolated 192.0.2.0/24 -> web1, web2 match proto tcp dst_port 22;
assert dns_in reachable some 0.0.0.0/0 -> web1 match proto udp dst_port 53;
