// examples/vpc.sl: one hypervisor host of a multi-tenant cloud, two tenants (VPCs).
//
//   tenant "shop"       VNI 5001  10.1.0.0/16  web1, web2 on this host; more web VMs on host 2;
//                                              public VIP 203.0.113.10:443 -> web1
//   tenant "analytics"  VNI 5002  10.2.0.0/16  app1, app2, batch1 on this host; more on host 3
//
//   underlay (PA):  this host 192.168.0.11, host 2 .12, host 3 .13, gateway .1,
//                   on-prem firewall pair fw1..fw3 at .21-.23 (ECMP), corp network 172.16.0.0/12
//
// Each port's layers, VM side first (outbound walks them left to right, inbound right to left),
// following VFP's stack (meter next to the VM, then ACLs in CA space, NAT, VNET on the wire):
//
//   billing -> tenant_wall -> [metadata filter] -> security group -> nat_* -> vnet_*
//
//   billing        meters each tenant's traffic (meter actions, never drops)
//   tenant_wall    nothing carrying one tenant's address on one side and the other tenant's on
//                  the other crosses any port, either way; it is stateless and sits next to the
//                  VM, so it sees customer addresses after NAT and decapsulation
//   sg_web/sg_app  security groups: deny inbound by default, allow from members of the same
//                  group, admin SSH from the corporate bastion subnet, ping; all egress, stateful
//   std_egress_only (stdlib) the outbound-only ACL of batch1
//   nat_shop       public VIP (DNAT to web1, stateful so replies are un-NATed) and SNAT of
//                  internet-bound traffic; nat_analytics: SNAT only
//   vnet_*         VXLAN overlay: encap to the remote host or the gateway, route tables with local
//                  ports, remote hosts, the gateway and the firewall ECMP group; decap inbound
//                  after checking the tenant's VNI and this host's address
//
// Try it (vpc.packets is for web1, vpc_batch1.packets for batch1; packets marked `in` arrive
// from the wire, the others leave the VM):
//
//   sluice check examples/vpc.sl
//   sluice eval examples/vpc.sl --port web1 --dir out --packets examples/vpc.packets
//   sluice eval examples/vpc.sl --port batch1 --dir out --packets examples/vpc_batch1.packets
//
// What vpc.packets gives, line by line:
//    1 tcp 10.1.0.5:40000 -> 10.1.0.6:443        allow, output port:web2 (same host, no encap)
//    2 udp 10.1.0.5:53000 -> 169.254.169.253:53  allow, output uplink (platform DNS)
//    3 tcp 10.1.0.5:40001 -> 10.2.0.5:22         deny in tenant_wall (other tenant)
//    4 tcp ... -> 93.184.216.34:443 (SYN)        allow, src NATed to 203.0.113.20, VXLAN vni 5001
//                                                192.168.0.11 -> 192.168.0.1, output gateway
//    5 the SYN-ACK of 4, arriving tunnelled      allow, decap, dst back to 10.1.0.5 (NAT session),
//                                                sg_web lets it in by the session pair; vm:web1
//    6 tcp 192.0.2.33:51000 -> 203.0.113.10:443  (in) allow, dst rewritten to 10.1.0.5; vm:web1
//    7 web1's SYN-ACK to 6                       allow, src rewritten back to the VIP by the NAT
//                                                session, encap, output gateway
//    8 tcp 192.0.2.33:51001 -> 203.0.113.10:22   (in) deny in nat_shop (the VIP serves 443 only)
//    9 tcp 172.16.10.5:50000 -> 10.1.0.5:22      (in, from fw2) allow: admin SSH from the bastion
//   10 tcp 192.0.2.33:50000 -> 10.1.0.5:22       (in) deny in sg_web (default deny inbound)
//   11 tcp 10.1.0.5:40003 -> 172.16.20.7:443     allow, no NAT, output ecmp:onprem_fw
//   12 tcp 10.1.0.5:40004 -> 10.1.1.7:8080       allow, VXLAN to host 2, output host:192.168.0.12
//   13 tcp 10.1.0.5:40005 -> 10.1.7.7:443        allow, VXLAN to the gateway (it knows the rest
//                                                of the VPC), output gateway:192.168.0.1
//   14 tcp 10.2.0.5:40000 -> 10.1.0.5:443        (in) deny in tenant_wall, although sg_web allows
//                                                443 from anywhere
//   15 tcp 10.1.0.5:40006 -> 10.3.0.1:443        dropped: route 10.0.0.0/8 -> drop
//   16 icmp 10.1.0.6 -> 10.1.0.5 echo            (in, from web2 on this host, not tunnelled) allow
//   17 udp 10.1.0.5:53001 -> 8.8.8.8:53          allow, SNAT to 203.0.113.20, output gateway
//   18 tcp 10.1.0.5:40007 -> 169.254.169.254:80  allow (metadata API), output uplink
//   19 udp 10.1.0.5:40008 -> 169.254.169.254:53  deny in std_metadata_http
//   20 udp 10.1.0.6:40009 -> 10.1.0.5:53 vni 5002 (in) deny in vnet_shop: wrong VNI
module vpc;

