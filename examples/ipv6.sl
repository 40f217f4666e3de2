// examples/ipv6.sl: dual-stack VMs; IPv6 rules beside IPv4 ones.
//
//   dual1 10.6.0.5, 2001:db8:100:1::5    dual2 10.6.0.6, 2001:db8:100:1::6   (this host)
//   2001:db8:100:2::/64 lives on host 192.168.6.2; the rest goes to the gateway 192.168.6.1
//   admins: 2001:db8:ffff::/48 (IPv6 only)
//
// An address value's family decides what it can match: 10.6.0.0/24 never matches an IPv6
// packet, 2001:db8:100:1::/64 never an IPv4 one, so one rule may list both. A rule without
// address conditions (`https` below) matches both families. IPv6 depends on ICMPv6 (neighbour
// discovery, packet-too-big for path MTU discovery): those rules are terminating in the first
// group, so no later group can take them away. Route tables mix families freely: the lookup
// uses the packet's own family. The underlay of an IPv6 overlay can be IPv4.
//
//   sluice eval examples/ipv6.sl --port dual1 --dir in --packets examples/ipv6.packets
//
//   1 tcp [2001:db8:77::1]:50000 -> [2001:db8:100:1::5]:443   allow (https), vm:dual1
//   2 tcp [2001:db8:77::1]:50001 -> [2001:db8:100:1::5]:22    deny (not from the admin net)
//   3 tcp [2001:db8:ffff::9]:50002 -> [2001:db8:100:1::5]:22  allow (ssh_admin)
//   4 icmpv6 fe80::1 -> 2001:db8:100:1::5 type 135            allow (neighbour solicitation)
//   5 icmpv6 2001:db8:77::1 -> 2001:db8:100:1::5 type 2       allow (packet too big)
//   6 tcp 10.6.0.6:40000 -> 10.6.0.5:5432                      allow (same subnet, IPv4)
//   7 tcp 198.51.100.3:40001 -> 10.6.0.5:22                   deny
//   8 tcp [2001:db8:100:1::5]:40002 -> [2001:db8:100:2::8]:443 out   allow, output
//                                                             host:192.168.6.2
//   9 udp [2001:db8:100:1::5]:40003 -> [2001:4860:4860::8888]:53 out  allow, gateway:192.168.6.1
//  10 tcp [2001:db8:100:1::5]:40004 -> [fd12::1]:443 out       dropped (route fc00::/7 -> drop)
import std.protocols;

const SUBNET_V4 = 10.6.0.0/24;
const SUBNET_V6 = 2001:db8:100:1::/64;
const ADMIN_V6  = 2001:db8:ffff::/48;

port dual1 { mac 02:00:00:00:06:05; ip 10.6.0.5, 2001:db8:100:1::5; vni 600; layers sg_dual, fabric_dual; }
port dual2 { mac 02:00:00:00:06:06; ip 10.6.0.6, 2001:db8:100:1::6; vni 600; layers sg_dual, fabric_dual; }

layer sg_dual {
    default deny;
    out {
        group egress priority 100 {
            rule all_out priority 100 action allow stateful idle 5m;
        }
    }
    in {
        group icmpv6_needed priority 100 {
            rule nd      priority 100 match proto icmpv6 icmp_type ICMPV6_ND action allow terminating;
            rule too_big priority 200 match proto icmpv6 icmp_type ICMPV6_TOO_BIG, ICMPV6_UNREACHABLE
                action allow terminating;
        }
        group ingress priority 200 {
            rule https       priority 100 match proto tcp dst_port HTTPS action allow;
            rule ssh_admin   priority 200 match proto tcp src_ip ADMIN_V6 dst_port SSH action allow;
            rule ping4       priority 300 match proto icmp icmp_type ICMP_ECHO_REQUEST action allow;
            rule ping6       priority 400 match proto icmpv6 icmp_type ICMPV6_ECHO_REQUEST action allow;
            rule same_subnet priority 500 match src_ip SUBNET_V4, SUBNET_V6 action allow;
        }
    }
}

layer fabric_dual {
    default allow;
    out {
        group forward priority 100 {
            rule to_table priority 100 action route rt_dual;
        }
    }
}

routes rt_dual {
    10.6.0.5/32           -> port dual1;
    10.6.0.6/32           -> port dual2;
    2001:db8:100:1::5/128 -> port dual1;
    2001:db8:100:1::6/128 -> port dual2;
    2001:db8:100:2::/64   -> host 192.168.6.2;
    fc00::/7              -> drop;
    0.0.0.0/0             -> gateway 192.168.6.1;
    ::/0                  -> gateway 192.168.6.1;
}

// A connection needs its SYN-ACK back: replies to unique-local sources (fc00::/7) are routed
// to drop, so the promise is made for global unicast clients.
assert https_v6 reachable every 2000::/3 -> dual1 match proto tcp dst_port HTTPS;
assert ssh_v6_admins_only isolated 2001:db8:200::/48 -> dual1, dual2 match proto tcp dst_port SSH;
assert ssh_v4_closed isolated DOC_NETS -> dual1, dual2 match proto tcp dst_port SSH;
