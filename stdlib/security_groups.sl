// std.security_groups: ready-made security-group layers.
//
//     import std.security_groups;
//     port vm1 { mac 02:00:00:00:00:01; ip 10.0.0.5; vni 100; layers std_sg; }
//
// Each layer here is a complete, self-contained filter: put it in a port's `layers` list.
// Layers compose by AND (a packet must be allowed by every layer it crosses), so do not stack a
// default-deny layer from here with your own layer that is meant to open more ports: write your
// own security group instead (examples/security_group.sl shows how) and take the rules you need
// from here.
//
//   std_sg           the cloud default security group: all egress (stateful, so replies come
//                    back), no ingress except ICMP/ICMPv6 echo, neighbour discovery and DHCP
//   std_egress_only  the outbound-only ACL: a VM may open any connection, nothing may open one
//                    to it; only replies come back
//   std_platform_only  a quarantine group: the VM may reach DHCP, DNS and NTP of the platform
//                    and nothing else
import std.protocols;

// Default security group.
//   out: everything is allowed and creates a session pair, so replies are let in below.
//   in:  deny by default; echo requests (ping), IPv6 neighbour discovery and DHCP replies.
layer std_sg {
    default deny;
    out {
        group std_egress priority 100 {
            rule std_all_out priority 100 action allow stateful idle 5m;
        }
    }
    in {
        group std_ingress priority 100 {
            rule std_dhcp_reply priority 100
                match proto udp src_port DHCP_SERVER dst_port DHCP_CLIENT action allow;
            rule std_dhcpv6_reply priority 110
                match proto udp src_port DHCPV6_SERVER dst_port DHCPV6_CLIENT action allow;
            rule std_ping priority 200
                match proto icmp icmp_type ICMP_ECHO_REQUEST action allow;
            rule std_ping6 priority 210
                match proto icmpv6 icmp_type ICMPV6_ECHO_REQUEST action allow;
            rule std_nd priority 220
                match proto icmpv6 icmp_type ICMPV6_ND action allow;
        }
    }
}

// Outbound-only ACL: connections may only be opened from the VM. The single stateful rule
// records a session pair for every outbound flow; inbound packets are allowed only when they
// are the reverse of such a pair (a reply), because the inbound side has no rule at all.
layer std_egress_only {
    default deny;
    out {
        group std_egress priority 100 {
            rule std_any_out priority 100 action allow stateful idle 4m;
        }
    }
}

// Quarantine: the VM may obtain an address (DHCP), resolve names and keep time through the
// platform's link-local services, and nothing else, in either direction.
layer std_platform_only {
    default deny;
    out {
        group std_platform priority 100 {
            rule std_dhcp priority 100
                match proto udp src_port DHCP_CLIENT dst_port DHCP_SERVER action allow;
            rule std_dns priority 200
                match proto udp, tcp dst_ip PLATFORM_DNS dst_port DNS action allow stateful idle 30s;
            rule std_ntp priority 300
                match proto udp dst_ip PLATFORM_NTP dst_port NTP action allow stateful idle 30s;
        }
    }
    in {
        group std_platform priority 100 {
            rule std_dhcp_reply priority 100
                match proto udp src_port DHCP_SERVER dst_port DHCP_CLIENT action allow;
        }
    }
}