import std.protocols;
import std.security_groups;
import std.metadata;

// ---------------------------------------------------------------- addressing plan

const HOST_PA    = 192.168.0.11;        // this host's physical (underlay) address
const HOST2_PA   = 192.168.0.12;
const HOST3_PA   = 192.168.0.13;
const GATEWAY_PA = 192.168.0.1;         // holds the full VM-to-host and route tables

const VNI_SHOP      = 5001;
const VNI_ANALYTICS = 5002;

const NET_SHOP      = 10.1.0.0/16;
const NET_ANALYTICS = 10.2.0.0/16;
const ONPREM        = 172.16.0.0/12;    // corporate network behind the firewall service
const BASTION_NET   = 172.16.10.0/28;   // where administrators SSH from

const SHOP_LOCAL      = 10.1.0.5, 10.1.0.6;              // shop ports on this host
const ANALYTICS_LOCAL = 10.2.0.5, 10.2.0.6, 10.2.0.20;   // analytics ports on this host

// Security-group membership: the group's VMs here and on the other hosts.
const SG_WEB_MEMBERS = 10.1.0.5, 10.1.0.6, 10.1.1.0/24;
const SG_APP_MEMBERS = 10.2.0.5, 10.2.0.6, 10.2.1.0/24;

const WEB_VIP        = 203.0.113.10;    // public VIP of the shop, served by web1
const SNAT_SHOP      = 203.0.113.20;    // public source address of shop VMs
const SNAT_ANALYTICS = 203.0.113.21;

// ---------------------------------------------------------------- ports (vNICs)

port web1 {
    mac 02:00:0a:01:00:05;
    ip 10.1.0.5;
    vni VNI_SHOP;
    layers billing, tenant_wall, std_metadata_http, sg_web, nat_shop, vnet_shop;
    credit premium;
}

port web2 {
    mac 02:00:0a:01:00:06;
    ip 10.1.0.6;
    vni VNI_SHOP;
    layers billing, tenant_wall, std_metadata_http, sg_web, nat_shop, vnet_shop;
    credit premium;
}

port app1 {
    mac 02:00:0a:02:00:05;
    ip 10.2.0.5;
    vni VNI_ANALYTICS;
    layers billing, tenant_wall, sg_app, nat_analytics, vnet_analytics;
    credit standard;
}

port app2 {
    mac 02:00:0a:02:00:06;
    ip 10.2.0.6;
    vni VNI_ANALYTICS;
    layers billing, tenant_wall, sg_app, nat_analytics, vnet_analytics;
    credit standard;
}

// A batch worker: pulls its work, accepts no connections, never sees instance credentials.
port batch1 {
    mac 02:00:0a:02:00:14;
    ip 10.2.0.20;
    vni VNI_ANALYTICS;
    layers billing, tenant_wall, std_no_metadata, std_egress_only, nat_analytics, vnet_analytics;
    credit batch;
}

// ---------------------------------------------------------------- metering (next to the VM)

meter shop_egress       { rate 2Gbps; burst 1MB; }
meter shop_ingress      { rate 2Gbps; burst 1MB; }
meter analytics_egress  { rate 5Gbps; burst 2MB; }
meter analytics_ingress { rate 5Gbps; burst 2MB; }

layer billing {
    default allow;
    out {
        group by_tenant priority 100 {
            rule shop_out      priority 100 match src_ip NET_SHOP      action allow, meter shop_egress;
            rule analytics_out priority 200 match src_ip NET_ANALYTICS action allow, meter analytics_egress;
        }
    }
    in {
        group by_tenant priority 100 {
            rule shop_in      priority 100 match dst_ip NET_SHOP      action allow, meter shop_ingress;
            rule analytics_in priority 200 match dst_ip NET_ANALYTICS action allow, meter analytics_ingress;
        }
    }
}

// ---------------------------------------------------------------- tenant isolation

// Shared by every port of both tenants. Terminating denies, no allow rules: a packet that is
// not between the two tenants has no winner here and gets the layer's default (allow).
layer tenant_wall {
    default allow;
    out {
        group wall priority 100 {
            rule shop_to_analytics_out priority 100
                match src_ip NET_SHOP dst_ip NET_ANALYTICS action deny terminating;
            rule analytics_to_shop_out priority 200
                match src_ip NET_ANALYTICS dst_ip NET_SHOP action deny terminating;
        }
    }
    in {
        group wall priority 100 {
            rule shop_to_analytics_in priority 100
                match src_ip NET_SHOP dst_ip NET_ANALYTICS action deny terminating;
            rule analytics_to_shop_in priority 200
                match src_ip NET_ANALYTICS dst_ip NET_SHOP action deny terminating;
        }
    }
}

