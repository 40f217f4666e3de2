// examples/security_group.sl: AWS-style security groups for a two-tier application on one host.
//
//   web1 10.0.1.10, web2 10.0.1.11   group sg_web: HTTP/HTTPS from anywhere, anything from the
//                                    web tier itself, SSH from the bastion 10.0.0.4
//   db1  10.0.2.10                   group sg_db: PostgreSQL from the web tier only, anything
//                                    from the db tier, SSH from the bastion
//
// A security group is one layer, deny inbound by default. Its only outbound rule allows
// everything and is stateful: every outbound flow records a session pair, and the replies
// match the pair and come back in although no inbound rule allows them. Group membership is
// written as a constant (the members' addresses). The wire-side layer `fabric` routes: ports of
// this host directly, everything else to the gateway.
//
//   sluice eval examples/security_group.sl --port db1 --dir in --packets examples/security_group.packets
//
//   1 tcp 10.0.1.10:45000 -> 10.0.2.10:5432 (SYN)   allow, vm:db1 (from_web)
//   2 tcp 10.0.1.10:45001 -> 10.0.2.10:22           deny, sg_db default: web tier may not SSH
//   3 tcp 10.0.0.4:45002 -> 10.0.2.10:22            allow (admin_ssh)
//   4 tcp 198.51.100.7:45003 -> 10.0.2.10:5432      deny, sg_db default
//   5 tcp 10.0.2.10:5432 -> 10.0.1.10:45000 out     allow, output port:web1
//   6 udp 10.0.2.10:40000 -> 1.1.1.1:53 out         allow (stateful), output gateway:10.0.0.1
//   7 udp 1.1.1.1:53 -> 10.0.2.10:40000             allow: the reply of 6 matches its session
//   8 udp 1.1.1.1:53 -> 10.0.2.10:40001             deny: no session for this port pair
import std.protocols;

const SG_WEB  = 10.0.1.10, 10.0.1.11;
const SG_DB   = 10.0.2.10;
const BASTION = 10.0.0.4;

port web1 { mac 02:00:00:00:01:0a; ip 10.0.1.10; vni 100; layers sg_web, fabric; }
port web2 { mac 02:00:00:00:01:0b; ip 10.0.1.11; vni 100; layers sg_web, fabric; }
port db1  { mac 02:00:00:00:02:0a; ip 10.0.2.10; vni 100; layers sg_db,  fabric; }

layer sg_web {
    default deny;
    out {
        group egress priority 100 {
            rule all_out priority 100 action allow stateful idle 5m;
        }
    }
    in {
        group ingress priority 100 {
            rule web       priority 100 match proto tcp dst_port WEB_PORTS action allow;
            rule same_sg   priority 200 match src_ip SG_WEB action allow;
            rule admin_ssh priority 300 match proto tcp src_ip BASTION dst_port SSH action allow;
        }
    }
}

layer sg_db {
    default deny;
    out {
        group egress priority 100 {
            rule all_out priority 100 action allow stateful idle 5m;
        }
    }
    in {
        group ingress priority 100 {
            rule from_web  priority 100 match proto tcp src_ip SG_WEB dst_port POSTGRES action allow;
            rule same_sg   priority 200 match src_ip SG_DB action allow;
            rule admin_ssh priority 300 match proto tcp src_ip BASTION dst_port SSH action allow;
        }
    }
}

layer fabric {
    default allow;
    out {
        group forward priority 100 {
            rule to_table priority 100 action route rt_host;
        }
    }
}

routes rt_host {
    10.0.1.10/32 -> port web1;
    10.0.1.11/32 -> port web2;
    10.0.2.10/32 -> port db1;
    0.0.0.0/0    -> gateway 10.0.0.1;
}

// Every TCP/443 packet from any IPv4 source reaches the web VMs (local sources are routed to
// the port and pass its inbound side).
assert web_open reachable every ANY_V4 -> web1, web2 match proto tcp dst_port HTTPS;
assert db_from_web reachable some web1 -> db1 match proto tcp dst_port POSTGRES;
assert db_no_ssh_from_web isolated SG_WEB -> db1 match proto tcp dst_port SSH;
assert db_closed_to_internet isolated DOC_NETS -> db1;
