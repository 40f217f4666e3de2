// std.protocols: well-known ports, protocol numbers, address blocks and platform addresses.
//
//     import std.protocols;
//     rule web priority 10 match proto tcp dst_port WEB_PORTS action allow;
//
// Imports are flat: every constant below becomes a global name of the importing policy, so a
// policy that imports this module cannot declare a constant, port, layer, ... of the same name.
// The names are the ones an operator would write anyway (SSH, DNS, RFC1918, ...).

// ---- TCP/UDP service ports ----
const FTP_DATA    = 20;
const FTP         = 21;
const SSH         = 22;
const TELNET      = 23;
const SMTP        = 25;
const DNS         = 53;
const DHCP_SERVER = 67;            // DHCPv4: server listens on udp/67, client on udp/68
const DHCP_CLIENT = 68;
const HTTP        = 80;
const NTP         = 123;
const BGP         = 179;
const LDAP        = 389;
const HTTPS       = 443;
const SMTPS       = 465;
const SYSLOG      = 514;
const DHCPV6_CLIENT = 546;         // DHCPv6: client udp/546, server udp/547
const DHCPV6_SERVER = 547;
const LDAPS       = 636;
const MYSQL       = 3306;
const RDP         = 3389;
const POSTGRES    = 5432;
const REDIS       = 6379;
const HTTP_ALT    = 8080;
const HTTPS_ALT   = 8443;
const VXLAN       = 4789;          // IANA VXLAN udp port
const GENEVE      = 6081;

const WEB_PORTS       = HTTP, HTTPS;
const PRIVILEGED_PORTS = 0..1023;
const EPHEMERAL       = 32768..60999;   // Linux net.ipv4.ip_local_port_range default
const EPHEMERAL_IANA  = 49152..65535;   // RFC 6335 dynamic ports (Windows, BSD)

// ---- ICMP / ICMPv6 types (use with `proto icmp icmp_type ...`) ----
const ICMP_ECHO_REPLY     = 0;
const ICMP_UNREACHABLE    = 3;     // code 4 = fragmentation needed (path MTU discovery)
const ICMP_ECHO_REQUEST   = 8;
const ICMP_TIME_EXCEEDED  = 11;
const ICMPV6_UNREACHABLE  = 1;
const ICMPV6_TOO_BIG      = 2;     // path MTU discovery: never block it
const ICMPV6_ECHO_REQUEST = 128;
const ICMPV6_ECHO_REPLY   = 129;
const ICMPV6_ND           = 133..137;   // router/neighbour solicitation and advertisement, redirect

// ---- TCP flag values (tcp_flags matches the whole flag byte) ----
const TCP_FIN     = 0x01;
const TCP_SYN     = 0x02;
const TCP_RST     = 0x04;
const TCP_ACK     = 0x10;
const TCP_SYN_ACK = 0x12;

// ---- EtherTypes ----
const ETH_IPV4 = 0x0800;
const ETH_ARP  = 0x0806;
const ETH_IPV6 = 0x86dd;

// ---- DSCP code points (RFC 4594) ----
const DSCP_BEST_EFFORT = 0;
const DSCP_AF21        = 18;       // low-latency data
const DSCP_AF41        = 34;       // multimedia conferencing
const DSCP_EF          = 46;       // telephony

// ---- IPv4 address blocks ----
const ANY_V4     = 0.0.0.0/0;
const RFC1918    = 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16;
const CGNAT      = 100.64.0.0/10;           // RFC 6598 shared address space
const LOOPBACK   = 127.0.0.0/8;
const LINK_LOCAL = 169.254.0.0/16;
const MULTICAST  = 224.0.0.0/4;
const BROADCAST  = 255.255.255.255;
const DOC_NETS   = 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24;   // RFC 5737 documentation
const BOGONS     = 0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16,
                   172.16.0.0/12, 192.0.0.0/24, 192.168.0.0/16, 198.18.0.0/15, 224.0.0.0/3;

// ---- IPv6 address blocks ----
const ANY_V6        = ::/0;
const ANY_IP        = 0.0.0.0/0, ::/0;
const ULA           = fc00::/7;               // RFC 4193 unique local addresses
const LINK_LOCAL_V6 = fe80::/10;
const MULTICAST_V6  = ff00::/8;
const DOC_NET_V6    = 2001:db8::/32;          // RFC 3849 documentation

// ---- Platform services (link-local, answered by the host; AWS-style addresses) ----
const METADATA_IP    = 169.254.169.254;       // instance metadata service (IMDS), tcp/80
const PLATFORM_DNS   = 169.254.169.253;       // the VPC resolver
const PLATFORM_NTP   = 169.254.169.123;       // time sync
const METADATA_IP_V6 = fd00:ec2::254;
const PLATFORM_DNS_V6 = fd00:ec2::253;
