// Structural errors: priorities, lpm groups, actions, flags.
routes rt { 0.0.0.0/0 -> drop; }
meter m { rate 1Mpps; }

port p {
    mac 02:00:00:00:00:01;
    ip 10.0.0.1;
    vni 1;
    layers l;
}

layer l {
    default in allow;
    default in deny;
    out {
        group a priority 10 {
            rule r1 priority 1 match dst_port 80 action allow;
            rule r2 priority 1 match dst_port 81 action allow;
            rule r3 priority 2 action deny, route rt;
            rule r4 priority 3 action set src_port 1, set src_port 2;
            rule r5 priority 4 action deny stateful;
            rule r6 priority 5 action set proto 6;
            rule r7 priority 6 match dst_port 1 dst_port 2 action allow;
            rule r8 priority 7 action allow, meter m, route rt, route rt;
            rule r9 priority 8 action encap vxlan vni 5 src 10.0.0.1 dst fd00::1;
            rule r10 priority 9 action encap vxlan vni 5, decap gre;
        }
        group b priority 10 lpm dst_ip {
            rule l1 priority 1 match src_ip 10.0.0.0/8 action allow;
            rule l2 priority 2 match dst_ip 10.0.0.1..10.0.0.9 action allow;
            rule l3 priority 3 match dst_ip 10.0.0.0/8 action allow terminating terminating;
        }
        group c priority 20 lpm dst_port {
        }
    }
}
