// examples/nat_vip.sl: a public VIP in front of one backend VM, and SNAT for its own traffic.
//
//   VIP 203.0.113.50:443 -> backend 10.0.0.5:8443   (address and port translation, DNAT)
//   VIP 203.0.113.50:80  -> backend 10.0.0.5:8080
//   backend -> internet  leaves as 203.0.113.51    (SNAT, source port kept)
//
// Layers, VM side first: `acl` works on the backend's own address (it sits above NAT, as in
// VFP), `nat` is the boundary between the backend's address space and the public one. Both NAT
// rules are stateful: the reverse direction of a translated flow matches the session pair,
// skips the layer's rules and gets the inverse rewrite (the backend's reply leaves from the
// VIP's address and port). Inbound, `nat` admits only the VIP's two services and replies: the
// backend is unreachable at its own address from outside.
//
//   sluice eval examples/nat_vip.sl --port backend --dir in --packets examples/nat_vip.packets
//
//   1 tcp 192.0.2.10:50000 -> 203.0.113.50:443 (SYN)  allow, now -> 10.0.0.5:8443, vm:backend
//   2 tcp 10.0.0.5:8443 -> 192.0.2.10:50000 out       allow, now 203.0.113.50:443 -> ..., uplink
//   3 tcp 192.0.2.10:50001 -> 203.0.113.50:80         allow, now -> 10.0.0.5:8080
//   4 tcp 192.0.2.10:50002 -> 203.0.113.50:22         deny in nat (no such service)
//   5 tcp 192.0.2.10:50003 -> 10.0.0.5:8443           deny in nat (backend is not public)
//   6 tcp 10.0.0.5:41000 -> 198.51.100.20:443 out     allow, now 203.0.113.51:41000 -> ..., uplink
//   7 tcp 198.51.100.20:443 -> 203.0.113.51:41000     allow, now -> 10.0.0.5:41000 (reply of 6)
//   8 tcp 10.0.0.5:41001 -> 10.0.0.9:5432 out         allow, not translated (private), uplink
import std.protocols;

const VIP     = 203.0.113.50;
const SNAT_IP = 203.0.113.51;
const BACKEND = 10.0.0.5;

port backend { mac 02:00:00:00:00:05; ip 10.0.0.5; vni 200; layers acl, nat; }

layer acl {
    default deny;
    out {
        group egress priority 100 {
            rule all_out priority 100 action allow stateful idle 5m;
        }
    }
    in {
        group services priority 100 {
            rule app priority 100 match proto tcp dst_port HTTPS_ALT, HTTP_ALT action allow;
        }
    }
}

layer nat {
    default in deny;                    // only the VIP's services, and replies, come in
    default out allow;
    in {
        group vip priority 100 match dst_ip VIP proto tcp {
            rule https priority 100 match dst_port HTTPS
                action set dst_ip BACKEND, set dst_port HTTPS_ALT, allow stateful idle 4m;
            rule http  priority 200 match dst_port HTTP
                action set dst_ip BACKEND, set dst_port HTTP_ALT, allow stateful idle 4m;
        }
    }
    out {
        group snat priority 100 lpm dst_ip {
            rule private  priority 100 match dst_ip RFC1918 action allow;
            rule internet priority 200 match dst_ip ANY_V4
                action set src_ip SNAT_IP, allow stateful idle 4m;
        }
    }
}

assert vip_https reachable some ANY_V4 -> VIP match proto tcp dst_port HTTPS;
assert vip_no_ssh isolated DOC_NETS -> VIP match proto tcp dst_port SSH;
assert backend_hidden isolated DOC_NETS -> BACKEND;
