// std.metadata: control access to the instance metadata service (IMDS) at 169.254.169.254.
//
// The metadata service hands out instance credentials; a server-side request forgery in a web
// application that can reach it leaks them. Two filter layers, each with `default allow`, so
// they can sit in front of any other layers (layers compose by AND):
//
//   std_no_metadata     nothing from the VM reaches the metadata service
//   std_metadata_http   only tcp/80 reaches it (the IMDS API); anything else to it is dropped
//
// Put the layer first in the port's `layers` list (VM side): it then sees the VM's own
// addresses, before any NAT layer rewrites them.
import std.protocols;

layer std_no_metadata {
    default allow;
    out {
        group std_imds priority 100 {
            rule std_imds_block priority 100
                match dst_ip METADATA_IP, METADATA_IP_V6 action deny terminating;
        }
    }
}

layer std_metadata_http {
    default allow;
    out {
        // Anything to the metadata service is denied by the first group unless the second
        // group has a winner too: the last group with a winner decides the layer.
        group std_imds_closed priority 100 {
            rule std_imds_other priority 100 match dst_ip METADATA_IP, METADATA_IP_V6 action deny;
        }
        group std_imds_open priority 200 {
            rule std_imds_api priority 100
                match dst_ip METADATA_IP, METADATA_IP_V6 proto tcp dst_port HTTP
                action allow stateful idle 1m;
        }
    }
}
