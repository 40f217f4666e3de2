// Value errors: types, ranges, prefixes, families.
const BIG = 70000;

port p {
    mac 10.0.0.1;
    ip 10.0.0.1, fd00::1;
    vni 16777216;
    layers l;
}

layer l {
    out {
        group g priority 1 {
            rule port_big priority 1 match dst_port BIG action allow;
            rule empty priority 2 match src_port 900..80 action allow;
            rule host_bits priority 3 match dst_ip 10.1.0.5/16 action allow;
            rule long_prefix priority 4 match dst_ip 10.0.0.0/33 action allow;
            rule bad_ip priority 5 match src_ip 300.1.1.1 action allow;
            rule dscp priority 6 match dscp 64 action allow;
            rule fam priority 7 match src_ip 10.0.0.0/8 dst_ip fd00::/16 action allow;
            rule set_fam priority 8 match dst_ip 10.0.0.0/8 action set src_ip fd00::9;
            rule wrong_type priority 9 match dst_port 10.0.0.1 action allow;
            rule proto priority 10 match proto tcpp action allow;
            rule mac priority 11 match src_mac 02:00:00:00:00 action allow;
            rule mixed priority 12 match dst_ip 10.0.0.1..fd00::1 action allow;
            rule idle_t priority 13 match dst_port 1 action allow stateful idle 10Gbps;
        }
    }
}
