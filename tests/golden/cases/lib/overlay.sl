// Imported twice (directly and through lib/tunnel.sl): a diamond, loaded once.
layer overlay {
    default allow;
    out {
        group encap priority 1 {
            rule tunnel priority 1 match dst_ip 10.2.0.0/16 action encap vxlan vni 7 src 192.168.0.1 dst 192.168.0.2;
        }
    }
    in {
        group decap priority 1 {
            rule untunnel priority 1 match vni 7 action decap vxlan;
        }
    }
}
