// Every construct of the language, for the fmt round trip.
/* A block comment
   over two lines. */
module all_constructs;

import std.net;
import "lib/overlay.sl";  // the overlay layer
import "lib/tunnel.sl";

const WEB = 80, 443, 8000..8080;
const ADMIN = 10.9.0.0/16, fd00:9::/32;
# hash comments work too
const LOW = 1024;
const HIGH = 65535;
const FLAGS = SA;

port web1 {
    mac 02:00:00:00:01:05;
    ip 10.1.0.5, fd00:1::5;
    vni 0x1389;
    layers overlay, acl, nat;  // VM side first
    credit gold;
}

port web2 {
    mac 02:00:00:00:01:06;
    ip 10.1.0.6;
    vni 5001;
    layers acl;
}

layer acl {
    default in deny;
    default out allow;
    out {
        // block the metadata service
        group block priority 10 {
            rule no_metadata priority 1 match dst_ip 169.254.169.254 action deny terminating log;
        }
        group sg priority 20 match src_ip 10.1.0.0/16 {
            rule web_out priority 10 match proto tcp dst_port WEB action allow stateful idle 5m;
            rule dns priority 20 match proto udp dst_port 53 action allow stateful;
            rule high priority 30 match proto 6 src_port LOW..HIGH tcp_flags FLAGS action allow, meter cap;
            rule ping priority 40 match proto icmp icmp_type 8 icmp_code 0 action allow;
            rule mark priority 50 match dscp 0..10 ethertype 0x0800 action set dscp 46;
            rule v6 priority 60 match src_ip fd00:1::/64 dst_ip fd00:2::1..fd00:2::ff action allow;
        }
    }
    in {
        group sg priority 20 match dst_ip 10.1.0.0/16 {
            rule ssh_admin priority 10 match proto tcp src_ip ADMIN dst_port 22 action allow;  /* trailing */
            rule private priority 20 match src_ip RFC1918 action allow;
        }
        group routes priority 30 lpm dst_ip {
            rule near priority 1 match dst_ip 10.1.0.0/24 action route vnet;
            rule far priority 2 match dst_ip 10.0.0.0/8, 10.1.2.3 action route vnet;
        }
        // comment at the end of a block
    }
    in {
        group macs priority 40 match src_mac 02:00:00:00:00:00..02:00:00:00:00:ff outer_src_ip 192.168.0.0/24 {
            rule m priority 1 match dst_mac 02:00:00:00:01:05 vni 0..100 action allow;
        }
    }
}

layer nat {
    out {
        group snat priority 1 {
            rule snat priority 1 match src_ip 10.1.0.5 action set src_ip 203.0.113.5, set src_port 40000, set src_mac 02:00:00:00:99:99;
        }
    }
    in {
        group dnat priority 1 {
            rule dnat priority 1 match dst_ip 203.0.113.5 action set dst_ip 10.1.0.5, set dst_port 8080;
        }
    }
}

routes vnet {
    10.1.0.0/24 -> port web1;
    10.1.1.0/24 -> host 192.168.0.12;
    10.9.0.0/16 -> ecmp firewalls;
    10.66.0.0/16 -> drop;
    fd00::/8 -> gateway fd00::1;
    0.0.0.0/0 -> gateway 192.168.0.1;
}

ecmp firewalls {
    member fw1 192.168.0.21 weight 2;
    member fw2 192.168.0.22;
    hash src_ip, dst_ip, proto;
    probe interval 100ms timeout 50ms down_after 3 up_after 2;
}

meter cap {
    rate 2Gbps;
    burst 1MB;
}

meter pps_cap {
    rate 1.5Mpps;
}

credit gold {
    bandwidth base 2Gbps max 10Gbps host 40Gbps cap 30s consume 50%;
    cpu base 20% max 100% host 800% cap 30s consume 12.5%;
}

assert tenants_apart isolated 10.1.0.0/16 -> 10.2.0.0/16;
assert web_open reachable every 0.0.0.0/0 -> web1 match proto tcp dst_port 443;
assert dns_works reachable some web1 -> 8.8.8.8 match proto udp dst_port 53;
assert plain reachable web2 -> web1, ADMIN;
// the end
