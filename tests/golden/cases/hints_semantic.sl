// Issue 14: one bad constant is reported once, not at each of its uses; a name that a stdlib
// module declares hints the import; a reserved word used as a name is an error that does not
// stop the semantic checks (the unknown name and the bad constant below are still reported).
const NET = 10.0.0.0/33;

port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers l; }

layer l {
    default deny;
    out {
        group g priority 1 {
            rule a priority 1 match dst_ip NET action allow;
            rule b priority 2 match src_ip NET action allow;
            rule c priority 3 match dst_ip NET dst_port 80 action allow;
            rule allow priority 4 match dst_ip RFC1918 action allow;
            rule d priority 5 match dst_ip nowhere action deny;
        }
    }
}