// ---------------------------------------------------------------- security groups

// Web tier: HTTPS from anywhere (the VIP's traffic arrives here already translated to web1's
// address), everything from the web tier itself, SSH from the bastion, ping.
layer sg_web {
    default deny;
    out {
        group egress priority 100 {
            rule all_out priority 100 action allow stateful idle 5m;
        }
    }
    in {
        group ingress priority 100 {
            rule same_sg   priority 100 match src_ip SG_WEB_MEMBERS action allow;
            rule https     priority 200 match proto tcp dst_port HTTPS action allow;
            rule admin_ssh priority 300 match proto tcp src_ip BASTION_NET dst_port SSH action allow;
            rule ping      priority 400 match proto icmp icmp_type ICMP_ECHO_REQUEST action allow;
        }
    }
}

// Application tier: no public service; same group, bastion SSH, ping.
layer sg_app {
    default deny;
    out {
        group egress priority 100 {
            rule all_out priority 100 action allow stateful idle 5m;
        }
    }
    in {
        group ingress priority 100 {
            rule same_sg   priority 100 match src_ip SG_APP_MEMBERS action allow;
            rule admin_ssh priority 200 match proto tcp src_ip BASTION_NET dst_port SSH action allow;
            rule ping      priority 300 match proto icmp icmp_type ICMP_ECHO_REQUEST action allow;
        }
    }
}

// ---------------------------------------------------------------- NAT

// The NAT layer is the address-space boundary (VFP 5.2): above it (VM side) addresses are the
// VMs' own, below it (wire side) the VIP and the SNAT address. Both rewriting rules are
// stateful: the reverse direction of a translated flow matches the session pair, skips the
// rules and gets the inverse rewrite.
layer nat_shop {
    default allow;                      // NAT translates; filtering is the other layers' job
    in {
        // The VIP serves HTTPS only. `vip_closed` is not terminating: for the VIP's port 443 the
        // later group has a winner too, and the last group with a winner decides the layer.
        group vip_default priority 100 {
            rule vip_closed priority 100 match dst_ip WEB_VIP action deny;
        }
        group vip priority 200 {
            rule web_https priority 100 match dst_ip WEB_VIP proto tcp dst_port HTTPS
                action set dst_ip 10.1.0.5, allow stateful idle 4m;
        }
    }
    out {
        // Longest prefix decides: private and platform destinations keep the VM's address.
        group snat priority 100 lpm dst_ip {
            rule private  priority 100 match dst_ip RFC1918    action allow;
            rule platform priority 200 match dst_ip LINK_LOCAL action allow;
            rule internet priority 300 match dst_ip ANY_V4
                action set src_ip SNAT_SHOP, allow stateful idle 4m;
        }
    }
}

layer nat_analytics {
    default allow;
    out {
        group snat priority 100 lpm dst_ip {
            rule private  priority 100 match dst_ip RFC1918    action allow;
            rule platform priority 200 match dst_ip LINK_LOCAL action allow;
            rule internet priority 300 match dst_ip ANY_V4
                action set src_ip SNAT_ANALYTICS, allow stateful idle 4m;
        }
    }
}

// ---------------------------------------------------------------- VXLAN overlay (VNET)

// Outbound: the longest matching prefix picks the encapsulation; the route table then picks the
// next hop for the (inner) destination. Traffic to the firewall service is not encapsulated
// here: the ECMP next hop hashes the flow to a healthy member and the runtime tunnels it there.
// Platform services answer on this host (no route: output uplink); that rule is stateful so
// their untunnelled replies are let in.
// Inbound: a tunnelled packet must carry the tenant's VNI and be addressed to this host; an
// untunnelled one must come from one of the tenant's ports on this host.
layer vnet_shop {
    default deny;
    out {
        group forward priority 100 lpm dst_ip {
            rule local    priority 100 match dst_ip SHOP_LOCAL action route rt_shop;
            rule host2    priority 200 match dst_ip 10.1.1.0/24
                action encap vxlan vni VNI_SHOP src HOST_PA dst HOST2_PA, route rt_shop;
            rule onprem   priority 300 match dst_ip ONPREM action route rt_shop;
            rule platform priority 400 match dst_ip LINK_LOCAL action allow stateful idle 30s;
            rule elsewhere priority 500 match dst_ip ANY_V4
                action encap vxlan vni VNI_SHOP src HOST_PA dst GATEWAY_PA, route rt_shop;
        }
    }
    in {
        group tunnel priority 100 {
            rule from_tunnel priority 100 match vni VNI_SHOP outer_dst_ip HOST_PA action decap vxlan;
        }
        group same_host priority 200 {
            rule from_here priority 100 match vni 0 src_ip SHOP_LOCAL action allow;
        }
    }
}

