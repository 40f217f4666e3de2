// examples/overlay.sl: one tenant's VXLAN overlay across three hosts (VL2 / VFP VNET layer).
//
//   tenant "blue", VNI 7001, customer addresses (CA) 10.7.0.0/16
//   this host  PA 192.168.10.1    vm1 10.7.0.5, vm2 10.7.0.6
//   host B     PA 192.168.10.2    10.7.1.0/24
//   host C     PA 192.168.10.3    10.7.2.0/24
//   gateway    PA 192.168.10.254  everything else (the rest of the VPC, the internet)
//
// `vnet_blue` is the wire-side layer. Outbound, an lpm group on dst_ip picks the encapsulation
// (none for this host's ports) and `route rt_blue` picks the next hop. Inbound, a tunnelled
// packet is decapsulated only when it carries VNI 7001 and is addressed to this host; an
// untunnelled packet is accepted only from this host's own ports (VM to VM on one host never
// touches the wire). Everything else is dropped by the layer's default. The security group is
// the stdlib's default one (std_sg: all egress, stateful; inbound only ping, ND and DHCP).
//
//   sluice eval examples/overlay.sl --port vm1 --dir out --packets examples/overlay.packets
//
//   1 tcp 10.7.0.5:40000 -> 10.7.0.6:22           allow, no encap, output port:vm2
//   2 tcp 10.7.0.5:40001 -> 10.7.1.20:443         allow, VXLAN vni 7001 192.168.10.1 ->
//                                                 192.168.10.2, output host:192.168.10.2
//   3 the SYN-ACK of 2, tunnelled from host B     (in) allow: decap, std_sg session; vm:vm1
//   4 tcp 10.7.2.9:5000 -> 10.7.0.5:22 from C     (in) deny in std_sg (no inbound SSH)
//   5 icmp echo 10.7.2.9 -> 10.7.0.5 from C       (in) allow (std_ping)
//   6 the same echo with VNI 7002                 (in) deny in vnet_blue (not our VNI)
//   7 udp 10.7.0.5:40002 -> 1.1.1.1:53            allow, VXLAN to the gateway, output
//                                                 gateway:192.168.10.254
//   8 icmp echo 10.7.0.6 -> 10.7.0.5, untunnelled (in) allow (from vm2 on this host)
import std.protocols;
import std.security_groups;

const VNI_BLUE  = 7001;
const THIS_HOST = 192.168.10.1;
const HOST_B    = 192.168.10.2;
const HOST_C    = 192.168.10.3;
const GATEWAY   = 192.168.10.254;
const BLUE_HERE = 10.7.0.5/32, 10.7.0.6/32;

port vm1 { mac 02:00:0a:07:00:05; ip 10.7.0.5; vni VNI_BLUE; layers std_sg, vnet_blue; }
port vm2 { mac 02:00:0a:07:00:06; ip 10.7.0.6; vni VNI_BLUE; layers std_sg, vnet_blue; }

layer vnet_blue {
    default deny;
    out {
        group forward priority 100 lpm dst_ip {
            rule here      priority 100 match dst_ip BLUE_HERE action route rt_blue;
            rule to_host_b priority 200 match dst_ip 10.7.1.0/24
                action encap vxlan vni VNI_BLUE src THIS_HOST dst HOST_B, route rt_blue;
            rule to_host_c priority 300 match dst_ip 10.7.2.0/24
                action encap vxlan vni VNI_BLUE src THIS_HOST dst HOST_C, route rt_blue;
            rule to_gateway priority 400 match dst_ip ANY_V4
                action encap vxlan vni VNI_BLUE src THIS_HOST dst GATEWAY, route rt_blue;
        }
    }
    in {
        group tunnel priority 100 {
            rule from_tunnel priority 100 match vni VNI_BLUE outer_dst_ip THIS_HOST
                action decap vxlan;
        }
        group same_host priority 200 {
            rule from_here priority 100 match vni 0 src_ip BLUE_HERE action allow;
        }
    }
}

routes rt_blue {
    10.7.0.5/32 -> port vm1;
    10.7.0.6/32 -> port vm2;
    10.7.1.0/24 -> host HOST_B;
    10.7.2.0/24 -> host HOST_C;
    0.0.0.0/0   -> gateway GATEWAY;
}

// Another tenant's VNI never gets in, even with blue's addresses inside.
assert foreign_vni_dropped isolated 10.7.1.0/24, 10.7.2.0/24 -> vm1, vm2 match vni 7002;
assert ping_from_host_b reachable some 10.7.1.0/24 -> vm1
    match proto icmp icmp_type ICMP_ECHO_REQUEST;
assert vm1_to_host_c reachable some vm1 -> 10.7.2.0/24 match proto tcp dst_port HTTPS;
