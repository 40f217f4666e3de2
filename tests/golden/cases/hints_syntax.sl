// Issue 14: a misspelt keyword is named ("did you mean 'action'?"), and a missing ';' is
// reported at the end of the line that lacks it, not at the next line's first token.
const WEB = 80
const DNS = 53;

port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers l; }

layer l {
    default deny;
    out {
        group g priority 1 {
            rule r priority 1 match dst_port WEB acton allow;
        }
    }
}
