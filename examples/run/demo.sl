// examples/run/demo.sl: the policy of the embedded default `sluice run` (scripts/demo.sh) and
// of the end-to-end tests. One virtual network (VNI 100) of three VMs; vm1 and vm2 on host A,
// vm3 on host B (the config of each host binds only its own ports).
//
//   sg   security group: all egress allowed and stateful (replies come back through the
//        session pair); inbound only ping from the network and TCP 8080. Anything else
//        inbound, e.g. TCP 9090, is denied.
//   nat  a virtual IP: 10.10.0.100:80 is DNATed to vm2:8080 on the way out of the client;
//        stateful, so the reply is rewritten back to the VIP (each layer pairs on its own).
//
// With no route action the vSwitch delivers to a local port with the destination address,
// tunnels (VXLAN) to the host that owns it in the VM-to-host table, or sends it to the uplink.
port vm1 { mac 02:00:00:0a:00:01; ip 10.10.0.1; vni 100; layers sg, nat; }
port vm2 { mac 02:00:00:0a:00:02; ip 10.10.0.2; vni 100; layers sg, nat; }
port vm3 { mac 02:00:00:0a:00:03; ip 10.10.0.3; vni 100; layers sg, nat; }

layer sg {
    default deny;
    out {
        group egress priority 10 {
            rule all_out priority 10 action allow stateful idle 5m;
        }
    }
    in {
        group ingress priority 10 {
            rule ping priority 10 match proto icmp src_ip 10.10.0.0/16 action allow;
            rule web  priority 20 match proto tcp dst_port 8080 action allow;
        }
    }
}

layer nat {
    default allow;
    out {
        group vip priority 10 {
            rule web_vip priority 10 match proto tcp dst_ip 10.10.0.100 dst_port 80
                action set dst_ip 10.10.0.2, set dst_port 8080 stateful;
        }
    }
}

// vm2 admits TCP 8080 and ping only: 9090 from vm1 is blocked on vm2's inbound pipeline
// (the whole path: vm1 out, default forwarding by VNI and address, vm2 in).
assert vm2_9090_closed isolated vm1 -> vm2 match proto tcp dst_port 9090;
