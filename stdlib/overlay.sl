// std.overlay: a VXLAN overlay building block, and the template of a per-tenant VNET layer.
//
// An overlay (VL2, VFP's VNET layer) carries a tenant's customer addresses (CA) inside VXLAN
// between the hosts' physical addresses (PA). A VNET layer is the wire-side (last) layer of a
// port: outbound it encapsulates (`encap vxlan vni N src HOST_PA dst REMOTE_PA`) and picks the
// next hop (`route TABLE`); inbound it checks the VNI and the outer destination and
// decapsulates (`decap vxlan`), so every layer above it works in CA space.
//
// The layer below is generic and for single-tenant hosts: it strips the VXLAN header of any
// tunnelled packet (any VNI, any outer address) and passes everything else unchanged. It does
// not isolate tenants. A multi-tenant host needs one VNET layer per VNI; copy this template
// (see examples/overlay.sl and examples/vpc.sl for complete ones):
//
//   layer vnet_blue {
//       default deny;
//       out {
//           group blue_fwd priority 100 lpm dst_ip {
//               rule local  priority 100 match dst_ip 10.7.0.5/32, 10.7.0.6/32 action route rt_blue;
//               rule remote priority 200 match dst_ip 10.7.1.0/24
//                   action encap vxlan vni 7001 src 192.168.10.1 dst 192.168.10.2, route rt_blue;
//               rule other  priority 300 match dst_ip 0.0.0.0/0
//                   action encap vxlan vni 7001 src 192.168.10.1 dst 192.168.10.254, route rt_blue;
//           }
//       }
//       in {
//           group blue_decap priority 100 {
//               rule tunnel priority 100 match vni 7001 outer_dst_ip 192.168.10.1
//                   action decap vxlan;
//           }
//           group blue_local priority 200 {
//               // VM-to-VM on this host never touches the wire: not tunnelled (vni 0).
//               rule local priority 100 match vni 0 src_ip 10.7.0.5, 10.7.0.6 action allow;
//           }
//       }
//   }
import std.protocols;

// Decapsulate whatever arrives tunnelled; everything else, both ways, passes untouched.
// `outer_dst_ip ANY_IP` holds exactly for tunnelled packets: an untunnelled packet has no outer
// address of either family.
layer std_vxlan_decap {
    default allow;
    in {
        group std_tunnelled priority 100 {
            rule std_decap priority 100 match outer_dst_ip ANY_IP action decap vxlan;
        }
    }
}
