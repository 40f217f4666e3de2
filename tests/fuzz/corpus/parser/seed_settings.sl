// Settings blocks: ports, ECMP groups, meters, credit policies, route tables.
port p {
    mac 02:00:00:00:00:01;
    ip 10.0.0.1;
    colour blue;
    mac 02:00:00:00:00:02;
}

ecmp empty {
    hash src_ip, dst_ipp;
}

ecmp fw {
    member a 192.168.0.1 weight 0;
    member a 192.168.0.2;
    member b;
    probe interval 10Mbps every 3;
}

meter m1 { burst 1MB; }
meter m2 { rate 10Gbit; burst 5ms; }

credit c1 {
    bandwidth base 20Gbps max 10Gbps host 40Gbps cap 30s consume 150%;
    cpu base 20% max 100%;
}
credit c2 { }

routes rt {
    10.0.0.0/8 -> port p;
    10.0.0.0/8 -> drop;
    10.1.0.0/16 -> port nope;
    10.2.0.0/16 -> ecmp p;
    10.3.0.0/16 -> gateway 10.0.0.0/8;
}