layer vnet_analytics {
    default deny;
    out {
        group forward priority 100 lpm dst_ip {
            rule local    priority 100 match dst_ip ANALYTICS_LOCAL action route rt_analytics;
            rule host3    priority 200 match dst_ip 10.2.1.0/24
                action encap vxlan vni VNI_ANALYTICS src HOST_PA dst HOST3_PA, route rt_analytics;
            rule onprem   priority 300 match dst_ip ONPREM action route rt_analytics;
            rule platform priority 400 match dst_ip LINK_LOCAL action allow stateful idle 30s;
            rule elsewhere priority 500 match dst_ip ANY_V4
                action encap vxlan vni VNI_ANALYTICS src HOST_PA dst GATEWAY_PA, route rt_analytics;
        }
    }
    in {
        group tunnel priority 100 {
            rule from_tunnel priority 100 match vni VNI_ANALYTICS outer_dst_ip HOST_PA action decap vxlan;
        }
        group same_host priority 200 {
            rule from_here priority 100 match vni 0 src_ip ANALYTICS_LOCAL action allow;
        }
    }
}

// ---------------------------------------------------------------- routes and ECMP

routes rt_shop {
    10.1.0.5/32   -> port web1;
    10.1.0.6/32   -> port web2;
    10.1.1.0/24   -> host HOST2_PA;          // the rest of the web tier, on host 2
    10.1.0.0/16   -> gateway GATEWAY_PA;     // elsewhere in the VPC: the gateway knows where
    172.16.0.0/12 -> ecmp onprem_fw;
    10.0.0.0/8    -> drop;                   // no other private space is reachable
    0.0.0.0/0     -> gateway GATEWAY_PA;
}

routes rt_analytics {
    10.2.0.5/32   -> port app1;
    10.2.0.6/32   -> port app2;
    10.2.0.20/32  -> port batch1;
    10.2.1.0/24   -> host HOST3_PA;
    10.2.0.0/16   -> gateway GATEWAY_PA;
    172.16.0.0/12 -> ecmp onprem_fw;
    10.0.0.0/8    -> drop;
    0.0.0.0/0     -> gateway GATEWAY_PA;
}

// The on-premises firewall service: three appliances, flows spread by 5-tuple hash, fw3 takes
// half the share of the others; a member is down after 3 missed probes, up after 2 answers.
ecmp onprem_fw {
    member fw1 192.168.0.21 weight 2;
    member fw2 192.168.0.22 weight 2;
    member fw3 192.168.0.23;
    hash src_ip, dst_ip, proto, src_port, dst_port;
    probe interval 100ms timeout 50ms down_after 3 up_after 2;
}

// ---------------------------------------------------------------- credits (Achelous 5.1)

// Below base a VM earns credit; above it, it spends (used - base) x consume; with no credit left
// it is held to base. cap: the credit ceiling, as time bursting at max.
credit premium {
    bandwidth base 4Gbps max 10Gbps host 40Gbps cap 60s consume 50%;
    cpu       base 25%   max 100%   host 800%   cap 60s consume 80%;
}

credit standard {
    bandwidth base 1Gbps max 4Gbps host 40Gbps cap 30s consume 50%;
    cpu       base 10%   max 50%   host 800%   cap 30s consume 100%;
}

// Batch work may burst long but pays full price for it.
credit batch {
    bandwidth base 500Mbps max 2Gbps host 40Gbps cap 300s consume 100%;
    cpu       base 5%     max 50%  host 800%   cap 300s consume 100%;
}

// ---------------------------------------------------------------- assertions (sluice verify)

assert shop_isolated_from_analytics isolated NET_SHOP -> NET_ANALYTICS;
assert analytics_isolated_from_shop isolated NET_ANALYTICS -> NET_SHOP;

assert web_vip_https reachable some ANY_V4 -> WEB_VIP match proto tcp dst_port HTTPS;
assert admin_ssh reachable some BASTION_NET -> web1, app1 match proto tcp dst_port SSH;

assert shop_dns      reachable some NET_SHOP      -> PLATFORM_DNS match proto udp dst_port DNS;
assert analytics_dns reachable some NET_ANALYTICS -> PLATFORM_DNS match proto udp dst_port DNS;

assert batch1_no_credentials isolated batch1 -> METADATA_IP;
